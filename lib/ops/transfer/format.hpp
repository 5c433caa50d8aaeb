// Which media types a copy writes (CopyOptions::format), and the manifests a
// destination gets once converted. image/convert.hpp does the converting; this
// decides when, and keeps the digests that come with the new bytes.
#pragma once

#include <berth/copy.hpp>

#include "image/convert.hpp"
#include "ops/transfer/location.hpp"
#include "registry/registry.hpp"

#include <optional>
#include <vector>

namespace berth::ops {

// The family a copy from src to dst writes; nullopt: whatever the source has.
// ImageFormat::automatic keeps the source's, except that an image read from a
// docker-archive — whose Docker manifest berth synthesised, docker save stores none —
// becomes OCI in an OCI layout or oci-archive, as skopeo does.
std::optional<image::Family> target_family(ImageFormat format, const Location &src,
                                           const Location &dst);

// A parsed manifest or index as fetched bytes: raw, media type, digest of raw.
registry::FetchedManifest as_fetched(const image::Manifest &m);
registry::FetchedManifest as_fetched(const image::Index &x);

// What a destination stores for an image or an index: the top manifest and, for an
// index, one child per entry in entry order.
struct ConvertedImage {
  registry::FetchedManifest top;
  std::vector<registry::FetchedManifest> children;
};

// True when converting `root` to `to` changes anything (an index: itself or the
// media type of any entry); false for nullopt.
bool converts(const registry::FetchedManifest &root, std::optional<image::Family> to);

// root (and its children, fetched in entry order, when it is an index) as a
// destination in family `to` stores them; unchanged bytes when nothing converts.
// Error(unsupported) for what cannot be converted (image/convert.hpp).
ConvertedImage convert_image(const registry::FetchedManifest &root,
                             const std::vector<registry::FetchedManifest> &children,
                             std::optional<image::Family> to);

} // namespace berth::ops
