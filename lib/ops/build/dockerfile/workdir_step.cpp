#include "ops/build/dockerfile/workdir_step.hpp"

#include "core/file.hpp"
#include "ops/build/dockerfile/copy_owners.hpp"
#include "ops/build/dockerfile/copy_trees.hpp"
#include "sandbox/user.hpp"

#include <cerrno>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

namespace berth::ops {

namespace {

void set_times(const std::string &path, std::int64_t sec) {
  struct utimbuf t {
    static_cast<time_t>(sec), static_cast<time_t>(sec)
  };
  if (::utime(path.c_str(), &t) != 0) core::throw_errno(errno, "cannot set the times of " + path);
}

// A directory in the upper dir: made for the step, or copied up from the image (its
// mode, owner and time, as overlay copies a directory up) to hold what the step makes.
void make_dir(const std::string &path, mode_t mode, const struct stat *image) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
    core::throw_errno(errno, "cannot make " + path);
  if (::chmod(path.c_str(), image ? image->st_mode & 07777 : mode) != 0)
    core::throw_errno(errno, "cannot chmod " + path);
  if (image) copy_detail::set_owner(path, copy_detail::owner_inside(image->st_uid, image->st_gid));
}

} // namespace

void make_missing_dirs(const std::vector<std::string> &lowers, const std::string &upper,
                       const std::string &path, std::optional<std::int64_t> mtime,
                       const std::string &user) {
  core::make_dirs(upper);
  const copy_detail::MergedView image(lowers, upper);
  // The components the image has (copied up only if something is made below them),
  // then those made here.
  struct Existing {
    std::string rel;
    struct stat st;
  };
  std::vector<Existing> existing;
  std::vector<std::string> made;
  std::string rel;
  for (std::size_t pos = 0; pos < path.size();) {
    auto slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    if (slash > pos) {
      rel.append(rel.empty() ? "" : "/").append(path, pos, slash - pos);
      if (made.empty()) {
        auto node = image.lookup(rel);
        if (node && !S_ISDIR(node->st.st_mode)) return; // BuildKit's mkdir fails or follows it
        if (node) {
          existing.push_back({rel, node->st});
          pos = slash + 1;
          continue;
        }
      }
      made.push_back(rel);
    }
    pos = slash + 1;
  }
  if (made.empty()) return;
  for (const auto &e : existing)
    make_dir(upper + "/" + e.rel, 0755, &e.st);
  std::optional<copy_detail::Owner> owner;
  if (!user.empty()) {
    const std::size_t max = 4u << 20;
    auto u = sandbox::resolve_user(user, sandbox::read_from_lowers(lowers, "etc/passwd", max),
                                   sandbox::read_from_lowers(lowers, "etc/group", max));
    owner = copy_detail::Owner{u.uid, u.gid};
  }
  for (const auto &m : made) {
    make_dir(upper + "/" + m, 0755, nullptr);
    if (owner) copy_detail::set_owner(upper + "/" + m, *owner);
  }
  // Times last, deepest first: making a child changes its parent's.
  for (auto it = made.rbegin(); it != made.rend(); ++it)
    if (mtime) set_times(upper + "/" + *it, *mtime);
  for (auto it = existing.rbegin(); it != existing.rend(); ++it)
    set_times(upper + "/" + it->rel, it->st.st_mtim.tv_sec);
}

} // namespace berth::ops
