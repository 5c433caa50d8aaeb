// berth build.
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/github.hpp"
#include "cli/progress_printer.hpp"
#include "cli/registry_args.hpp"

#include <berth/build.hpp>
#include <berth/error.hpp>
#include <berth/sign.hpp>

#include "core/json.hpp"
#include "core/untrusted_text.hpp"

#include <chrono>
#include <cstdio>
#include <memory>

namespace berth::cli {
namespace {

// --entrypoint/--cmd take a JSON array (exec form) or a plain string (one word each
// split on spaces is docker's shell form; berth keeps the exec form explicit).
std::vector<std::string> json_array(const std::string &name, const std::string &value) {
  core::json::Document doc;
  try {
    doc = core::json::parse(value, name.c_str());
  } catch (const Error &) {
    throw UsageError{name + " needs a JSON array such as '[\"/app/server\",\"--port\",\"8080\"]'"};
  }
  if (!doc.IsArray()) throw UsageError{name + " needs a JSON array of strings"};
  std::vector<std::string> out;
  for (const auto &v : doc.GetArray()) {
    if (!v.IsString()) throw UsageError{name + " needs a JSON array of strings"};
    out.emplace_back(v.GetString());
  }
  return out;
}

} // namespace

const CommandHelp kBuildHelp = {
    "usage: berth build [-f Dockerfile|-] [CONTEXT] [-t REF]... [--output DST]\n"
    "                   [--build-arg K=V]... [--target STAGE] [--label K=V]... [--no-cache]\n"
    "                   [--cache DIR] [--platform OS/ARCH[/V][,...]] [--iidfile F]\n"
    "                   [--network host|none] [--progress auto|plain]\n"
    "                   [--secret id=ID[,src=FILE|,env=VAR]]...\n"
    "                   [--cache-from type=registry,ref=REPO[:TAG]]...\n"
    "                   [--cache-to type=registry,ref=REPO[:TAG][,mode=min|max]] ...\n"
    "       berth build [--from REF|oci:DIR[:TAG]|scratch] [--layer DIR[:/DEST]|TAR]...\n"
    "                   [--compression gzip|zstd|none] [--level N] [--entrypoint JSON]\n"
    "                   [--cmd JSON] [--env K=V]... [--label K=V]... [--annotation K=V]...\n"
    "                   [--workdir D] [--user U] [--expose P]... [--platform OS/ARCH[/V]]\n"
    "                   [--cache DIR [--cache-key metadata|content]] [--tag T]...\n"
    "                   [--src-creds U:P] [--dest-creds U:P] [--plain-http] [--insecure]\n"
    "                   [--ca-bundle FILE] [--mirror SRC=HOST[/PREFIX]]... [--json|--quiet]\n"
    "                   [--sbom] [--provenance [--builder-id URI]] [--sign-key cosign.key]\n"
    "                   [--jobs N] --output DST\n"
    "\n"
    "The first form builds a Dockerfile (CONTEXT, default '.', holds what COPY reads;\n"
    "-f defaults to CONTEXT/Dockerfile) as BuildKit would, without a daemon: each RUN in a\n"
    "sandbox of berth's own (namespaces and overlayfs; rootless when not run as root),\n"
    "each step cached under --cache (default ~/.cache/berth). -t REF pushes to REF (more\n"
    "-t push the same image there too); --output DST writes anywhere instead. The second\n"
    "form lays directories onto a base, as crane append and ko do.\n"
    "\n"
    "DST: oci:DIR[:TAG], docker://REF, oci-archive:FILE[:TAG] or\n"
    "docker-archive:FILE[:REF]. Layers stream straight to DST (tar, compression, digest\n"
    "and diffID in one pass). With SOURCE_DATE_EPOCH set, file times are clamped and\n"
    "the image is created at that time: the same inputs give the same digest.\n"
    "A registry base is recorded in OCI manifests as org.opencontainers.image.base.name\n"
    "and .base.digest (the digest it resolved to, also 'base-digest' in $GITHUB_OUTPUT).\n",
    OptionTable{
        {"--from", "REF|oci:DIR[:TAG]|scratch", "the base image (default scratch)"},
        {"--layer", "DIR[:/DEST]|TAR",
         "a layer from a directory (its contents at /DEST, default /) or a tar file (added as "
         "one layer as is, compressed by berth); repeatable, in order"},
        {"--compression", "gzip|zstd|none", "how layers are compressed (default gzip)"},
        {"--level", "N",
         "gzip 1-12 (default 3), zstd 1-22 (default 3); higher is smaller and slower"},
        {"--entrypoint", "JSON", "the entrypoint, a JSON array of strings (unset: the base's)"},
        {"--cmd", "JSON", "the command, a JSON array of strings (unset: the base's)"},
        {"--env", "K=V", "an environment variable, replacing K when the base has it (repeatable)"},
        {"--label", "K=V", "a label in the config (repeatable)"},
        {"--annotation", "K=V", "an annotation on the manifest (repeatable)"},
        {"--workdir", "D", "the working directory"},
        {"--user", "U", "the user the image runs as"},
        {"--expose", "P", "an exposed port: 8080, 53/udp (repeatable)"},
        {"--platform", "OS/ARCH[/V]",
         "the image's platform; also picks the base's image from an index (Dockerfile "
         "builds: a comma-separated list builds one image per platform and an index; "
         "default this machine's)"},
        {"--cache", "DIR",
         "a layer cache: unchanged inputs reuse the layer built before (Dockerfile builds: "
         "also where base layers are unpacked; default ~/.cache/berth)"},
        {"--cache-key", "metadata|content",
         "unchanged means the same paths, sizes, modes, mtimes and link targets (metadata, "
         "the default) or the same contents too (content)"},
        {"--tag", "T|REF",
         "also tag DST T (repeatable); Dockerfile builds: a REF to push to, as docker build -t",
         "-t"},
        {"--output", "DST", "where the image goes (required unless -t names it)"},
        {"--file", "FILE", "the Dockerfile (default CONTEXT/Dockerfile; - reads stdin)", "-f"},
        {"--build-arg", "K=V", "a build arg for the Dockerfile's ARGs (repeatable)"},
        {"--target", "STAGE", "the stage to build (default the last)"},
        {"--secret", "id=ID[,src=FILE|,env=VAR]",
         "a secret for RUN --mount=type=secret (repeatable; neither src nor env: the "
         "variable ID); never in the image, its history or the log"},
        {"--no-cache", nullptr, "run every step again (the cache is still updated)"},
        {"--cache-from", "type=registry,ref=REPO[:TAG]",
         "also reuse steps from a build cache in a registry (repeatable; tag default "
         "'buildcache'); a missing cache or expired blob is a miss, never an error"},
        {"--cache-to", "type=registry,ref=REPO[:TAG][,mode=min|max][,ignore-error=true]",
         "after the build, store the steps it used there (min: the final image's, the "
         "default; max: every stage's), an OCI image manifest ECR accepts"},
        {"--network", "host|none", "the network RUN steps see (default host)"},
        {"--iidfile", "FILE", "write the image ID (the config digest) to FILE"},
        {"--progress", "auto|plain", "how steps are shown (plain: no progress bar)"},
        {"--jobs", "N",
         "parallel blob transfers; Dockerfile builds: also stages built at once, one per CPU "
         "at most (default 4)"},
    } + src_creds_options() +
        dest_creds_options() + connection_options() +
        OptionTable{
            {"--mirror", "SRC=HOST[/PREFIX]",
             "read a base in SRC through HOST/PREFIX, and from SRC when the mirror cannot "
             "serve it (repeatable); for an ECR pull-through cache: "
             "docker.io=ACCOUNT.dkr.ecr.REGION.amazonaws.com/docker-hub"},
        } +
        output_mode_options() +
        OptionTable{
            {"--sbom", nullptr,
             "attach an SPDX 2.3 SBOM of the image (as 'berth sbom' makes it) as an in-toto "
             "attestation, predicate https://spdx.dev/Document"},
            {"--provenance", nullptr,
             "attach SLSA provenance v1 (https://slsa.dev/provenance/v1) from the CI context "
             "(GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_WORKFLOW_REF, GITHUB_RUN_ID...), with the "
             "base image's digest as a dependency"},
            {"--builder-id", "URI",
             "the provenance's builder id (default: the GitHub workflow, else berth)"},
            {"--sign-key", "cosign.key",
             "sign them as cosign attest does (DSSE, tag sha256-<hex>.att; `cosign "
             "verify-attestation --type spdxjson|slsaprovenance1` accepts them; password from "
             "$COSIGN_PASSWORD). Without a key they are attached unsigned as OCI referrers "
             "(artifactType application/vnd.in-toto+json), listed by oras discover. "
             "Attestations need a registry or oci: DST."},
        }};

int cmd_build(const std::vector<std::string> &argv) {
  Args args(argv, kBuildHelp.all_options());
  if (args.help()) {
    print_help(kBuildHelp);
    return kOk;
  }
  if (args.value("--file") || !args.positional().empty()) return build_dockerfile_command(args);
  for (const char *only : {"--build-arg", "--target", "--network", "--iidfile", "--progress",
                           "--secret", "--cache-from", "--cache-to"})
    if (args.value(only))
      throw UsageError{std::string(only) + " goes with a Dockerfile build (-f)"};
  if (args.flag("--no-cache")) throw UsageError{"--no-cache goes with a Dockerfile build (-f)"};
  BuildOptions o;
  o.from = args.value_or("--from", "scratch");
  o.mirrors = args.values("--mirror");
  o.layers = args.values("--layer");
  o.compression = args.value_or("--compression", "gzip");
  if (auto l = args.value("--level")) {
    try {
      o.level = std::stoi(*l);
    } catch (const std::exception &) {
      throw UsageError{"--level needs a number"};
    }
  }
  if (auto v = args.value("--entrypoint")) o.entrypoint = json_array("--entrypoint", *v);
  if (auto v = args.value("--cmd")) o.cmd = json_array("--cmd", *v);
  o.env = args.values("--env");
  o.labels = args.key_values("--label");
  o.annotations = args.key_values("--annotation");
  o.workdir = args.value_or("--workdir", "");
  o.user = args.value_or("--user", "");
  o.expose = args.values("--expose");
  o.platform = args.value_or("--platform", "");
  o.output = args.required("--output");
  o.extra_tags = args.values("--tag");
  o.cache_dir = args.value_or("--cache", "");
  o.cache_key = args.value_or("--cache-key", "metadata");
  try {
    o.jobs = std::stoi(args.value_or("--jobs", std::to_string(o.jobs)));
  } catch (const std::exception &) {
    throw UsageError{"--jobs needs a number"};
  }
  o.from_access = registry_access(args, "--src-creds");
  o.output_access = registry_access(args, "--dest-creds");
  auto mode = detect_output_mode(args.flag("--json"), args.flag("--quiet"));
  o.progress = make_progress_printer(mode, kWriting);

  // The key is read first: a wrong password fails before anything is built.
  o.attach_sbom = args.flag("--sbom");
  o.attach_provenance = args.flag("--provenance");
  auto sign_key = args.value_or("--sign-key", "");
  if ((!sign_key.empty() || args.value("--builder-id")) && !o.attach_sbom && !o.attach_provenance)
    throw UsageError{"--sign-key and --builder-id go with --sbom or --provenance"};
  if ((o.attach_sbom || o.attach_provenance) &&
      (o.output.rfind("oci-archive:", 0) == 0 || o.output.rfind("docker-archive:", 0) == 0))
    throw UsageError{"--sbom and --provenance attach to a registry or an oci: layout, not an "
                     "archive"};
  if (!sign_key.empty()) o.signer = load_signing_key(sign_key, key_password());
  o.builder_id = args.value_or("--builder-id", "");

  return print_build_result(build_image(o), mode);
}

int print_build_result(const BuildResult &r, OutputMode mode) {
  for (const auto &w : r.warnings)
    std::fprintf(stderr, "sbom warning: %s\n", core::printable(w).c_str());
  if (mode == OutputMode::json) {
    std::printf("%s\n", snake_case_keys(to_json(r)).c_str());
  } else {
    if (mode != OutputMode::quiet) {
      for (const auto &a : r.attestations)
        std::fprintf(stderr, "%s %s attestation: %s\n", a.is_signed ? "signed" : "unsigned",
                     a.predicate_type.c_str(), a.location.c_str());
      if (!r.base_digest.empty())
        std::fprintf(stderr, "base %s@%s%s%s\n", r.base_name.c_str(), r.base_digest.c_str(),
                     r.base_mirror.empty() ? "" : " through ", r.base_mirror.c_str());
      for (const auto &l : r.layers)
        std::fprintf(stderr, "layer %s %s%s\n", l.digest.c_str(), human_bytes(l.size).c_str(),
                     l.from_cache ? " (cached)" : "");
      std::fprintf(stderr, "built in %.2fs\n", std::chrono::duration<double>(r.duration).count());
    }
    std::printf("%s\n", r.digest.c_str());
  }
  if (!r.base_digest.empty()) github_output("base-digest", r.base_digest);
  github_output("digest", r.digest);
  return kOk;
}

} // namespace berth::cli
