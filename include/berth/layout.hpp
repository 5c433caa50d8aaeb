// OCI image-layout directories (image-spec image-layout.md): an `oci-layout` file
// {"imageLayoutVersion":"1.0.0"}, an `index.json` and content-addressed blobs under
// blobs/<algorithm>/<hex>.
//
// Tags follow skopeo's `oci:DIR:TAG` convention: an index.json entry whose
// annotation org.opencontainers.image.ref.name is the bare tag.
//
// Guarantees:
//  - Every digest passes berth::image::Digest validation (sha256/sha512, lower-case
//    hex) before it becomes a path, so no digest can name a file outside blobs/.
//  - Blobs are verified on read (digest, and size when the caller knows it) and on
//    write (commit() refuses content that does not match the expected digest/size).
//  - Blobs and index.json appear atomically: temp file, fsync, rename, fsync of the
//    directory. Temp files are ".berth-tmp-*" / ".index.json.tmp-*" in the layout's
//    top directory (not in blobs/, where tools such as `umoci gc` reject any name
//    that is not a digest); every failure path removes them, and one left by a
//    crash is harmless (other tools ignore it; it never takes a blob's name).
//  - index.json changes (add_manifest, remove) hold an exclusive flock(2) on the
//    layout directory, so concurrent berth writers do not lose each other's updates.
//
// Thread safety: an OciLayout is a small value (the directory path); const members
// may be called concurrently, and so may writes of different or identical blobs.
#pragma once

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

inline constexpr std::string_view kImageLayoutVersion = "1.0.0";
inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";
// read_blob(digest) (the in-memory variant) refuses larger blobs with Error(too_large).
inline constexpr std::size_t kMaxSmallBlob = 4u << 20;

// True for a valid org.opencontainers.image.ref.name value (image-spec
// annotations.md grammar: components of [A-Za-z0-9]+ joined by [-._:@+] or "--",
// separated by "/").
bool valid_ref_name(std::string_view name) noexcept;

class OciLayout {
public:
  // Opens an existing layout. Error(not_found) when `dir` does not exist or has no
  // oci-layout file; Error(protocol) for a malformed oci-layout or index.json (or a
  // missing index.json); Error(unsupported) for another imageLayoutVersion.
  static OciLayout open(const std::string &dir);
  // Creates `dir` (and its parents) holding oci-layout, an empty index.json and
  // blobs/sha256; a directory that already is a layout is just opened. Files that
  // already exist are kept (index.json is written before oci-layout, so an
  // interrupted create never looks like a layout).
  static OciLayout create(const std::string &dir);

  const std::string &path() const noexcept { return dir_; }

  // index.json, re-read and parsed on every call.
  image::Index index() const;
  // The ref names of index.json entries, in index order (entries without one are
  // skipped).
  std::vector<std::string> tags() const;

  // Error(invalid_argument/unsupported) for an invalid digest, as Digest::parse.
  bool has_blob(const std::string &digest) const;
  // Error(not_found) when the blob is absent.
  std::uint64_t blob_size(const std::string &digest) const;
  // "<dir>/blobs/<alg>/<hex>" for a validated digest; the file need not exist.
  std::string blob_path(const std::string &digest) const;

  // Streams a blob to `sink` in chunks, then checks its digest (and its size when
  // expected_size >= 0, which is also checked before the first byte is sent).
  // Error(digest_mismatch) on mismatch: the bytes already passed to the sink are
  // then not to be trusted. Error(not_found) when absent. Exceptions thrown by the
  // sink propagate.
  void read_blob(const std::string &digest,
                 const std::function<void(const char *, std::size_t)> &sink,
                 std::int64_t expected_size = -1) const;
  // A whole small blob (manifest, config), verified; Error(too_large) above
  // kMaxSmallBlob.
  std::string read_blob(const std::string &digest) const;

  // Streams one blob into the layout. commit() checks the size (if expected) and
  // the digest (if expected), then renames the temp file to blobs/<alg>/<hex> and
  // returns the digest. A writer destroyed without a successful commit() leaves no
  // file behind; a failed commit() or write() removes its temp file at once.
  // Move-only; not for concurrent use by several threads, except write_at.
  //
  // Out of order (a blob fetched as parallel segments, expected_size known):
  // write_at() from any thread for disjoint ranges, and absorb(end) from one thread
  // as [0, end) becomes complete; absorb reads those bytes back and hashes them, so
  // commit() verifies exactly what is in the file. Do not mix with write().
  class BlobWriter {
  public:
    BlobWriter(BlobWriter &&) noexcept;
    BlobWriter &operator=(BlobWriter &&) noexcept;
    BlobWriter(const BlobWriter &) = delete;
    BlobWriter &operator=(const BlobWriter &) = delete;
    ~BlobWriter();

    // Error(digest_mismatch) as soon as more than expected_size bytes arrive.
    void write(const char *data, std::size_t len);
    void write(std::string_view data) { write(data.data(), data.size()); }
    std::uint64_t bytes_written() const noexcept;
    // Error(digest_mismatch) for bytes past expected_size (or when it is unknown).
    void write_at(std::uint64_t offset, const char *data, std::size_t len);
    // Every byte before `end` is written; hashes those not hashed yet.
    void absorb(std::uint64_t end);
    // Error(digest_mismatch) when content and expectations differ.
    std::string commit();

  private:
    friend class OciLayout;
    struct Impl;
    explicit BlobWriter(std::unique_ptr<Impl> impl) noexcept;
    std::unique_ptr<Impl> impl_;
  };

  // expected_digest "" = unknown: sha256 is computed and commit() names the blob.
  // Note: a std::string argument selects this overload (it is a digest, not data);
  // pass data as std::string_view.
  [[nodiscard]] BlobWriter write_blob(const std::string &expected_digest,
                                      std::int64_t expected_size = -1);
  // Lets write_blob("") and write_blob("sha256:...") pick the writer, not the
  // std::string_view overload.
  [[nodiscard]] BlobWriter write_blob(const char *expected_digest,
                                      std::int64_t expected_size = -1) {
    return write_blob(std::string(expected_digest), expected_size);
  }
  // Writes a small blob and returns its sha256 digest; a no-op when a blob of that
  // digest and size already exists.
  [[nodiscard]] std::string write_blob(std::string_view data);

  // Adds `desc` to index.json. With a tag, sets its ref-name annotation to the tag
  // and replaces any entry carrying the same ref name (keeping its position); with
  // "" any ref-name annotation is dropped and an identical untagged entry is not
  // duplicated. The manifest blob must already be in the layout with desc.size
  // bytes: Error(not_found) / Error(digest_mismatch) otherwise; an invalid tag or
  // descriptor is Error(invalid_argument).
  void add_manifest(image::Descriptor desc, const std::string &tag);
  // Makes the names of committed blobs durable (fsyncs blobs/<alg>; each blob's bytes
  // were synced at its commit). add_manifest calls it before it writes index.json;
  // call it before writing anything else that names blobs.
  void sync_blobs() const;
  // The entry with this ref name, or nullopt. Tag "": the only entry when the index
  // holds exactly one (nullopt when it is empty); Error(invalid_argument) listing
  // the tags when it holds several.
  std::optional<image::Descriptor> find(const std::string &tag) const;
  // Removes the entries with this ref name from index.json (blobs stay; nothing is
  // garbage-collected). Error(not_found) when there is none, Error(invalid_argument)
  // for "".
  void remove(const std::string &tag);

private:
  explicit OciLayout(std::string dir) : dir_(std::move(dir)) {}
  void write_index(const image::Index &old, std::vector<image::Descriptor> manifests) const;

  std::string dir_;
};

} // namespace berth::layout
