#include "ops/transfer/copy_engine.hpp"

#include "ops/transfer/parallel.hpp"

#include <algorithm>
#include <mutex>
#include <set>

namespace berth::ops {

void largest_first(std::vector<image::Descriptor> &blobs) {
  std::stable_sort(
      blobs.begin(), blobs.end(),
      [](const image::Descriptor &a, const image::Descriptor &b) { return a.size > b.size; });
}

BlobCounts copy_blobs(ImageSource &src, ImageDestination &dst,
                      const std::vector<image::Descriptor> &all, int jobs,
                      ProgressReporter &reporter) {
  std::vector<image::Descriptor> blobs;
  std::set<std::string> seen;
  for (const auto &d : all)
    if (seen.insert(d.digest).second) blobs.push_back(d);
  largest_first(blobs);
  for (const auto &b : blobs)
    reporter.add_total(static_cast<std::uint64_t>(b.size));

  BlobCounts counts;
  std::mutex mutex;
  parallel_for(blobs.size(), jobs, [&](std::size_t i) {
    const auto &d = blobs[i];
    auto size = static_cast<std::uint64_t>(d.size);
    if (dst.has_blob(d)) {
      reporter.item(Progress::Event::blob_skipped, d.digest, size, size, size);
      std::lock_guard g(mutex);
      ++counts.skipped;
      return;
    }
    reporter.item(Progress::Event::blob_started, d.digest, 0, size, 0);
    std::uint64_t done = 0;
    bool mounted = dst.put_blob(d, src, [&](std::uint64_t delta) {
      done += delta;
      return reporter.item(Progress::Event::blob_progress, d.digest, done, size, delta);
    });
    // Retries may have re-sent bytes; the totals count the blob once.
    reporter.item(mounted ? Progress::Event::blob_mounted : Progress::Event::blob_done, d.digest,
                  size, size, size > done ? size - done : 0);
    std::lock_guard g(mutex);
    if (mounted) {
      ++counts.mounted;
    } else {
      ++counts.copied;
      counts.bytes += size;
    }
  });
  return counts;
}

} // namespace berth::ops
