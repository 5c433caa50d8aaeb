// Progress reporting shared by every operation.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace berth {

struct Progress {
  enum class Event {
    blob_started,  // a blob transfer begins (total known, except for a layer being built)
    blob_progress, // more bytes of the blob moved
    blob_done,     // the blob is stored at the destination
    blob_skipped,  // the destination already had it
    blob_mounted,  // mounted from another repository, no bytes moved
    manifest_done, // a manifest or index was written
  };
  Event event = Event::blob_progress;
  std::string digest;              // the blob or manifest; "" for a layer being built
  std::uint64_t bytes = 0;         // bytes of this item moved so far
  std::uint64_t total = 0;         // size of this item; 0 while unknown
  std::uint64_t overall_bytes = 0; // all items, moved so far
  // All items known so far (it grows as manifests are read); 0 while unknown: a
  // layer being built has no size until it is complete. Never below overall_bytes.
  std::uint64_t overall_total = 0;
};

// Called from worker threads, never two at once. Return true to cancel the
// operation (it then fails with Errc::cancelled).
using ProgressFn = std::function<bool(const Progress &)>;

} // namespace berth
