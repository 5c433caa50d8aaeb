// The two trees a COPY/ADD step works on: the source root (the build context with its
// .dockerignore, or a stage's or image's root) and the image with the step's upper
// directory on top, seen as overlay would show it without a mount.
#pragma once

#include "ops/build/dockerfile/copy_paths.hpp"
#include "ops/build/dockerfile/copy_step.hpp"

#include "core/file.hpp"
#include "layer/file_tree.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace berth::ops::copy_detail {

// The source root: a directory whose .dockerignore'd entries do not exist.
class SourceTree {
public:
  explicit SourceTree(const CopySourceRoot &r) : dir_(r.dir), ignore_(r.ignore) {}

  std::string host(const std::string &rel) const { return rel.empty() ? dir_ : dir_ + "/" + rel; }

  // True when the ignore file hides `rel` (a directory that may hold re-included
  // entries stays visible; its contents are checked one by one).
  bool ignored(const std::string &rel, bool is_dir) const;

  // Callers pass paths whose parents were resolved (no symlink among them).
  std::optional<Node> lookup(const std::string &rel) const;

  std::string resolve(const std::string &rel, bool follow_last) const {
    return resolve_in_root(
        rel, [this](const std::string &r) { return lookup(r); }, follow_last);
  }

  // Opens a file of the root for reading one component at a time, never through a
  // symlink: a directory swapped for a link after the checks above fails here instead
  // of reading a file outside the root.
  core::UniqueFd open_file(const std::string &rel) const;

private:
  std::string dir_;
  const dockerfile::IgnoreMatcher *ignore_;
  mutable std::unique_ptr<layer::DirFds> fds_;
};

// The image with the step's upper directory on top: overlay's view without a mount.
class MergedView {
public:
  MergedView(const std::vector<std::string> &lowers, std::string upper);

  // lstat of `rel` in the merged tree (parents must be directories there, not symlinks).
  std::optional<Node> lookup(const std::string &rel) const;

  std::string resolve(const std::string &rel, bool follow_last) const {
    return resolve_in_root(
        rel, [this](const std::string &r) { return lookup(r); }, follow_last);
  }

  const std::string &upper() const { return upper_; }
  std::string host(const std::string &rel) const {
    return rel.empty() ? upper_ : upper_ + "/" + rel;
  }

private:
  std::string upper_;
  std::vector<std::string> layers_; // upper first
};

} // namespace berth::ops::copy_detail
