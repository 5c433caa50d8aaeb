// berth build -f Dockerfile: the stages the target needs, in dependency order, each
// step run as BuildKit runs it; every file-changing step a layer, cached by a key that
// chains everything before it; the target stored like any build.
#include <berth/dockerfile.hpp>
#include <berth/error.hpp>

#include "core/crypto.hpp"
#include "core/file.hpp"
#include "dockerfile/ignore.hpp"
#include "dockerfile/instructions.hpp"
#include "dockerfile/text.hpp"
#include "http/client.hpp"
#include "layer/compression.hpp"
#include "ops/build/dockerfile/config_steps.hpp"
#include "ops/build/dockerfile/copy_owners.hpp"
#include "ops/build/dockerfile/copy_step.hpp"
#include "ops/build/dockerfile/run_step.hpp"
#include "ops/build/dockerfile/stage_base.hpp"
#include "ops/build/dockerfile/step_cache.hpp"
#include "ops/build/dockerfile/workdir_step.hpp"
#include "ops/build/image_draft.hpp"
#include "ops/transfer/copy_engine.hpp"
#include "ops/transfer/progress_reporter.hpp"
#include "sandbox/userns_call.hpp"

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
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

// BuildKit's automatic platform args, in the global scope of every Dockerfile.
std::vector<std::pair<std::string, std::string>> platform_args(const image::Platform &p) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const char *prefix : {"TARGET", "BUILD"}) {
    const std::string pre = prefix;
    out.emplace_back(pre + "PLATFORM", p.str());
    out.emplace_back(pre + "OS", p.os);
    out.emplace_back(pre + "ARCH", p.architecture);
    out.emplace_back(pre + "VARIANT", p.variant);
  }
  return out;
}

// The ARGs a stage declared: the values of those that have one, and every name in
// declaration order (BuildKit's RUN history lists the ones without a value too).
struct StageArgs {
  df::EnvList values;
  std::vector<std::string> declared;
};

// BuildKit's history text of COPY and ADD (dispatchCopy): the keyword, --chown and
// --chmod, the expanded sources (a heredoc as <<NAME) and the destination; no --from,
// --link, --exclude or --checksum.
std::string copy_history(const std::string &keyword, const ops::CopyRequest &req) {
  std::string text = keyword;
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
        cache_(state_, o.no_cache) {}

  BuildResult run();

private:
  void load();
  std::vector<int> stage_order(int target);
  std::optional<int> find_stage(const std::string &name, int before) const;
  StageImage run_stage(int index);
  StageImage start_stage(int index);
  void run_instruction(StageImage &img, df::Instruction in, StageArgs &args, int index);
  void run_copy(StageImage &img, const df::Instruction &in, int index);
  void run_workdir(StageImage &img, const std::string &path);
  void empty_step(StageImage &img, const std::string &history);
  std::string stage_rootfs(int stage);
  std::string image_rootfs(const std::string &ref);
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
  void log(const std::string &line) const {
    if (o_.log) o_.log(line + "\n");
  }

  const DockerfileBuildOptions &o_;
  const ops::BuildClock clock_;
  const std::string state_;
  sandbox::LayerStore store_;
  ops::StepCache cache_;
  std::vector<std::unique_ptr<ops::ImageSource>> sources_;
  df::Dockerfile file_;
  std::string source_name_ = "Dockerfile", context_;
  std::optional<df::IgnoreMatcher> ignore_;
  image::Platform platform_;
  std::vector<std::pair<std::string, std::string>> build_args_;
  df::EnvList meta_;
  std::map<int, StageImage> stages_;
  std::map<std::string, std::unique_ptr<core::StagingDir>> rootfs_; // COPY --from sources
  std::unique_ptr<http::Client> http_;
  int step_ = 0;
};

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
  platform_ = image::Platform::parse(o_.platform.empty() ? image::kDefaultPlatform : o_.platform);
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

// The target and the stages it needs (FROM <stage>, COPY --from=<stage>), each after
// what it needs. A stage may only name stages before it, as BuildKit requires.
std::vector<int> DockerfileBuild::stage_order(int target) {
  std::vector<int> order;
  std::set<int> seen;
  std::function<void(int)> visit = [&](int i) {
    if (!seen.insert(i).second) return;
    const auto &st = file_.stages[i];
    if (auto dep = find_stage(st.base, i)) visit(*dep);
    for (const auto &in : st.commands)
      if (const auto *c = std::get_if<df::CopyInstr>(&in.body); c && !c->from.empty())
        if (auto dep = find_stage(c->from, i)) visit(*dep);
    order.push_back(i);
  };
  visit(target);
  return order;
}

StageImage DockerfileBuild::start_stage(int index) {
  const auto &st = file_.stages[index];
  if (auto dep = find_stage(st.base, index)) {
    const auto &from = stages_.at(*dep);
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
    ops::BaseOpener opener{o_.from_access, o_.mirrors, &store_, &sources_};
    img = ops::open_base_stage(st.base, platform, opener);
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
  auto &st = file_.stages[index];
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
  for (auto &in : commands)
    run_instruction(img, in, args, index);
  return img;
}

void DockerfileBuild::run_instruction(StageImage &img, df::Instruction in, StageArgs &args,
                                      int index) {
  ++step_;
  log("#" + std::to_string(step_) + " " + in.original);
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
    return run_copy(img, in, index);
  if (std::holds_alternative<df::RunInstr>(in.body)) {
    ops::RunStepOptions ro;
    for (const auto &[k, v] : args.values.entries())
      ro.build_args.push_back(k + "=" + v);
    ro.declared_args = args.declared;
    ro.proxy_env = proxy_env();
    ro.network = o_.network;
    ro.source = source_name_;
    ro.output = o_.log;
    const auto cmd = ops::run_command(in, img, ro);
    const auto key = ops::StepCache::key(img.cache_key, "RUN", cmd.history + "\n" + cmd.script,
                                         ops::StepCache::config_text(img) + o_.network);
    if (cache_.reuse(img, key, cmd.history + " # buildkit", clock_, store_)) {
      log("  CACHED");
      return;
    }
    auto scratch = cache_.scratch();
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
// removed with the build (a StagingDir: a killed build's is swept by the next).
std::string DockerfileBuild::stage_rootfs(int stage) {
  const std::string name = "stage-" + std::to_string(stage);
  auto it = rootfs_.find(name);
  if (it == rootfs_.end()) {
    auto dir = std::make_unique<core::StagingDir>(state_ + "/rootfs/" + name);
    ops::materialize_stage(stages_.at(stage), dir->path() + "/root");
    it = rootfs_.emplace(name, std::move(dir)).first;
  }
  return it->second->path() + "/root";
}

std::string DockerfileBuild::image_rootfs(const std::string &ref) {
  auto it = rootfs_.find(ref);
  if (it == rootfs_.end()) {
    ops::BaseOpener opener{o_.from_access, o_.mirrors, &store_, &sources_};
    auto img = ops::open_base_stage(ref, platform_, opener);
    auto dir = std::make_unique<core::StagingDir>(state_ + "/rootfs/image");
    ops::materialize_stage(img, dir->path() + "/root");
    it = rootfs_.emplace(ref, std::move(dir)).first;
  }
  return it->second->path() + "/root";
}

void DockerfileBuild::run_copy(StageImage &img, const df::Instruction &in, int index) {
  ops::CopySourceRoot root;
  ops::CopyRequest req;
  if (const auto *c = std::get_if<df::CopyInstr>(&in.body)) {
    if (c->parents)
      throw Error(Errc::unsupported, source_name_ + ":" + std::to_string(in.start_line) +
                                         ": COPY --parents is not supported yet");
    req.sources = c->sd.paths;
    req.contents = c->sd.contents;
    req.dest = c->sd.dest;
    req.chown = c->chown;
    req.chmod = c->chmod;
    req.excludes = c->excludes;
    if (!c->from.empty()) {
      root.keep_owners = true;
      if (auto dep = find_stage(c->from, index))
        root.dir = stage_rootfs(*dep);
      else
        root.dir = image_rootfs(c->from);
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
    if (!http_) http_ = std::make_unique<http::Client>();
    req.http = http_.get();
  }
  if (root.dir.empty()) {
    root.dir = context_;
    root.ignore = ignore_ ? &*ignore_ : nullptr;
  }
  req.workdir = ops::config_string(img, "WorkingDir");
  if (req.workdir.empty()) req.workdir = "/";
  req.mtime = clock_.epoch;
  const std::string history = copy_history(in.keyword, req) + " # buildkit";
  auto scratch = cache_.scratch();
  const std::string upper = scratch->path() + "/upper";
  core::make_dirs(upper);
  ops::copy_detail::RootlessOwners owners;
  ops::run_copy_step(root, req, img.lowers(), upper);
  owners.apply();
  // A COPY's key holds what it copied, so changed sources make a new layer. Rootless, the
  // files are read in the user namespace: those of other ids may be unreadable outside.
  const auto tree = sandbox::as_root_inside([&] { return ops::StepCache::tree_text(upper); },
                                            "reading what " + in.keyword + " laid out");
  const auto key = ops::StepCache::key(img.cache_key, in.keyword, in.original,
                                       tree + ops::StepCache::config_text(img));
  if (cache_.reuse(img, key, history, clock_, store_)) {
    log("  CACHED");
    return;
  }
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
  int target = static_cast<int>(file_.stages.size()) - 1;
  if (!o_.target.empty()) {
    auto t = find_stage(o_.target, static_cast<int>(file_.stages.size()));
    if (!t) throw Error(Errc::not_found, "target stage \"" + o_.target + "\" could not be found");
    target = *t;
  }
  for (int i : stage_order(target))
    stages_.emplace(i, run_stage(i));
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
    draft.layers.push_back(l.blob);
    by_source[l.source].push_back(l.blob);
    if (l.source == cache_.source())
      result.layers.push_back({l.blob.digest, l.diff_id, l.blob.media_type,
                               static_cast<std::uint64_t>(l.blob.size), false});
  }
  for (auto &[src, blobs] : by_source)
    ops::copy_blobs(*src, *dst, blobs, o_.jobs, reporter);
  ops::StoreRequest store;
  store.base_name = img.base_name;
  store.base_digest = img.base_digest;
  store.extra_tags = o_.extra_tags;
  ops::store_image(store, clock_, draft, *dst, reporter, result);

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

BuildResult build_dockerfile(const DockerfileBuildOptions &options) {
  DockerfileBuild b(options);
  return b.run();
}

} // namespace berth
