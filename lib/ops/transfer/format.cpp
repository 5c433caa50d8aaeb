#include "ops/transfer/format.hpp"

#include <berth/error.hpp>
#include <berth/manifest.hpp>

namespace berth::ops {

std::optional<image::Family> target_family(ImageFormat format, const Location &src,
                                           const Location &dst) {
  switch (format) {
  case ImageFormat::oci: return image::Family::oci;
  case ImageFormat::docker: return image::Family::docker;
  case ImageFormat::automatic: break;
  }
  const bool oci_dst =
      dst.kind == Location::Kind::oci_layout || dst.kind == Location::Kind::oci_archive;
  if (src.kind == Location::Kind::docker_archive && oci_dst) return image::Family::oci;
  return std::nullopt;
}

registry::FetchedManifest as_fetched(const image::Manifest &m) {
  return {m.raw, m.media_type, image::digest_of(m.raw)};
}

registry::FetchedManifest as_fetched(const image::Index &x) {
  return {x.raw, x.media_type, image::digest_of(x.raw)};
}

bool converts(const registry::FetchedManifest &root, std::optional<image::Family> to) {
  if (!to) return false;
  if (image::media::is_index(root.media_type))
    return image::needs_conversion(image::parse_index(root.raw, root.media_type), *to);
  return image::needs_conversion(root.media_type, *to);
}

ConvertedImage convert_image(const registry::FetchedManifest &root,
                             const std::vector<registry::FetchedManifest> &children,
                             std::optional<image::Family> to) {
  if (!converts(root, to)) return {root, children};
  if (!image::media::is_index(root.media_type))
    return {
        as_fetched(image::convert_manifest(image::parse_manifest(root.raw, root.media_type), *to)),
        {}};
  ConvertedImage out;
  std::vector<image::Manifest> converted;
  for (const auto &c : children) {
    if (!image::media::is_manifest(c.media_type))
      throw Error(Errc::unsupported, "cannot convert the index entry " + c.digest + " of type '" +
                                         c.media_type + "': only image manifests convert");
    converted.push_back(image::convert_manifest(image::parse_manifest(c.raw, c.media_type), *to));
    out.children.push_back(as_fetched(converted.back()));
  }
  out.top = as_fetched(
      image::convert_index(image::parse_index(root.raw, root.media_type), *to, converted));
  return out;
}

} // namespace berth::ops
