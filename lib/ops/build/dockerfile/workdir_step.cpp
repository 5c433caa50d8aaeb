#include "ops/build/dockerfile/workdir_step.hpp"

#include "core/file.hpp"
#include "ops/build/dockerfile/copy_trees.hpp"

#include <cerrno>
#include <sys/stat.h>
#include <utime.h>

namespace berth::ops {

void make_missing_dirs(const std::vector<std::string> &lowers, const std::string &upper,
                       const std::string &path, std::optional<std::int64_t> mtime) {
  core::make_dirs(upper);
  const copy_detail::MergedView image(lowers, upper);
  std::string rel;
  bool creating = false; // below a directory made here, nothing of the image exists
  for (std::size_t pos = 0; pos < path.size();) {
    auto slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    if (slash > pos) {
      rel.append(rel.empty() ? "" : "/").append(path, pos, slash - pos);
      if (!creating) {
        auto node = image.lookup(rel);
        if (node && S_ISDIR(node->st.st_mode)) {
          pos = slash + 1;
          continue;
        }
        if (node) return; // a file or a symlink: BuildKit's mkdir would fail or follow it
        creating = true;
      }
      const std::string dir = upper + "/" + rel;
      if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        core::throw_errno(errno, "cannot make " + dir);
      if (::chmod(dir.c_str(), 0755) != 0) core::throw_errno(errno, "cannot chmod " + dir);
    }
    pos = slash + 1;
  }
  if (!creating || !mtime) return;
  // mtimes last: making a child changes its parent's.
  for (std::string d = rel; !d.empty();) {
    struct utimbuf t {
      static_cast<time_t>(*mtime), static_cast<time_t>(*mtime)
    };
    const std::string host = upper + "/" + d;
    struct stat st {};
    if (::lstat(host.c_str(), &st) != 0) break;
    ::utime(host.c_str(), &t);
    auto slash = d.rfind('/');
    d = slash == std::string::npos ? std::string() : d.substr(0, slash);
  }
}

} // namespace berth::ops
