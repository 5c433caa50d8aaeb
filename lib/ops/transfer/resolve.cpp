#include "ops/transfer/resolve.hpp"

#include <berth/error.hpp>

namespace berth::ops {

image::Manifest resolve_image(ImageSource &src, const std::string &platform,
                              registry::FetchedManifest *raw_out) {
  auto root = src.manifest("");
  if (image::media::is_index(root.media_type)) {
    auto wanted = image::Platform::parse(platform.empty() ? image::kDefaultPlatform : platform);
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
