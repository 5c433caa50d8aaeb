#include "layer/tar_writer.hpp"

#include "core/file.hpp"
#include "layer/tar_header.hpp"

#include <berth/error.hpp>

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <limits>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

namespace berth::layer {
namespace {

constexpr std::size_t kCopyBuffer = 128 * 1024;
constexpr const char *kCapabilityXattr = "security.capability";

// "/a//./b/" -> "a/b"; ".." is refused. `what` names the argument in the message.
std::string normalize(std::string_view raw, const char *what, bool allow_empty) {
  if (raw.find('\0') != std::string_view::npos)
    throw Error(Errc::invalid_argument, std::string(what) + " contains a NUL byte");
  std::string out;
  std::size_t pos = 0;
  while (pos <= raw.size()) {
    auto slash = raw.find('/', pos);
    if (slash == std::string_view::npos) slash = raw.size();
    std::string_view comp = raw.substr(pos, slash - pos);
    pos = slash + 1;
    if (comp.empty() || comp == ".") continue;
    if (comp == "..")
      throw Error(Errc::invalid_argument,
                  std::string(what) + " '" + std::string(raw) + "' contains '..'");
    if (!out.empty()) out += '/';
    out.append(comp);
  }
  if (out.empty() && !allow_empty)
    throw Error(Errc::invalid_argument,
                std::string(what) + " '" + std::string(raw) + "' names no path inside the archive");
  return out;
}

std::string join(const std::string &a, const std::string &b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "/" + b;
}

std::string read_capability(const std::string &path) {
  std::string value(64, '\0');
  for (;;) {
    auto n = ::lgetxattr(path.c_str(), kCapabilityXattr, value.data(), value.size());
    if (n >= 0) {
      value.resize(static_cast<std::size_t>(n));
      return value;
    }
    if (errno == ERANGE) {
      auto need = ::lgetxattr(path.c_str(), kCapabilityXattr, nullptr, 0);
      if (need < 0) continue; // changed again; the next round reports the real error
      value.resize(static_cast<std::size_t>(need) + 1);
      continue;
    }
    if (errno == ENODATA || errno == ENOTSUP) return {};
    core::throw_errno(errno, "cannot read the capabilities of '" + path + "'");
  }
}

} // namespace

TarWriter::TarWriter(core::ByteSink &out, TarOptions opts)
    : out_(out), opts_(opts), buf_(kCopyBuffer) {}

std::int64_t TarWriter::mtime_for(std::int64_t file_mtime) const {
  if (opts_.fixed_mtime) return *opts_.fixed_mtime;
  if (opts_.mtime_clamp && file_mtime > *opts_.mtime_clamp) return *opts_.mtime_clamp;
  return file_mtime;
}

// Entries that have no file on disk behind them: the fixed mtime, else the clamp, else
// the epoch — never "now", which would make the archive depend on when it was built.
std::int64_t TarWriter::synthetic_mtime() const {
  if (opts_.fixed_mtime) return *opts_.fixed_mtime;
  if (opts_.mtime_clamp) return *opts_.mtime_clamp;
  return 0;
}

void TarWriter::check_open() const {
  if (finished_) throw Error(Errc::invalid_argument, "tar writer: entry added after finish()");
}

void TarWriter::emit(const std::string &header) {
  emit_data(header.data(), header.size());
}

void TarWriter::emit_data(const char *data, std::size_t len) {
  out_.write(data, len);
  written_ += len;
}

void TarWriter::emit_padding(std::uint64_t size) {
  static const char zeros[tarfmt::kBlockSize] = {};
  emit_data(zeros, tarfmt::padding_for(size));
}

void TarWriter::emit_directory(const std::string &path, std::uint32_t mode, std::int64_t mtime,
                               std::uint32_t uid, std::uint32_t gid) {
  if (!dirs_.insert(path).second) return;
  tarfmt::HeaderSpec h;
  h.typeflag = tarfmt::kTypeDir;
  h.path = path + "/";
  h.mode = mode;
  h.mtime = mtime;
  h.uid = uid;
  h.gid = gid;
  emit(tarfmt::encode_header(h));
}

void TarWriter::emit_parents(const std::string &path) {
  for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
    emit_directory(path.substr(0, slash), 0755, synthetic_mtime(), opts_.uid, opts_.gid);
}

void TarWriter::copy_file_data(int fd, std::uint64_t size, const std::string &source) {
  std::uint64_t left = size;
  while (left > 0) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf_.size()));
    std::size_t n = core::read_some(fd, buf_.data(), want, "'" + source + "'");
    if (n == 0)
      throw Error(Errc::io, "'" + source + "' shrank while it was archived (" +
                                std::to_string(size - left) + " of " + std::to_string(size) +
                                " bytes)");
    emit_data(buf_.data(), n);
    left -= n;
  }
  // A file that grew is archived as it was when stat'ed: the header already holds the size.
  emit_padding(size);
}

void TarWriter::emit_tree_entry(DirFds &dirs, const FileInfo &fi, const std::string &path) {
  const std::string source = fi.rel.empty() ? dirs.root() : dirs.root() + "/" + fi.rel;
  tarfmt::HeaderSpec h;
  h.path = path;
  h.mode = fi.mode & 07777;
  h.mtime = mtime_for(fi.mtime);
  h.uid = opts_.keep_owner ? fi.uid : opts_.uid;
  h.gid = opts_.keep_owner ? fi.gid : opts_.gid;

  if (S_ISDIR(fi.mode)) {
    emit_directory(path, h.mode, h.mtime, static_cast<std::uint32_t>(h.uid),
                   static_cast<std::uint32_t>(h.gid));
    return;
  }
  if (S_ISSOCK(fi.mode)) return; // a socket cannot be archived meaningfully

  if (fi.nlink > 1) {
    auto [it, first] = links_.emplace(std::make_pair(fi.dev, fi.ino), path);
    if (!first) {
      h.typeflag = tarfmt::kTypeHardlink;
      h.link = it->second;
      emit(tarfmt::encode_header(h));
      return;
    }
  }

  if (S_ISLNK(fi.mode)) {
    h.typeflag = tarfmt::kTypeSymlink;
    h.link = fi.link_target;
    emit(tarfmt::encode_header(h));
  } else if (S_ISFIFO(fi.mode) || S_ISCHR(fi.mode) || S_ISBLK(fi.mode)) {
    h.typeflag = S_ISFIFO(fi.mode)  ? tarfmt::kTypeFifo
                 : S_ISCHR(fi.mode) ? tarfmt::kTypeChar
                                    : tarfmt::kTypeBlock;
    if (!S_ISFIFO(fi.mode)) {
      h.devmajor = static_cast<std::uint32_t>(major(static_cast<dev_t>(fi.rdev)));
      h.devminor = static_cast<std::uint32_t>(minor(static_cast<dev_t>(fi.rdev)));
    }
    emit(tarfmt::encode_header(h));
  } else if (S_ISREG(fi.mode)) {
    // Open before writing the header, so a vanished file fails cleanly between entries.
    // openat in the parent's descriptor: one component to resolve, not the full path.
    auto slash = fi.rel.rfind('/');
    int dirfd = dirs.get(slash == std::string::npos ? std::string_view()
                                                    : std::string_view(fi.rel).substr(0, slash));
    const char *name = fi.rel.c_str() + (slash == std::string::npos ? 0 : slash + 1);
    int raw;
    do {
      raw = ::openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    } while (raw < 0 && errno == EINTR);
    if (raw < 0) core::throw_errno(errno, "cannot open '" + source + "'");
    core::UniqueFd fd(raw);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) core::throw_errno(errno, "cannot stat '" + source + "'");
    if (static_cast<std::uint64_t>(st.st_ino) != fi.ino ||
        static_cast<std::uint64_t>(st.st_dev) != fi.dev)
      throw Error(Errc::io, "'" + source + "' was replaced while it was archived");
    h.typeflag = tarfmt::kTypeFile;
    h.size = fi.size;
    if (opts_.xattrs) {
      auto cap = read_capability(source);
      if (!cap.empty()) h.extra_pax.emplace_back("SCHILY.xattr.security.capability", cap);
    }
    emit(tarfmt::encode_header(h));
    copy_file_data(fd.get(), fi.size, source);
  }
  // Any other file type (none exist on Linux) is skipped like a socket.
}

void TarWriter::add_tree(const std::string &dir, const std::string &dest) {
  check_open();
  const std::string base = normalize(dest, "tar destination", true);
  auto entries = walk_tree(dir);
  DirFds dirs(dir);
  if (!base.empty()) emit_parents(base);
  for (const auto &fi : entries) {
    if (fi.rel.empty() && base.empty()) continue; // the archive root has no entry
    emit_tree_entry(dirs, fi, join(base, fi.rel));
  }
}

void TarWriter::add_tree_entry(DirFds &dirs, const FileInfo &fi, const std::string &path_in_tar) {
  check_open();
  const std::string path = normalize(path_in_tar, "tar path", false);
  emit_parents(path);
  emit_tree_entry(dirs, fi, path);
}

void TarWriter::add_file(const std::string &path_in_tar, const std::string &source_file,
                         std::uint32_t mode) {
  check_open();
  const std::string path = normalize(path_in_tar, "tar path", false);
  auto fd = core::open_fd(source_file, O_RDONLY);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) core::throw_errno(errno, "cannot stat '" + source_file + "'");
  if (!S_ISREG(st.st_mode))
    throw Error(Errc::invalid_argument, "'" + source_file + "' is not a regular file");
  tarfmt::HeaderSpec h;
  h.path = path;
  h.mode = mode & 07777;
  h.size = static_cast<std::uint64_t>(st.st_size);
  h.mtime = mtime_for(static_cast<std::int64_t>(st.st_mtim.tv_sec));
  h.uid = opts_.keep_owner ? st.st_uid : opts_.uid;
  h.gid = opts_.keep_owner ? st.st_gid : opts_.gid;
  if (opts_.xattrs) {
    auto cap = read_capability(source_file);
    if (!cap.empty()) h.extra_pax.emplace_back("SCHILY.xattr.security.capability", cap);
  }
  emit(tarfmt::encode_header(h));
  copy_file_data(fd.get(), h.size, source_file);
}

void TarWriter::add_directory(const std::string &path_in_tar, std::uint32_t mode) {
  check_open();
  emit_directory(normalize(path_in_tar, "tar path", false), mode & 07777, synthetic_mtime(),
                 opts_.uid, opts_.gid);
}

void TarWriter::add_bytes(const std::string &path_in_tar, std::string_view data,
                          std::uint32_t mode) {
  check_open();
  tarfmt::HeaderSpec h;
  h.path = normalize(path_in_tar, "tar path", false);
  h.mode = mode & 07777;
  h.size = data.size();
  h.mtime = synthetic_mtime();
  h.uid = opts_.uid;
  h.gid = opts_.gid;
  emit(tarfmt::encode_header(h));
  emit_data(data.data(), data.size());
  emit_padding(data.size());
}

void TarWriter::finish() {
  check_open();
  static const char zeros[2 * tarfmt::kBlockSize] = {};
  emit_data(zeros, sizeof zeros);
  finished_ = true;
  out_.finish();
}

} // namespace berth::layer
