#include "core/file.hpp"

#include <berth/error.hpp>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <random>
#include <sys/file.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace berth::core {
namespace {

Errc errc_of(int err) {
  switch (err) {
  case ENOENT:
  case ENOTDIR: return Errc::not_found;
  case EACCES:
  case EPERM:
  case EROFS: return Errc::denied;
  case EEXIST: return Errc::exists;
  case ENAMETOOLONG: return Errc::invalid_argument;
  case ENOMEM: return Errc::no_memory;
  case EFBIG: return Errc::too_large;
  default: return Errc::io;
  }
}

// Random suffixes for temp names; each thread has its own generator, so no lock and
// no shared mutable state.

} // namespace

void throw_errno(int err, const std::string &what) {
  throw Error(errc_of(err), what + ": " + std::generic_category().message(err));
}

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_); // close(2) must not be retried on EINTR (Linux)
  fd_ = fd;
}

void UniqueFd::close(const std::string &what) {
  int fd = release();
  if (fd >= 0 && ::close(fd) != 0 && errno != EINTR) throw_errno(errno, "closing " + what);
}

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno(errno, "cannot create a pipe");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

UniqueFd open_fd(const std::string &path, int flags, unsigned mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, static_cast<mode_t>(mode));
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw_errno(errno, "cannot open '" + path + "'");
  return UniqueFd(fd);
}

void write_all(int fd, const char *data, std::size_t len, const std::string &what) {
  while (len > 0) {
    auto n = ::write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno, "writing " + what);
    }
    data += n;
    len -= static_cast<std::size_t>(n);
  }
}

std::size_t read_some(int fd, char *data, std::size_t len, const std::string &what) {
  for (;;) {
    auto n = ::read(fd, data, len);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) throw_errno(errno, "reading " + what);
  }
}

void fsync_dir(const std::string &dir) {
  auto fd = open_fd(dir, O_RDONLY | O_DIRECTORY);
  if (::fsync(fd.get()) != 0 && errno != EINVAL && errno != EROFS)
    throw_errno(errno, "syncing directory '" + dir + "'");
}

void make_dirs(const std::string &path) {
  if (path.empty()) return;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      throw Error(Errc::exists, "'" + path + "' exists and is not a directory");
    return;
  }
  if (errno != ENOENT) throw_errno(errno, "cannot access '" + path + "'");
  auto parent = parent_dir(path);
  if (parent != path && parent != "." && parent != "/") make_dirs(parent);
  if (::mkdir(path.c_str(), 0777) != 0 && errno != EEXIST)
    throw_errno(errno, "cannot create directory '" + path + "'");
}

std::string parent_dir(const std::string &path) {
  auto end = path.find_last_not_of('/');
  if (end == std::string::npos) return path.empty() ? "." : "/";
  auto slash = path.rfind('/', end);
  if (slash == std::string::npos) return ".";
  auto keep = path.find_last_not_of('/', slash);
  if (keep == std::string::npos) return "/";
  return path.substr(0, keep + 1);
}

void write_file_atomic(const std::string &path, std::string_view data, unsigned mode_if_new) {
  auto dir = parent_dir(path);
  auto slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  auto tmp = TempFile::create(dir, "." + base + std::string(kTempMarker));
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (::fchmod(tmp.fd(), st.st_mode & 07777) != 0)
      throw_errno(errno, "cannot set the mode of '" + tmp.path() + "'");
  } else if (mode_if_new != 0 && ::fchmod(tmp.fd(), static_cast<mode_t>(mode_if_new)) != 0) {
    throw_errno(errno, "cannot set the mode of '" + tmp.path() + "'");
  }
  tmp.write(data);
  tmp.rename_to(path);
}

std::string read_small_file(const std::string &path, std::size_t max) {
  auto fd = open_fd(path, O_RDONLY);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno(errno, "cannot stat '" + path + "'");
  if (S_ISDIR(st.st_mode)) throw Error(Errc::io, "'" + path + "' is a directory");
  if (st.st_size > 0 && static_cast<std::uint64_t>(st.st_size) > max)
    throw Error(Errc::too_large, "'" + path + "' is " + std::to_string(st.st_size) +
                                     " bytes, more than the limit of " + std::to_string(max));
  std::string out;
  out.reserve(static_cast<std::size_t>(st.st_size));
  char buf[16384];
  for (;;) {
    auto n = read_some(fd.get(), buf, sizeof buf, "'" + path + "'");
    if (n == 0) break;
    if (out.size() + n > max) // the file grew while we read it
      throw Error(Errc::too_large,
                  "'" + path + "' is more than the limit of " + std::to_string(max) + " bytes");
    out.append(buf, n);
  }
  return out;
}

TempFile TempFile::create(const std::string &dir, const std::string &prefix) {
  for (int attempt = 0;; ++attempt) {
    std::string path = dir + "/" + prefix + random_suffix();
    // Made under a name the sweep does not take for a temp file, locked, and only then
    // renamed to its marker name: between open and flock a concurrent
    // remove_stale_temp_files would otherwise find it unlocked and delete it.
    std::string fresh = path;
    if (auto m = fresh.rfind(kTempMarker); m != std::string::npos)
      fresh.replace(m, kTempMarker.size(), kNewMarker);
    int fd;
    do {
      // Read-write: a file written out of order is read back to be hashed in order.
      fd = ::open(fresh.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    } while (fd < 0 && errno == EINTR);
    if (fd >= 0) {
      UniqueFd guard(fd);
      // Held until the file is committed or removed: a lock that can be taken means
      // its writer is gone (a kill -9), which is how remove_stale_temp_files knows.
      ::flock(fd, LOCK_EX | LOCK_NB);
      if (fresh != path && ::rename(fresh.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(fresh.c_str());
        throw_errno(err, "cannot create a temporary file in '" + dir + "'");
      }
      return TempFile(std::move(guard), std::move(path));
    }
    if (errno != EEXIST || attempt >= 100)
      throw_errno(errno, "cannot create a temporary file in '" + dir + "'");
  }
}

TempFile::TempFile(TempFile &&other) noexcept
    : fd_(std::move(other.fd_)), path_(std::move(other.path_)), written_(other.written_),
      flushed_(other.flushed_) {
  other.path_.clear();
}

TempFile &TempFile::operator=(TempFile &&other) noexcept {
  if (this != &other) {
    discard();
    fd_ = std::move(other.fd_);
    path_ = std::move(other.path_);
    written_ = other.written_;
    flushed_ = other.flushed_;
    other.path_.clear();
  }
  return *this;
}

TempFile::~TempFile() {
  discard();
}

void TempFile::write(const char *data, std::size_t len) {
  if (!active() || !fd_) throw Error(Errc::internal, "write to a closed temporary file");
  write_all(fd_.get(), data, len, "'" + path_ + "'");
  written_ += len;
  // Start writeback every 8 MiB while streaming, so the final sync has little left to
  // wait for and dirty pages do not pile up (a hint: failures are harmless).
  constexpr std::uint64_t kWriteback = 8u << 20;
  if (written_ - flushed_ >= kWriteback) {
    ::sync_file_range(fd_.get(), static_cast<off_t>(flushed_),
                      static_cast<off_t>(written_ - flushed_), SYNC_FILE_RANGE_WRITE);
    flushed_ = written_;
  }
}

void TempFile::write_at(std::uint64_t offset, const char *data, std::size_t len) {
  if (!active() || !fd_) throw Error(Errc::internal, "write to a closed temporary file");
  while (len > 0) {
    auto n = ::pwrite(fd_.get(), data, len, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno, "writing '" + path_ + "'");
    }
    data += n;
    len -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
}

std::size_t TempFile::read_at(std::uint64_t offset, char *data, std::size_t len) const {
  if (!active() || !fd_) throw Error(Errc::internal, "read of a closed temporary file");
  std::size_t got = 0;
  while (got < len) {
    auto n = ::pread(fd_.get(), data + got, len - got, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno, "reading '" + path_ + "'");
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return got;
}

void TempFile::start_writeback(std::uint64_t offset, std::uint64_t len) const noexcept {
  if (fd_)
    ::sync_file_range(fd_.get(), static_cast<off_t>(offset), static_cast<off_t>(len),
                      SYNC_FILE_RANGE_WRITE);
}

void TempFile::sync_data() {
  if (!active() || !fd_) throw Error(Errc::internal, "sync of a closed temporary file");
  if (::fdatasync(fd_.get()) != 0) throw_errno(errno, "syncing '" + path_ + "'");
}

void TempFile::rename_to(const std::string &dest, bool sync) {
  if (!active() || !fd_) throw Error(Errc::internal, "rename of a closed temporary file");
  try {
    if (sync && ::fsync(fd_.get()) != 0) throw_errno(errno, "syncing '" + path_ + "'");
    // Renamed while still open and locked, so a concurrent stale-file sweep never
    // takes a file that is about to be committed.
    if (::rename(path_.c_str(), dest.c_str()) != 0)
      throw_errno(errno, "cannot rename '" + path_ + "' to '" + dest + "'");
    path_.clear();
    fd_.close("'" + dest + "'");
  } catch (...) {
    discard();
    throw;
  }
  if (sync) fsync_dir(parent_dir(dest));
}

void TempFile::discard() noexcept {
  fd_.reset();
  if (!path_.empty()) {
    ::unlink(path_.c_str());
    path_.clear();
  }
}

std::string random_suffix() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{
        rd(), rd(), static_cast<unsigned>(::getpid()),
        static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count())};
    return std::mt19937_64(seq);
  }();
  static constexpr char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out(12, '0');
  for (auto &c : out)
    c = digits[rng() % 36];
  return out;
}

int remove_stale_temp_files(const std::string &dir) {
  std::unique_ptr<DIR, int (*)(DIR *)> d(::opendir(dir.c_str()), &::closedir);
  if (!d) return 0;
  int removed = 0;
  while (auto *e = ::readdir(d.get())) {
    std::string_view name(e->d_name);
    const bool fresh = name.find(kNewMarker) != std::string_view::npos;
    if (!fresh && name.find(kTempMarker) == std::string_view::npos) continue;
    int fd = ::openat(::dirfd(d.get()), e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) continue;
    UniqueFd guard(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) continue;
    // One still under its creation name is taken only when old: its writer may be
    // between creating and locking it right now.
    if (fresh && st.st_mtime > ::time(nullptr) - 3600) continue;
    // A writer holds its lock until it commits: one we can take belongs to nobody.
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      // A staging directory (StagingDir) whose writer was killed; symlinks inside
      // are removed, never followed.
      std::error_code ec;
      if (std::filesystem::remove_all(dir + "/" + std::string(name), ec) > 0 && !ec) ++removed;
    } else if (::unlinkat(::dirfd(d.get()), e->d_name, 0) == 0) {
      ++removed;
    }
  }
  return removed;
}

DirLock::DirLock(const std::string &dir, const std::string &what)
    : fd_(open_fd(dir, O_RDONLY | O_DIRECTORY)) {
  int rc;
  do {
    rc = ::flock(fd_.get(), LOCK_EX);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) throw_errno(errno, "cannot lock " + what);
}

} // namespace berth::core
