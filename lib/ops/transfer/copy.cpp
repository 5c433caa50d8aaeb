// berth copy: manifests and blobs from any source to any destination, blobs in
// parallel, existing blobs skipped, mounts within a registry, the tag written last;
// manifests converted to the other media-type family when CopyOptions::format asks.
#include <berth/copy.hpp>
#include <berth/error.hpp>
#include <berth/manifest.hpp>
#include <berth/sign.hpp>

#include "ops/ecr/create_repository.hpp"
#include "ops/supply_chain/referrers.hpp"
#include "ops/transfer/copy_engine.hpp"
#include "ops/transfer/endpoints.hpp"
#include "ops/transfer/format.hpp"
#include "ops/transfer/mirror.hpp"
#include "ops/transfer/progress_reporter.hpp"

namespace berth {
namespace {

using ops::ImageDestination;
using ops::ImageSource;

struct Copier {
  ImageSource &src;
  ImageDestination &dst;
  const CopyOptions &options;
  std::optional<image::Family> to; // the media types to write; nullopt: the source's
  ops::ProgressReporter reporter;
  CopyResult result;
  std::string top_raw; // the manifest or index written under the tag
  // A referrer found but not copied: thrown once the image and its tags are in place.
  std::exception_ptr referrer_error;

  // Blobs of one image manifest (foreign layers stay where their URLs say).
  void copy_blobs(const image::Manifest &m) {
    std::vector<image::Descriptor> blobs;
    for (const auto &d : m.layers)
      if (d.urls.empty()) blobs.push_back(d);
    blobs.push_back(m.config);
    auto c = ops::copy_blobs(src, dst, blobs, options.jobs, reporter);
    result.blobs_copied += c.copied;
    result.blobs_skipped += c.skipped;
    result.blobs_mounted += c.mounted;
    result.bytes_copied += c.bytes;
  }

  void put_manifest(const registry::FetchedManifest &m, bool tagged) {
    dst.put_manifest(m.raw, m.media_type, tagged);
    reporter.item(Progress::Event::manifest_done, m.digest, m.raw.size(), m.raw.size(), 0);
    ++result.manifests;
  }

  // `source` is what the source has, `out` what the destination stores for it (the
  // same, or converted: other media types, the same blobs).
  void copy_image_manifest(const registry::FetchedManifest &source,
                           const registry::FetchedManifest &out, bool tagged) {
    copy_blobs(image::parse_manifest(source.raw, source.media_type));
    put_manifest(out, tagged);
  }

  CopyResult copy_one(const registry::FetchedManifest &m) {
    auto out = ops::convert_image(m, {}, to).top;
    return finish(out, {m.digest}, [&] { copy_blobs(image::parse_manifest(m.raw, m.media_type)); });
  }

  CopyResult run() {
    auto root = src.manifest("");
    if (!image::media::is_index(root.media_type)) return copy_one(root);
    auto index = image::parse_index(root.raw, root.media_type);
    if (!options.platform.empty()) {
      auto wanted = image::Platform::parse(options.platform);
      for (const auto &d : index.manifests) {
        if (!d.platform || !d.platform->satisfies(wanted) ||
            !image::media::is_manifest(d.media_type))
          continue;
        return copy_one(src.child_manifest(d));
      }
      throw Error(Errc::not_found, "the index has no image for platform " + options.platform);
    }
    if (!ops::converts(root, to)) {
      // Referrers of the index and of each child (signatures are per platform too).
      std::vector<std::string> subjects{root.digest};
      for (const auto &d : index.manifests)
        subjects.push_back(d.digest);
      return finish(root, subjects, [&] {
        // Children go by digest; only the index gets the tag, and only once all
        // of them are in place.
        for (const auto &d : index.manifests) {
          auto child = src.child_manifest(d);
          refuse_nested(child, d);
          copy_image_manifest(child, child, false);
        }
      });
    }
    // Converting: the new index names its children's new digests, so every child is
    // read (and converted) before anything is written.
    std::vector<registry::FetchedManifest> children;
    for (const auto &d : index.manifests) {
      children.push_back(src.child_manifest(d));
      refuse_nested(children.back(), d);
    }
    auto out = ops::convert_image(root, children, to);
    return finish(out.top, {root.digest}, [&] {
      for (std::size_t i = 0; i < children.size(); ++i)
        copy_image_manifest(children[i], out.children[i], false);
    });
  }

  static void refuse_nested(const registry::FetchedManifest &child, const image::Descriptor &d) {
    if (image::media::is_index(child.media_type))
      throw Error(Errc::unsupported, "nested indexes are not supported (" + d.digest + ")");
  }

  // Copies what `top` references (copy_content), then the referrers of `subjects`,
  // then `top` under the tag — last, once everything it leads to is in place. A tag
  // that already points at `top` skips the content, not the referrers: a signature
  // added since the last run still follows.
  template <typename Fn>
  CopyResult finish(const registry::FetchedManifest &top, const std::vector<std::string> &subjects,
                    Fn &&copy_content) {
    result.digest = top.digest;
    result.media_type = top.media_type;
    top_raw = top.raw;
    const bool there = dst.tag_points_to(top.digest);
    if (!there) copy_content();
    // A converted image has other digests: the source's referrers name the old ones.
    // Finding them never fails the copy (warnings); a referrer found but not copied
    // fails it once the image is in place.
    if (options.referrers && top.digest == subjects.front()) {
      ops::ReferrerPolicy policy{options.referrer_types, options.jobs};
      for (const auto &s : subjects) {
        auto c = ops::copy_referrers(src, dst, s, policy, reporter);
        ops::add_referrer_copy(result, c, referrer_error);
      }
    }
    if (there)
      reporter.item(Progress::Event::manifest_done, top.digest, top.raw.size(), top.raw.size(), 0);
    else
      put_manifest(top, true);
    return result;
  }
};

} // namespace

namespace {

CopyResult copy_once(const std::string &src, const std::string &dst, const CopyOptions &options) {
  if (options.jobs < 1) throw Error(Errc::invalid_argument, "jobs must be at least 1");
  auto src_loc = ops::Location::parse(src);
  auto dst_loc = ops::Location::parse(dst);
  const bool archive = dst_loc.kind == ops::Location::Kind::oci_archive ||
                       dst_loc.kind == ops::Location::Kind::docker_archive;
  if (options.signer && archive)
    throw Error(Errc::invalid_argument,
                "a signature lives beside the image in a registry or an oci: layout, not in "
                "an archive");
  if (options.create_repository) ops::create_missing_repositories(src_loc, {dst_loc});
  auto opened =
      ops::open_source_with_mirrors(src_loc, options.src, ops::parse_mirrors(options.mirrors));
  auto &source = opened.source;
  auto destination = ops::open_destination(dst_loc, options.dst);
  Copier c{*source,
           *destination,
           options,
           ops::target_family(options.format, src_loc, dst_loc),
           ops::ProgressReporter(options.progress),
           {},
           {},
           {}};
  auto result = c.run();
  result.mirror = opened.mirror;
  for (const auto &tag : options.extra_tags)
    if (destination->tag_digest(tag) != result.digest) {
      destination->put_manifest_as(c.top_raw, result.media_type, tag);
      result.tags_added.push_back(tag);
    }
  if (c.referrer_error) std::rethrow_exception(c.referrer_error);
  if (options.signer) {
    // By digest: a tag moved in between cannot get the signature.
    SignOptions so;
    so.access = options.dst;
    auto target = dst_loc.kind == ops::Location::Kind::registry
                      ? "docker://" + dst_loc.ref.registry_host() + "/" + dst_loc.ref.repository +
                            "@" + result.digest
                      : dst;
    result.signature_ref = sign_image(target, *options.signer, so).signature_ref;
  }
  return result;
}

} // namespace

CopyResult copy_image(const std::string &src, const std::string &dst, const CopyOptions &options) {
  const auto started = std::chrono::steady_clock::now();
  auto result = copy_once(src, dst, options);
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return result;
}

} // namespace berth
