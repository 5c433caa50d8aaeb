#include <berth/digest.hpp>
#include <berth/error.hpp>
#include <berth/layout.hpp>

#include "core/file.hpp"
#include "core/json.hpp"
#include "core/quoted.hpp"
#include "image/digester.hpp"
#include "layout/ref_names.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <vector>

namespace berth::layout {
namespace {

constexpr std::size_t kReadChunk = 256u << 10;
constexpr std::size_t kMaxOciLayoutFile = 64u << 10;
constexpr std::string_view kBlobTempPrefix = core::kTempMarker;

std::string normalize_dir(const std::string &dir) {
  if (dir.empty()) throw Error(Errc::invalid_argument, "OCI layout path is empty");
  auto end = dir.find_last_not_of('/');
  if (end == std::string::npos) return "/";
  return dir.substr(0, end + 1);
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Rethrows a parse failure with the file it came from, keeping its code.
template <typename F> auto with_context(const std::string &what, F &&f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error &e) {
    throw Error(e.code(), what + ": " + e.what());
  }
}

image::Index read_index_file(const std::string &dir) {
  std::string raw;
  try {
    raw = core::read_small_file(dir + "/index.json", image::kMaxManifestSize);
  } catch (const Error &e) {
    if (e.code() == Errc::not_found)
      throw Error(Errc::protocol, "OCI layout " + core::single_quoted(dir) +
                                      " has an oci-layout file but no index.json");
    throw;
  }
  return with_context("index.json of OCI layout " + core::single_quoted(dir),
                      [&] { return image::parse_index(std::move(raw), image::media::oci_index); });
}

void check_oci_layout_file(const std::string &dir) {
  std::string raw;
  try {
    raw = core::read_small_file(dir + "/oci-layout", kMaxOciLayoutFile);
  } catch (const Error &e) {
    if (e.code() == Errc::not_found)
      throw Error(Errc::not_found, core::single_quoted(dir) +
                                       " is not an OCI image layout: it has no oci-layout file");
    if (e.code() == Errc::too_large)
      throw Error(Errc::protocol, "the oci-layout file of " + core::single_quoted(dir) +
                                      " is not JSON (" + e.what() + ")");
    throw;
  }
  std::string what = "the oci-layout file of " + core::single_quoted(dir);
  auto doc = with_context(what, [&] { return core::json::parse(raw, "it"); });
  if (!doc.IsObject()) throw Error(Errc::protocol, what + " is not a JSON object");
  auto it = doc.FindMember("imageLayoutVersion");
  if (it == doc.MemberEnd() || !it->value.IsString())
    throw Error(Errc::protocol, what + " has no imageLayoutVersion string");
  std::string version(it->value.GetString(), it->value.GetStringLength());
  if (version != kImageLayoutVersion)
    throw Error(Errc::unsupported, what + " has imageLayoutVersion \"" + version.substr(0, 40) +
                                       "\"; only \"" + std::string(kImageLayoutVersion) +
                                       "\" is supported");
}

Error blob_missing(const std::string &dir, const std::string &digest) {
  return Error(Errc::not_found,
               "blob " + digest + " is not in OCI layout " + core::single_quoted(dir));
}

Error blob_corrupt(const std::string &dir, const std::string &digest, const std::string &got) {
  return Error(Errc::digest_mismatch, "blob " + digest + " in OCI layout " +
                                          core::single_quoted(dir) +
                                          " is corrupt: its content hashes to " + got);
}

Error blob_size_mismatch(const std::string &dir, const std::string &digest, std::uint64_t got,
                         std::int64_t want) {
  return Error(Errc::digest_mismatch, "blob " + digest + " in OCI layout " +
                                          core::single_quoted(dir) + " is " + std::to_string(got) +
                                          " bytes, expected " + std::to_string(want));
}

} // namespace

bool valid_ref_name(std::string_view name) noexcept {
  // ref ::= component ("/" component)*; component ::= alphanum (separator alphanum)*
  // alphanum ::= [A-Za-z0-9]+; separator ::= [-._:@+] | "--"
  std::size_t i = 0;
  const std::size_t n = name.size();
  auto alnum_run = [&] {
    std::size_t start = i;
    while (i < n && is_alnum(name[i]))
      ++i;
    return i > start;
  };
  for (;;) {
    if (!alnum_run()) return false;
    while (i < n && name[i] != '/') {
      if (name[i] == '-' && i + 1 < n && name[i + 1] == '-') {
        i += 2;
      } else if (std::string_view("-._:@+").find(name[i]) != std::string_view::npos) {
        ++i;
      } else {
        return false;
      }
      if (!alnum_run()) return false;
    }
    if (i == n) return true;
    ++i; // the '/'
  }
}

// --- opening and creating ---------------------------------------------------------

OciLayout OciLayout::open(const std::string &dir_in) {
  auto dir = normalize_dir(dir_in);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      throw Error(Errc::not_found,
                  "OCI layout directory " + core::single_quoted(dir) + " does not exist");
    core::throw_errno(errno, "cannot access OCI layout " + core::single_quoted(dir));
  }
  if (!S_ISDIR(st.st_mode))
    throw Error(Errc::not_found,
                core::single_quoted(dir) + " is not a directory, so not an OCI image layout");
  check_oci_layout_file(dir);
  (void)read_index_file(dir);
  return OciLayout(dir);
}

OciLayout OciLayout::create(const std::string &dir_in) {
  auto dir = normalize_dir(dir_in);
  core::make_dirs(dir);
  {
    core::DirLock lock(dir, "OCI layout " + core::single_quoted(dir));
    // Blobs a killed writer (kill -9 mid-pull, mid-build) left half-written.
    core::remove_stale_temp_files(dir);
    struct stat st {};
    if (::stat((dir + "/oci-layout").c_str(), &st) != 0) {
      if (errno != ENOENT)
        core::throw_errno(errno, "cannot access " + core::single_quoted(dir + "/oci-layout"));
      core::make_dirs(dir + "/blobs/sha256");
      if (::stat((dir + "/index.json").c_str(), &st) != 0) {
        if (errno != ENOENT)
          core::throw_errno(errno, "cannot access " + core::single_quoted(dir + "/index.json"));
        core::write_file_atomic(dir + "/index.json",
                                image::Index::make(std::string(image::media::oci_index), {}).raw);
      }
      // Written last: only a complete layout carries the marker.
      core::write_file_atomic(dir + "/oci-layout", "{\"imageLayoutVersion\":\"" +
                                                       std::string(kImageLayoutVersion) + "\"}");
    }
  }
  return open(dir);
}

// --- index.json -----------------------------------------------------------------

image::Index OciLayout::index() const {
  return read_index_file(dir_);
}

std::vector<std::string> OciLayout::tags() const {
  std::vector<std::string> out;
  for (const auto &d : index().manifests)
    if (auto ref = ref_name_of(d); !ref.empty()) out.push_back(std::move(ref));
  return out;
}

void OciLayout::sync_blobs() const {
  for (const char *alg : {"sha256", "sha512"}) {
    auto d = dir_ + "/blobs/" + alg;
    struct stat st {};
    if (::stat(d.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) core::fsync_dir(d);
  }
}

void OciLayout::write_index(const image::Index &old,
                            std::vector<image::Descriptor> manifests) const {
  auto media_type = old.media_type.empty() ? std::string(image::media::oci_index) : old.media_type;
  auto next = image::Index::make(std::move(media_type), std::move(manifests), old.annotations);
  sync_blobs(); // every blob index.json will name is on disk first
  core::write_file_atomic(dir_ + "/index.json", next.raw);
}

void OciLayout::add_manifest(image::Descriptor desc, const std::string &tag) {
  if (!tag.empty() && !valid_ref_name(tag))
    throw Error(Errc::invalid_argument,
                "invalid tag '" + tag.substr(0, 100) +
                    "' for an OCI layout (allowed: [A-Za-z0-9] runs joined by - . _ : @ + -- /)");
  if (desc.media_type.empty())
    throw Error(Errc::invalid_argument, "add_manifest: the descriptor has no media type");
  if (desc.size < 0) throw Error(Errc::invalid_argument, "add_manifest: negative descriptor size");
  auto path = blob_path(desc.digest); // validates the digest
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    throw Error(Errc::not_found, "add_manifest: manifest " + desc.digest +
                                     " is not in OCI layout " + core::single_quoted(dir_) +
                                     "; write its blob first");
  if (static_cast<std::uint64_t>(st.st_size) != static_cast<std::uint64_t>(desc.size))
    throw blob_size_mismatch(dir_, desc.digest, static_cast<std::uint64_t>(st.st_size), desc.size);

  const std::string key(kRefNameAnnotation);
  if (tag.empty())
    desc.annotations.erase(key);
  else
    desc.annotations[key] = tag;

  core::DirLock lock(dir_, "OCI layout " + core::single_quoted(dir_));
  auto old = index();
  auto entries = old.manifests;
  if (tag.empty()) {
    bool present = std::any_of(entries.begin(), entries.end(), [&](const image::Descriptor &d) {
      return ref_name_of(d).empty() && d.digest == desc.digest && d.media_type == desc.media_type;
    });
    if (present) return;
    entries.push_back(std::move(desc));
  } else {
    bool placed = false;
    std::vector<image::Descriptor> next;
    next.reserve(entries.size() + 1);
    for (auto &d : entries) {
      if (ref_name_of(d) != tag) {
        next.push_back(std::move(d));
      } else if (!placed) {
        next.push_back(desc);
        placed = true;
      }
    }
    if (!placed) next.push_back(std::move(desc));
    entries = std::move(next);
  }
  write_index(old, std::move(entries));
}

std::optional<image::Descriptor> OciLayout::find(const std::string &tag) const {
  auto idx = index();
  if (tag.empty()) {
    if (idx.manifests.empty()) return std::nullopt;
    if (idx.manifests.size() == 1) return idx.manifests.front();
    throw Error(Errc::invalid_argument,
                "OCI layout " + core::single_quoted(dir_) + " holds " +
                    std::to_string(idx.manifests.size()) +
                    " images; name one: " + describe_entries(idx.manifests));
  }
  for (auto &d : idx.manifests)
    if (ref_name_of(d) == tag) return std::move(d);
  return std::nullopt;
}

void OciLayout::remove(const std::string &tag) {
  if (tag.empty()) throw Error(Errc::invalid_argument, "remove: no tag given");
  core::DirLock lock(dir_, "OCI layout " + core::single_quoted(dir_));
  auto old = index();
  std::vector<image::Descriptor> kept;
  for (const auto &d : old.manifests)
    if (ref_name_of(d) != tag) kept.push_back(d);
  if (kept.size() == old.manifests.size())
    throw Error(Errc::not_found, "no image tagged '" + tag + "' in OCI layout " +
                                     core::single_quoted(dir_) +
                                     " (tags: " + describe_entries(old.manifests) + ")");
  write_index(old, std::move(kept));
}

// --- blobs ----------------------------------------------------------------------

std::string OciLayout::blob_path(const std::string &digest) const {
  auto d = image::Digest::parse(digest);
  return dir_ + "/blobs/" + d.algorithm() + "/" + d.hex();
}

bool OciLayout::has_blob(const std::string &digest) const {
  auto path = blob_path(digest);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return S_ISREG(st.st_mode);
  if (errno == ENOENT || errno == ENOTDIR) return false;
  core::throw_errno(errno, "cannot access blob " + core::single_quoted(path));
}

std::uint64_t OciLayout::blob_size(const std::string &digest) const {
  auto path = blob_path(digest);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) throw blob_missing(dir_, digest);
    core::throw_errno(errno, "cannot access blob " + core::single_quoted(path));
  }
  if (!S_ISREG(st.st_mode))
    throw Error(Errc::protocol, core::single_quoted(path) + " is not a regular file");
  return static_cast<std::uint64_t>(st.st_size);
}

void OciLayout::read_blob(const std::string &digest,
                          const std::function<void(const char *, std::size_t)> &sink,
                          std::int64_t expected_size) const {
  auto d = image::Digest::parse(digest);
  auto path = blob_path(digest);
  core::UniqueFd fd;
  try {
    fd = core::open_fd(path, O_RDONLY);
  } catch (const Error &e) {
    if (e.code() == Errc::not_found) throw blob_missing(dir_, digest);
    throw;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    core::throw_errno(errno, "cannot stat blob " + core::single_quoted(path));
  if (!S_ISREG(st.st_mode))
    throw Error(Errc::protocol, core::single_quoted(path) + " is not a regular file");
  if (expected_size >= 0 && st.st_size != expected_size)
    throw blob_size_mismatch(dir_, digest, static_cast<std::uint64_t>(st.st_size), expected_size);

  image::Digester digester(d.algorithm());
  std::vector<char> buf(kReadChunk);
  std::uint64_t total = 0;
  const std::string what = "blob " + core::single_quoted(path);
  for (;;) {
    auto n = core::read_some(fd.get(), buf.data(), buf.size(), what);
    if (n == 0) break;
    total += n;
    if (expected_size >= 0 && total > static_cast<std::uint64_t>(expected_size))
      throw blob_size_mismatch(dir_, digest, total, expected_size); // grew while read
    digester.update(buf.data(), n);
    sink(buf.data(), n);
  }
  if (expected_size >= 0 && total != static_cast<std::uint64_t>(expected_size))
    throw blob_size_mismatch(dir_, digest, total, expected_size);
  if (auto got = digester.finish(); got != digest) throw blob_corrupt(dir_, digest, got);
}

std::string OciLayout::read_blob(const std::string &digest) const {
  auto d = image::Digest::parse(digest);
  auto path = blob_path(digest);
  std::string data;
  try {
    data = core::read_small_file(path, kMaxSmallBlob);
  } catch (const Error &e) {
    if (e.code() == Errc::not_found) throw blob_missing(dir_, digest);
    if (e.code() == Errc::too_large)
      throw Error(Errc::too_large, "blob " + digest + " in OCI layout " +
                                       core::single_quoted(dir_) + " is larger than " +
                                       std::to_string(kMaxSmallBlob) + " bytes; stream it instead");
    throw;
  }
  image::Digester digester(d.algorithm());
  digester.update(data.data(), data.size());
  if (auto got = digester.finish(); got != digest) throw blob_corrupt(dir_, digest, got);
  return data;
}

// --- blob writer ----------------------------------------------------------------

constexpr std::size_t kWriteBatch = 1u << 20;

struct OciLayout::BlobWriter::Impl {
  std::string dir;
  std::string expected_digest; // "" = unknown
  std::string algorithm;
  std::int64_t expected_size = -1;
  image::Digester digester;
  core::TempFile tmp;
  std::uint64_t written = 0;
  bool finished = false;
  std::vector<char> readback; // absorb()'s buffer
  std::vector<char> pending;  // write()'s bytes not yet in the file

  void flush() {
    if (pending.empty()) return;
    tmp.write(pending.data(), pending.size());
    pending.clear();
  }

  Impl(std::string d, std::string expected, std::string alg, std::int64_t size, core::TempFile t)
      : dir(std::move(d)), expected_digest(std::move(expected)), algorithm(std::move(alg)),
        expected_size(size), digester(algorithm), tmp(std::move(t)) {}

  void fail() noexcept {
    finished = true;
    tmp.discard();
  }
  void check_usable() const {
    if (finished)
      throw Error(Errc::invalid_argument, "blob writer used after commit() or a failure");
  }
};

OciLayout::BlobWriter::BlobWriter(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
OciLayout::BlobWriter::BlobWriter(BlobWriter &&) noexcept = default;
OciLayout::BlobWriter &OciLayout::BlobWriter::operator=(BlobWriter &&) noexcept = default;
OciLayout::BlobWriter::~BlobWriter() = default; // TempFile removes an uncommitted file

std::uint64_t OciLayout::BlobWriter::bytes_written() const noexcept {
  return impl_ ? impl_->written : 0;
}

void OciLayout::BlobWriter::write(const char *data, std::size_t len) {
  if (!impl_) throw Error(Errc::invalid_argument, "blob writer was moved from");
  auto &s = *impl_;
  s.check_usable();
  if (s.expected_size >= 0 && s.written + len > static_cast<std::uint64_t>(s.expected_size)) {
    s.fail();
    throw Error(Errc::digest_mismatch,
                "blob " +
                    (s.expected_digest.empty() ? std::string("being written") : s.expected_digest) +
                    " is longer than the expected " + std::to_string(s.expected_size) + " bytes");
  }
  try {
    s.digester.update(data, len);
    // HTTP hands over 16 KiB at a time: gathered into 1 MiB writes, a pull makes
    // 64 times fewer write(2) calls.
    if (s.pending.size() + len > kWriteBatch) s.flush();
    if (len >= kWriteBatch)
      s.tmp.write(data, len);
    else
      s.pending.insert(s.pending.end(), data, data + len);
  } catch (...) {
    s.fail();
    throw;
  }
  s.written += len;
}

void OciLayout::BlobWriter::write_at(std::uint64_t offset, const char *data, std::size_t len) {
  if (!impl_) throw Error(Errc::invalid_argument, "blob writer was moved from");
  auto &s = *impl_;
  // No check_usable(): `finished` belongs to the thread that commits; the caller
  // stops every write_at before it commits or drops the writer.
  if (s.expected_size < 0 || offset > static_cast<std::uint64_t>(s.expected_size) ||
      len > static_cast<std::uint64_t>(s.expected_size) - offset)
    throw Error(Errc::digest_mismatch,
                "blob " + s.expected_digest + " got bytes past its expected size");
  s.tmp.write_at(offset, data, len);
}

void OciLayout::BlobWriter::absorb(std::uint64_t end) {
  if (!impl_) throw Error(Errc::invalid_argument, "blob writer was moved from");
  auto &s = *impl_;
  s.check_usable();
  if (s.expected_size < 0 || end > static_cast<std::uint64_t>(s.expected_size))
    throw Error(Errc::digest_mismatch,
                "blob " + s.expected_digest + " got bytes past its expected size");
  // No fail() on error here: other threads may still be in write_at, and closing the
  // file under them could let their pwrite land in whatever reuses the descriptor.
  // The caller drops the writer (which removes the file) once they are done.
  auto &buf = s.readback;
  if (buf.empty()) buf.resize(1u << 20);
  const auto from = s.written;
  while (s.written < end) {
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), end - s.written));
    if (s.tmp.read_at(s.written, buf.data(), want) != want)
      throw Error(Errc::io, "blob " + s.expected_digest + ": the file ended at byte " +
                                std::to_string(s.written) + " while it was hashed");
    s.digester.update(buf.data(), want);
    s.written += want;
  }
  if (end > from) s.tmp.start_writeback(from, end - from);
}

std::string OciLayout::BlobWriter::commit() {
  if (!impl_) throw Error(Errc::invalid_argument, "blob writer was moved from");
  auto &s = *impl_;
  s.check_usable();
  try {
    s.finished = true;
    if (s.expected_size >= 0 && s.written != static_cast<std::uint64_t>(s.expected_size))
      throw Error(
          Errc::digest_mismatch,
          "blob " + (s.expected_digest.empty() ? std::string("being written") : s.expected_digest) +
              " has " + std::to_string(s.written) + " bytes, expected " +
              std::to_string(s.expected_size));
    s.flush();
    auto digest = s.digester.finish();
    if (!s.expected_digest.empty() && digest != s.expected_digest)
      throw Error(Errc::digest_mismatch, "blob content hashes to " + digest + ", expected " +
                                             s.expected_digest + "; nothing was written");
    auto d = image::Digest::parse(digest);
    auto alg_dir = s.dir + "/blobs/" + d.algorithm();
    core::make_dirs(alg_dir);
    // The bytes are synced here, in the blob's own thread while others still stream;
    // the names once, by sync_blobs() before index.json makes them reachable, so a
    // listed image is complete after a crash. (One syncfs per layout instead also
    // waited for every other process's dirty data on that file system.)
    s.tmp.sync_data();
    s.tmp.rename_to(alg_dir + "/" + d.hex(), false);
    return digest;
  } catch (...) {
    s.fail();
    throw;
  }
}

OciLayout::BlobWriter OciLayout::write_blob(const std::string &expected_digest,
                                            std::int64_t expected_size) {
  std::string algorithm = "sha256";
  if (!expected_digest.empty()) algorithm = image::Digest::parse(expected_digest).algorithm();
  auto tmp = core::TempFile::create(dir_, std::string(kBlobTempPrefix));
  return BlobWriter(std::make_unique<BlobWriter::Impl>(dir_, expected_digest, std::move(algorithm),
                                                       expected_size < 0 ? -1 : expected_size,
                                                       std::move(tmp)));
}

std::string OciLayout::write_blob(std::string_view data) {
  auto digest = image::digest_of(data);
  struct stat st {};
  if (::stat(blob_path(digest).c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<std::uint64_t>(st.st_size) == data.size())
    return digest;
  auto w = write_blob(digest, static_cast<std::int64_t>(data.size()));
  w.write(data);
  return w.commit();
}

} // namespace berth::layout
