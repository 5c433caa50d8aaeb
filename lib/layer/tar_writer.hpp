// TarWriter: a deterministic POSIX pax tar writer for image layers. The same inputs
// give the same bytes: entries in bytewise path order, no atime/ctime, no user or
// group names, owners and mtimes chosen by TarOptions, and pax extended headers only
// where ustar cannot hold a value (see tar_header.hpp).
//
// Paths inside the archive are relative ("app/bin/x"): leading "/" and "./" and
// repeated slashes are dropped; ".." is refused with Error(invalid_argument).
// Directories are written with a trailing '/'.
#pragma once

#include "core/stream.hpp"
#include "layer/file_tree.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::layer {

struct TarOptions {
  std::optional<std::int64_t>
      mtime_clamp; // SOURCE_DATE_EPOCH semantics: mtimes > clamp become clamp
  std::optional<std::int64_t> fixed_mtime; // every entry gets this mtime (wins over clamp)
  std::uint32_t uid = 0, gid = 0;          // owner written for every entry (uname/gname empty)
  bool keep_owner = false;                 // use the files' own uid/gid instead
  bool xattrs = false; // copy security.capability as SCHILY.xattr.security.capability
};

class TarWriter {
public:
  explicit TarWriter(core::ByteSink &out, TarOptions opts = {});

  // Adds the directory tree `dir` under `dest` ("app" for "DIR:/app"; "" = the archive
  // root, whose own entry is then omitted). Missing parents of `dest` are written as
  // directories (0755, synthetic mtime). Symlinks inside the tree are stored, never
  // followed; sockets are skipped; the second and later paths of one (dev, inode)
  // become hardlinks to the first. A file that shrinks while being read is Error(io).
  void add_tree(const std::string &dir, const std::string &dest);
  // One entry of walk_tree(dirs.root()), written under `path_in_tar` as add_tree would
  // write it. For callers that rewrite a tree on the way (an overlay upper directory,
  // whose whiteouts become .wh. entries): they walk it themselves, in walk_tree order.
  void add_tree_entry(DirFds &dirs, const FileInfo &fi, const std::string &path_in_tar);
  // One regular file from disk (symlinks followed) with the given permission bits.
  void add_file(const std::string &path_in_tar, const std::string &source_file, std::uint32_t mode);
  void add_directory(const std::string &path_in_tar, std::uint32_t mode = 0755);
  void add_bytes(const std::string &path_in_tar, std::string_view data, std::uint32_t mode = 0644);
  // Two zero blocks, then out.finish(). Nothing may be added afterwards.
  void finish();

  // Archive bytes written so far.
  std::uint64_t bytes_written() const noexcept { return written_; }

private:
  std::int64_t mtime_for(std::int64_t file_mtime) const;
  std::int64_t synthetic_mtime() const;
  void check_open() const;
  void emit(const std::string &header);
  void emit_data(const char *data, std::size_t len);
  void emit_padding(std::uint64_t size);
  // Writes the directory entry unless one with that path was already written.
  void emit_directory(const std::string &path, std::uint32_t mode, std::int64_t mtime,
                      std::uint32_t uid, std::uint32_t gid);
  void emit_parents(const std::string &path);
  void emit_tree_entry(DirFds &dirs, const FileInfo &fi, const std::string &path);
  void copy_file_data(int fd, std::uint64_t size, const std::string &source);

  core::ByteSink &out_;
  TarOptions opts_;
  bool finished_ = false;
  std::uint64_t written_ = 0;
  std::set<std::string> dirs_;                                           // directory paths written
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> links_; // (dev, ino) -> first path
  std::vector<char> buf_;
};

} // namespace berth::layer
