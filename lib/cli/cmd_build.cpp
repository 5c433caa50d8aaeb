// berth build.
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/github.hpp"
#include "cli/progress_printer.hpp"

#include <berth/build.hpp>
#include <berth/error.hpp>

#include "core/json.hpp"

#include <chrono>
#include <cstdio>

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
                   "--ca-bundle", "--mirror"},
            {"--plain-http", "--insecure", "--json", "--quiet"});
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

  auto start = std::chrono::steady_clock::now();
  auto r = build_image(o);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (mode == OutputMode::json) {
    core::json::StringWriter out;
    auto &w = out.writer;
    w.StartObject();
    out.member("digest", r.digest);
    out.member("mediaType", r.media_type);
    out.member("config", r.config_digest);
    w.Key("layers");
    w.StartArray();
    for (const auto &l : r.layers) {
      w.StartObject();
      out.member("digest", l.digest);
      out.member("diffID", l.diff_id);
      w.Key("size");
      w.Uint64(l.size);
      w.Key("cached");
      w.Bool(l.from_cache);
      w.EndObject();
    }
    w.EndArray();
    if (!r.base_digest.empty()) {
      out.member("baseName", r.base_name);
      out.member("baseDigest", r.base_digest);
      if (!r.base_mirror.empty()) out.member("baseMirror", r.base_mirror);
    }
    w.Key("seconds");
    w.Double(secs);
    w.EndObject();
    std::printf("%s\n", out.str().c_str());
  } else {
    if (mode != OutputMode::quiet) {
      if (!r.base_digest.empty())
        std::fprintf(stderr, "base %s@%s%s%s\n", r.base_name.c_str(), r.base_digest.c_str(),
                     r.base_mirror.empty() ? "" : " through ", r.base_mirror.c_str());
      for (const auto &l : r.layers)
        std::fprintf(stderr, "layer %s %s%s\n", l.digest.c_str(), human_bytes(l.size).c_str(),
                     l.from_cache ? " (cached)" : "");
      std::fprintf(stderr, "built in %.2fs\n", secs);
    }
    std::printf("%s\n", r.digest.c_str());
  }
  if (!r.base_digest.empty()) github_output("base-digest", r.base_digest);
  github_output("digest", r.digest);
  return kOk;
}

} // namespace berth::cli
