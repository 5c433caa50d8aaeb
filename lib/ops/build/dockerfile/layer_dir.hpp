// A layer's directory in the layer store (sandbox::LayerStore), unpacked the first time
// a step needs its files: a build whose steps all hit the cache reads no layer at all,
// and one pushing to a registry moves its blobs registry to registry.
#pragma once

#include <berth/manifest.hpp>

#include "sandbox/layer_store.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace berth::ops {

class ImageSource;

// Thread-safe (stages share layers); a failed unpack is tried again by the next caller.
class LayerDir {
public:
  explicit LayerDir(std::function<std::string()> unpack) : unpack_(std::move(unpack)) {}

  const std::string &path() {
    std::lock_guard lock(mutex_);
    if (path_.empty()) path_ = unpack_();
    return path_;
  }

private:
  std::mutex mutex_;
  std::string path_;
  std::function<std::string()> unpack_;
};

// The directory of `diff_id` in `store`: there already, or unpacked from the blob `d`
// of `src` when first asked (download -> decompress -> unpack through a bounded pipe,
// so memory stays flat). `src` and `store` must outlive the result.
std::shared_ptr<LayerDir> layer_dir(sandbox::LayerStore &store, ImageSource &src,
                                    const image::Descriptor &d, const std::string &diff_id);

} // namespace berth::ops
