// A directory walk for TarWriter: every entry under a root with its lstat(2) data,
// never following symlinks below the root, sorted bytewise by relative path so the
// archive order does not depend on readdir order or the locale.
#pragma once

#include <cstdint>
#include <string>
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

} // namespace berth::layer
