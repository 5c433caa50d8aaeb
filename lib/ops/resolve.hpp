// Finding the image manifest a reference means: an index is resolved to the entry
// for a platform.
#pragma once

#include <berth/manifest.hpp>

#include "ops/endpoints.hpp"

namespace berth::ops {

// Error(digest_mismatch) when the descriptor's size (if known) is not the manifest's.
void check_manifest_size(const registry::FetchedManifest &m, const image::Descriptor &d);

// platform "" means linux/amd64 for an index; a plain manifest is returned as is.
image::Manifest resolve_image(ImageSource &src, const std::string &platform,
                              registry::FetchedManifest *raw_out = nullptr);

} // namespace berth::ops
