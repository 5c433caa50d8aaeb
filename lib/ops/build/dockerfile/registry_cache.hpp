// A build cache kept in a registry, so that a fresh CI runner reuses the steps an
// earlier run built (buildx's --cache-to/--cache-from type=registry, kaniko's
// --cache-repo). One cache is one OCI image manifest under a tag:
//
//   config  application/vnd.berth.build-cache.config.v1+json
//           {"berthCache":"v1","steps":{"<step key>":{"layer":N,"diffID":"sha256:..."}}}
//   layers  the layers those steps made, with their own media types
//
// An image manifest (not an index, as buildx writes by default) because ECR and every
// registry accept one, and because the layers it lists keep their blobs alive: a
// lifecycle policy that expires the manifest (an untagged one, left when the tag moved
// on) lets the registry collect them. Each export replaces the tag with the steps this
// build used (mode=max: every stage's; mode=min: the final image's), so the cache
// never grows past one build's layers.
//
// Reading never fails a build: a missing, unreadable or malformed cache is a warning
// and no hits; a step whose layer blob is gone (expired) is a miss.
#pragma once

#include <berth/build.hpp>
#include <berth/copy.hpp>

#include "ops/transfer/copy_engine.hpp"
#include "ops/transfer/endpoints.hpp"
#include "ops/transfer/progress_reporter.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace berth::ops {

inline constexpr std::string_view kBuildCacheConfigType =
    "application/vnd.berth.build-cache.config.v1+json";
inline constexpr std::string_view kDefaultCacheTag = "buildcache";

// "type=registry,ref=REPO[:TAG][,mode=min|max][,ignore-error=true]" (buildx's form; a
// bare "REPO[:TAG]" is taken as type=registry too). The tag defaults to "buildcache",
// never "latest", so a cache kept beside images cannot take an image's tag.
struct CacheSpec {
  std::string ref;           // normalised, with its tag
  bool max = false;          // mode=max: every stage's steps, not only the final image's
  bool ignore_error = false; // an export that fails is a warning
};
// `to` names the flag in errors; --cache-from takes mode and ignore-error too (and
// ignores them), so one spec can be given to both. Error(invalid_argument)
// naming what is wrong, Error(unsupported) for other types (gha, local, inline, s3).
CacheSpec parse_cache_spec(const std::string &text, bool to);

struct CacheHit {
  BuiltLayer layer;
  ImageSource *source; // where its blob is
};

// One --cache-from, read once when opened. Thread-safe.
class RegistryCacheImport {
public:
  using Warn = std::function<void(const std::string &)>;
  RegistryCacheImport(const CacheSpec &spec, const RegistryAccess &access, const Warn &warn);

  // The layer `key` made, when the cache has it and its blob is still there.
  std::optional<CacheHit> find(const std::string &key);
  std::size_t size() const { return steps_.size(); }

private:
  std::string ref_;
  std::unique_ptr<ImageSource> source_;
  std::map<std::string, BuiltLayer> steps_;
  std::mutex mutex_;
  std::map<std::string, bool> present_; // blob digest -> there (asked once)
};

struct CacheEntry {
  std::string key;
  BuiltLayer layer;
  ImageSource *source = nullptr;
};

struct CacheExportResult {
  std::string digest; // of the cache manifest
  int steps = 0;
  bool unchanged = false; // the tag held these steps already: nothing was written
  BlobCounts blobs;
};

// Where the build just pushed its image: blobs there are mounted from it (no bytes
// moved) when the cache is in the same registry, rather than uploaded again.
struct PushedImage {
  ImageSource *source = nullptr; // the output repository, as a source
  std::set<std::string> digests; // the layers pushed there
};

// Stores the entries as the cache image at spec.ref: their blobs copied from their
// sources (skipped when there, mounted within a registry), then config and manifest.
CacheExportResult export_registry_cache(const CacheSpec &spec, const RegistryAccess &access,
                                        const std::vector<CacheEntry> &entries, int jobs,
                                        ProgressReporter &reporter, const PushedImage &pushed = {});

} // namespace berth::ops
