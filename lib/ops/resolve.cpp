#include "ops/resolve.hpp"

#include <berth/error.hpp>

namespace berth::ops {

void check_manifest_size(const registry::FetchedManifest &m, const image::Descriptor &d) {
  if (d.size >= 0 && static_cast<std::uint64_t>(d.size) != m.raw.size())
    throw Error(Errc::digest_mismatch, "manifest " + m.digest + " has " +
                                           std::to_string(m.raw.size()) +
                                           " bytes, its descriptor says " + std::to_string(d.size));
}

registry::FetchedManifest ImageSource::child_manifest(const image::Descriptor &d) {
  auto m = manifest(d.digest);
  check_manifest_size(m, d);
  return m;
}

image::Manifest resolve_image(ImageSource &src, const std::string &platform,
                              registry::FetchedManifest *raw_out) {
  auto root = src.manifest("");
  if (image::media::is_index(root.media_type)) {
    auto wanted = image::Platform::parse(platform.empty() ? "linux/amd64" : platform);
    auto index = image::parse_index(root.raw, root.media_type);
    bool found = false;
    for (const auto &d : index.manifests)
      if (d.platform && d.platform->satisfies(wanted) && image::media::is_manifest(d.media_type)) {
        root = src.child_manifest(d);
        found = true;
        break;
      }
    if (!found) throw Error(Errc::not_found, "the index has no image for platform " + wanted.str());
  }
  if (raw_out) *raw_out = root;
  return image::parse_manifest(root.raw, root.media_type);
}

} // namespace berth::ops
