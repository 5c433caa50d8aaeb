// berth copy: manifests and blobs from any source to any destination, blobs in
// parallel, existing blobs skipped, mounts within a registry, the tag written last.
#include <berth/copy.hpp>
#include <berth/error.hpp>
#include <berth/manifest.hpp>

#include "ops/endpoints.hpp"
#include "ops/parallel.hpp"
#include "ops/progress_reporter.hpp"

#include <set>

namespace berth {
namespace {

using ops::ImageDestination;
using ops::ImageSource;

struct Copier {
  ImageSource &src;
  ImageDestination &dst;
  const CopyOptions &options;
  ops::ProgressReporter reporter;
  CopyResult result;
  std::mutex result_mutex;

  // Blobs of one image manifest, in parallel.
  void copy_blobs(const image::Manifest &m) {
    std::vector<image::Descriptor> blobs;
    std::set<std::string> seen;
    for (const auto &d : m.layers)
      if (d.urls.empty() && seen.insert(d.digest).second)
        blobs.push_back(d); // foreign layers stay where they are
    if (seen.insert(m.config.digest).second) blobs.push_back(m.config);
    for (const auto &b : blobs)
      reporter.add_total(static_cast<std::uint64_t>(b.size));

    ops::parallel_for(blobs.size(), options.jobs, [&](std::size_t i) {
      const auto &d = blobs[i];
      auto size = static_cast<std::uint64_t>(d.size);
      if (dst.has_blob(d)) {
        reporter.item(Progress::Event::blob_skipped, d.digest, size, size, size);
        std::lock_guard g(result_mutex);
        ++result.blobs_skipped;
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
      std::lock_guard g(result_mutex);
      if (mounted) {
        ++result.blobs_mounted;
      } else {
        ++result.blobs_copied;
        result.bytes_copied += size;
      }
    });
  }

  void put_manifest(const registry::FetchedManifest &m, bool tagged) {
    dst.put_manifest(m.raw, m.media_type, tagged);
    reporter.item(Progress::Event::manifest_done, m.digest, m.raw.size(), m.raw.size(), 0);
    ++result.manifests;
  }

  void copy_image_manifest(const registry::FetchedManifest &m, bool tagged) {
    auto parsed = image::parse_manifest(m.raw, m.media_type);
    copy_blobs(parsed);
    put_manifest(m, tagged);
  }

  CopyResult run() {
    auto root = src.manifest("");
    if (image::media::is_index(root.media_type)) {
      auto index = image::parse_index(root.raw, root.media_type);
      if (!options.platform.empty()) {
        auto wanted = image::Platform::parse(options.platform);
        for (const auto &d : index.manifests) {
          if (!d.platform || !d.platform->satisfies(wanted) ||
              !image::media::is_manifest(d.media_type))
            continue;
          auto child = src.manifest(d.digest);
          return finish(child, [&] { copy_image_manifest(child, true); });
        }
        throw Error(Errc::not_found, "the index has no image for platform " + options.platform);
      }
      return finish(root, [&] {
        // Children go by digest; only the index gets the tag, and only once all
        // of them are in place.
        for (const auto &d : index.manifests) {
          auto child = src.manifest(d.digest);
          if (image::media::is_index(child.media_type))
            throw Error(Errc::unsupported, "nested indexes are not supported (" + d.digest + ")");
          copy_image_manifest(child, false);
        }
        put_manifest(root, true);
      });
    }
    return finish(root, [&] { copy_image_manifest(root, true); });
  }

  template <typename Fn> CopyResult finish(const registry::FetchedManifest &top, Fn &&copy) {
    result.digest = top.digest;
    result.media_type = top.media_type;
    if (dst.tag_points_to(top.digest)) {
      reporter.item(Progress::Event::manifest_done, top.digest, top.raw.size(), top.raw.size(), 0);
      return result; // a re-run: nothing to move
    }
    copy();
    return result;
  }
};

} // namespace

CopyResult copy_image(const std::string &src, const std::string &dst, const CopyOptions &options) {
  if (options.jobs < 1) throw Error(Errc::invalid_argument, "jobs must be at least 1");
  auto src_loc = ops::Location::parse(src);
  auto dst_loc = ops::Location::parse(dst);
  auto source = ops::open_source(src_loc, options.src);
  auto destination = ops::open_destination(dst_loc, options.dst);
  Copier c{*source, *destination, options, ops::ProgressReporter(options.progress), {}, {}};
  return c.run();
}

} // namespace berth
