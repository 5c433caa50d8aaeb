#include "layer/extract.hpp"

#include <berth/error.hpp>

#include "core/file.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <set>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace berth::layer {
namespace {

constexpr std::size_t kMaxPath = 4096;
// Below this many bytes written the ratio is not checked: tiny layers of text or
// empty files have high ratios and harm nobody.
constexpr std::uint64_t kRatioGrace = 16u << 20;
constexpr const char *kWhiteoutPrefix = ".wh.";
constexpr const char *kOpaqueMarker = ".wh..wh..opq";

using core::UniqueFd;

// Names in messages, shortened: hostile paths can be kilobytes long.
std::string quoted(const std::string &path) {
  std::string out(1, '\'');
  if (path.size() <= 200) {
    out.append(path);
    out += '\'';
    return out;
  }
  out.append(path, 0, 120);
  out.append("...");
  out.append(path, path.size() - 60, 60);
  out.append("' (");
  out.append(std::to_string(path.size()));
  out.append(" bytes)");
  return out;
}

[[noreturn]] void unsafe(const std::string &entry, const std::string &why) {
  throw Error(Errc::unsafe, "refusing tar entry " + quoted(entry) + ": " + why);
}

// Splits an archive path into components: "" and "." are dropped; absolute paths,
// ".." and NUL bytes are refused.
std::vector<std::string> split_path(const std::string &raw, const std::string &entry,
                                    const char *what) {
  if (raw.find('\0') != std::string::npos) unsafe(entry, std::string(what) + " contains NUL");
  if (!raw.empty() && raw[0] == '/')
    unsafe(entry, std::string(what) + " " + quoted(raw) + " is absolute");
  if (raw.size() > kMaxPath) unsafe(entry, std::string(what) + " is longer than 4096 bytes");
  std::vector<std::string> parts;
  std::size_t pos = 0;
  while (pos <= raw.size()) {
    auto slash = raw.find('/', pos);
    if (slash == std::string::npos) slash = raw.size();
    std::string comp = raw.substr(pos, slash - pos);
    pos = slash + 1;
    if (comp.empty() || comp == ".") continue;
    if (comp == "..") unsafe(entry, std::string(what) + " " + quoted(raw) + " contains '..'");
    parts.push_back(std::move(comp));
  }
  return parts;
}

std::string join(const std::vector<std::string> &parts, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += '/';
    out += parts[i];
  }
  return out;
}

// Entries are written under a temporary name and renamed into place: a reader of the
// tree never sees half a file under its real name.
std::string temp_name() {
  return std::string(core::kTempMarker) + core::random_suffix();
}

// lstat relative to a directory; false when the name does not exist.
bool lstat_at(int dirfd, const std::string &name, struct stat &st) {
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return true;
  if (errno == ENOENT) return false;
  core::throw_errno(errno, "cannot stat " + quoted(name));
}

UniqueFd open_subdir(int dirfd, const std::string &name) {
  int fd;
  do {
    fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  return UniqueFd(fd);
}

UniqueFd dup_fd(int fd) {
  int d = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (d < 0) core::throw_errno(errno, "cannot duplicate a descriptor");
  return UniqueFd(d);
}

std::vector<std::string> list_dir(int dirfd, const std::string &what) {
  UniqueFd fd = dup_fd(dirfd);
  DIR *d = ::fdopendir(fd.get());
  if (!d) core::throw_errno(errno, "cannot read directory " + quoted(what));
  fd.release();
  std::unique_ptr<DIR, int (*)(DIR *)> guard(d, ::closedir);
  ::rewinddir(d);
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    dirent *e = ::readdir(d);
    if (!e) {
      if (errno != 0) core::throw_errno(errno, "cannot read directory " + quoted(what));
      break;
    }
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  return names;
}

// Removes `name` in `dirfd` and, for a directory, everything below it — never
// following a symlink. A missing name is fine.
void remove_at(int dirfd, const std::string &name, const std::string &what) {
  struct stat st {};
  if (!lstat_at(dirfd, name, st)) return;
  if (S_ISDIR(st.st_mode)) {
    UniqueFd sub = open_subdir(dirfd, name);
    if (!sub) core::throw_errno(errno, "cannot open " + quoted(what));
    ::fchmod(sub.get(), 0700); // a read-only directory must still be emptied
    for (const auto &child : list_dir(sub.get(), what))
      remove_at(sub.get(), child, what + "/" + child);
    if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
      core::throw_errno(errno, "cannot remove " + quoted(what));
  } else if (::unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT) {
    core::throw_errno(errno, "cannot remove " + quoted(what));
  }
}

// A name created in a directory that is unlinked on destruction unless committed.
struct TempEntry {
  int dirfd;
  std::string name;
  bool active = true;
  ~TempEntry() {
    if (active) ::unlinkat(dirfd, name.c_str(), 0);
  }
  void commit(const std::string &final_name, const std::string &what) {
    if (::renameat(dirfd, name.c_str(), dirfd, final_name.c_str()) != 0)
      core::throw_errno(errno, "cannot rename into place " + quoted(what));
    active = false;
  }
};

// Runs `create(name)` with fresh temporary names until one does not exist yet.
template <typename F> TempEntry make_temp(int dirfd, const std::string &what, F &&create) {
  for (int attempt = 0;; ++attempt) {
    std::string name = temp_name();
    if (create(name)) return TempEntry{dirfd, std::move(name)};
    if (errno != EEXIST || attempt >= 100)
      core::throw_errno(errno, "cannot create " + quoted(what));
  }
}

struct timespec_pair {
  struct timespec t[2];
};

timespec_pair times_of(std::int64_t mtime) {
  timespec_pair p{};
  p.t[0].tv_sec = p.t[1].tv_sec = static_cast<time_t>(mtime);
  return p;
}

} // namespace

// State of one apply_layer() call.
struct Extractor::Layer {
  // Paths this layer wrote, and their ancestors: whiteouts spare them, since a
  // whiteout only hides what lower layers hold.
  std::set<std::string> touched;
  struct DirMeta {
    std::vector<std::string> parts;
    std::uint32_t mode;
    std::int64_t mtime;
    std::uint32_t uid, gid;
  };
  std::vector<DirMeta> dirs;
  // The last parent directory opened; dropped whenever something is removed, since a
  // removal can unlink the directory it refers to.
  std::string cached_path;
  UniqueFd cached_fd;

  void invalidate() {
    cached_fd.reset();
    cached_path.clear();
  }
  void touch(const std::vector<std::string> &parts, std::size_t n) {
    std::string p;
    for (std::size_t i = 0; i < n; ++i) {
      if (i) p += '/';
      p += parts[i];
      touched.insert(p);
    }
  }
};

namespace {

enum class Walk { create, existing };

// Opens the directory parts[0..n) below root without following symlinks. With
// Walk::create missing directories are made (0755); with Walk::existing a missing one
// yields an invalid descriptor. A symlink on the way is Error(unsafe) naming `entry`.
UniqueFd open_dirs(int rootfd, const std::vector<std::string> &parts, std::size_t n, Walk walk,
                   const std::string &entry) {
  UniqueFd cur = dup_fd(rootfd);
  for (std::size_t i = 0; i < n; ++i) {
    UniqueFd next = open_subdir(cur.get(), parts[i]);
    if (!next) {
      int err = errno;
      struct stat st {};
      bool exists = lstat_at(cur.get(), parts[i], st);
      if (exists && S_ISLNK(st.st_mode))
        unsafe(entry,
               quoted(join(parts, i + 1)) + " is a symlink (nothing is written through symlinks)");
      if (exists && !S_ISDIR(st.st_mode))
        throw Error(Errc::exists, "cannot extract tar entry " + quoted(entry) + ": " +
                                      quoted(join(parts, i + 1)) + " is not a directory");
      if (exists || err != ENOENT)
        core::throw_errno(err, "cannot open directory " + quoted(join(parts, i + 1)));
      if (walk == Walk::existing) return UniqueFd();
      if (::mkdirat(cur.get(), parts[i].c_str(), 0755) != 0 && errno != EEXIST)
        core::throw_errno(errno, "cannot create directory " + quoted(join(parts, i + 1)));
      next = open_subdir(cur.get(), parts[i]);
      if (!next) core::throw_errno(errno, "cannot open directory " + quoted(join(parts, i + 1)));
      ::fchmod(next.get(), 0755); // not subject to the umask
    }
    cur = std::move(next);
  }
  return cur;
}

// Removes everything below `dirfd` (path `path`) that this layer did not write.
void clear_lower(int dirfd, const std::string &path, const std::set<std::string> &touched) {
  for (const auto &child : list_dir(dirfd, path)) {
    std::string child_path = path.empty() ? child : path + "/" + child;
    if (!touched.count(child_path)) {
      remove_at(dirfd, child, child_path);
      continue;
    }
    struct stat st {};
    if (lstat_at(dirfd, child, st) && S_ISDIR(st.st_mode)) {
      UniqueFd sub = open_subdir(dirfd, child);
      if (sub) clear_lower(sub.get(), child_path, touched);
    }
  }
}

} // namespace

Extractor::Extractor(std::string target_dir, ExtractOptions opts)
    : target_(std::move(target_dir)), opts_(opts), is_root_(::geteuid() == 0), buf_(128 * 1024) {
  if (target_.empty()) throw Error(Errc::invalid_argument, "extraction target is empty");
  core::make_dirs(target_);
  root_ = core::open_fd(target_, O_RDONLY | O_DIRECTORY);
}

Extractor::~Extractor() = default;
Extractor::Extractor(Extractor &&) noexcept = default;
Extractor &Extractor::operator=(Extractor &&) noexcept = default;

void Extractor::note_compressed_bytes(std::uint64_t n) {
  compressed_ += n;
}

std::uint64_t Extractor::compressed_total() const {
  return compressed_ + (layer_compressed_ ? layer_compressed_() : 0);
}

void Extractor::check_ratio(const std::string &entry) const {
  if (opts_.max_expansion_ratio <= 0 || written_ <= kRatioGrace) return;
  auto compressed = compressed_total();
  if (static_cast<double>(written_) > opts_.max_expansion_ratio * static_cast<double>(compressed))
    throw Error(Errc::too_large, "tar entry " + quoted(entry) +
                                     " takes extraction past the expansion ratio limit (" +
                                     std::to_string(written_) + " bytes from " +
                                     std::to_string(compressed) + " compressed, limit " +
                                     std::to_string(opts_.max_expansion_ratio) +
                                     "x): a decompression bomb?");
}

void Extractor::apply_layer(TarReader &reader, std::function<std::uint64_t()> compressed_so_far) {
  if (!root_) throw Error(Errc::invalid_argument, "extractor was moved from");
  // The ratio is checked while the layer streams, against the compressed bytes read
  // so far: a bomb is stopped long before it finishes.
  layer_compressed_ = std::move(compressed_so_far);
  struct Reset {
    std::function<std::uint64_t()> &f;
    ~Reset() { f = nullptr; }
  } reset{layer_compressed_};
  Layer layer;
  while (auto e = reader.next())
    apply_entry(*e, reader, layer);
  layer.invalidate();

  // Directory metadata last (deepest first), so earlier children could be created in
  // directories that end up read-only and their mtimes stay as the archive says.
  for (auto it = layer.dirs.rbegin(); it != layer.dirs.rend(); ++it) {
    UniqueFd fd;
    try {
      fd = open_dirs(root_.get(), it->parts, it->parts.size(), Walk::existing, "");
    } catch (const Error &) {
      continue; // replaced by a later entry of this layer
    }
    if (!fd) continue;
    const std::string what = quoted(join(it->parts, it->parts.size()));
    if (opts_.preserve_owner && ::fchown(fd.get(), it->uid, it->gid) != 0)
      core::throw_errno(errno, "cannot set the owner of " + what);
    if (::fchmod(fd.get(), it->mode) != 0)
      core::throw_errno(errno, "cannot set the mode of " + what);
    auto t = times_of(it->mtime);
    if (::futimens(fd.get(), t.t) != 0) core::throw_errno(errno, "cannot set the mtime of " + what);
  }
}

void Extractor::keep_overlay_whiteout(const TarEntry &e, const std::vector<std::string> &parts,
                                      Layer &layer) {
  const std::string &name = parts.back();
  const std::size_t depth = parts.size() - 1;
  layer.touch(parts, depth);
  if (name != kOpaqueMarker && name.rfind(".wh..wh.", 0) == 0) return; // aufs bookkeeping
  const std::string victim = name.substr(4);
  if (name != kOpaqueMarker && (victim.empty() || victim == "." || victim == ".."))
    unsafe(e.path, "whiteout of " + quoted(victim));
  UniqueFd dir = open_dirs(root_.get(), parts, depth, Walk::create, e.path);
  layer.invalidate();
  if (name == kOpaqueMarker) {
    const char *attr = opts_.whiteouts == ExtractOptions::Whiteouts::overlay_user
                           ? "user.overlay.opaque"
                           : "trusted.overlay.opaque";
    if (::fsetxattr(dir.get(), attr, "y", 1, 0) != 0)
      core::throw_errno(errno, "cannot mark " + quoted(e.path) + " opaque");
    return;
  }
  if (::mknodat(dir.get(), victim.c_str(), S_IFCHR | 0, ::makedev(0, 0)) != 0 && errno != EEXIST)
    core::throw_errno(errno, "cannot make the whiteout " + quoted(e.path));
}

void Extractor::apply_entry(const TarEntry &e, TarReader &reader, Layer &layer) {
  const auto parts = split_path(e.path, e.path, "path");
  if (parts.empty()) return; // the root: the target directory keeps its own metadata
  const std::string &name = parts.back();
  const std::size_t depth = parts.size() - 1;
  const std::string path = join(parts, parts.size());

  if (name.rfind(kWhiteoutPrefix, 0) == 0 && opts_.whiteouts != ExtractOptions::Whiteouts::apply) {
    keep_overlay_whiteout(e, parts, layer);
    return;
  }
  if (name.rfind(kWhiteoutPrefix, 0) == 0) {
    layer.touch(parts, depth); // the whiteout lives in its directory: that one stays
    if (name == kOpaqueMarker) {
      UniqueFd dir = open_dirs(root_.get(), parts, depth, Walk::existing, e.path);
      layer.invalidate();
      if (dir) clear_lower(dir.get(), join(parts, depth), layer.touched);
      return;
    }
    if (name.rfind(".wh..wh.", 0) == 0) return; // aufs bookkeeping, not a whiteout
    const std::string victim = name.substr(4);
    if (victim.empty() || victim == "." || victim == "..")
      unsafe(e.path, "whiteout of " + quoted(victim));
    std::string victim_path = depth ? join(parts, depth) + "/" + victim : victim;
    if (layer.touched.count(victim_path)) return; // written by this very layer
    UniqueFd dir = open_dirs(root_.get(), parts, depth, Walk::existing, e.path);
    layer.invalidate();
    if (dir) remove_at(dir.get(), victim, victim_path);
    return;
  }

  if (e.type == TarEntry::Type::other) return;
  // Device nodes in an image are an attack surface (a world-writable disk device on
  // the host): only on request, and only as root, who alone can make them.
  if ((e.type == TarEntry::Type::chardev || e.type == TarEntry::Type::blockdev) &&
      (!opts_.devices || !is_root_))
    return;
  if (e.type == TarEntry::Type::file &&
      (written_ > opts_.max_total_bytes || e.size > opts_.max_total_bytes - written_))
    throw Error(Errc::too_large, "tar entry " + quoted(e.path) + " (" + std::to_string(e.size) +
                                     " bytes) takes extraction past the limit of " +
                                     std::to_string(opts_.max_total_bytes) + " bytes");

  // The hardlink target is checked before anything is created for the entry.
  UniqueFd link_dir;
  std::string link_name;
  if (e.type == TarEntry::Type::hardlink) {
    auto target = split_path(e.link, e.path, "hardlink target");
    if (target.empty()) unsafe(e.path, "hardlink to the root directory");
    link_dir = open_dirs(root_.get(), target, target.size() - 1, Walk::existing, e.path);
    link_name = target.back();
    struct stat st {};
    if (!link_dir || !lstat_at(link_dir.get(), link_name, st))
      unsafe(e.path, "hardlink target " + quoted(e.link) + " does not exist in the target");
    if (S_ISDIR(st.st_mode))
      unsafe(e.path, "hardlink target " + quoted(e.link) + " is a directory");
  }

  layer.touch(parts, parts.size());
  const std::string parent = join(parts, depth);
  if (!layer.cached_fd || layer.cached_path != parent) {
    layer.invalidate();
    layer.cached_fd = open_dirs(root_.get(), parts, depth, Walk::create, e.path);
    layer.cached_path = parent;
  }
  const int dirfd = layer.cached_fd.get();

  struct stat existing {};
  const bool exists = lstat_at(dirfd, name, existing);

  std::uint32_t mode = e.mode & 07777;
  if (!opts_.preserve_owner) mode &= ~static_cast<std::uint32_t>(S_ISUID | S_ISGID);

  if (e.type == TarEntry::Type::dir) {
    if (exists && !S_ISDIR(existing.st_mode)) {
      if (::unlinkat(dirfd, name.c_str(), 0) != 0)
        core::throw_errno(errno, "cannot replace " + quoted(path));
    }
    if (!exists || !S_ISDIR(existing.st_mode)) {
      if (::mkdirat(dirfd, name.c_str(), 0700) != 0)
        core::throw_errno(errno, "cannot create directory " + quoted(path));
    } else if (!is_root_) {
      ::fchmodat(dirfd, name.c_str(), (existing.st_mode & 07777) | 0700, 0); // fill it first
    }
    layer.dirs.push_back({parts, mode, e.mtime, e.uid, e.gid});
    return;
  }

  // Any other type replaces a directory of that name wholesale.
  // (The cached descriptor is the parent, which the removal leaves in place.)
  if (exists && S_ISDIR(existing.st_mode)) remove_at(dirfd, name, path);
  const int fd = dirfd;
  auto t = times_of(e.mtime);

  switch (e.type) {
  case TarEntry::Type::file: write_file(e, reader, fd, name); break;
  case TarEntry::Type::symlink: {
    if (e.link.empty())
      throw Error(Errc::protocol, "tar entry " + quoted(path) + ": empty symlink target");
    if (e.link.find('\0') != std::string::npos) unsafe(e.path, "symlink target contains NUL");
    auto tmp = make_temp(fd, path, [&](const std::string &n) {
      return ::symlinkat(e.link.c_str(), fd, n.c_str()) == 0;
    });
    if (opts_.preserve_owner &&
        ::fchownat(fd, tmp.name.c_str(), e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0)
      core::throw_errno(errno, "cannot set the owner of " + quoted(path));
    if (::utimensat(fd, tmp.name.c_str(), t.t, AT_SYMLINK_NOFOLLOW) != 0)
      core::throw_errno(errno, "cannot set the mtime of " + quoted(path));
    tmp.commit(name, path);
    break;
  }
  case TarEntry::Type::hardlink: {
    auto tmp = make_temp(fd, path, [&](const std::string &n) {
      return ::linkat(link_dir.get(), link_name.c_str(), fd, n.c_str(), 0) == 0;
    });
    tmp.commit(name, path);
    // rename(2) between two links of one inode does nothing: drop the temporary name.
    ::unlinkat(fd, tmp.name.c_str(), 0);
    break;
  }
  case TarEntry::Type::fifo:
  case TarEntry::Type::chardev:
  case TarEntry::Type::blockdev: {
    // Never more than owner read/write for a device node, whatever the image says.
    if (e.type != TarEntry::Type::fifo) mode &= 0600;
    mode_t kind = e.type == TarEntry::Type::fifo      ? S_IFIFO
                  : e.type == TarEntry::Type::chardev ? S_IFCHR
                                                      : S_IFBLK;
    dev_t dev = e.type == TarEntry::Type::fifo ? 0 : makedev(e.devmajor, e.devminor);
    auto tmp = make_temp(fd, path, [&](const std::string &n) {
      return ::mknodat(fd, n.c_str(), kind | 0600, dev) == 0;
    });
    if (opts_.preserve_owner &&
        ::fchownat(fd, tmp.name.c_str(), e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0)
      core::throw_errno(errno, "cannot set the owner of " + quoted(path));
    if (::fchmodat(fd, tmp.name.c_str(), mode, 0) != 0)
      core::throw_errno(errno, "cannot set the mode of " + quoted(path));
    if (::utimensat(fd, tmp.name.c_str(), t.t, AT_SYMLINK_NOFOLLOW) != 0)
      core::throw_errno(errno, "cannot set the mtime of " + quoted(path));
    tmp.commit(name, path);
    break;
  }
  default: break;
  }
}

void Extractor::write_file(const TarEntry &e, TarReader &reader, int dirfd,
                           const std::string &name) {
  const std::string &what = e.path;
  UniqueFd out;
  auto tmp = make_temp(dirfd, what, [&](const std::string &n) {
    int fd = ::openat(dirfd, n.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
      out.reset(fd);
      // Held while the file is written: remove_stale_extract_temps takes only files
      // whose lock it can get, those of an extraction that was killed.
      ::flock(fd, LOCK_EX | LOCK_NB);
    }
    return fd >= 0;
  });
  for (;;) {
    std::size_t n = reader.read_data(buf_.data(), buf_.size());
    if (n == 0) break;
    core::write_all(out.get(), buf_.data(), n, quoted(what));
    written_ += n;
    check_ratio(what);
  }
  std::uint32_t mode = e.mode & 07777;
  if (opts_.preserve_owner) {
    if (::fchown(out.get(), e.uid, e.gid) != 0)
      core::throw_errno(errno, "cannot set the owner of " + quoted(what));
  } else {
    mode &= ~static_cast<std::uint32_t>(S_ISUID | S_ISGID);
  }
  if (::fchmod(out.get(), mode) != 0) // after fchown, which clears setuid bits
    core::throw_errno(errno, "cannot set the mode of " + quoted(what));
  if (opts_.preserve_owner) {
    auto cap = e.xattrs.find("security.capability");
    if (cap != e.xattrs.end() &&
        ::fsetxattr(out.get(), cap->first.c_str(), cap->second.data(), cap->second.size(), 0) !=
            0 &&
        errno != ENOTSUP)
      core::throw_errno(errno, "cannot set the capabilities of " + quoted(what));
  }
  auto t = times_of(e.mtime);
  if (::futimens(out.get(), t.t) != 0)
    core::throw_errno(errno, "cannot set the mtime of " + quoted(what));
  out.close(quoted(what));
  tmp.commit(name, what);
}

int remove_stale_extract_temps(const std::string &dir) {
  namespace fs = std::filesystem;
  const std::size_t name_size = core::kTempMarker.size() + 12;
  std::vector<fs::path> stale;
  std::error_code ec;
  // Symlinks are not followed: only this tree is looked at.
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.size() != name_size ||
        name.compare(0, core::kTempMarker.size(), core::kTempMarker) != 0)
      continue;
    if (it->is_directory(ec)) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) {
      // A file being written is locked by its writer (another extraction into this
      // tree, which is not supported but must not lose data here).
      UniqueFd fd(::open(it->path().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
      if (!fd || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;
    }
    stale.push_back(it->path());
  }
  int removed = 0;
  for (const auto &p : stale)
    if (::unlink(p.c_str()) == 0) ++removed;
  return removed;
}

} // namespace berth::layer
