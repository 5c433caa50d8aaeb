// The OCI / Docker image model: media types, platforms, descriptors, manifests and
// indexes. Manifests and indexes keep their raw bytes next to the parsed form, so a
// copy re-sends exactly what it read and digests stay byte-exact.
#pragma once

#include <berth/defaults.h>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::image {

namespace media {
inline constexpr std::string_view oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view oci_config = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view oci_layer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view oci_layer_gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view oci_layer_zstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view oci_empty = "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view docker_manifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view docker_manifest_list =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view docker_config = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view docker_layer =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view docker_foreign_layer =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

bool is_index(std::string_view media_type) noexcept;
bool is_manifest(std::string_view media_type) noexcept;
// The Accept header value for manifest requests: every manifest and index type.
const std::string &manifest_accept();
} // namespace media

// Manifests above this size are refused (the limit registries, ECR included, apply).
inline constexpr std::size_t kMaxManifestSize = 4u << 20;

// The platform berth picks from an index, and gives an image built on scratch, when
// none is named: what docker and crane default to on the machines CI runs on.
inline constexpr std::string_view kDefaultPlatform = BERTH_DEFAULT_PLATFORM;

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
  std::string os_version;
  std::vector<std::string> os_features;

  // "os/arch[/variant]", e.g. "linux/arm64/v8"; throws Error(invalid_argument).
  static Platform parse(std::string_view s);
  std::string str() const;
  // True when this platform satisfies the wanted one (empty fields match anything;
  // arm64 without a variant matches v8).
  bool satisfies(const Platform &wanted) const;
  bool operator==(const Platform &) const = default;
};

struct Descriptor {
  std::string media_type;
  std::string digest; // "sha256:..."
  std::int64_t size = 0;
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
  std::string artifact_type;

  // Serialised as an OCI descriptor JSON object (fields in spec order).
  std::string to_json() const;
};

struct Manifest {
  std::string raw;
  std::string media_type;
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;

  // Serialises an image manifest from fields' media_type, artifact_type, config,
  // layers, subject and annotations, in the specification's order (raw is rebuilt;
  // empty artifact_type, subject and annotations are left out).
  static Manifest make(Manifest fields);
};

struct Index {
  std::string raw;
  std::string media_type;
  std::string artifact_type;
  std::vector<Descriptor> manifests;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;

  // Serialises an index with the given entries (raw is rebuilt).
  static Index make(std::string media_type, std::vector<Descriptor> manifests,
                    std::map<std::string, std::string> annotations = {});
};

// The media type of a manifest document: its mediaType field, else the hint (a
// Content-Type), else inferred from its shape (manifests/config+layers). Throws
// Error(protocol) for JSON that is no manifest at all.
std::string detect_media_type(std::string_view raw, std::string_view hint = {});

// Parse with clear errors for malformed JSON, missing fields and bad digests.
// Throws Error(too_large) above kMaxManifestSize.
Manifest parse_manifest(std::string raw, std::string_view hint = {});
Index parse_index(std::string raw, std::string_view hint = {});

// sha256 digest of the raw bytes, "sha256:<hex>".
std::string digest_of(std::string_view raw);
// The digest of raw with "sha256" or "sha512"; Error(unsupported) for any other.
std::string digest_of(std::string_view raw, const std::string &algorithm);

} // namespace berth::image
