// Small POSIX file helpers with RAII descriptors: atomic replacement of a file, bounded
// reads, and temporary files that vanish unless committed by a rename. Every failure
// is a berth::Error whose code follows errno (ENOENT -> not_found, EACCES -> denied,
// ENOSPC -> io, ...) and whose message names the path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace berth::core {

// Throws Error with the code matching `err` (an errno value) and "<what>: <strerror>".
[[noreturn]] void throw_errno(int err, const std::string &what);

// Owns a file descriptor; closes it on destruction. Move-only.
class UniqueFd {
public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd &&other) noexcept : fd_(other.release()) {}
  UniqueFd &operator=(UniqueFd &&other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd &) = delete;
  UniqueFd &operator=(const UniqueFd &) = delete;

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes the current descriptor (errors ignored) and takes `fd`.
  void reset(int fd = -1) noexcept;
  // Closes and reports a failed close() (it can carry a delayed write error on NFS);
  // `what` names the file in the message.
  void close(const std::string &what);

private:
  int fd_ = -1;
};

// Both ends of a pipe(2) made with O_CLOEXEC.
struct Pipe {
  UniqueFd read, write;
};
Pipe make_pipe();

// open(2) with O_CLOEXEC and EINTR retry; throws the errno-mapped Error naming `path`.
UniqueFd open_fd(const std::string &path, int flags, unsigned mode = 0666);

// Writes all of [data, data+len), retrying short writes and EINTR.
void write_all(int fd, const char *data, std::size_t len, const std::string &what);
// Reads up to len bytes, retrying EINTR; returns 0 at end of file.
std::size_t read_some(int fd, char *data, std::size_t len, const std::string &what);

// fsync(2) a directory so a rename or creation inside it survives a crash. File
// systems that cannot sync directories (EINVAL) are tolerated.
void fsync_dir(const std::string &dir);

// mkdir -p with mode 0777 & ~umask; existing directories are fine.
void make_dirs(const std::string &path);

// Replaces `path` with `data` atomically: a temp file in the same directory is
// written, fsynced and renamed over `path`, then the directory is fsynced. Readers
// see the old or the new content, never a mix; on failure `path` is untouched and
// the temp file is removed. An existing file keeps its permission bits; a new one
// gets `mode_if_new` when it is not zero (0600 for one that will hold a password:
// set before any byte is written, and no empty file appears before the rename).
void write_file_atomic(const std::string &path, std::string_view data, unsigned mode_if_new = 0);

// Reads a whole file of at most `max` bytes. Error(not_found) when missing,
// Error(too_large) when bigger than `max`, Error(io) for other failures.
std::string read_small_file(const std::string &path, std::size_t max);

// What every berth temporary file name holds (".<name>.berth-tmp-<random>").
inline constexpr std::string_view kTempMarker = ".berth-tmp-";
// The name a temp file has for the moment between its creation and its lock.
inline constexpr std::string_view kNewMarker = ".berth-new-";

// A new, uniquely named file "<dir>/<prefix><random>" open for writing, locked
// (flock) for as long as it is open. It is removed on destruction unless rename_to()
// committed it.
// An exclusive flock(2) on a directory, for read-modify-write of a file in it that is
// replaced by rename (a lock on the file itself would stay with the old inode):
// index.json of an OCI layout, docker's config.json. flock locks belong to the open
// file description, so two holders in one process exclude each other as processes do.
// `what` names the directory in errors.
class DirLock {
public:
  DirLock(const std::string &dir, const std::string &what);

private:
  UniqueFd fd_; // closing it releases the lock
};

class TempFile {
public:
  // Creates the file (O_EXCL, mode 0666 & ~umask). `dir` must exist.
  static TempFile create(const std::string &dir, const std::string &prefix);

  TempFile(TempFile &&other) noexcept;
  TempFile &operator=(TempFile &&other) noexcept;
  TempFile(const TempFile &) = delete;
  TempFile &operator=(const TempFile &) = delete;
  ~TempFile();

  const std::string &path() const noexcept { return path_; }
  int fd() const noexcept { return fd_.get(); }
  bool active() const noexcept { return !path_.empty(); }
  std::uint64_t size() const noexcept { return written_; }

  void write(const char *data, std::size_t len);
  void write(std::string_view s) { write(s.data(), s.size()); }
  // Positional I/O for a file filled out of order (a blob fetched in parallel
  // segments). Thread-safe against each other for disjoint ranges; write_at does not
  // change size(). read_at returns fewer bytes only at the end of the file.
  void write_at(std::uint64_t offset, const char *data, std::size_t len);
  std::size_t read_at(std::uint64_t offset, char *data, std::size_t len) const;
  // Starts writeback of [offset, offset+len) (a hint, as write() gives every 8 MiB).
  void start_writeback(std::uint64_t offset, std::uint64_t len) const noexcept;
  // fsyncs and closes the file, renames it to `dest` (atomically replacing any
  // file there) and fsyncs the destination directory. The TempFile is then
  // inactive. On failure the temp file is removed. With sync false the file and
  // directory are not synced: the caller calls sync_data() first and syncs the
  // directory once for many files before it writes what makes them reachable.
  void rename_to(const std::string &dest, bool sync = true);
  // fdatasync(2): the file's bytes are on disk (writeback, started as it was written,
  // has mostly done this already, so the wait is for the tail).
  void sync_data();
  // Closes and removes the file now (idempotent, never throws).
  void discard() noexcept;

private:
  TempFile(UniqueFd fd, std::string path) noexcept : fd_(std::move(fd)), path_(std::move(path)) {}

  UniqueFd fd_;
  std::string path_; // empty once committed or discarded
  std::uint64_t written_ = 0;
  std::uint64_t flushed_ = 0; // bytes handed to writeback (sync_file_range)
};

// Removes temporary files and staging directories (names holding kTempMarker) in dir
// that a killed writer left behind — those whose lock nobody holds. Those of live
// writers stay. Returns how many were removed; a missing dir is no error.
int remove_stale_temp_files(const std::string &dir);

// 12 random characters of [0-9a-z], for temporary names.
std::string random_suffix();

// A directory "<parent>/.<name>.berth-tmp-<random>" beside `target`, where a result is
// assembled before it is renamed into place (an exported tree, an archive's layout).
// Stale ones in the parent — a killed writer's — are removed first. It is locked
// (flock) for as long as this object lives, which is how remove_stale_temp_files
// tells a live writer's from a killed one's; it is removed with everything in it on
// destruction unless released() after the caller renamed it.
class StagingDir {
public:
  explicit StagingDir(const std::string &target);
  ~StagingDir();
  StagingDir(const StagingDir &) = delete;
  StagingDir &operator=(const StagingDir &) = delete;
  const std::string &path() const noexcept { return path_; }
  // The directory is no longer this object's to remove (it was renamed into place).
  void release() noexcept;

private:
  std::string path_;
  UniqueFd lock_;
};

// The directory part of a path ("." when there is none).
std::string parent_dir(const std::string &path);

} // namespace berth::core
