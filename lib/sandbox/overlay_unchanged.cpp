#include "sandbox/overlay_unchanged.hpp"

#include "core/file.hpp"
#include "layer/file_tree.hpp"

#include <berth/error.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

namespace berth::sandbox {
namespace {

bool is_whiteout(const struct stat &st) {
  return S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0;
}

bool marked_opaque(const std::string &dir) {
  for (const char *name : {"trusted.overlay.opaque", "user.overlay.opaque"}) {
    char v[2] = {};
    if (::lgetxattr(dir.c_str(), name, v, sizeof v) == 1 && v[0] == 'y') return true;
  }
  return false;
}

// The xattr's value, "" when absent or unreadable (BuildKit compares them the same way).
std::string xattr_of(const std::string &path, const char *name) {
  std::string v(256, '\0');
  auto n = ::lgetxattr(path.c_str(), name, v.data(), v.size());
  if (n < 0) return {};
  v.resize(static_cast<std::size_t>(n));
  return v;
}

// Up to len bytes: fewer only at the end of the file.
std::size_t read_block(int fd, char *data, std::size_t len, const std::string &what) {
  std::size_t got = 0;
  while (got < len) {
    auto n = core::read_some(fd, data + got, len - got, what);
    if (n == 0) break;
    got += n;
  }
  return got;
}

bool same_content(const std::string &a, const std::string &b) {
  core::UniqueFd fa(::open(a.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  core::UniqueFd fb(::open(b.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fa || !fb) return false; // unreadable: take it as changed, and so written
  std::string ba(64 * 1024, '\0'), bb(64 * 1024, '\0');
  for (;;) {
    auto na = read_block(fa.get(), ba.data(), ba.size(), a);
    auto nb = read_block(fb.get(), bb.data(), bb.size(), b);
    if (na != nb || std::memcmp(ba.data(), bb.data(), na) != 0) return false;
    if (na < ba.size()) return true;
  }
}

} // namespace

std::optional<std::string> image_path(const std::vector<std::string> &lowers,
                                      const std::string &rel) {
  for (const auto &lower : lowers) {
    // A whiteout or a non-directory at a parent hides rel here and below; an opaque
    // parent hides the layers below this one.
    bool opaque_above = false;
    for (auto slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1)) {
      const std::string parent = lower + "/" + rel.substr(0, slash);
      struct stat st {};
      if (::lstat(parent.c_str(), &st) != 0) break;
      if (!S_ISDIR(st.st_mode)) return std::nullopt;
      if (marked_opaque(parent)) opaque_above = true;
    }
    const std::string path = lower + "/" + rel;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      if (is_whiteout(st)) return std::nullopt;
      return path;
    }
    if (opaque_above) return std::nullopt;
  }
  return std::nullopt;
}

bool unchanged_from_image(const std::string &upper_path, const std::string &image_path) {
  struct stat up {
  }, im{};
  if (::lstat(upper_path.c_str(), &up) != 0 || ::lstat(image_path.c_str(), &im) != 0) return false;
  if (up.st_mode != im.st_mode || up.st_uid != im.st_uid || up.st_gid != im.st_gid ||
      up.st_rdev != im.st_rdev)
    return false;
  if (xattr_of(upper_path, "security.capability") != xattr_of(image_path, "security.capability"))
    return false;
  if (S_ISDIR(up.st_mode)) return true; // a directory's own mtime and size do not count
  if (up.st_size != im.st_size || up.st_mtim.tv_sec != im.st_mtim.tv_sec) return false;
  if (up.st_mtim.tv_nsec != 0 || im.st_mtim.tv_nsec != 0)
    return up.st_mtim.tv_nsec == im.st_mtim.tv_nsec;
  // Whole-second mtimes on both sides may be a tar's truncation: compare what is inside.
  if (S_ISLNK(up.st_mode))
    return layer::stat_path(upper_path, false).link_target ==
           layer::stat_path(image_path, false).link_target;
  if (!S_ISREG(up.st_mode) || up.st_size == 0) return true;
  return same_content(upper_path, image_path);
}

} // namespace berth::sandbox
