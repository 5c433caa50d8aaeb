// docker-archive: the tarball of `docker save` / `docker load` (skopeo's
// docker-archive transport).
//
// Format (moby image/tarexport): manifest.json is a JSON array with one object per
// image, {"Config": MEMBER, "RepoTags": ["name:tag", ...] or null, "Layers": [MEMBER,
// ...]} (other fields, such as LayerSources, are ignored); the members it names hold
// the config and the layer tars, base layer first. Three writers are read alike:
//   - Docker before 25: "<id>.json" and "<id>/layer.tar", repeated layers as symlinks
//     ("<id2>/layer.tar -> ../<id>/layer.tar");
//   - skopeo: "<hex>.json" and "<hex>.tar";
//   - Docker 25 and later: an OCI layout (blobs/sha256/<hex>, index.json, oci-layout)
//     whose blobs manifest.json names. (Read as oci-archive:FILE, the same file gives
//     Docker's own OCI manifest instead.)
// A "repositories" file (legacy, pre-manifest.json Docker) is neither read nor written.
//
// Reading presents each image as a Docker schema 2 manifest, built from manifest.json:
//   - config: application/vnd.docker.container.image.v1+json, digest = sha256 of the
//     config member, as written;
//   - layers: the media type follows the member's first bytes (uncompressed tar ->
//     application/vnd.docker.image.rootfs.diff.tar, gzip -> ...diff.tar.gzip, zstd ->
//     the OCI +zstd type, which layer::layer_media_type also uses for Docker
//     manifests); bzip2 and xz layers, which no image media type describes, are
//     Error(unsupported). The digest is the member's name for blobs/<alg>/<hex>
//     members, the config's diff_id at that position for an uncompressed layer (when
//     the counts match: the diff_id is by definition the digest of the uncompressed
//     tar) and otherwise the sha256 of the member, computed once when the image is
//     loaded — in the same pass a compressed layer is inflated and checked against
//     its diff_id, so the image read is consistent. Names and diff_ids are taken on
//     trust only because every blob is verified as it is read: a lying one is
//     Error(digest_mismatch), never data.
//
// Writing (write_docker_archive) takes the blobs as they are — a gzip layer stays gzip,
// as `docker load` and skopeo accept it — and names members as skopeo does:
// "<config hex>.json", "<layer hex>.tar" (each distinct layer once) and manifest.json
// with RepoTags in Docker's familiar form ("busybox:latest", "ghcr.io/o/app:v1").
// The archive is written by write_archive_atomic(): deterministic, all or nothing.
#pragma once

#include <berth/layout.hpp>
#include <berth/manifest.hpp>
#include <berth/reference.hpp>

#include "layout/oci_archive.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace berth::layout {

// Config members above this size are refused (Error(too_large)).
inline constexpr std::size_t kMaxDockerConfig = 16u << 20;

// One image of a docker-archive, as a Docker schema 2 manifest over its members.
// Thread safety: const members may be called concurrently.
class DockerArchiveImage {
public:
  const std::string &manifest() const noexcept { return manifest_; } // raw bytes
  const std::string &digest() const noexcept { return digest_; }     // of manifest()
  const image::Manifest &parsed() const noexcept { return parsed_; }
  const std::vector<std::string> &repo_tags() const noexcept { return repo_tags_; }

  bool has_blob(const std::string &digest) const { return blobs_.count(digest) != 0; }
  // Streamed and verified (TarArchive::read_verified).
  void read_blob(const std::string &digest, const BlobSinkFn &sink,
                 std::int64_t expected_size = -1) const;
  // Unverified bytes from `pos` (TarArchive::read_at).
  std::size_t read_blob_at(const std::string &digest, std::uint64_t pos, char *buf,
                           std::size_t len) const;

private:
  friend class DockerArchive;
  explicit DockerArchiveImage(TarArchive archive) : archive_(std::move(archive)) {}
  const TarArchive::Member &member(const std::string &digest) const;

  TarArchive archive_;
  std::string manifest_, digest_;
  image::Manifest parsed_;
  std::vector<std::string> repo_tags_;
  std::map<std::string, TarArchive::Member> blobs_; // digest -> member
};

class DockerArchive {
public:
  struct Item {
    std::string config;                 // member name
    std::vector<std::string> repo_tags; // as stored
    std::vector<std::string> layers;    // member names, base layer first
  };

  // Error(not_found) when there is no such file; Error(protocol) when it is no tar,
  // has no manifest.json, or a malformed one (or one listing no image).
  static DockerArchive open(const std::string &path);

  const std::string &path() const noexcept { return archive_.path(); }
  const std::vector<Item> &items() const noexcept { return items_; }

  // The item whose RepoTags hold `ref`, compared normalized ("busybox" ==
  // "busybox:latest" == "docker.io/library/busybox:latest"). "" = the only item.
  // Error(not_found) listing the tags when none matches; Error(invalid_argument) for
  // "" when the archive holds several images or for a ref that does not parse.
  std::size_t select(const std::string &ref) const;
  // Item i read as an image. Error(not_found) when i is out of range; Error(protocol)
  // when a member it names is missing or not a regular file, or the config is not a
  // JSON object; Error(unsupported) for bzip2/xz layers.
  DockerArchiveImage image(std::size_t i) const;

private:
  DockerArchive(TarArchive archive, std::vector<Item> items)
      : archive_(std::move(archive)), items_(std::move(items)) {}

  TarArchive archive_;
  std::vector<Item> items_;
};

// Docker's familiar form of a tagged reference: "docker.io/library/busybox:1" ->
// "busybox:1", "docker.io/me/app:v1" -> "me/app:v1", others unchanged
// ("ghcr.io/o/app:v1"). A reference without a tag gets ":latest"; the digest is
// dropped (RepoTags hold tags).
std::string docker_repo_tag(const image::Reference &ref);

struct DockerArchiveEntry {
  image::Manifest manifest; // its config and layers must be blobs of the layout
  std::vector<std::string> repo_tags;
};

// Writes `images` (one manifest.json entry each) as a docker-archive at archive_path,
// the blobs taken from the OCI layout `blobs`. Error(not_found) for a blob the layout
// lacks (a foreign layer, say); Error(invalid_argument) when `images` is empty.
void write_docker_archive(const OciLayout &blobs, const std::vector<DockerArchiveEntry> &images,
                          const std::string &archive_path);

} // namespace berth::layout
