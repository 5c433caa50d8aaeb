// The destination side of a COPY/ADD step: directories made or copied up from the
// image (fsutil's MkdirAll), owners, modes and mtimes given (copyFileInfo), files that
// may be replaced (ensureEmptyFileTarget).
#include "ops/build/dockerfile/copy_step_impl.hpp"

#include <berth/error.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

namespace berth::ops::copy_detail {

void Step::set_mtime(const std::string &rel, std::int64_t sec, bool dir) {
  if (dir) {
    dir_mtime(rel, sec);
    return;
  }
  struct timespec ts[2] = {{static_cast<time_t>(sec), 0}, {static_cast<time_t>(sec), 0}};
  if (::utimensat(AT_FDCWD, view_.host(rel).c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0)
    core::throw_errno(errno, "utimes " + view_.host(rel));
}

void Step::make_dir_in_upper(const std::string &rel, mode_t mode, Owner owner) {
  std::string host = view_.host(rel);
  if (::mkdir(host.c_str(), 0700) != 0) core::throw_errno(errno, "mkdir " + host);
  set_owner(host, owner);
  if (::chmod(host.c_str(), mode & 07777) != 0) core::throw_errno(errno, "chmod " + host);
}

// fsutil's MkdirAll over the merged view: directories of the image are copied up with
// their metadata, missing ones are created with 0755 (or the --chmod mode), the
// --chown owner (else root) and the step's mtime.
void Step::ensure_dirs(const std::string &rel) {
  std::string cur;
  for (const auto &c : split_path(rel)) {
    cur = join_rel(cur, c);
    auto in_upper = lstat_opt(view_.host(cur));
    if (in_upper) {
      if (!S_ISDIR(in_upper->st_mode))
        throw Error(Errc::invalid_argument, "mkdir /" + cur + ": not a directory");
      continue;
    }
    auto n = view_.lookup(cur);
    if (n) {
      if (!S_ISDIR(n->st.st_mode))
        throw Error(Errc::invalid_argument, "mkdir /" + cur + ": not a directory");
      make_dir_in_upper(cur, n->st.st_mode, owner_inside(n->st.st_uid, n->st.st_gid));
      dir_mtime(cur, n->st.st_mtim.tv_sec);
      continue;
    }
    make_dir_in_upper(cur, chmod_ ? chmod_->for_created_dir() : 0755, chown_.value_or(Owner{}));
    if (req_.mtime) dir_mtime(cur, *req_.mtime);
  }
}

// fsutil's copyFileInfo: owner (--chown, kept or root), mode (--chmod or the source's;
// never on symlinks), mtime (the step's or the source's).
void Step::apply_info(const std::string &rel, mode_t src_mode, Owner src_owner, std::int64_t mtime,
                      bool is_link, bool is_dir) {
  std::string host = view_.host(rel);
  Owner o = owner_for(src_owner);
  set_owner(host, o);
  if (!is_link) {
    mode_t m = chmod_ ? chmod_->for_entry(src_mode) : (src_mode & 07777);
    if (::chmod(host.c_str(), m) != 0) core::throw_errno(errno, "chmod " + host);
  }
  set_mtime(rel, req_.mtime.value_or(mtime), is_dir);
}

// ensureEmptyFileTarget: a file may replace a file or a symlink, never a directory.
void Step::prepare_file_target(const std::string &rel) {
  auto n = view_.lookup(rel);
  if (!n) return;
  if (S_ISDIR(n->st.st_mode))
    throw Error(Errc::invalid_argument, "cannot replace to directory /" + rel + " with file");
  if (lstat_opt(view_.host(rel)) && ::unlink(view_.host(rel).c_str()) != 0)
    core::throw_errno(errno, "remove " + view_.host(rel));
}

} // namespace berth::ops::copy_detail
