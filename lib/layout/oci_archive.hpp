// Image archives: one tar file holding an image (skopeo's oci-archive and
// docker-archive transports, `docker save` / `docker load`).
//
// This header holds the plumbing both archive formats share — TarArchive, a
// random-access reader over an indexed tar file, and write_archive_atomic(), the
// deterministic, all-or-nothing tar writer — and the oci-archive format itself: an
// OCI image layout (oci-layout, index.json, blobs/<alg>/<hex>) packed into a tar.
// docker_archive.hpp builds the docker-archive format on the same two pieces.
//
// Why an index and not an extraction: an archive is read by walking its headers once
// and recording where each member's data starts; blobs are then served by pread(2)
// straight from the archive. Extracting into a temp layout would copy every byte once
// more (time, and as much free disk again as the archive takes) before the first blob
// could move, and resumable uploads (registry::BlobSource) need random access that an
// indexed file gives for free. The walk itself reads headers only: member data is
// never read while indexing (see TarArchive::open). Only a compressed archive
// (`docker save | gzip`) cannot be seeked; it is inflated once into an unlinked temp
// file, which is then indexed the same way — as skopeo does for compressed input.
//
// Every blob served is verified while it streams (digest, and size when the caller
// knows it), so an archive that was truncated or altered after it was opened is
// reported as Error(digest_mismatch) naming the member, never passed on silently.
#pragma once

#include <berth/layout.hpp>
#include <berth/manifest.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::layout {

using BlobSinkFn = std::function<void(const char *, std::size_t)>;

// An uncompressed tar file opened for random access. Copies share the open file;
// every const member may be called from several threads at once.
class TarArchive {
public:
  struct Member {
    std::string name;         // normalized path of the regular file the name led to
    std::uint64_t offset = 0; // where its data starts in the (uncompressed) tar
    std::uint64_t size = 0;
  };

  // Indexes the tar at `path`; `format` names it in every message ("oci-archive").
  // Error(not_found) when there is no such file; Error(protocol) for a file that is
  // no tar, or a corrupt or truncated one (the message gives the offset);
  // Error(unsupported) for bzip2- or xz-compressed files. gzip and zstd files are
  // inflated first into an unlinked file under $TMPDIR (or /tmp).
  static TarArchive open(const std::string &path, std::string_view format);

  const std::string &path() const noexcept;
  // "oci-archive 'img.tar'", for messages.
  std::string describe() const;

  // The regular file a member name leads to: "./" segments and a leading "/" are
  // ignored, hardlinks and symlinks inside the archive are followed (at most 16
  // hops; a link leaving the archive leads nowhere). nullopt when there is none.
  // When a name occurs twice, the later member wins, as on extraction.
  std::optional<Member> find(std::string_view name) const;

  // Up to len bytes of m's data from `pos` (relative to its start); 0 at its end.
  // Unverified: for callers that verify themselves (resumed uploads).
  std::size_t read_at(const Member &m, std::uint64_t pos, char *buf, std::size_t len) const;
  // The whole member; Error(too_large) when it is larger than `max`.
  std::string read_all(const Member &m, std::size_t max) const;
  // Streams m's data to `sink` in chunks, then checks that it hashes to `digest`
  // (and, when expected_size >= 0, that it has that many bytes; checked before the
  // first byte is sent). Error(digest_mismatch) naming the member otherwise: the
  // bytes already sent are then not to be trusted. Exceptions of `sink` propagate.
  void read_verified(const Member &m, const std::string &digest, const BlobSinkFn &sink,
                     std::int64_t expected_size = -1) const;
  // The sha256 digest of m's data.
  std::string sha256_of(const Member &m) const;

private:
  struct Impl;
  explicit TarArchive(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// One member of an archive being written: a directory, a file copied from disk or
// bytes held in memory.
struct ArchiveMember {
  enum class Kind { directory, file, bytes };
  Kind kind = Kind::bytes;
  std::string name;   // path inside the archive ("blobs/sha256")
  std::string source; // file: the path on disk; bytes: the content
};

// Writes `members` as an uncompressed POSIX tar to `archive_path`, deterministically:
// bytewise name order, mode 0755 for directories and 0644 for files, uid/gid 0, no
// user or group names, mtime 0. The tar goes to a temp file next to archive_path
// (".<name>.berth-tmp-*") that is fsynced and renamed over archive_path only once
// complete, so readers see the old archive or the new one, and a failure leaves
// neither a partial archive nor the temp file behind. Missing parent directories of
// archive_path are created. Error(invalid_argument) for duplicate or unsafe names.
void write_archive_atomic(std::vector<ArchiveMember> members, const std::string &archive_path);

// An oci-archive opened for reading: the layout's index.json is parsed at open();
// blobs are read from the archive on demand, each verified.
class OciArchive {
public:
  // Error(not_found) when there is no such file; Error(protocol) when it is no tar
  // or holds no OCI layout (no oci-layout file or index.json, or malformed ones);
  // Error(unsupported) for another imageLayoutVersion.
  static OciArchive open(const std::string &path);

  const std::string &path() const noexcept { return archive_.path(); }
  const image::Index &index() const noexcept { return index_; }
  // Ref names of index.json entries, in index order.
  std::vector<std::string> tags() const;
  // As OciLayout::find: the entry with this ref name, or nullopt; "" = the only
  // entry (nullopt when empty; Error(invalid_argument) listing the tags when the
  // index holds several).
  std::optional<image::Descriptor> find(const std::string &tag) const;

  // Error(invalid_argument/unsupported) for an invalid digest, as Digest::parse.
  bool has_blob(const std::string &digest) const;
  // As OciLayout::read_blob: streamed and verified; Error(not_found) when absent.
  void read_blob(const std::string &digest, const BlobSinkFn &sink,
                 std::int64_t expected_size = -1) const;
  // A whole small blob (manifest, config), verified; Error(too_large) above
  // kMaxSmallBlob.
  std::string read_blob(const std::string &digest) const;
  // Unverified bytes of a blob from `pos`, as TarArchive::read_at.
  std::size_t read_blob_at(const std::string &digest, std::uint64_t pos, char *buf,
                           std::size_t len) const;

private:
  OciArchive(TarArchive archive, image::Index index)
      : archive_(std::move(archive)), index_(std::move(index)) {}
  TarArchive::Member member(const std::string &digest) const;

  TarArchive archive_;
  image::Index index_;
};

// Packs the OCI layout directory `layout` into an oci-archive at `archive_path`
// (write_archive_atomic: deterministic, all or nothing). The archive holds oci-layout,
// index.json and every blob under blobs/ named by a valid digest (temp files and
// anything else are left out), with "blobs" and "blobs/<alg>" directory entries.
void write_oci_archive(const OciLayout &layout, const std::string &archive_path);

} // namespace berth::layout
