// berth build -f Dockerfile: the stages the target needs, each after the stages it
// needs and those that need nothing of each other at the same time (StageScheduler),
// each step run as BuildKit runs it; every file-changing step a layer, cached by a key
// that chains everything before it; the target stored like any build.
#include <berth/copy.hpp>
#include <berth/dockerfile.hpp>
#include <berth/error.hpp>

#include "core/crypto.hpp"
#include "core/file.hpp"
#include "core/keyed_mutex.hpp"
#include "dockerfile/ignore.hpp"
#include "dockerfile/instructions.hpp"
#include "dockerfile/text.hpp"
#include "http/client.hpp"
#include "layer/compression.hpp"
#include "ops/build/dockerfile/build_log.hpp"
#include "ops/build/dockerfile/build_platform.hpp"
#include "ops/build/dockerfile/config_steps.hpp"
#include "ops/build/dockerfile/copy_owners.hpp"
#include "ops/build/dockerfile/copy_step.hpp"
#include "ops/build/dockerfile/run_mounts.hpp"
#include "ops/build/dockerfile/run_step.hpp"
#include "ops/build/dockerfile/stage_base.hpp"
#include "ops/build/dockerfile/stage_scheduler.hpp"
#include "ops/build/dockerfile/step_cache.hpp"
#include "ops/build/dockerfile/workdir_step.hpp"
#include "ops/build/image_draft.hpp"
#include "ops/transfer/copy_engine.hpp"
#include "ops/transfer/progress_reporter.hpp"
#include "sandbox/userns_call.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unistd.h>

namespace berth {
namespace {

namespace df = dockerfile;
namespace fs = std::filesystem;
using ops::StageImage;

std::string default_state_dir() {
  if (const char *x = std::getenv("XDG_CACHE_HOME"); x && *x == '/')
    return std::string(x) + "/berth";
  if (const char *h = std::getenv("HOME"); h && *h == '/') return std::string(h) + "/.cache/berth";
  throw Error(Errc::config, "no state directory: set HOME or XDG_CACHE_HOME, or give one");
}

std::string read_dockerfile(const DockerfileBuildOptions &o, std::string &path) {
  if (o.dockerfile_text) return *o.dockerfile_text;
  path = o.dockerfile.empty() ? o.context + "/Dockerfile" : o.dockerfile;
  try {
    return core::read_small_file(path, 16u << 20);
  } catch (const Error &e) {
    throw Error(e.code() == Errc::not_found ? Errc::not_found : e.code(),
                "cannot read the Dockerfile " + path + ": " + e.what());
  }
}

// BuildKit's automatic platform args, in the global scope of every Dockerfile: TARGET*
// the platform built for, BUILD* this machine's.
std::vector<std::pair<std::string, std::string>> platform_args(const image::Platform &target) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto build = ops::host_platform();
  for (const auto &[prefix, p] :
       {std::pair<std::string, const image::Platform &>{"TARGET", target},
        std::pair<std::string, const image::Platform &>{"BUILD", build}}) {
    out.emplace_back(prefix + "PLATFORM", p.str());
    out.emplace_back(prefix + "OS", p.os);
    out.emplace_back(prefix + "ARCH", p.architecture);
    out.emplace_back(prefix + "VARIANT", p.variant);
  }
  return out;
}

// The platform a stage's image is for, from its config.
image::Platform stage_platform(const ops::StageImage &img) {
  image::Platform p;
  const auto &c = img.config;
  auto get = [&](const char *k) {
    return c.HasMember(k) && c[k].IsString() ? std::string(c[k].GetString()) : std::string();
  };
  p.os = get("os");
  p.architecture = get("architecture");
  p.variant = get("variant");
  return p;
}

// The ARGs a stage declared: the values of those that have one, and every name in
// declaration order (BuildKit's RUN history lists the ones without a value too).
struct StageArgs {
  df::EnvList values;
  std::vector<std::string> declared;
};

// BuildKit's history text of COPY and ADD (dispatchCopy): the keyword, --parents,
// --chown and --chmod, the expanded sources (a heredoc as <<NAME) and the destination; no --from,
// --link, --exclude or --checksum.
std::string copy_history(const std::string &keyword, const ops::CopyRequest &req) {
  std::string text = keyword;
  if (req.parents) text += " --parents";
  if (!req.chown.empty()) text += " --chown=" + req.chown;
  if (!req.chmod.empty()) text += " --chmod=" + req.chmod;
  for (const auto &p : req.sources)
    text += " " + p;
  for (const auto &c : req.contents)
    text += " <<" + c.path;
  return text + " " + req.dest;
}

class DockerfileBuild {
public:
  explicit DockerfileBuild(const DockerfileBuildOptions &o)
      : o_(o), clock_(ops::BuildClock::make(o.created)),
        state_(o.state_dir.empty() ? default_state_dir() : o.state_dir),
        store_((core::make_dirs(state_), state_ + "/layers"), ::geteuid() != 0),
        cache_(state_, o.no_cache), log_(o.log) {}

  BuildResult run();
  // What cache_to gets from this build (after run()); the sources stay valid while this
  // build object lives.
  std::vector<ops::CacheEntry> cache_entries() const;

private:
  void load();
  void open_caches();
  std::map<int, std::vector<int>> stage_needs(int target) const;
  unsigned stage_workers() const;
  std::optional<int> find_stage(const std::string &name, int before) const;
  const StageImage &finished_stage(int index);
  StageImage run_stage(int index);
  StageImage start_stage(int index);
  StageImage open_base(const std::string &ref, const image::Platform &platform);
  void run_instruction(StageImage &img, df::Instruction in, StageArgs &args, int index);
  void dispatch(StageImage &img, df::Instruction in, StageArgs &args, int index,
                const std::function<void(bool)> &show);
  void run_copy(StageImage &img, const df::Instruction &in, int index,
                const std::function<void(bool)> &show);
  void copy_and_commit(StageImage &img, const df::Instruction &in, const ops::CopySourceRoot &root,
                       const ops::CopyRequest &req, const std::string &history,
                       const std::optional<std::string> &given_key,
                       const std::function<void(bool)> &show);
  void run_workdir(StageImage &img, const std::string &path);
  void empty_step(StageImage &img, const std::string &history);
  std::string stage_rootfs(int stage);
  ops::MountSources mount_sources(const df::Instruction &in, int index);
  std::string image_rootfs(const std::string &ref);
  std::string rootfs(const std::string &key, const std::string &name,
                     const std::function<void(const std::string &)> &make);
  http::Client *http_client();
  ops::LayerParams layer_params() const { return {o_.compression, o_.level, o_.threads}; }
  // The diff of a step berth laid out itself (COPY, ADD, WORKDIR). Rootless, its files
  // belong to the caller, which is root inside.
  sandbox::OverlayDiffOptions clock_diff() const {
    sandbox::OverlayDiffOptions d;
    d.mtime_clamp = clock_.epoch;
    if (::geteuid() != 0) d.ids = sandbox::rootless_mapping();
    return d;
  }
  // BuildKit's predefined proxy args among the build args, in both spellings.
  std::vector<std::string> proxy_env() const {
    std::vector<std::string> out;
    for (const char *name : {"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"}) {
      const std::string upper = name, lower = df::to_lower(name);
      for (const auto &[k, v] : build_args_)
        if (k == upper || k == lower) {
          out.push_back(upper + "=" + v);
          out.push_back(lower + "=" + v);
          break;
        }
    }
    return out;
  }
  void log(const std::string &line) { log_.write(line); }

  // Stages run on several threads (StageScheduler). What load() sets is read-only by
  // then; what they share besides is behind the locks below, none held during a RUN but
  // the key of a step another stage is running the same (it waits to reuse that layer).
  const DockerfileBuildOptions &o_;
  const ops::BuildClock clock_;
  const std::string state_;
  sandbox::LayerStore store_; // safe as it is: every entry is made by a rename
  ops::StepCache cache_;      // locks its index itself
  ops::BuildLog log_;         // one line-whole write at a time
  df::Dockerfile file_;
  std::string source_name_ = "Dockerfile", context_;
  std::optional<df::IgnoreMatcher> ignore_;
  std::vector<ops::BuildSecret> secrets_; // --secret, parsed
  image::Platform platform_;
  std::vector<std::pair<std::string, std::string>> build_args_;
  df::EnvList meta_;
  std::optional<ops::StageScheduler> scheduler_;
  std::mutex stages_mutex_;
  std::map<int, StageImage> stages_; // finished stages, never changed once in
  std::mutex sources_mutex_;
  std::vector<std::unique_ptr<ops::ImageSource>> sources_; // the bases' blobs are read there
  core::KeyedMutex base_locks_;                            // one opening of a base at a time
  std::mutex rootfs_mutex_;
  std::map<std::string, std::unique_ptr<core::StagingDir>> rootfs_; // COPY --from sources
  core::KeyedMutex rootfs_locks_; // each made once, by the first stage asking
  core::KeyedMutex step_locks_;   // a step's key: two stages at the same step run it once
  std::mutex http_mutex_;
  std::unique_ptr<http::Client> http_;
  std::atomic<int> step_ = 0;
  std::optional<ops::CacheSpec> cache_to_;
  std::vector<std::string> final_keys_; // the target's steps, bottom first
};

// --cache-from: each read once, before the stages run (warnings, never errors).
void DockerfileBuild::open_caches() {
  if (!o_.cache_to.empty()) cache_to_ = ops::parse_cache_spec(o_.cache_to, true);
  std::vector<ops::CacheSpec> from;
  for (const auto &text : o_.cache_from)
    from.push_back(ops::parse_cache_spec(text, false));
  if (o_.no_cache) return;
  for (const auto &spec : from) {
    auto cache = std::make_unique<ops::RegistryCacheImport>(
        spec, o_.output_access, [this](const std::string &w) { log("warning: " + w); });
    if (cache->size())
      log("build cache " + spec.ref + ": " + std::to_string(cache->size()) +
          (cache->size() == 1 ? " step" : " steps"));
    cache_.add_import(std::move(cache));
  }
}

std::vector<ops::CacheEntry> DockerfileBuild::cache_entries() const {
  if (cache_to_ && cache_to_->max) return cache_.used();
  std::vector<ops::CacheEntry> out;
  for (const auto &k : final_keys_)
    if (auto e = cache_.used(k)) out.push_back(*e);
  return out;
}

void DockerfileBuild::load() {
  std::string path;
  const std::string text = read_dockerfile(o_, path);
  if (!path.empty()) source_name_ = fs::path(path).filename().string();
  file_ = df::parse_dockerfile(text, source_name_);
  std::error_code ec;
  context_ = fs::canonical(o_.context, ec).string();
  if (ec || !fs::is_directory(context_))
    throw Error(Errc::not_found, "the build context " + o_.context + " is not a directory");
  // "<Dockerfile>.dockerignore" beside the Dockerfile wins over the context's.
  std::string ignore_file;
  if (!path.empty() && fs::exists(path + ".dockerignore"))
    ignore_file = path + ".dockerignore";
  else if (fs::exists(context_ + "/.dockerignore"))
    ignore_file = context_ + "/.dockerignore";
  if (!ignore_file.empty())
    ignore_.emplace(df::read_ignore_patterns(core::read_small_file(ignore_file, 4u << 20)));
  for (const auto &spec : o_.secrets)
    secrets_.push_back(ops::parse_secret(spec));
  // As BuildKit: this machine's platform unless one is asked for.
  platform_ = o_.platform.empty() ? ops::host_platform() : image::Platform::parse(o_.platform);
  build_args_ = o_.build_args;
  for (auto &[k, v] : platform_args(platform_)) {
    meta_.set(k, v);
  }
  const auto declared = df::meta_arg_values(file_.meta_args, build_args_, file_.escape);
  for (const auto &[k, v] : declared.entries())
    meta_.set(k, v);
  for (auto &stage : file_.stages)
    df::expand_stage(stage, meta_, file_.escape, source_name_);
}

std::optional<int> DockerfileBuild::find_stage(const std::string &name, int before) const {
  const std::string lower = df::to_lower(name);
  for (int i = 0; i < before && i < static_cast<int>(file_.stages.size()); ++i)
    if (!file_.stages[i].name.empty() && file_.stages[i].name == lower) return i;
  if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos &&
      name.size() < 6) {
    int n = std::stoi(name);
    if (n < before) return n;
  }
  return std::nullopt;
}

// The target and every stage it needs, each with the stages it needs itself (FROM
// <stage>, COPY --from=<stage>). A stage may only name stages before it, as BuildKit
// requires, so there is no cycle. A need found only while a stage runs (an ONBUILD
// trigger's --from, a --from naming a stage through a stage ARG) is awaited then.
std::map<int, std::vector<int>> DockerfileBuild::stage_needs(int target) const {
  std::map<int, std::vector<int>> needs;
  std::vector<int> todo{target};
  while (!todo.empty()) {
    const int i = todo.back();
    todo.pop_back();
    if (needs.count(i)) continue;
    auto &mine = needs[i];
    const auto &st = file_.stages[i];
    if (auto dep = find_stage(st.base, i)) mine.push_back(*dep);
    for (const auto &in : st.commands) {
      if (const auto *c = std::get_if<df::CopyInstr>(&in.body); c && !c->from.empty())
        if (auto dep = find_stage(c->from, i)) mine.push_back(*dep);
      if (const auto *r = std::get_if<df::RunInstr>(&in.body))
        for (const auto &m : r->mounts) // RUN --mount=...,from=<stage>
          if (!m.from.empty())
            if (auto dep = find_stage(m.from, i)) mine.push_back(*dep);
    }
    todo.insert(todo.end(), mine.begin(), mine.end());
  }
  return needs;
}

// Stages at once: --jobs (default 4), at most one per CPU (a RUN is often a compiler
// using a whole one), at least one.
unsigned DockerfileBuild::stage_workers() const {
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  return std::clamp(static_cast<unsigned>(std::max(1, o_.jobs)), 1u, cpus);
}

// A stage another one needs, once it has finished (StageScheduler::await).
const StageImage &DockerfileBuild::finished_stage(int index) {
  scheduler_->await(index);
  std::lock_guard lock(stages_mutex_);
  return stages_.at(index); // std::map: the reference stays valid as stages are added
}

// One stage at a time opens a given base: the next finds its layers in the store
// instead of downloading them again.
StageImage DockerfileBuild::open_base(const std::string &ref, const image::Platform &platform) {
  auto held = base_locks_.lock(ref + " " + platform.str());
  std::vector<std::unique_ptr<ops::ImageSource>> opened;
  ops::BaseOpener opener{o_.from_access, o_.mirrors, &store_, &opened};
  auto img = ops::open_base_stage(ref, platform, opener);
  std::lock_guard lock(sources_mutex_);
  for (auto &src : opened)
    sources_.push_back(std::move(src));
  return img;
}

StageImage DockerfileBuild::start_stage(int index) {
  const auto &st = file_.stages[index];
  if (auto dep = find_stage(st.base, index)) {
    const auto &from = finished_stage(*dep);
    StageImage img;
    img.config.CopyFrom(from.config, img.config.GetAllocator());
    img.layers = from.layers;
    img.docker_types = from.docker_types;
    img.cache_key = from.cache_key;
    img.base_name = from.base_name;
    img.base_digest = from.base_digest;
    img.base_manifest_digest = from.base_manifest_digest;
    return img;
  }
  const auto platform = st.platform.empty() ? platform_ : image::Platform::parse(st.platform);
  StageImage img;
  if (df::to_lower(st.base) == "scratch") {
    img = ops::scratch_stage(platform);
  } else {
    img = open_base(st.base, platform);
  }
  // BuildKit makes sure PATH is always set in a stage's config.
  auto env = ops::config_env(img);
  if (!ops::env_value(env, "PATH")) {
    env.push_back(std::string("PATH=") + sandbox::kDefaultPath);
    ops::set_config_env(img, env);
  }
  // Everything that decides a layer's bytes beyond the steps themselves.
  img.cache_key = ops::StepCache::key(
      "", "FROM",
      (img.base_manifest_digest.empty() ? std::string("scratch") : img.base_manifest_digest) + " " +
          platform.str(),
      o_.compression + " " + std::to_string(o_.level) + " " +
          (clock_.epoch ? std::to_string(*clock_.epoch) : std::string("-")) +
          (img.docker_types ? " docker" : " oci"));
  return img;
}

StageImage DockerfileBuild::run_stage(int index) {
  const auto &st = file_.stages[index];
  log("[stage " + std::to_string(index) + (st.name.empty() ? "" : " " + st.name) + "] " +
      st.original);
  StageImage img = start_stage(index);
  std::vector<df::Instruction> commands;
  // ONBUILD triggers of the base run first, as if written right after FROM.
  auto &cfg = img.config;
  if (cfg.HasMember("config") && cfg["config"].IsObject() && cfg["config"].HasMember("OnBuild") &&
      cfg["config"]["OnBuild"].IsArray()) {
    for (const auto &t : cfg["config"]["OnBuild"].GetArray()) {
      if (!t.IsString()) continue;
      auto parsed = df::parse(t.GetString(), "ONBUILD");
      for (const auto &node : parsed.nodes)
        commands.push_back(df::parse_instruction(node, "ONBUILD"));
    }
    cfg["config"].RemoveMember("OnBuild");
  }
  commands.insert(commands.end(), st.commands.begin(), st.commands.end());
  StageArgs args;
  for (auto &in : commands) {
    // Another stage failed: the build is over, and this stage's end is not its error.
    if (scheduler_->failed()) throw Error(Errc::cancelled, "the build failed in another stage");
    run_instruction(img, in, args, index);
  }
  return img;
}

void DockerfileBuild::run_instruction(StageImage &img, df::Instruction in, StageArgs &args,
                                      int index) {
  // A step's line goes out together with its "CACHED", so that no line of a stage
  // running at the same time comes between them: RUN, COPY and ADD show it once they
  // know, the rest at once, and a failed step before its error.
  const std::string header = "#" + std::to_string(++step_) + " " + in.original;
  bool shown = false;
  const std::function<void(bool)> show = [&](bool cached) {
    if (shown) return;
    shown = true;
    log(cached ? header + "\n  CACHED" : header);
  };
  if (!std::holds_alternative<df::RunInstr>(in.body) &&
      !std::holds_alternative<df::CopyInstr>(in.body) &&
      !std::holds_alternative<df::AddInstr>(in.body))
    show(false);
  try {
    dispatch(img, std::move(in), args, index, show);
  } catch (...) {
    show(false);
    throw;
  }
}

void DockerfileBuild::dispatch(StageImage &img, df::Instruction in, StageArgs &args, int index,
                               const std::function<void(bool)> &show) {
  const auto env = ops::config_env(img);
  // BuildKit keeps one environment per stage that ENV and valued ARGs update in order:
  // the later one wins. An ENV drops the ARG's value below, so here an ARG's value is one
  // that came after any ENV of its name.
  df::EnvLookup lookup = [&](std::string_view key) -> std::optional<std::string> {
    if (auto v = args.values.get(key)) return v;
    return ops::env_value(env, key);
  };
  df::expand(in, lookup, file_.escape, source_name_);
  if (auto *arg = std::get_if<df::ArgInstr>(&in.body)) {
    std::string text = "ARG";
    for (const auto &a : arg->args) {
      std::optional<std::string> value;
      for (const auto &[k, v] : build_args_)
        if (k == a.key) value = v;
      if (!value) value = a.value;
      if (!value) value = meta_.get(a.key);
      if (value) args.values.set(a.key, *value);
      if (std::find(args.declared.begin(), args.declared.end(), a.key) == args.declared.end())
        args.declared.push_back(a.key);
      // BuildKit's text is the value the ARG took: a build arg, the default, or the
      // global ARG's.
      text += " " + a.key + (value ? "=" + *value : "");
    }
    return empty_step(img, text);
  }
  if (const auto *e = std::get_if<df::EnvInstr>(&in.body))
    for (const auto &kv : e->pairs)
      args.values.erase(kv.key);
  if (auto history = ops::apply_config_step(in, img)) {
    if (history->empty()) // ONBUILD: a config change without history, still in the key
      img.cache_key = ops::StepCache::key(img.cache_key, "CONFIG", in.original, "");
    else
      empty_step(img, *history);
    return;
  }
  if (auto *wd = std::get_if<df::WorkdirInstr>(&in.body)) {
    const auto path = ops::resolve_workdir(ops::config_string(img, "WorkingDir"), wd->path);
    ops::set_config_string(img, "WorkingDir", path);
    return run_workdir(img, path);
  }
  if (std::holds_alternative<df::CopyInstr>(in.body) ||
      std::holds_alternative<df::AddInstr>(in.body))
    return run_copy(img, in, index, show);
  if (std::holds_alternative<df::RunInstr>(in.body)) {
    ops::RunStepOptions ro;
    for (const auto &[k, v] : args.values.entries())
      ro.build_args.push_back(k + "=" + v);
    ro.declared_args = args.declared;
    ro.proxy_env = proxy_env();
    ro.network = o_.network;
    ro.source = source_name_;
    const auto cmd = ops::run_command(in, img, ro);
    auto scratch = cache_.scratch();
    // The mounts first: a bind's content is part of the key.
    ops::PreparedMounts mounts;
    if (const auto &run = std::get<df::RunInstr>(in.body); !run.mounts.empty()) {
      mounts = ops::prepare_mounts(run.mounts, mount_sources(in, index), scratch->path());
      ro.mounts = mounts.mounts;
      ro.mount_env = mounts.env;
    }
    ro.mounts_prepared = true;
    // A RUN for another architecture needs an emulator here (binfmt_misc).
    ops::check_can_run(stage_platform(img), source_name_ + ":" + std::to_string(in.start_line));
    // The network the RUN gets (its own --network, else the build's) is in the key.
    const auto &run_network = std::get<df::RunInstr>(in.body).network;
    const std::string network = run_network == "default" ? o_.network : run_network;
    const auto key =
        ops::StepCache::key(img.cache_key, "RUN", cmd.history + "\n" + cmd.script,
                            ops::StepCache::config_text(img) + network + mounts.key_text);
    // Two stages at the same step (a RUN both start with) run it once, as BuildKit does
    // and as one after the other would: the second waits, then reuses the first's layer.
    auto held = step_locks_.lock(key);
    if (cache_.reuse(img, key, cmd.history + " # buildkit", clock_, store_)) return show(true);
    show(false);
    ops::BuildLog::Output output(log_);
    ro.output = [&output](std::string_view bytes) { output.add(bytes); };
    // A failure elsewhere kills this RUN rather than waiting for it.
    ro.cancelled = [this] { return scheduler_->failed(); };
    const std::string upper = scratch->path() + "/upper";
    auto r = ops::run_step(in, img, ro, upper, scratch->path() + "/work");
    sandbox::OverlayDiffOptions diff;
    diff.mtime_clamp = clock_.epoch;
    diff.ids = r.ids;
    diff.userxattr = r.userxattr;
    diff.lower_dirs = img.lowers(); // copy-ups that changed nothing stay out, as in BuildKit
    cache_.commit(img, key, cmd.history + " # buildkit", clock_, store_, upper, diff,
                  layer_params());
    return;
  }
  throw Error(Errc::unsupported, source_name_ + ":" + std::to_string(in.start_line) + ": " +
                                     in.keyword + " is not supported");
}

void DockerfileBuild::empty_step(StageImage &img, const std::string &history) {
  img.cache_key = ops::StepCache::key(img.cache_key, "CONFIG", history, "");
  ops::add_history(img.config, clock_.created_text(), history, true,
                   ops::kDockerfileHistoryComment);
}

// WORKDIR makes its directory (and missing parents) as a layer of its own, as BuildKit
// does: an empty layer when the directory exists, none for "/".
void DockerfileBuild::run_workdir(StageImage &img, const std::string &path) {
  const std::string history = "WORKDIR " + path;
  if (path == "/") return empty_step(img, history);
  // BuildKit's history has no " # buildkit" here: commitToHistory adds it only for
  // RUN, COPY and ADD. The directory's owner is the stage's USER.
  const auto key =
      ops::StepCache::key(img.cache_key, "WORKDIR", path, ops::config_string(img, "User"));
  auto held = step_locks_.lock(key);
  if (cache_.reuse(img, key, history, clock_, store_)) return;
  auto scratch = cache_.scratch();
  const std::string upper = scratch->path() + "/upper";
  // BuildKit's mkdir takes the path cleaned (an absolute WORKDIR is kept as written).
  ops::copy_detail::RootlessOwners owners;
  ops::make_missing_dirs(img.lowers(), upper, df::clean_path(path), clock_.epoch,
                         ops::config_string(img, "User"));
  owners.apply();
  cache_.commit(img, key, history, clock_, store_, upper, clock_diff(), layer_params());
}

// A stage's or an image's whole file system, made once per build for COPY --from and
// removed with the build (a StagingDir: a killed build's is swept by the next). Stages
// asking for one being made wait for it; others go on.
std::string DockerfileBuild::rootfs(const std::string &key, const std::string &name,
                                    const std::function<void(const std::string &)> &make) {
  auto held = rootfs_locks_.lock(key);
  {
    std::lock_guard lock(rootfs_mutex_);
    if (auto it = rootfs_.find(key); it != rootfs_.end()) return it->second->path() + "/root";
  }
  auto dir = std::make_unique<core::StagingDir>(state_ + "/rootfs/" + name);
  make(dir->path() + "/root");
  std::lock_guard lock(rootfs_mutex_);
  return rootfs_.emplace(key, std::move(dir)).first->second->path() + "/root";
}

// Where RUN --mount finds what it mounts: the context, a stage's or image's root file
// system (with the key that stands for its content), the cache mounts' directory, the
// secrets.
ops::MountSources DockerfileBuild::mount_sources(const df::Instruction &in, int index) {
  ops::MountSources m;
  m.context = context_;
  m.ignore = ignore_ ? &*ignore_ : nullptr;
  m.root_of = [this, index](const std::string &from) -> ops::MountRoot {
    if (auto dep = find_stage(from, index)) {
      const std::string key = finished_stage(*dep).cache_key;
      return {stage_rootfs(*dep), key};
    }
    return {image_rootfs(from), open_base(from, platform_).cache_key};
  };
  m.cache_dir = state_ + "/mounts";
  m.secrets = &secrets_;
  m.on_secret = o_.on_secret;
  m.where = source_name_ + ":" + std::to_string(in.start_line);
  return m;
}

std::string DockerfileBuild::stage_rootfs(int stage) {
  const auto &img = finished_stage(stage); // awaited before any lock is taken
  const std::string name = "stage-" + std::to_string(stage);
  return rootfs(name, name, [&](const std::string &dir) { ops::materialize_stage(img, dir); });
}

std::string DockerfileBuild::image_rootfs(const std::string &ref) {
  return rootfs(ref, "image", [&](const std::string &dir) {
    ops::materialize_stage(open_base(ref, platform_), dir);
  });
}

http::Client *DockerfileBuild::http_client() {
  std::lock_guard lock(http_mutex_);
  if (!http_) http_ = std::make_unique<http::Client>();
  return http_.get(); // shared by the stages: it pools connections across threads
}

void DockerfileBuild::run_copy(StageImage &img, const df::Instruction &in, int index,
                               const std::function<void(bool)> &show) {
  ops::CopySourceRoot root;
  ops::CopyRequest req;
  std::string from, from_key;
  std::optional<int> from_stage;
  if (const auto *c = std::get_if<df::CopyInstr>(&in.body)) {
    req.sources = c->sd.paths;
    req.contents = c->sd.contents;
    req.dest = c->sd.dest;
    req.chown = c->chown;
    req.chmod = c->chmod;
    req.excludes = c->excludes;
    req.parents = c->parents;
    if (!c->from.empty()) {
      root.keep_owners = true;
      from = c->from;
      from_stage = find_stage(c->from, index);
      // What the stage or image holds is its layers' diffIDs (content addresses): the
      // step's key needs no copy of its files, and a hit needs no root file system.
      auto add = [&](const StageImage &src) {
        for (const auto &l : src.layers)
          from_key += l.diff_id + "\n";
      };
      if (from_stage)
        add(finished_stage(*from_stage));
      else
        add(open_base(c->from, platform_));
    }
  } else {
    const auto &a = std::get<df::AddInstr>(in.body);
    req.sources = a.sd.paths;
    req.contents = a.sd.contents;
    req.dest = a.sd.dest;
    req.chown = a.chown;
    req.chmod = a.chmod;
    req.excludes = a.excludes;
    req.checksum = a.checksum;
    req.add = true;
    req.http = http_client();
  }
  req.workdir = ops::config_string(img, "WorkingDir");
  if (req.workdir.empty()) req.workdir = "/";
  req.mtime = clock_.epoch;
  const std::string history = copy_history(in.keyword, req) + " # buildkit";
  std::unique_lock<std::mutex> held;
  if (!from.empty()) {
    const auto key =
        ops::StepCache::key(img.cache_key, in.keyword, in.original,
                            "from " + from_key + "\n" + ops::StepCache::config_text(img));
    held = step_locks_.lock(key);
    if (cache_.reuse(img, key, history, clock_, store_)) return show(true);
    root.dir = from_stage ? stage_rootfs(*from_stage) : image_rootfs(from);
    return copy_and_commit(img, in, root, req, history, key, show);
  }
  root.dir = context_;
  root.ignore = ignore_ ? &*ignore_ : nullptr;
  // A COPY's key holds what it reads, so changed sources make a new layer; known
  // before anything is laid out, so a hit needs none of the image's files.
  if (auto sources = ops::copy_sources_digest(root, req)) {
    const auto key = ops::StepCache::key(img.cache_key, in.keyword, in.original,
                                         *sources + ops::StepCache::config_text(img));
    held = step_locks_.lock(key);
    if (cache_.reuse(img, key, history, clock_, store_)) return show(true);
    return copy_and_commit(img, in, root, req, history, key, show);
  }
  copy_and_commit(img, in, root, req, history, std::nullopt, show);
}

// Lays the step's files out and commits them. The key is given (made from the
// sources), or made from what was laid out (ADD of a URL: known once downloaded).
void DockerfileBuild::copy_and_commit(StageImage &img, const df::Instruction &in,
                                      const ops::CopySourceRoot &root, const ops::CopyRequest &req,
                                      const std::string &history,
                                      const std::optional<std::string> &given_key,
                                      const std::function<void(bool)> &show) {
  // --link lays out alone unless --chmod is given: BuildKit then copies onto the image
  // as without --link (its parents keep the image's metadata).
  const bool link = std::visit(
      [](const auto &b) {
        if constexpr (requires { b.link; })
          return b.link && b.chmod.empty();
        else
          return false;
      },
      in.body);
  auto scratch = cache_.scratch();
  const std::string upper = scratch->path() + "/upper";
  core::make_dirs(upper);
  ops::copy_detail::RootlessOwners owners;
  if (link) {
    // --link: laid out in an empty directory, as BuildKit does, so the layer does not
    // depend on the image below (and a fresh runner needs none of it). A --chown name is
    // looked up in the image's /etc/passwd and /etc/group, where BuildKit fails
    // ("invalid user index: -1").
    auto alone = req;
    if (!req.chown.empty() && req.chown.find_first_not_of("0123456789:") != std::string::npos) {
      const auto o = ops::copy_detail::resolve_chown(req.chown, img.lowers());
      alone.chown = std::to_string(o.uid) + ":" + std::to_string(o.gid);
    }
    ops::run_copy_step(root, alone, {}, upper);
  } else {
    ops::run_copy_step(root, req, img.lowers(), upper);
  }
  owners.apply();
  std::string key;
  std::unique_lock<std::mutex> held;
  if (given_key) {
    key = *given_key; // its lock is the caller's
  } else {
    // Rootless, the files are read in the user namespace: those of other ids may be
    // unreadable.
    const auto tree = sandbox::as_root_inside([&] { return ops::StepCache::tree_text(upper); },
                                              "reading what " + in.keyword + " laid out");
    key = ops::StepCache::key(img.cache_key, in.keyword, in.original,
                              tree + ops::StepCache::config_text(img));
    held = step_locks_.lock(key);
    if (cache_.reuse(img, key, history, clock_, store_)) return show(true);
  }
  show(false);
  cache_.commit(img, key, history, clock_, store_, upper, clock_diff(), layer_params());
}

BuildResult DockerfileBuild::run() {
  const auto started = std::chrono::system_clock::now();
  const auto start = std::chrono::steady_clock::now();
  if (o_.output.empty())
    throw Error(Errc::invalid_argument,
                "build needs an output (-t REF or --output oci:DIR[:TAG] / docker://REF)");
  (void)layer::parse_compression(o_.compression);
  if (o_.network != "host" && o_.network != "none")
    throw Error(Errc::invalid_argument, "--network is host or none, not " + o_.network);
  const auto out_loc = ops::Location::parse(o_.output);
  ops::check_attestable(o_.output, o_.attach_sbom, o_.attach_provenance);
  load();
  open_caches();
  int target = static_cast<int>(file_.stages.size()) - 1;
  if (!o_.target.empty()) {
    auto t = find_stage(o_.target, static_cast<int>(file_.stages.size()));
    if (!t) throw Error(Errc::not_found, "target stage \"" + o_.target + "\" could not be found");
    target = *t;
  }
  scheduler_.emplace(stage_needs(target), stage_workers(), [this](int i) {
    auto img = run_stage(i);
    std::lock_guard lock(stages_mutex_);
    stages_.emplace(i, std::move(img));
  });
  scheduler_->run(); // every thread has ended when it returns or throws
  auto &img = stages_.at(target);

  ops::ImageDraft draft;
  draft.config.CopyFrom(img.config, draft.config.GetAllocator());
  auto &a = draft.config.GetAllocator();
  if (!o_.labels.empty()) {
    auto &labels = ops::member_object(ops::member_object(draft.config, "config", a), "Labels", a);
    for (const auto &[k, v] : o_.labels)
      ops::set_string(labels, k.c_str(), v, a);
  }
  ops::set_string(draft.config, "created", clock_.created_text(), a);
  draft.docker_types = img.docker_types;
  BuildResult result;
  result.base_name = img.base_name;
  result.base_digest = img.base_digest;
  result.base_manifest_digest = img.base_manifest_digest;
  auto dst = ops::open_destination(out_loc, o_.output_access);
  ops::ProgressReporter reporter(o_.progress);
  std::map<ops::ImageSource *, std::vector<image::Descriptor>> by_source;
  for (const auto &l : img.layers) {
    if (!l.key.empty()) final_keys_.push_back(l.key);
    draft.layers.push_back(l.blob);
    by_source[l.source].push_back(l.blob);
    if (!l.key.empty()) // made by a step: here, or reused from a registry cache
      result.layers.push_back({l.blob.digest, l.diff_id, l.blob.media_type,
                               static_cast<std::uint64_t>(l.blob.size),
                               l.source != cache_.source()});
  }
  ops::StoreRequest store;
  store.base_name = img.base_name;
  store.base_digest = img.base_digest;
  store.extra_tags = o_.extra_tags;
  // A rebuild that changed nothing, pushed where its tag holds that image already: one
  // HEAD, and no blob is looked at (a manifest a registry serves has its blobs).
  const auto form = ops::image_form(store, clock_, draft);
  const bool there = out_loc.kind == ops::Location::Kind::registry &&
                     dst->tag_points_to(image::digest_of(form.manifest.raw));
  if (!there)
    for (auto &[src, blobs] : by_source)
      ops::copy_blobs(*src, *dst, blobs, o_.jobs, reporter);
  ops::store_form(form, store, *dst, reporter, result, there);

  auto att = ops::attest_request(o_, o_.platform, started);
  att.parameters = {{"dockerfile", source_name_},
                    {"target", o_.target},
                    {"platform", platform_.str()},
                    {"output", o_.output}};
  for (const auto &[k, v] : o_.build_args)
    att.parameters.emplace_back("build-arg:" + k, v);
  att.base_ref = img.base_name;
  att.base_digest = img.base_manifest_digest;
  ops::attest_built_image(att, result);
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return result;
}

} // namespace

namespace {

// --cache-to, once the image is stored: the steps the build used, with their blobs.
void export_build_cache(const DockerfileBuildOptions &o,
                        const std::vector<ops::CacheEntry> &entries, const BuildResult &result) {
  if (o.cache_to.empty()) return;
  const auto spec = ops::parse_cache_spec(o.cache_to, true);
  // Layers just pushed to a registry output are mounted from there, not uploaded again.
  ops::PushedImage pushed;
  std::unique_ptr<ops::ImageSource> output;
  if (const auto loc = ops::Location::parse(o.output); loc.kind == ops::Location::Kind::registry) {
    output = ops::open_source(loc, o.output_access);
    pushed.source = output.get();
    for (const auto &l : result.layers)
      pushed.digests.insert(l.digest);
  }
  auto say = [&](const std::string &line) {
    if (o.log) o.log(line + "\n");
  };
  try {
    ops::ProgressReporter reporter(o.progress);
    auto r = ops::export_registry_cache(spec, o.output_access, entries, o.jobs, reporter, pushed);
    if (r.steps == 0) return say("build cache: no steps to export");
    if (r.unchanged)
      return say("build cache " + spec.ref + ": " + std::to_string(r.steps) +
                 (r.steps == 1 ? " step" : " steps") + ", unchanged");
    say("build cache " + spec.ref + ": " + std::to_string(r.steps) +
        (r.steps == 1 ? " step, " : " steps, ") + std::to_string(r.blobs.copied) + " copied, " +
        std::to_string(r.blobs.mounted) + " mounted, " + std::to_string(r.blobs.skipped) +
        " already there");
  } catch (const Error &e) {
    const std::string what = "the image was stored, but exporting the build cache to " + spec.ref +
                             " failed: " + e.what();
    if (spec.ignore_error) return say("warning: " + what);
    throw Error(e.code(), what);
  }
}

// --platform with several platforms: each built as its own image into a scratch layout
// (BuildKit builds them in one solve; the images are the same), then one index of them
// written to the output with its tags, as `berth index` assembles one.
BuildResult build_platforms(const DockerfileBuildOptions &options,
                            const std::vector<image::Platform> &platforms) {
  if (options.attach_sbom || options.attach_provenance || options.signer)
    throw Error(Errc::unsupported, "SBOMs, provenance and signatures of a build for several "
                                   "platforms are not supported yet: build one platform at a "
                                   "time, or attach them with berth sbom/attest afterwards");
  const auto started = std::chrono::steady_clock::now();
  const std::string state = options.state_dir.empty() ? default_state_dir() : options.state_dir;
  core::make_dirs(state + "/platforms");
  core::StagingDir scratch(state + "/platforms/build");
  std::vector<std::string> images;
  BuildResult result;
  // Each platform's build stays until the cache is exported: its entries' blobs are
  // read through it.
  std::deque<DockerfileBuildOptions> each; // a build holds its options by reference
  std::vector<std::unique_ptr<DockerfileBuild>> builds;
  std::vector<ops::CacheEntry> entries;
  for (std::size_t i = 0; i < platforms.size(); ++i) {
    auto &one = each.emplace_back(options);
    one.platform = platforms[i].str();
    one.output = "oci:" + scratch.path() + "/layout:p" + std::to_string(i);
    one.extra_tags.clear();
    if (options.log) options.log("[platform " + one.platform + "]\n");
    auto &build = *builds.emplace_back(std::make_unique<DockerfileBuild>(one));
    auto r = build.run();
    auto mine = build.cache_entries();
    entries.insert(entries.end(), mine.begin(), mine.end());
    result.layers.insert(result.layers.end(), r.layers.begin(), r.layers.end());
    if (result.base_name.empty()) {
      result.base_name = r.base_name;
      result.base_digest = r.base_digest;
    }
    images.push_back(one.output);
  }
  CopyOptions co;
  co.dst = options.output_access;
  co.jobs = options.jobs;
  co.progress = options.progress;
  co.extra_tags = options.extra_tags;
  auto index = assemble_index(images, options.output, co);
  result.digest = index.digest;
  result.media_type = index.media_type;
  export_build_cache(options, entries, result);
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return result;
}

} // namespace

BuildResult build_dockerfile(const DockerfileBuildOptions &options) {
  const auto platforms = ops::parse_platform_list(options.platform);
  if (platforms.size() <= 1) {
    DockerfileBuild b(options);
    auto result = b.run();
    export_build_cache(options, b.cache_entries(), result);
    return result;
  }
  return build_platforms(options, platforms);
}

} // namespace berth
