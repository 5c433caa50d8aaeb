// berth build -f Dockerfile [CONTEXT]: docker build's flags over build_dockerfile.
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/github.hpp"
#include "cli/progress_printer.hpp"
#include "cli/registry_args.hpp"

#include <berth/copy.hpp>
#include <berth/dockerfile.hpp>
#include <berth/error.hpp>
#include <berth/sign.hpp>

#include "core/file.hpp"
#include "core/untrusted_text.hpp"

#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>

namespace berth::cli {
namespace {

// RUN output and step lines to stderr, one line at a time, each made safe for a
// terminal and a CI log (a build's output is outside text: it cannot start a workflow
// command or move the cursor).
class StepLog {
public:
  void write(std::string_view s) {
    pending_.append(s);
    std::size_t nl;
    while ((nl = pending_.find('\n')) != std::string::npos) {
      emit(std::string_view(pending_).substr(0, nl));
      pending_.erase(0, nl + 1);
    }
    if (pending_.size() > 64 * 1024) flush();
  }
  void flush() {
    if (!pending_.empty()) emit(pending_);
    pending_.clear();
  }

private:
  static void emit(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::fprintf(stderr, "%s\n", core::printable(line).c_str());
  }
  std::string pending_;
};

// "-t REF": a reference to push to (docker://REF); anything already a location stays.
std::string as_location(const std::string &ref) {
  for (const char *p : {"docker://", "oci:", "oci-archive:", "docker-archive:"})
    if (ref.rfind(p, 0) == 0) return ref;
  return "docker://" + ref;
}

} // namespace

int build_dockerfile_command(const Args &args) {
  for (const char *other : {"--from", "--layer", "--entrypoint", "--cmd", "--env", "--workdir",
                            "--user", "--expose", "--annotation", "--cache-key"})
    if (args.value(other))
      throw UsageError{std::string(other) + " goes with --from/--layer builds, not a Dockerfile"};
  if (args.positional().size() > 1)
    throw UsageError{"one build context, not '" + args.positional()[1] + "' as well"};
  DockerfileBuildOptions o;
  o.context = args.positional().empty() ? "." : args.positional()[0];
  const auto file = args.value_or("--file", "");
  if (file == "-") {
    o.dockerfile_text.emplace(std::istreambuf_iterator<char>(std::cin),
                              std::istreambuf_iterator<char>());
  } else {
    o.dockerfile = file;
  }
  for (const auto &kv : args.values("--build-arg")) {
    auto eq = kv.find('=');
    if (eq == 0) throw UsageError{"--build-arg needs K=V, got '" + kv + "'"};
    if (eq == std::string::npos) {
      // docker build --build-arg K takes K's value from the environment.
      if (const char *v = std::getenv(kv.c_str())) o.build_args.emplace_back(kv, v);
      continue;
    }
    o.build_args.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  o.secrets = args.values("--secret");
  // A RUN may print what it mounts: in GitHub Actions each value is masked first.
  o.on_secret = [](const std::string &value) { github_mask(value); };
  o.target = args.value_or("--target", "");
  o.labels = args.key_values("--label");
  o.platform = args.value_or("--platform", "");
  o.network = args.value_or("--network", "host");
  if (o.network == "default") o.network = "host";
  if (o.network != "host" && o.network != "none")
    throw UsageError{"--network is host or none, not '" + o.network + "'"};
  const auto progress = args.value_or("--progress", "auto");
  if (progress != "auto" && progress != "plain")
    throw UsageError{"--progress is auto or plain, not '" + progress + "'"};
  o.no_cache = args.flag("--no-cache");
  o.cache_from = args.values("--cache-from");
  o.cache_to = args.value_or("--cache-to", "");
  o.state_dir = args.value_or("--cache", "");
  o.compression = args.value_or("--compression", "gzip");
  if (auto l = args.integer("--level")) o.level = *l;
  if (auto j = args.integer("--jobs")) o.jobs = *j;
  o.mirrors = args.values("--mirror");
  o.from_access = registry_access(args, "--src-creds");
  o.output_access = registry_access(args, "--dest-creds");
  // -t: the first names the output unless --output does; the others get the same image.
  std::vector<std::string> more;
  for (const auto &t : args.values("--tag")) {
    const bool ref = t.find_first_of("/:") != std::string::npos;
    if (!ref && o.output.empty() && !args.value("--output"))
      throw UsageError{"-t " + t +
                       ": a Dockerfile build pushes to a reference (-t "
                       "REGISTRY/REPO:TAG), or give --output"};
    if (!ref)
      o.extra_tags.push_back(t);
    else if (o.output.empty() && !args.value("--output"))
      o.output = as_location(t);
    else
      more.push_back(as_location(t));
  }
  if (auto out = args.value("--output")) o.output = *out;
  if (o.output.empty()) throw UsageError{"a build needs -t REF or --output DST"};
  auto mode = detect_output_mode(args.flag("--json"), args.flag("--quiet"));
  if (progress == "plain" && mode == OutputMode::terminal) mode = OutputMode::plain;
  o.progress = make_progress_printer(mode, kWriting);
  auto log = std::make_shared<StepLog>();
  if (mode != OutputMode::quiet) o.log = [log](std::string_view s) { log->write(s); };
  o.attach_sbom = args.flag("--sbom");
  o.attach_provenance = args.flag("--provenance");
  auto sign_key = args.value_or("--sign-key", "");
  if ((!sign_key.empty() || args.value("--builder-id")) && !o.attach_sbom && !o.attach_provenance)
    throw UsageError{"--sign-key and --builder-id go with --sbom or --provenance"};
  if (!sign_key.empty()) o.signer = load_signing_key(sign_key, key_password());
  o.builder_id = args.value_or("--builder-id", "");

  BuildResult r;
  try {
    r = build_dockerfile(o);
  } catch (...) {
    log->flush();
    throw;
  }
  log->flush();
  // More -t references: the same image copied there (blobs mounted or skipped when
  // the registry has them).
  for (const auto &dst : more) {
    CopyOptions co;
    co.src = o.output_access;
    co.dst = o.output_access;
    co.jobs = o.jobs;
    co.progress = o.progress;
    copy_image(o.output, dst, co);
  }
  if (auto iid = args.value("--iidfile")) core::write_file_atomic(*iid, r.config_digest);
  return print_build_result(r, mode);
}

} // namespace berth::cli
