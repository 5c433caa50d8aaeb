// Finding the image manifest a reference means: an index is resolved to the entry
// for a platform.
#pragma once

#include <berth/manifest.hpp>

#include "ops/transfer/endpoints.hpp"

namespace berth::ops {

// platform "" means linux/amd64 for an index; a plain manifest is returned as is.
image::Manifest resolve_image(ImageSource &src, const std::string &platform,
                              registry::FetchedManifest *raw_out = nullptr);

} // namespace berth::ops
