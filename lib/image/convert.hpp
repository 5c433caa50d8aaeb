// Converting image manifests and indexes between the Docker schema 2 and OCI media
// types (what skopeo's --format and an oci: destination of a docker-archive do).
//
// Only the manifest changes: its mediaType, the config's and each layer's media type,
// and for an index the list type and its entries' digests and sizes (each child is
// converted, so its digest changes too). Every blob — the config included — stays
// byte for byte what it was, so nothing is recompressed or re-uploaded; a manifest's
// digest changes, a blob's never. (containers/image re-serialises the config when it
// converts to OCI, which changes the config digest; the OCI config schema is a subset
// of Docker's, so readers of either accept the other's config as is.)
//
// Docker schema 2 cannot say everything OCI can. Converting to Docker drops
// annotations (as skopeo does: they carry no meaning for running the image) and
// refuses, with Error(unsupported) naming what is in the way:
//   - zstd layers (Docker has no zstd media type; skopeo refuses them too);
//   - encrypted or other layer types without a Docker equivalent;
//   - artifacts: a config other than an OCI image config, an artifactType, a subject
//     (the referrers link would be lost);
//   - index entries without a platform (a manifest list needs one per entry).
// Converting to OCI refuses configs and layers of unknown types the same way.
#pragma once

#include <berth/manifest.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::image {

enum class Family { oci, docker };

// The family of a manifest, index, config or layer media type; nullopt when it is
// neither Docker's nor OCI's.
std::optional<Family> family_of(std::string_view media_type);
const char *family_name(Family f) noexcept; // "OCI", "Docker"

// The equivalent of a config or layer media type in `to` (itself when it is already
// acceptable there). Error(unsupported) when there is none.
std::string convert_config_type(std::string_view media_type, Family to);
std::string convert_layer_type(std::string_view media_type, Family to);

// True when `m` (a manifest or an index, judged by its own and its entries' media
// types) would change under conversion to `to`.
bool needs_conversion(std::string_view media_type, Family to);
bool needs_conversion(const Index &index, Family to);

// The manifest with `to`'s media types and its raw bytes re-serialised; `m` itself
// (the same raw bytes) when it already is in that family.
Manifest convert_manifest(const Manifest &m, Family to);

// The index in `to`'s list type whose entries point at `children`: the converted
// child manifests, one per entry and in the entries' order. Each entry keeps its
// platform; media type, digest and size become the child's. Error(invalid_argument)
// when the counts differ.
Index convert_index(const Index &index, Family to, const std::vector<Manifest> &children);

} // namespace berth::image
