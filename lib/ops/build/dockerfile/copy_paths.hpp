// Paths of the trees a COPY/ADD step reads and writes, relative to the tree's root
// ("" is the root itself), and containerd's fs.RootPath over any such tree: symlinks
// resolved with the root as "/", so resolving never leaves the root.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::ops::copy_detail {

std::vector<std::string> split_path(std::string_view p);
std::string join_rel(const std::string &a, const std::string &b);
std::string parent_rel(const std::string &rel);
std::string base_name(const std::string &p);
// A path relative to a root, "" for the root itself: "/a/../b/" -> "b", "../x" -> "x".
std::string root_rel(std::string_view p);
// lstat, nullopt when the path does not exist (ENOENT, ENOTDIR).
std::optional<struct stat> lstat_opt(const std::string &path);
std::string read_link(const std::string &path);

// An entry as one of the trees shows it: its lstat data and the host path holding it.
struct Node {
  struct stat st {};
  std::string host;
};
using Lookup = std::function<std::optional<Node>(const std::string &rel)>;

// containerd's fs.RootPath over any tree: `rel` with every symlink met resolved with
// the root as "/" and ".." clamped at the root (a missing component ends nothing: the
// rest is appended as is). With follow_last false the last component is not followed.
std::string resolve_in_root(const std::string &rel, const Lookup &lookup, bool follow_last);

} // namespace berth::ops::copy_detail
