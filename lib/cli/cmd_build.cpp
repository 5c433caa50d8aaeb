// berth build.
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/github.hpp"
#include "cli/progress_printer.hpp"

#include <berth/build.hpp>
#include <berth/error.hpp>
#include <berth/provenance.hpp>
#include <berth/sbom.hpp>
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

int cmd_build(const std::vector<std::string> &argv) {
  Args args(argv, {"--from",      "--layer",     "--compression", "--level",      "--entrypoint",
                   "--cmd",       "--env",       "--label",       "--annotation", "--workdir",
                   "--user",      "--expose",    "--platform",    "--output",     "--tag",
                   "--cache",     "--cache-key", "--jobs",        "--src-creds",  "--dest-creds",
                   "--ca-bundle", "--sign-key",  "--builder-id",  "--mirror"},
            {"--plain-http", "--insecure", "--json", "--quiet", "--sbom", "--provenance"});
  if (args.help()) {
    std::fputs(find_command("build").usage, stdout);
    return kOk;
  }
  if (!args.positional().empty())
    throw UsageError{"unexpected argument '" + args.positional()[0] + "'"};
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
    o.jobs = std::stoi(args.value_or("--jobs", "4"));
  } catch (const std::exception &) {
    throw UsageError{"--jobs needs a number"};
  }
  o.from_access = {args.value_or("--src-creds", ""), args.flag("--plain-http"),
                   args.flag("--insecure"), args.value_or("--ca-bundle", "")};
  o.output_access = {args.value_or("--dest-creds", ""), args.flag("--plain-http"),
                     args.flag("--insecure"), args.value_or("--ca-bundle", "")};
  auto mode = detect_output_mode(args.flag("--json"), args.flag("--quiet"));
  o.progress = make_progress_printer(mode);

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

  auto r = build_image(o);
  for (const auto &w : r.warnings)
    std::fprintf(stderr, "sbom warning: %s\n", core::printable(w).c_str());
  if (mode == OutputMode::json) {
    std::printf("%s\n", to_json(r).c_str());
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
