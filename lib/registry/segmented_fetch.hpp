// Downloading one large blob over several connections at once.
//
// One connection's throughput is bounded by its window over the round trip (and by
// any per-connection shaping between CI and the registry's storage), so the largest
// layer of an image sets the time of a pull. A blob split into Range GETs that run
// side by side is bounded by the link instead. The bytes land in a file out of
// order; a single hasher follows the segments in order, reading back what is in the
// file, so the digest covers exactly what was stored.
#pragma once

#include "registry/registry.hpp"

#include <cstdint>
#include <string>

namespace berth::registry {

// Where segments land.
class SegmentSink {
public:
  virtual ~SegmentSink() = default;
  // From any segment's thread; ranges never overlap.
  virtual void write_at(std::uint64_t offset, const char *data, std::size_t len) = 0;
  // From the calling thread, with growing `end`: every byte before it is written.
  virtual void absorb(std::uint64_t end) = 0;
};

// How many GETs a split of a blob of `size` bytes may use at most (1: never split):
// options.segments, each of at least options.segment_min bytes.
std::size_t max_segments(std::uint64_t size, const RegistryOptions &options);

// Fetches the blob into sink with a plain GET. 250 ms after its first byte, if the
// rest would take more than a second at its rate and the registry serves ranges
// (Accept-Ranges: bytes, or a 206), what is left is split: the first GET keeps a
// share and Range GETs fetch the others side by side, as many as max_segments()
// allows. Each GET resumes after a dropped connection from its own offset, like
// fetch_blob. progress gets the bytes every GET has stored, as they land, whatever
// their order (monotonic, at most size, size at the end) and may cancel. On return
// sink.absorb(size) was called; on failure no GET thread is left running.
void fetch_blob_segments(Repository &repo, const std::string &digest, std::uint64_t size,
                         SegmentSink &sink, const ByteProgress &progress);

} // namespace berth::registry
