// Moving the blobs of an image from a source to a destination: in parallel, each
// skipped when the destination has it, mounted where the destination can.
#pragma once

#include <berth/manifest.hpp>

#include "ops/transfer/endpoints.hpp"
#include "ops/transfer/progress_reporter.hpp"

#include <vector>

namespace berth::ops {

struct BlobCounts {
  int copied = 0, skipped = 0, mounted = 0;
  std::uint64_t bytes = 0;
};

// Orders blobs largest first (stable): with fewer workers than blobs, the longest
// transfer never waits for a slot, so it does not end last on its own.
void largest_first(std::vector<image::Descriptor> &blobs);

// Duplicates (by digest) are moved once, the largest first.
BlobCounts copy_blobs(ImageSource &src, ImageDestination &dst,
                      const std::vector<image::Descriptor> &blobs, int jobs,
                      ProgressReporter &reporter);

} // namespace berth::ops
