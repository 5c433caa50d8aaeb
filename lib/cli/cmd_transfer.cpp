// berth push | pull | replicate | index | export: the copy engine with the
// options each verb needs.
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/github.hpp"
#include "cli/progress_printer.hpp"
#include "cli/registry_args.hpp"

#include <berth/copy.hpp>
#include <berth/error.hpp>
#include <berth/reference.hpp>
#include <berth/sign.hpp>
#include <berth/tags.hpp>

#include "core/json.hpp"
#include "core/untrusted_text.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace berth::cli {
namespace {

// The options copy_options() reads, which every copying command takes.
const OptionTable &copy_engine_options() {
  static const OptionTable o =
      OptionTable{
          {"--format", "oci|docker",
           "write OCI or Docker schema 2 media types, converting the manifests (their digests "
           "change, blobs do not). Default: as the source has them, except that a "
           "docker-archive SRC becomes OCI in oci: and oci-archive:"},
          {"--platform", "OS/ARCH[/VARIANT]", "copy one image of a multi-arch index"},
          {"--jobs", "N", "parallel blob transfers (default 4)"},
      } +
      src_creds_options() + dest_creds_options() + connection_options() + timeout_options() +
      OptionTable{
          {"--referrers", "true|false",
           "copy the referrers (signatures, SBOMs, attestations) of each image too, OCI "
           "referrers and cosign's sha256-<hex>.sig/.att/.sbom tags (default true)"},
          {"--artifact-type", "TYPE", "only referrers of this artifact type (repeatable)"},
          {"--mirror", "SRC=HOST[/PREFIX]",
           "read a SRC in registry SRC through HOST/PREFIX (an ECR pull-through cache, a "
           "mirror), falling back to SRC when the mirror cannot serve it (repeatable)"},
      };
  return o;
}

// Options of the commands that write to a registry.
const OptionTable kRegistryDestinationOptions = {
    {"--chunk-size", "BYTES",
     "push big blobs in PATCHes of this size (for proxies that cap request bodies); "
     "default one request per blob"},
    {"--create-repository", nullptr,
     "create a missing ECR repository first (with SRC's settings when SRC is in ECR) instead "
     "of NAME_UNKNOWN"},
};

const OptionTable kTagOption = {{"--tag", "T", "also tag the destination T (repeatable)"}};

CopyOptions copy_options(const Args &args) {
  CopyOptions o;
  o.src = registry_access(args, "--src-creds");
  o.dst = registry_access(args, "--dest-creds");
  if (auto c = args.value("--chunk-size")) {
    try {
      o.dst.chunk_size = std::stoull(*c);
    } catch (const std::exception &) {
      throw UsageError{"--chunk-size needs a number of bytes"};
    }
    if (o.dst.chunk_size < (1u << 20)) throw UsageError{"--chunk-size must be at least 1 MiB"};
  }
  o.platform = args.value_or("--platform", "");
  try {
    o.jobs = std::stoi(args.value_or("--jobs", std::to_string(o.jobs)));
  } catch (const std::exception &) {
    throw UsageError{"--jobs needs a number"};
  }
  if (o.jobs < 1 || o.jobs > 64) throw UsageError{"--jobs must be 1..64"};
  auto format = args.value_or("--format", "auto");
  if (format == "oci")
    o.format = ImageFormat::oci;
  else if (format == "docker")
    o.format = ImageFormat::docker;
  else if (format != "auto")
    throw UsageError{"--format must be oci or docker, not '" + format + "'"};
  auto referrers = args.value_or("--referrers", "true");
  if (referrers != "true" && referrers != "false")
    throw UsageError{"--referrers must be true or false, not '" + referrers + "'"};
  o.referrers = referrers == "true";
  o.referrer_types = args.values("--artifact-type");
  o.create_repository = args.flag("--create-repository");
  o.mirrors = args.values("--mirror");
  return o;
}

// Warnings go to stderr whatever the mode (a JSON line with --json): something the
// user asked for (a referrer) was left out. They may quote a registry's words.
void print_warnings(OutputMode mode, const CopyResult &r, const std::string &label) {
  for (const auto &w : r.warnings) {
    if (mode == OutputMode::json)
      std::fprintf(stderr, "%s\n", notice_json("warning", label + w).c_str());
    else
      std::fprintf(stderr, "%swarning: %s\n", label.c_str(), core::printable(w).c_str());
  }
}

std::string count_of(int n, const char *noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

// What the copy did, in words: what moved, what was there, "nothing to copy" for a
// re-run that found everything in place, and the tags it added.
std::string summary(const CopyResult &r) {
  std::string tagged;
  for (const auto &t : r.tags_added)
    tagged += (tagged.empty() ? "tagged :" : ", :") + t;
  auto with_tags = [&](std::string s) { return tagged.empty() ? s : s + "; " + tagged; };
  if (r.blobs_copied == 0 && r.blobs_mounted == 0 && r.manifests == 0 && r.referrers == 0)
    return with_tags(r.blobs_skipped > 0 ? "nothing to copy: " + count_of(r.blobs_skipped, "blob") +
                                               " and the manifest already there"
                                         : "nothing to copy: the image was already there");
  std::string out = count_of(r.blobs_copied, "blob") + " copied";
  if (r.blobs_copied > 0) out += " (" + human_bytes(r.bytes_copied) + ")";
  if (r.blobs_skipped > 0) out += ", " + std::to_string(r.blobs_skipped) + " already there";
  if (r.blobs_mounted > 0) out += ", " + std::to_string(r.blobs_mounted) + " mounted";
  out += ", " + count_of(r.manifests, "manifest");
  if (r.referrers > 0) out += ", " + count_of(r.referrers, "referrer");
  return with_tags(out);
}

// The --json result line: the C ABI's result document with snake_case keys, as every
// --json line has them, and the tags the copy added.
std::string result_json(const CopyResult &r) {
  auto doc = snake_case_keys(to_json(r));
  core::json::StringWriter tags;
  tags.writer.StartArray();
  for (const auto &t : r.tags_added)
    tags.string(t);
  tags.writer.EndArray();
  doc.pop_back(); // the closing brace
  return doc + ",\"tags_added\":" + tags.str() + "}";
}

void print_result(OutputMode mode, const CopyResult &r, double secs, const std::string &label) {
  print_warnings(mode, r, label);
  if (mode == OutputMode::json) {
    std::printf("%s\n", result_json(r).c_str());
    return;
  }
  if (mode != OutputMode::quiet) {
    if (!r.mirror.empty())
      std::fprintf(stderr, "%sread through %s\n", label.c_str(), r.mirror.c_str());
    std::fprintf(stderr, "%s%s in %.2fs\n", label.c_str(), summary(r).c_str(), secs);
  }
  std::printf("%s\n", r.digest.c_str());
}

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

} // namespace

const CommandHelp kCopyHelp = {
    "usage: berth copy [OPTIONS] SRC DST\n"
    "\n"
    "SRC and DST: docker://REF (or a bare REF), oci:DIR[:TAG], oci-archive:FILE[:TAG]\n"
    "or docker-archive:FILE[:REF] (the `docker save` / `docker load` format; as a SRC,\n"
    "docker-archive:FILE:@N picks the Nth image). A compressed or piped archive SRC is\n"
    "read too. An archive DST is written whole once every blob has arrived, replacing\n"
    "the file atomically; a docker-archive holds one image (use --platform for an\n"
    "index) tagged REF.\n",
    copy_engine_options() + kRegistryDestinationOptions + kTagOption + output_mode_options()};

int cmd_copy(const std::vector<std::string> &argv) {
  Args args(argv, kCopyHelp.all_options());
  if (args.help()) return print_help(kCopyHelp), kOk;
  if (args.positional().size() != 2) throw UsageError{"copy needs SRC and DST"};
  auto o = copy_options(args);
  o.extra_tags = args.values("--tag");
  auto mode = detect_output_mode(args.flag("--json"), args.flag("--quiet"));
  o.progress = make_progress_printer(mode);
  auto start = std::chrono::steady_clock::now();
  auto r = copy_image(args.positional()[0], args.positional()[1], o);
  print_result(mode, r, since(start), "");
  return kOk;
}

const CommandHelp kPushHelp = {
    "usage: berth push [OPTIONS] SRC REF[:TAG] [--tag T]... [--tags-from-ci [--tag-rule R]...]\n"
    "\n"
    "Blobs go once, the manifest once, then each tag is a manifest PUT — skipped when\n"
    "the tag already points at the digest, so re-runs against immutable repositories\n"
    "succeed. --tags-from-ci computes tags from GITHUB_* (see 'berth tags'). In GitHub\n"
    "Actions, registry, image, digest and tags are written to $GITHUB_OUTPUT.\n",
    copy_engine_options() + kRegistryDestinationOptions +
        OptionTable{
            {"--tag", "T", "also tag the image T (repeatable)"},
            {"--tags-from-ci", nullptr, "add the tags computed from the CI context"},
            {"--tag-rule", "R",
             "a docker/metadata-action tag rule (repeatable; implies --tags-from-ci; see "
             "'berth tags')"},
            {"--latest", "auto|true|false", "whether computed tags include latest (default auto)"},
            {"--sign-key", "cosign.key", "sign the pushed image (see 'berth sign')"},
        } +
        output_mode_options()};

int cmd_push(const std::vector<std::string> &argv) {
  Args args(argv, kPushHelp.all_options());
  if (args.help()) return print_help(kPushHelp), kOk;
  if (args.positional().size() != 2) throw UsageError{"push needs SRC and REF"};
  auto o = copy_options(args);
  auto mode = detect_output_mode(args.flag("--json"), args.flag("--quiet"));
  o.progress = make_progress_printer(mode, kPushing);
  std::string dst = args.positional()[1];
  auto ref = image::Reference::parse(dst.rfind("docker://", 0) == 0 ? dst.substr(9) : dst);
  std::vector<std::string> tags = args.values("--tag");
  std::string no_tags; // why --tags-from-ci gave none
  if (args.flag("--tags-from-ci") || !args.values("--tag-rule").empty()) {
    auto env = [](const std::string &k) {
      const char *v = std::getenv(k.c_str());
      return std::string(v ? v : "");
    };
    TagOptions to;
    to.rules = args.values("--tag-rule");
    to.latest = args.value_or("--latest", "auto");
    const auto ctx = CiContext::from_github_env(env);
    const auto computed = compute_tags(ctx, to).tags;
    if (computed.empty()) no_tags = why_no_tags(ctx);
    for (const auto &t : computed)
      tags.push_back(t);
  }
  // The reference's own tag (or the first computed one) is the main tag.
  if (ref.tag.empty() && ref.digest.empty()) {
    if (tags.empty())
      throw UsageError{no_tags.empty() ? "push needs a tag: REF:TAG, --tag or --tags-from-ci"
                                       : "--tags-from-ci gave no tag: " + no_tags};
    ref = ref.with_tag(tags.front());
  }
  for (const auto &t : tags)
    if (!image::valid_tag(t)) throw UsageError{"invalid tag '" + t + "'"};
  for (const auto &t : tags)
    if (t != ref.tag) o.extra_tags.push_back(t);
  auto start = std::chrono::steady_clock::now();
  // Loaded first: a wrong password stops the push before anything moves.
  if (auto key = args.value("--sign-key")) o.signer = load_signing_key(*key, key_password());
  auto r = copy_image(args.positional()[0], "docker://" + ref.str(), o);
  if (!r.signature_ref.empty() && mode != OutputMode::quiet)
    std::fprintf(stderr, "signed: %s\n", r.signature_ref.c_str());
  print_result(mode, r, since(start), "push: ");
  std::string all_tags = ref.tag;
  for (const auto &t : o.extra_tags)
    all_tags += "\n" + t;
  github_output("registry", ref.registry);
  github_output("image", ref.context());
  github_output("digest", r.digest);
  github_output("tags", all_tags);
  return kOk;
}

const CommandHelp kPullHelp = {
    "usage: berth pull [OPTIONS] REF DST\n"
    "\n"
    "DST: oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE[:REF]. A plain\n"
    "path is taken as crane takes it: FILE.tar is a docker-archive (docker load reads\n"
    "it), an existing directory or one written ./DIR or /DIR an OCI layout.\n",
    copy_engine_options() +
        OptionTable{
            {"--verify-key", "cosign.pub",
             "pull only an image signed with this key, by the digest that verified (else exit "
             "4, nothing written)"},
        } +
        output_mode_options()};

int cmd_pull(const std::vector<std::string> &argv) {
  Args args(argv, kPullHelp.all_options());
  if (args.help()) return print_help(kPullHelp), kOk;
  if (args.positional().size() != 2) throw UsageError{"pull needs REF and DST"};
  auto o = copy_options(args);
  auto mode = detect_output_mode(args.flag("--json"), args.flag("--quiet"));
  o.progress = make_progress_printer(mode, kPulling);
  const auto &src = args.positional()[0];
  // The library takes DST as crane does (berth::pull_destination); a DST it cannot
  // place is a usage error, with the forms it takes.
  std::string dst;
  try {
    dst = pull_destination(args.positional()[1]);
  } catch (const Error &e) {
    if (e.code() != Errc::invalid_argument) throw;
    throw UsageError{e.what()};
  }
  auto start = std::chrono::steady_clock::now();
  const auto key = args.value("--verify-key");
  auto pulled = pull_image(src, dst, o, key ? *key : std::string());
  const auto &r = pulled.copy;
  if (key && mode != OutputMode::quiet) {
    const auto verified =
        std::to_string(pulled.signatures_verified) + " signature(s) of " + pulled.verified_digest;
    if (mode == OutputMode::json)
      std::fprintf(stderr, "%s\n", notice_json("verified", verified).c_str());
    else
      std::fprintf(stderr, "verified: %s\n", verified.c_str());
  }
  print_result(mode, r, since(start), "pull: ");
  github_output("digest", r.digest);
  return kOk;
}

const CommandHelp kReplicateHelp = {
    "usage: berth replicate [OPTIONS] SRC DST... [--tag T]...\n"
    "\n"
    "Each blob is read from SRC once and streamed to every DST that lacks it in\n"
    "parallel; DSTs on SRC's registry mount. (ECR's own replication is\n"
    "'berth ecr put-replication-configuration'.)\n",
    copy_engine_options() + kRegistryDestinationOptions + kTagOption + output_mode_options()};

int cmd_replicate(const std::vector<std::string> &argv) {
  Args args(argv, kReplicateHelp.all_options());
  if (args.help()) return print_help(kReplicateHelp), kOk;
  if (args.positional().size() < 2) throw UsageError{"replicate needs SRC and at least one DST"};
  auto o = copy_options(args);
  o.extra_tags = args.values("--tag");
  auto mode = detect_output_mode(args.flag("--json"), args.flag("--quiet"));
  o.progress = make_progress_printer(mode);
  std::vector<std::string> dsts(args.positional().begin() + 1, args.positional().end());
  auto start = std::chrono::steady_clock::now();
  auto results = replicate_image(args.positional()[0], dsts, o);
  double secs = since(start);
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (mode == OutputMode::json) {
      print_result(mode, results[i], secs, "");
      continue;
    }
    print_warnings(mode, results[i], dsts[i] + ": ");
    if (mode != OutputMode::quiet)
      std::fprintf(stderr, "%s: %s\n", dsts[i].c_str(), summary(results[i]).c_str());
  }
  if (mode != OutputMode::json) std::printf("%s\n", results.front().digest.c_str());
  github_output("digest", results.front().digest);
  return kOk;
}

const CommandHelp kIndexHelp = {
    "usage: berth index [OPTIONS] SRC... --output DST [--tag T]...\n"
    "\n"
    "Children go to DST by digest, with their platform read from their config; only\n"
    "the index is tagged.\n",
    OptionTable{
        {"--output", "DST", "where the index goes (required)"},
        {"--annotation", "K=V", "an annotation on the index (repeatable; makes it an OCI index)"},
    } + copy_engine_options() +
        kRegistryDestinationOptions + kTagOption + output_mode_options()};

int cmd_index(const std::vector<std::string> &argv) {
  Args args(argv, kIndexHelp.all_options());
  if (args.help()) return print_help(kIndexHelp), kOk;
  if (args.positional().empty()) throw UsageError{"index needs at least one SRC"};
  auto o = copy_options(args);
  o.extra_tags = args.values("--tag");
  auto mode = detect_output_mode(args.flag("--json"), args.flag("--quiet"));
  o.progress = make_progress_printer(mode);
  auto start = std::chrono::steady_clock::now();
  auto r = assemble_index(args.positional(), args.required("--output"), o,
                          args.key_values("--annotation"));
  print_result(mode, r, since(start), "index: ");
  github_output("digest", r.digest);
  return kOk;
}

const CommandHelp kExportHelp = {
    "usage: berth export [OPTIONS] SRC DIR\n"
    "\n"
    "Layers are applied in order with OCI whiteouts. Entries that would land outside\n"
    "DIR (.., absolute paths, symlink or hardlink escapes) are refused; symlinks in\n"
    "DIR are never followed; files appear under their names only when complete.\n"
    "setuid/setgid bits are dropped; device nodes are skipped unless --devices.\n",
    OptionTable{
        {"--platform", "OS/ARCH[/VARIANT]",
         "one image of a multi-arch index (default linux/amd64)"},
        {"--max-size", "BYTES", "stop past this many bytes of files (default 64 GiB)"},
        {"--max-expansion-ratio", "R",
         "stop when files outgrow the compressed layers R times (checked past the first 16 "
         "MiB; default 200, 0 = off)"},
        {"--devices", nullptr, "create character and block devices (as root; 0600)"},
    } + src_creds_options() +
        connection_options() + timeout_options()};

int cmd_export(const std::vector<std::string> &argv) {
  Args args(argv, kExportHelp.all_options());
  if (args.help()) return print_help(kExportHelp), kOk;
  if (args.positional().size() != 2) throw UsageError{"export needs SRC and DIR"};
  ExportOptions o;
  o.access = registry_access(args, "--src-creds");
  o.platform = args.value_or("--platform", "");
  o.max_expansion_ratio = args.number("--max-expansion-ratio", o.max_expansion_ratio);
  o.devices = args.flag("--devices");
  if (auto m = args.value("--max-size")) {
    try {
      o.max_total_bytes = std::stoull(*m);
    } catch (const std::exception &) {
      throw UsageError{"--max-size needs a number of bytes"};
    }
  }
  export_image(args.positional()[0], args.positional()[1], o);
  std::fprintf(stderr, "exported %s into %s\n", args.positional()[0].c_str(),
               args.positional()[1].c_str());
  return kOk;
}

} // namespace berth::cli
