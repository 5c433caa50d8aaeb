#include "ops/build/dockerfile/copy_trees.hpp"

#include "dockerfile/ignore.hpp"

#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>

namespace berth::ops::copy_detail {
namespace {

bool is_whiteout(const struct stat &st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool opaque_dir(const std::string &path) {
  for (const char *name : {"trusted.overlay.opaque", "user.overlay.opaque"}) {
    char v[2] = {};
    if (::lgetxattr(path.c_str(), name, v, sizeof v) == 1 && v[0] == 'y') return true;
  }
  return false;
}

} // namespace

bool SourceTree::ignored(const std::string &rel, bool is_dir) const {
  if (!ignore_ || rel.empty() || !ignore_->matches(rel)) return false;
  return !(is_dir && ignore_->may_contain_exceptions(rel));
}

std::optional<Node> SourceTree::lookup(const std::string &rel) const {
  for (std::string p = rel; !p.empty(); p = parent_rel(p))
    if (ignore_ && ignore_->matches(p) && !ignore_->may_contain_exceptions(p)) return {};
  auto st = lstat_opt(host(rel));
  if (!st || ignored(rel, S_ISDIR(st->st_mode))) return {};
  return Node{*st, host(rel)};
}

core::UniqueFd SourceTree::open_file(const std::string &rel) const {
  if (!fds_) fds_ = std::make_unique<layer::DirFds>(dir_);
  auto slash = rel.rfind('/');
  std::string parent = slash == std::string::npos ? std::string() : rel.substr(0, slash);
  std::string name = slash == std::string::npos ? rel : rel.substr(slash + 1);
  int fd = ::openat(fds_->get(parent), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) core::throw_errno(errno, "open " + host(rel));
  return core::UniqueFd(fd);
}

MergedView::MergedView(const std::vector<std::string> &lowers, std::string upper)
    : upper_(std::move(upper)) {
  layers_.push_back(upper_);
  layers_.insert(layers_.end(), lowers.begin(), lowers.end());
}

std::optional<Node> MergedView::lookup(const std::string &rel) const {
  if (rel.empty()) {
    struct stat st {};
    if (::stat(upper_.c_str(), &st) != 0) core::throw_errno(errno, "stat " + upper_);
    return Node{st, upper_};
  }
  auto parts = split_path(rel);
  for (const auto &layer : layers_) {
    std::string path = layer;
    bool hidden = false, missing = false;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      path += "/" + parts[i];
      auto st = lstat_opt(path);
      if (!st) {
        missing = true;
        break;
      }
      if (is_whiteout(*st)) return {};
      if (i + 1 == parts.size()) return Node{*st, path};
      if (!S_ISDIR(st->st_mode)) return {}; // a non-directory hides what is below
      if (opaque_dir(path)) hidden = true;  // this layer's entries below still count
    }
    if (missing && hidden) return {};
  }
  return {};
}

} // namespace berth::ops::copy_detail
