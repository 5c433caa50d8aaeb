// The build layer cache (what cache-from/cache-to give docker builds in CI): an OCI
// layout directory holding built layer blobs plus berth-cache.json mapping a
// fingerprint of each layer's input to the layer. An unchanged input is neither
// re-tarred nor re-compressed. The directory can be saved and restored between CI
// runs; an entry whose blob is missing or corrupt is rebuilt. Thread-safe.
#pragma once

#include <berth/build.hpp>

#include "layer/compression.hpp"
#include "ops/transfer/endpoints.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace berth::ops {

class LayerCache {
public:
  // dir "" disables the cache. key: "metadata" or "content".
  LayerCache(std::string dir, std::string key);

  bool enabled() const { return !dir_.empty(); }

  // A digest over everything that decides the layer's bytes: the input tree (paths,
  // types, sizes, modes, mtimes, link targets — or file contents), the destination
  // path, compression, level, mtime clamp and berth's version.
  static std::string fingerprint(const std::string &source, const std::string &dest, bool is_tar,
                                 const std::string &key, layer::Compression c, int level,
                                 std::optional<std::int64_t> mtime_clamp);

  // A verified hit (the blob is present and its digest checks out), else nullopt.
  std::optional<BuiltLayer> lookup(const std::string &fingerprint);
  // Builds into the cache with `make` and records the entry.
  BuiltLayer build(const std::string &fingerprint,
                   const std::function<BuiltLayer(ImageDestination::BlobSink &)> &make);
  // The cache as an image source, for copying its blobs on.
  std::unique_ptr<ImageSource> source() const;

private:
  std::string dir_, key_;
  // The index is read, changed and written whole: two threads adding entries at once
  // (stages of one build) would each drop the other's.
  std::mutex index_mutex_;
};

} // namespace berth::ops
