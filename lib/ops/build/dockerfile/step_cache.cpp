#include "ops/build/dockerfile/step_cache.hpp"

#include <berth/error.hpp>

#include "core/crypto.hpp"
#include "layer/compression.hpp"

#include <filesystem>

namespace berth::ops {

namespace fs = std::filesystem;

StepCache::StepCache(const std::string &state_dir, bool no_cache)
    : dir_(state_dir), no_cache_(no_cache), layers_(state_dir + "/cache", "content"),
      source_(layers_.source()) {
  core::make_dirs(dir_ + "/cache/steps");
  core::make_dirs(dir_ + "/steps");
}

std::string StepCache::key(const std::string &parent, std::string_view kind, std::string_view text,
                           std::string_view extra) {
  core::Sha256 h;
  for (std::string_view part :
       {std::string_view("berth-step-v1"), std::string_view(parent), kind, text, extra}) {
    h.update(std::to_string(part.size()) + ":");
    h.update(part);
  }
  return h.finish_hex();
}

std::string StepCache::config_text(const StageImage &img) {
  const auto &cfg = img.config;
  if (!cfg.IsObject() || !cfg.HasMember("config")) return {};
  core::json::StringWriter w;
  cfg["config"].Accept(w.writer);
  return w.str();
}

std::string StepCache::tree_text(const std::string &dir) {
  return LayerCache::fingerprint(dir, "", false, "content", layer::Compression::none, -1,
                                 std::nullopt);
}

std::unique_ptr<core::StagingDir> StepCache::scratch() const {
  return std::make_unique<core::StagingDir>(dir_ + "/steps/step");
}

ImageSource *StepCache::source() const {
  return source_.get();
}

void StepCache::add_import(std::unique_ptr<RegistryCacheImport> cache) {
  imports_.push_back(std::move(cache));
}

std::vector<CacheEntry> StepCache::used() const {
  std::lock_guard lock(used_mutex_);
  return used_;
}

std::optional<CacheEntry> StepCache::used(const std::string &key) const {
  std::lock_guard lock(used_mutex_);
  for (const auto &e : used_)
    if (e.key == key) return e;
  return std::nullopt;
}

void StepCache::add_layer(StageImage &img, const BuiltLayer &built, std::shared_ptr<LayerDir> dir,
                          const std::string &history, const BuildClock &clock, ImageSource *source,
                          const std::string &key) {
  image::Descriptor d;
  d.media_type = built.media_type;
  d.digest = built.digest;
  d.size = static_cast<std::int64_t>(built.size);
  img.layers.push_back({d, built.diff_id, std::move(dir), source, key});
  auto &a = img.config.GetAllocator();
  ensure_rootfs_and_history(img.config);
  img.config["rootfs"]["diff_ids"].PushBack(core::json::Value(built.diff_id.c_str(), a), a);
  add_history(img.config, clock.created_text(), history, false, "buildkit.dockerfile.v0");
  std::lock_guard lock(used_mutex_);
  used_.push_back({key, built, source});
}

bool StepCache::reuse(StageImage &img, const std::string &key, const std::string &history,
                      const BuildClock &clock, sandbox::LayerStore &store) {
  if (no_cache_) return false;
  std::optional<CacheHit> hit;
  if (auto local = layers_.lookup(key)) hit = CacheHit{*local, source()};
  for (std::size_t i = 0; !hit && i < imports_.size(); ++i)
    hit = imports_[i]->find(key);
  if (!hit) return false;
  image::Descriptor d;
  d.media_type = hit->layer.media_type;
  d.digest = hit->layer.digest;
  d.size = static_cast<std::int64_t>(hit->layer.size);
  img.cache_key = key;
  add_layer(img, hit->layer, layer_dir(store, *hit->source, d, hit->layer.diff_id), history, clock,
            hit->source, key);
  return true;
}

void StepCache::commit(StageImage &img, const std::string &key, const std::string &history,
                       const BuildClock &clock, sandbox::LayerStore &store,
                       const std::string &upper, const sandbox::OverlayDiffOptions &diff,
                       const LayerParams &params) {
  img.cache_key = key;
  // A step that changed nothing still adds a layer, an empty tar, as BuildKit's does.
  fs::create_directories(upper);
  const auto compression = layer::parse_compression(params.compression);
  auto built = layers_.build(key, [&](ImageDestination::BlobSink &sink) {
    auto r = sandbox::overlay_diff_layer(upper, sink, compression, diff, params.level,
                                         params.threads, img.docker_types);
    sink.commit(r.digest);
    return BuiltLayer{r.digest, r.diff_id, r.media_type, r.size, false};
  });
  const auto dir = store.adopt(built.diff_id, upper);
  add_layer(img, built, std::make_shared<LayerDir>([dir] { return dir; }), history, clock, source(),
            key);
}

} // namespace berth::ops
