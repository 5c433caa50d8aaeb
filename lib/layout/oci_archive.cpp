#include "layout/oci_archive.hpp"

#include <berth/digest.hpp>
#include <berth/error.hpp>

#include "core/file.hpp"
#include "core/json.hpp"
#include "core/quoted.hpp"
#include "core/stream.hpp"
#include "image/digester.hpp"
#include "layer/compression.hpp"
#include "layer/tar_header.hpp"
#include "layer/tar_reader.hpp"
#include "layer/tar_writer.hpp"
#include "layout/ref_names.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>

namespace berth::layout {
namespace {

constexpr std::size_t kReadChunk = 256u << 10;
constexpr int kMaxLinkHops = 16;
constexpr std::size_t kMaxOciLayoutFile = 64u << 10;

// "./a//b/../c" -> "a/c". nullopt when ".." climbs above the archive root.
std::optional<std::string> normalize_name(std::string_view raw) {
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos <= raw.size()) {
    auto slash = raw.find('/', pos);
    if (slash == std::string_view::npos) slash = raw.size();
    auto comp = raw.substr(pos, slash - pos);
    pos = slash + 1;
    if (comp.empty() || comp == ".") continue;
    if (comp == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
      continue;
    }
    parts.push_back(comp);
  }
  std::string out;
  for (auto p : parts) {
    if (!out.empty()) out += '/';
    out.append(p);
  }
  return out;
}

std::size_t pread_some(int fd, char *buf, std::size_t len, std::uint64_t pos,
                       const std::string &what) {
  for (;;) {
    auto n = ::pread(fd, buf, len, static_cast<off_t>(pos));
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) core::throw_errno(errno, "cannot read " + what);
  }
}

enum class Magic { tar, gzip, zstd, bzip2, xz };

Magic sniff(int fd, const std::string &what) {
  unsigned char m[6] = {};
  std::size_t got = 0;
  while (got < sizeof m) {
    auto n = pread_some(fd, reinterpret_cast<char *>(m) + got, sizeof m - got, got, what);
    if (n == 0) break;
    got += n;
  }
  if (got >= 2 && m[0] == 0x1f && m[1] == 0x8b) return Magic::gzip;
  if (got >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) return Magic::zstd;
  if (got >= 3 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h') return Magic::bzip2;
  if (got >= 6 && std::memcmp(m,
                              "\xfd"
                              "7zXZ\0",
                              6) == 0)
    return Magic::xz;
  return Magic::tar;
}

// An unlinked file under $TMPDIR: gone when the last descriptor closes, whatever
// happens.
core::UniqueFd anonymous_temp(const std::string &what) {
  const char *env = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(env != nullptr && *env != '\0' ? env : "/tmp") + "/berth-archive-XXXXXX";
  core::UniqueFd out(::mkstemp(tmpl.data()));
  if (!out) core::throw_errno(errno, "cannot create a temporary copy of " + what);
  ::unlink(tmpl.c_str());
  return out;
}

core::UniqueFd copy_to_temp(int fd, const std::string &what) {
  auto out = anonymous_temp(what);
  std::vector<char> buf(kReadChunk);
  for (;;) {
    auto n = core::read_some(fd, buf.data(), buf.size(), what);
    if (n == 0) break;
    core::write_all(out.get(), buf.data(), n, "the temporary copy of " + what);
  }
  return out;
}

// The inflated archive in an anonymous temp file: random access for a compressed input.
core::UniqueFd inflate_to_temp(int fd, layer::Compression c, const std::string &what) {
  auto out = anonymous_temp(what);
  std::uint64_t in_pos = 0;
  layer::Decompressor dec(c, [&](char *buf, std::size_t len) {
    auto n = pread_some(fd, buf, len, in_pos, what);
    in_pos += n;
    return n;
  });
  std::vector<char> buf(kReadChunk);
  try {
    for (;;) {
      auto n = dec.read(buf.data(), buf.size());
      if (n == 0) break;
      core::write_all(out.get(), buf.data(), n, "the inflated copy of " + what);
    }
  } catch (const Error &e) {
    if (e.code() == Errc::protocol)
      throw Error(Errc::protocol, what + " is a corrupt " +
                                      std::string(layer::compression_name(c)) +
                                      " stream: " + e.what());
    throw;
  }
  return out;
}

// A ByteSink writing into a TempFile.
class TempFileSink final : public core::ByteSink {
public:
  explicit TempFileSink(core::TempFile &f) : f_(f) {}
  void write(const char *data, std::size_t len) override { f_.write(data, len); }
  using core::ByteSink::write;

private:
  core::TempFile &f_;
};

} // namespace

// --- TarArchive ---------------------------------------------------------------------

struct TarArchive::Impl {
  struct Entry {
    layer::TarEntry::Type type = layer::TarEntry::Type::file;
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    std::string link;
  };
  std::string path;
  std::string format;
  core::UniqueFd fd;
  std::unordered_map<std::string, Entry> entries;

  std::string describe() const { return format + " " + core::single_quoted(path); }
};

TarArchive TarArchive::open(const std::string &path, std::string_view format_in) {
  auto impl = std::make_shared<Impl>();
  impl->path = path;
  impl->format = std::string(format_in);
  const auto what = impl->describe();
  if (path.empty()) throw Error(Errc::invalid_argument, impl->format + " needs a file name");
  try {
    impl->fd = core::open_fd(path, O_RDONLY);
  } catch (const Error &e) {
    if (e.code() == Errc::not_found) throw Error(Errc::not_found, what + " does not exist");
    throw;
  }
  struct stat st {};
  if (::fstat(impl->fd.get(), &st) != 0) core::throw_errno(errno, "cannot stat " + what);
  if (S_ISDIR(st.st_mode))
    throw Error(Errc::invalid_argument,
                what + " is a directory, not an archive file" +
                    (impl->format == "oci-archive" ? std::string(" (use oci:DIR for a layout)")
                                                   : std::string()));
  // A pipe (`docker save | berth copy docker-archive:/dev/stdin ...`) cannot be
  // seeked: it is spooled into an unlinked temp file first.
  if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) impl->fd = copy_to_temp(impl->fd.get(), what);

  switch (sniff(impl->fd.get(), what)) {
  case Magic::tar: break;
  case Magic::gzip:
    impl->fd = inflate_to_temp(impl->fd.get(), layer::Compression::gzip, what);
    break;
  case Magic::zstd:
    impl->fd = inflate_to_temp(impl->fd.get(), layer::Compression::zstd, what);
    break;
  case Magic::bzip2:
  case Magic::xz:
    throw Error(Errc::unsupported,
                what + " is bzip2- or xz-compressed; decompress it first (gzip and zstd are read)");
  }
  if (::fstat(impl->fd.get(), &st) != 0) core::throw_errno(errno, "cannot stat " + what);
  const auto file_size = static_cast<std::uint64_t>(st.st_size);

  // Member data is never read here: once next() has returned a member, the source
  // hands TarReader's skip of that member's data (and padding) back without reading
  // it — TarReader discards skipped bytes unseen — so indexing costs one pread per
  // header, not a pass over the whole archive. The skipped range is clamped to the
  // file size, so a truncated archive still ends early and is reported by TarReader.
  std::uint64_t pos = 0, skip_until = 0;
  layer::TarReader reader([&](char *buf, std::size_t len) -> std::size_t {
    if (pos < skip_until) {
      auto n = static_cast<std::size_t>(std::min<std::uint64_t>(len, skip_until - pos));
      pos += n;
      return n;
    }
    auto n = pread_some(impl->fd.get(), buf, len, pos, what);
    pos += n;
    return n;
  });
  std::size_t members = 0;
  try {
    while (auto e = reader.next()) {
      ++members;
      const auto data = reader.offset();
      skip_until = std::min(file_size, data + e->size + layer::tarfmt::padding_for(e->size));
      auto name = normalize_name(e->path);
      if (!name || name->empty()) continue; // outside the archive root or the root itself
      Impl::Entry entry{e->type, data, e->size, e->link};
      impl->entries[*name] = std::move(entry);
    }
  } catch (const Error &e) {
    throw Error(e.code(), what + " is not a valid tar archive: " + e.what());
  }
  if (members == 0)
    throw Error(Errc::protocol, what + " is empty: it holds no tar members" +
                                    (file_size == 0 ? std::string(" (0 bytes)") : std::string()));
  return TarArchive(std::move(impl));
}

const std::string &TarArchive::path() const noexcept {
  return impl_->path;
}
std::string TarArchive::describe() const {
  return impl_->describe();
}

std::optional<TarArchive::Member> TarArchive::find(std::string_view name_in) const {
  auto name = normalize_name(name_in);
  if (!name) return std::nullopt;
  std::string cur = *name;
  for (int hop = 0; hop <= kMaxLinkHops; ++hop) {
    auto it = impl_->entries.find(cur);
    if (it == impl_->entries.end()) return std::nullopt;
    const auto &e = it->second;
    switch (e.type) {
    case layer::TarEntry::Type::file: return Member{cur, e.offset, e.size};
    case layer::TarEntry::Type::hardlink: // names a member, from the archive root
      name = normalize_name(e.link);
      break;
    case layer::TarEntry::Type::symlink: { // relative to the link's own directory
      auto slash = cur.rfind('/');
      std::string base = (e.link.rfind('/', 0) == 0 || slash == std::string::npos)
                             ? std::string()
                             : cur.substr(0, slash + 1);
      name = normalize_name(base + e.link);
      break;
    }
    default: return std::nullopt;
    }
    if (!name) return std::nullopt;
    cur = *name;
  }
  return std::nullopt;
}

std::size_t TarArchive::read_at(const Member &m, std::uint64_t pos, char *buf,
                                std::size_t len) const {
  if (pos >= m.size || len == 0) return 0;
  auto want = static_cast<std::size_t>(std::min<std::uint64_t>(len, m.size - pos));
  auto n = pread_some(impl_->fd.get(), buf, want, m.offset + pos, describe());
  if (n == 0)
    throw Error(Errc::protocol, "member " + core::single_quoted(m.name) + " of " + describe() +
                                    " is truncated: the file ends " + std::to_string(m.size - pos) +
                                    " bytes short of it");
  return n;
}

std::string TarArchive::read_all(const Member &m, std::size_t max) const {
  if (m.size > max)
    throw Error(Errc::too_large, "member " + core::single_quoted(m.name) + " of " + describe() +
                                     " is " + std::to_string(m.size) +
                                     " bytes, more than the limit of " + std::to_string(max));
  std::string out(static_cast<std::size_t>(m.size), '\0');
  std::size_t got = 0;
  while (got < out.size())
    got += read_at(m, got, out.data() + got, out.size() - got);
  return out;
}

void TarArchive::read_verified(const Member &m, const std::string &digest, const BlobSinkFn &sink,
                               std::int64_t expected_size) const {
  auto d = image::Digest::parse(digest);
  if (expected_size >= 0 && m.size != static_cast<std::uint64_t>(expected_size))
    throw Error(Errc::digest_mismatch, "blob " + digest + " (member " +
                                           core::single_quoted(m.name) + " of " + describe() +
                                           ") is " + std::to_string(m.size) + " bytes, expected " +
                                           std::to_string(expected_size));
  image::Digester digester(d.algorithm());
  std::vector<char> buf(kReadChunk);
  for (std::uint64_t pos = 0; pos < m.size;) {
    auto n = read_at(m, pos, buf.data(), buf.size());
    digester.update(buf.data(), n);
    sink(buf.data(), n);
    pos += n;
  }
  if (auto got = digester.finish(); got != digest)
    throw Error(Errc::digest_mismatch, "blob " + digest + " (member " +
                                           core::single_quoted(m.name) + " of " + describe() +
                                           ") is corrupt: its content hashes to " + got);
}

std::string TarArchive::sha256_of(const Member &m) const {
  image::Digester digester("sha256");
  std::vector<char> buf(kReadChunk);
  for (std::uint64_t pos = 0; pos < m.size;) {
    auto n = read_at(m, pos, buf.data(), buf.size());
    digester.update(buf.data(), n);
    pos += n;
  }
  return digester.finish();
}

// --- writing --------------------------------------------------------------------

void write_archive_atomic(std::vector<ArchiveMember> members, const std::string &archive_path) {
  if (archive_path.empty()) throw Error(Errc::invalid_argument, "archive file name is empty");
  std::sort(members.begin(), members.end(),
            [](const ArchiveMember &a, const ArchiveMember &b) { return a.name < b.name; });
  for (std::size_t i = 1; i < members.size(); ++i)
    if (members[i].name == members[i - 1].name)
      throw Error(Errc::invalid_argument,
                  "archive member " + core::single_quoted(members[i].name) + " twice");

  auto dir = core::parent_dir(archive_path);
  core::make_dirs(dir);
  auto slash = archive_path.find_last_of('/');
  auto base = slash == std::string::npos ? archive_path : archive_path.substr(slash + 1);
  if (base.empty() || base == "." || base == "..")
    throw Error(Errc::invalid_argument,
                core::single_quoted(archive_path) + " names no archive file");
  struct stat st {};
  bool exists = ::stat(archive_path.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode))
    throw Error(Errc::invalid_argument,
                core::single_quoted(archive_path) + " is a directory; an archive must be a file");

  // An earlier write of an archive here that was killed left its temp file behind.
  core::remove_stale_temp_files(dir);
  auto tmp = core::TempFile::create(dir, "." + base + std::string(core::kTempMarker));
  // An archive that is replaced keeps its permission bits, as write_file_atomic does.
  if (exists && S_ISREG(st.st_mode) && ::fchmod(tmp.fd(), st.st_mode & 07777) != 0)
    core::throw_errno(errno, "cannot set the mode of " + core::single_quoted(tmp.path()));
  TempFileSink sink(tmp);
  layer::TarOptions opts;
  opts.fixed_mtime = 0;
  layer::TarWriter tar(sink, opts);
  for (const auto &m : members) {
    switch (m.kind) {
    case ArchiveMember::Kind::directory: tar.add_directory(m.name, 0755); break;
    case ArchiveMember::Kind::file: tar.add_file(m.name, m.source, 0644); break;
    case ArchiveMember::Kind::bytes: tar.add_bytes(m.name, m.source, 0644); break;
    }
  }
  tar.finish();
  tmp.rename_to(archive_path); // on failure the TempFile removes itself
}

void write_oci_archive(const OciLayout &layout, const std::string &archive_path) {
  std::vector<ArchiveMember> members;
  members.push_back({ArchiveMember::Kind::file, "oci-layout", layout.path() + "/oci-layout"});
  members.push_back({ArchiveMember::Kind::file, "index.json", layout.path() + "/index.json"});
  members.push_back({ArchiveMember::Kind::directory, "blobs", {}});
  for (const char *alg : {"sha256", "sha512"}) {
    const std::string dir = layout.path() + "/blobs/" + alg;
    std::unique_ptr<DIR, int (*)(DIR *)> d(::opendir(dir.c_str()), ::closedir);
    if (!d) {
      if (errno == ENOENT) continue;
      core::throw_errno(errno, "cannot list " + core::single_quoted(dir));
    }
    members.push_back({ArchiveMember::Kind::directory, std::string("blobs/") + alg, {}});
    errno = 0;
    while (auto *ent = ::readdir(d.get())) {
      std::string name = ent->d_name;
      if (!image::Digest::valid(std::string(alg) + ":" + name)) continue; // temp files
      struct stat st {};
      if (::stat((dir + "/" + name).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      members.push_back(
          {ArchiveMember::Kind::file, std::string("blobs/") + alg + "/" + name, dir + "/" + name});
    }
  }
  write_archive_atomic(std::move(members), archive_path);
}

// --- OciArchive -----------------------------------------------------------------

OciArchive OciArchive::open(const std::string &path) {
  auto archive = TarArchive::open(path, "oci-archive");
  const auto what = archive.describe();
  auto marker = archive.find("oci-layout");
  if (!marker) {
    std::string hint = archive.find("manifest.json")
                           ? " (it has a manifest.json: read it as docker-archive:" + path + ")"
                           : std::string();
    throw Error(Errc::protocol,
                what + " is not an OCI image layout: it has no oci-layout file" + hint);
  }
  {
    std::string raw;
    try {
      raw = archive.read_all(*marker, kMaxOciLayoutFile);
    } catch (const Error &e) {
      throw Error(Errc::protocol,
                  "the oci-layout file of " + what + " is not JSON (" + e.what() + ")");
    }
    auto where = "the oci-layout file of " + what;
    core::json::Document doc;
    try {
      doc = core::json::parse(raw, "it");
    } catch (const Error &e) {
      throw Error(e.code(), where + ": " + e.what());
    }
    if (!doc.IsObject()) throw Error(Errc::protocol, where + " is not a JSON object");
    auto it = doc.FindMember("imageLayoutVersion");
    if (it == doc.MemberEnd() || !it->value.IsString())
      throw Error(Errc::protocol, where + " has no imageLayoutVersion string");
    std::string version(it->value.GetString(), it->value.GetStringLength());
    if (version != kImageLayoutVersion)
      throw Error(Errc::unsupported, where + " has imageLayoutVersion \"" + version.substr(0, 40) +
                                         "\"; only \"" + std::string(kImageLayoutVersion) +
                                         "\" is supported");
  }
  auto index_member = archive.find("index.json");
  if (!index_member)
    throw Error(Errc::protocol, what + " has an oci-layout file but no index.json");
  image::Index index;
  try {
    index = image::parse_index(archive.read_all(*index_member, image::kMaxManifestSize),
                               image::media::oci_index);
  } catch (const Error &e) {
    throw Error(e.code(), "index.json of " + what + ": " + e.what());
  }
  return OciArchive(std::move(archive), std::move(index));
}

std::vector<std::string> OciArchive::tags() const {
  std::vector<std::string> out;
  for (const auto &d : index_.manifests)
    if (auto ref = ref_name_of(d); !ref.empty()) out.push_back(std::move(ref));
  return out;
}

std::optional<image::Descriptor> OciArchive::find(const std::string &tag) const {
  const auto &entries = index_.manifests;
  if (tag.empty()) {
    if (entries.empty()) return std::nullopt;
    if (entries.size() == 1) return entries.front();
    throw Error(Errc::invalid_argument, archive_.describe() + " holds " +
                                            std::to_string(entries.size()) +
                                            " images; name one: " + describe_entries(entries));
  }
  for (const auto &d : entries)
    if (ref_name_of(d) == tag) return d;
  return std::nullopt;
}

TarArchive::Member OciArchive::member(const std::string &digest) const {
  auto d = image::Digest::parse(digest);
  auto m = archive_.find("blobs/" + d.algorithm() + "/" + d.hex());
  if (!m) throw Error(Errc::not_found, "blob " + digest + " is not in " + archive_.describe());
  return *m;
}

bool OciArchive::has_blob(const std::string &digest) const {
  auto d = image::Digest::parse(digest);
  return archive_.find("blobs/" + d.algorithm() + "/" + d.hex()).has_value();
}

void OciArchive::read_blob(const std::string &digest, const BlobSinkFn &sink,
                           std::int64_t expected_size) const {
  archive_.read_verified(member(digest), digest, sink, expected_size);
}

std::string OciArchive::read_blob(const std::string &digest) const {
  auto m = member(digest);
  if (m.size > kMaxSmallBlob)
    throw Error(Errc::too_large, "blob " + digest + " in " + archive_.describe() +
                                     " is larger than " + std::to_string(kMaxSmallBlob) +
                                     " bytes; stream it instead");
  std::string out;
  out.reserve(static_cast<std::size_t>(m.size));
  archive_.read_verified(m, digest, [&](const char *p, std::size_t n) { out.append(p, n); });
  return out;
}

std::size_t OciArchive::read_blob_at(const std::string &digest, std::uint64_t pos, char *buf,
                                     std::size_t len) const {
  return archive_.read_at(member(digest), pos, buf, len);
}

} // namespace berth::layout
