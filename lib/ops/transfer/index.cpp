// berth index: assemble a multi-arch index from per-platform images.
#include <berth/copy.hpp>
#include <berth/error.hpp>

#include "core/json.hpp"
#include "ops/ecr/create_repository.hpp"
#include "ops/transfer/copy_engine.hpp"
#include "ops/transfer/endpoints.hpp"
#include "ops/transfer/format.hpp"

namespace berth {
namespace {

image::Platform platform_of_config(ops::ImageSource &src, const image::Manifest &m) {
  std::string cfg;
  src.blob(m.config, [&](const char *d, std::size_t n) { cfg.append(d, n); }, {});
  auto doc = core::json::parse(cfg, "image config");
  image::Platform p;
  p.os = core::json::get_string(doc, "os");
  p.architecture = core::json::get_string(doc, "architecture");
  p.variant = core::json::get_string(doc, "variant");
  p.os_version = core::json::get_string(doc, "os.version");
  if (p.os.empty() || p.architecture.empty())
    throw Error(Errc::invalid_argument,
                "image config has no os/architecture; cannot place it in an index");
  return p;
}

} // namespace

CopyResult assemble_index(const std::vector<std::string> &sources, const std::string &dst,
                          const CopyOptions &o,
                          const std::map<std::string, std::string> &annotations) {
  if (sources.empty()) throw Error(Errc::invalid_argument, "an index needs at least one image");
  if (!annotations.empty() && o.format == ImageFormat::docker)
    throw Error(Errc::unsupported, "a Docker manifest list has no annotations; use the OCI "
                                   "format for an annotated index");
  auto dst_loc = ops::Location::parse(dst);
  if (o.create_repository)
    ops::create_missing_repositories(ops::Location::parse(sources.front()), {dst_loc});
  auto destination = ops::open_destination(dst_loc, o.dst);
  ops::ProgressReporter reporter(o.progress);
  const auto started = std::chrono::steady_clock::now();
  CopyResult result;
  std::vector<image::Descriptor> entries;
  bool docker = true;
  auto add_image = [&](ops::ImageSource &src, const registry::FetchedManifest &source,
                       std::optional<image::Platform> platform, std::optional<image::Family> to) {
    auto m = image::parse_manifest(source.raw, source.media_type);
    // The child as the destination stores it (converted: other media types, same blobs).
    auto fm = ops::convert_image(source, {}, to).top;
    std::vector<image::Descriptor> blobs = m.layers;
    blobs.push_back(m.config);
    auto c = ops::copy_blobs(src, *destination, blobs, o.jobs, reporter);
    result.blobs_copied += c.copied;
    result.blobs_skipped += c.skipped;
    result.blobs_mounted += c.mounted;
    result.bytes_copied += c.bytes;
    destination->put_manifest(fm.raw, fm.media_type, false); // children by digest only
    ++result.manifests;
    image::Descriptor d;
    d.media_type = fm.media_type;
    d.digest = fm.digest;
    d.size = static_cast<std::int64_t>(fm.raw.size());
    d.platform = platform ? *platform : platform_of_config(src, m);
    docker = docker && fm.media_type == image::media::docker_manifest;
    for (const auto &e : entries)
      if (e.platform && *e.platform == *d.platform)
        throw Error(Errc::invalid_argument, "two images for platform " + d.platform->str());
    entries.push_back(d);
  };
  for (const auto &s : sources) {
    auto src_loc = ops::Location::parse(s);
    auto src = ops::open_source(src_loc, o.src);
    auto to = ops::target_family(o.format, src_loc, dst_loc);
    auto root = src->manifest("");
    if (image::media::is_index(root.media_type)) {
      for (const auto &d : image::parse_index(root.raw, root.media_type).manifests)
        if (image::media::is_manifest(d.media_type))
          add_image(*src, src->child_manifest(d), d.platform, to);
    } else {
      add_image(*src, root, std::nullopt, to);
    }
  }
  // Docker manifest lists only hold Docker manifests and have no annotations; anything
  // else makes an OCI index (so does ImageFormat::oci, which made every child OCI).
  docker = docker && annotations.empty();
  auto index = image::Index::make(
      std::string(docker ? image::media::docker_manifest_list : image::media::oci_index), entries,
      annotations);
  result.digest = image::digest_of(index.raw);
  result.media_type = index.media_type;
  destination->put_manifest(index.raw, index.media_type, true);
  ++result.manifests;
  reporter.item(Progress::Event::manifest_done, result.digest, index.raw.size(), index.raw.size(),
                0);
  for (const auto &tag : o.extra_tags)
    if (destination->tag_digest(tag) != result.digest) {
      destination->put_manifest_as(index.raw, index.media_type, tag);
      result.tags_added.push_back(tag);
    }
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return result;
}

} // namespace berth
