#include "layer/file_tree.hpp"

#include "core/file.hpp"

#include <berth/error.hpp>

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace berth::layer {
namespace {

struct DirCloser {
  void operator()(DIR *d) const noexcept { ::closedir(d); }
};

FileInfo from_stat(const struct stat &st) {
  FileInfo fi;
  fi.mode = st.st_mode;
  fi.uid = st.st_uid;
  fi.gid = st.st_gid;
  fi.size = S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size) : 0;
  fi.mtime = static_cast<std::int64_t>(st.st_mtim.tv_sec);
  fi.dev = st.st_dev;
  fi.ino = st.st_ino;
  fi.nlink = st.st_nlink;
  fi.rdev = st.st_rdev;
  return fi;
}

std::string read_link(const std::string &path, std::size_t hint) {
  std::string buf(std::max<std::size_t>(hint + 1, 256), '\0');
  for (;;) {
    auto n = ::readlink(path.c_str(), buf.data(), buf.size());
    if (n < 0) core::throw_errno(errno, "cannot read symlink '" + path + "'");
    if (static_cast<std::size_t>(n) < buf.size()) {
      buf.resize(static_cast<std::size_t>(n));
      return buf;
    }
    buf.resize(buf.size() * 2); // the link changed under us; try a bigger buffer
  }
}

// Appends the entries of `dir` (relative path `rel`) and, recursively, of its
// subdirectories. One DIR stream is open at a time: names are collected first.
void walk(const std::string &root, const std::string &rel, std::vector<FileInfo> &out) {
  const std::string dir = rel.empty() ? root : root + "/" + rel;
  std::vector<std::string> names;
  {
    std::unique_ptr<DIR, DirCloser> d(::opendir(dir.c_str()));
    if (!d) core::throw_errno(errno, "cannot open directory '" + dir + "'");
    for (;;) {
      errno = 0;
      dirent *e = ::readdir(d.get());
      if (!e) {
        if (errno != 0) core::throw_errno(errno, "cannot read directory '" + dir + "'");
        break;
      }
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      names.push_back(std::move(name));
    }
  }
  std::sort(names.begin(), names.end());
  for (auto &name : names) {
    std::string child_rel = rel.empty() ? name : rel + "/" + name;
    FileInfo fi = stat_path(root + "/" + child_rel, false);
    fi.rel = std::move(child_rel);
    bool is_dir = S_ISDIR(fi.mode);
    std::string sub = is_dir ? fi.rel : std::string();
    out.push_back(std::move(fi)); // may reallocate: recurse with a copy of the path
    if (is_dir) walk(root, sub, out);
  }
}

} // namespace

FileInfo stat_path(const std::string &path, bool follow) {
  struct stat st {};
  int rc = follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
  if (rc != 0) core::throw_errno(errno, "cannot stat '" + path + "'");
  FileInfo fi = from_stat(st);
  if (S_ISLNK(st.st_mode)) fi.link_target = read_link(path, static_cast<std::size_t>(st.st_size));
  return fi;
}

std::vector<FileInfo> walk_tree(const std::string &root) {
  FileInfo top = stat_path(root, true);
  if (!S_ISDIR(top.mode)) throw Error(Errc::invalid_argument, "'" + root + "' is not a directory");
  std::vector<FileInfo> out;
  out.push_back(std::move(top));
  walk(root, "", out);
  // Per-directory sorting is not a global bytewise order ("a/b" vs "a.b"); sort once.
  std::sort(out.begin(), out.end(),
            [](const FileInfo &a, const FileInfo &b) { return a.rel < b.rel; });
  return out;
}

} // namespace berth::layer
