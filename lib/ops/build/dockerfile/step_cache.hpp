// The local cache of Dockerfile steps (what makes a rebuild with nothing changed run no
// RUN): a key per step chaining the parent's key, the instruction after expansion and
// what it depends on (the config it runs with, the build args it sees, the files a COPY
// copies); the layer a key made, in the build layer cache (an OCI layout, ops/build/
// layer_cache.hpp), unpacked in the layer store for the steps after it; steps that
// changed no file marked as such. Scratch space for each step is a locked staging
// directory, so a build killed mid-step leaves nothing a later build takes for complete.
// Thread-safe: the stages of a build use one StepCache at the same time.
#pragma once

#include "core/file.hpp"
#include "ops/build/dockerfile/registry_cache.hpp"
#include "ops/build/dockerfile/stage_image.hpp"
#include "ops/build/image_draft.hpp"
#include "ops/build/layer_cache.hpp"
#include "sandbox/layer_store.hpp"
#include "sandbox/overlay_diff.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace berth::ops {

struct LayerParams {
  std::string compression = "gzip";
  int level = -1;
  unsigned threads = 0;
};

class StepCache {
public:
  // Under `state_dir`: cache/ (layers and marks) and steps/ (scratch). With no_cache,
  // nothing is reused but everything built is still recorded.
  StepCache(const std::string &state_dir, bool no_cache);

  // sha256 over the parts, each delimited.
  static std::string key(const std::string &parent, std::string_view kind, std::string_view text,
                         std::string_view extra);
  // The config a step runs with (ENV, USER, WORKDIR, SHELL...) as text for a key.
  static std::string config_text(const StageImage &img);
  // A directory's files (names, types, modes, owners, contents) as text for a key.
  static std::string tree_text(const std::string &dir);

  // A fresh scratch directory for one step (removed when the pointer goes).
  std::unique_ptr<core::StagingDir> scratch() const;

  // A registry cache to look steps up in after the local one (--cache-from).
  void add_import(std::unique_ptr<RegistryCacheImport> cache);

  // When `key` was built before (here, else in a registry cache): its layer added to img
  // with `history`. The layer's files are unpacked only when a later step needs them.
  bool reuse(StageImage &img, const std::string &key, const std::string &history,
             const BuildClock &clock, sandbox::LayerStore &store);
  // What a step left in `upper` becomes img's next layer (an empty one when it changed
  // nothing) and is recorded under key; upper is moved into the store.
  void commit(StageImage &img, const std::string &key, const std::string &history,
              const BuildClock &clock, sandbox::LayerStore &store, const std::string &upper,
              const sandbox::OverlayDiffOptions &diff, const LayerParams &params);

  // Where committed layers' blobs are read from.
  ImageSource *source() const;

  // Every step this build reused or made, with where its blob is: a cache export's
  // entries (mode=max).
  std::vector<CacheEntry> used() const;
  // The one step `key` (mode=min takes the final image's layers).
  std::optional<CacheEntry> used(const std::string &key) const;

private:
  void add_layer(StageImage &img, const BuiltLayer &built, std::shared_ptr<LayerDir> dir,
                 const std::string &history, const BuildClock &clock, ImageSource *source,
                 const std::string &key);

  std::string dir_;
  bool no_cache_;
  LayerCache layers_;
  const std::unique_ptr<ImageSource> source_; // made up front: no lazy init to race on
  std::vector<std::unique_ptr<RegistryCacheImport>> imports_; // set before the stages run
  mutable std::mutex used_mutex_;
  std::vector<CacheEntry> used_; // in the order the steps finished
};

} // namespace berth::ops
