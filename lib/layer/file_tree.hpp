// A directory walk for TarWriter: every entry under a root with its lstat(2) data,
// never following symlinks below the root, sorted bytewise by relative path so the
// archive order does not depend on readdir order or the locale.
#pragma once

#include "core/file.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth::layer {

struct FileInfo {
  std::string rel;        // '/'-separated path relative to the root; "" for the root
  std::uint32_t mode = 0; // st_mode: file type and permission bits
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint64_t size = 0; // regular files only; 0 otherwise
  std::int64_t mtime = 0; // whole seconds
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::uint64_t nlink = 0;
  std::uint64_t rdev = 0;
  std::string link_target; // symlinks only
};

// stat(2) (follow = true) or lstat(2) of one path; reads the link target of a symlink.
// Errors are the errno-mapped berth::Error naming the path.
FileInfo stat_path(const std::string &path, bool follow);

// The root (followed if it is a symlink; it must be a directory, else
// Error(invalid_argument)) and everything below it, sorted bytewise by `rel`, so the
// root comes first and every directory precedes its contents.
std::vector<FileInfo> walk_tree(const std::string &root);

// Descriptors of the directories below `root` (followed if a symlink), so that files can
// be opened one component at a time (openat) instead of resolving their full paths.
// Directories are opened with O_NOFOLLOW, component by component; the descriptors of
// the last directory's ancestors are kept, so entries in walk_tree order mostly reuse
// them (one descriptor per level of depth is open at most).
class DirFds {
public:
  explicit DirFds(std::string root);
  // The descriptor of `rel_dir` ('/'-separated, relative to the root; "" = the root).
  // It stays valid until the next call.
  int get(std::string_view rel_dir);
  const std::string &root() const noexcept { return root_; }

private:
  std::string root_;
  core::UniqueFd root_fd_;
  std::vector<std::string> names_;  // components of the directory open last
  std::vector<core::UniqueFd> fds_; // fds_[i] is names_[0..i]
};

} // namespace berth::layer
