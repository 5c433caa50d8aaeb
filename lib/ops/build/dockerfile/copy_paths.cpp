#include "ops/build/dockerfile/copy_paths.hpp"

#include "core/file.hpp"
#include "dockerfile/ignore.hpp"

#include <berth/error.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace berth::ops::copy_detail {

using dockerfile::clean_path;

constexpr int kMaxSymlinkHops = 255; // as containerd's fs.RootPath

std::vector<std::string> split_path(std::string_view p) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= p.size()) {
    auto slash = p.find('/', pos);
    if (slash == std::string_view::npos) slash = p.size();
    if (slash > pos) out.emplace_back(p.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return out;
}

std::string join_rel(const std::string &a, const std::string &b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "/" + b;
}

std::string parent_rel(const std::string &rel) {
  auto slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

std::string base_name(const std::string &p) {
  std::string c = clean_path(p);
  auto slash = c.rfind('/');
  return slash == std::string::npos ? c : c.substr(slash + 1);
}

std::string root_rel(std::string_view p) {
  std::string c = clean_path("/" + std::string(p));
  return c == "/" ? std::string() : c.substr(1);
}

std::optional<struct stat> lstat_opt(const std::string &path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) return st;
  if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
  core::throw_errno(errno, "lstat " + path);
}

std::string read_link(const std::string &path) {
  std::string buf(4096, '\0');
  auto n = ::readlink(path.c_str(), buf.data(), buf.size());
  if (n < 0) core::throw_errno(errno, "readlink " + path);
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

std::string resolve_in_root(const std::string &rel, const Lookup &lookup, bool follow_last) {
  std::vector<std::string> todo = split_path(rel);
  std::reverse(todo.begin(), todo.end()); // a stack: back() is the next component
  std::vector<std::string> done;
  int hops = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.back());
    todo.pop_back();
    if (c == ".") continue;
    if (c == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    std::string cand;
    for (const auto &d : done)
      cand = join_rel(cand, d);
    cand = join_rel(cand, c);
    if (todo.empty() && !follow_last) {
      done.push_back(std::move(c));
      break;
    }
    auto n = lookup(cand);
    if (!n || !S_ISLNK(n->st.st_mode)) {
      done.push_back(std::move(c));
      continue;
    }
    if (++hops > kMaxSymlinkHops)
      throw Error(Errc::invalid_argument, "too many levels of symbolic links resolving /" + rel);
    std::string target = read_link(n->host);
    if (!target.empty() && target[0] == '/') done.clear();
    auto parts = split_path(target);
    for (auto it = parts.rbegin(); it != parts.rend(); ++it)
      todo.push_back(*it);
  }
  std::string out;
  for (const auto &d : done)
    out = join_rel(out, d);
  return out;
}

} // namespace berth::ops::copy_detail
