// The COPY/ADD step itself: the destination rule, then each item copied in order.
// The header comment of copy_step.hpp documents every rule.
#include "ops/build/dockerfile/copy_step.hpp"

#include "ops/build/dockerfile/add_url.hpp"
#include "ops/build/dockerfile/copy_step_impl.hpp"

#include <berth/error.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <ctime>

namespace berth::ops {
namespace copy_detail {

Step::Step(const CopySourceRoot &root, const CopyRequest &req,
           const std::vector<std::string> &lowers, const std::string &upper)
    : src_(root), req_(req), keep_owners_(root.keep_owners), view_(lowers, upper), lowers_(lowers) {
  chmod_ = Chmod::parse(req.chmod);
  if (!req.excludes.empty()) excludes_.emplace(req.excludes);
  if (!req.checksum.empty()) {
    try {
      checksum_ = image::Digest::parse(req.checksum);
    } catch (const Error &e) {
      throw Error(Errc::invalid_argument, std::string("--checksum: ") + e.what());
    }
  }
}

void Step::copy_item(const Item &item, const std::string &dest_real) {
  // prepareTargetDir: into what is a directory now (an earlier source may have made
  // it), else as the destination.
  auto dest_node = view_.lookup(dest_real);
  bool dest_is_dir = dest_node && S_ISDIR(dest_node->st.st_mode);

  if (item.content) {
    std::string target =
        dest_is_dir ? join_rel(dest_real, base_name(item.content->path)) : dest_real;
    ensure_dirs(parent_rel(target));
    prepare_file_target(target);
    core::write_file_atomic(view_.host(target), item.content->data);
    apply_info(target, 0644, Owner{},
               req_.mtime.value_or(static_cast<std::int64_t>(std::time(nullptr))), false, false);
    return;
  }

  if (!item.url.empty()) {
    download(item, dest_is_dir ? join_rel(dest_real, item.matched) : dest_real);
    return;
  }

  auto node = src_.lookup(item.followed);
  if (!node) throw Error(Errc::not_found, verb() + " source \"/" + item.matched + "\": not found");
  const auto &st = node->st;
  if (req_.add && S_ISREG(st.st_mode) && try_unpack(item.followed, dest_real)) return;

  if (S_ISDIR(st.st_mode)) {
    // copyDirectoryOnly: a directory never replaces a file, e.g. one an earlier source
    // of the step wrote as the destination (COPY file dir /out).
    if (dest_node && !dest_is_dir)
      throw Error(Errc::invalid_argument, "cannot copy to non-directory: /" + dest_real);
    ensure_dirs(dest_real);
    copy_tree(item.followed, dest_real);
    // The destination keeps its mode and owner; it gets the source directory's mtime.
    dir_mtime(dest_real, req_.mtime.value_or(st.st_mtim.tv_sec));
    return;
  }
  std::string target = dest_is_dir ? join_rel(dest_real, base_name(item.matched)) : dest_real;
  ensure_dirs(parent_rel(target));
  prepare_file_target(target);
  std::string host = view_.host(target);
  Owner src_owner{st.st_uid, st.st_gid};
  if (S_ISREG(st.st_mode))
    copy_data(src_.open_file(item.followed), node->host, host);
  else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    if (::mknod(host.c_str(), st.st_mode, st.st_rdev) != 0)
      core::throw_errno(errno, "mknod " + host);
  } else {
    throw Error(Errc::unsupported,
                verb() + " source \"/" + item.matched + "\": not a file or directory");
  }
  apply_info(target, st.st_mode, src_owner, st.st_mtim.tv_sec, false, false);
}

// COPY --parents: the item goes to DEST/<its path below the pivot>; the directories on
// the way, and a directory item itself, are made as the source's are (BuildKit copies the
// pivot with the matched paths as include patterns, so each keeps its metadata).
void Step::copy_with_parents(const Item &item, const std::string &dest_real) {
  if (item.content || !item.url.empty()) return copy_item(item, dest_real);
  const bool below_pivot = !item.pivot.empty() && item.matched.size() > item.pivot.size() &&
                           item.matched.compare(0, item.pivot.size() + 1, item.pivot + "/") == 0;
  const std::string keep = below_pivot ? item.matched.substr(item.pivot.size() + 1) : item.matched;
  const std::string pivot = below_pivot ? item.pivot : std::string();
  auto node = src_.lookup(item.followed);
  const bool dir_item = node && S_ISDIR(node->st.st_mode);
  const auto comps = split_path(keep);
  std::string src_dir = pivot, dst = dest_real;
  for (std::size_t i = 0; i < comps.size(); ++i) {
    if (i + 1 == comps.size() && !dir_item) break;
    src_dir = join_rel(src_dir, comps[i]);
    dst = join_rel(dst, comps[i]);
    auto dir = src_.lookup(src_.resolve(src_dir, true));
    if (!dir || !S_ISDIR(dir->st.st_mode))
      throw Error(Errc::not_found, verb() + " --parents: \"/" + src_dir + "\" is not a directory");
    auto n = view_.lookup(dst);
    if (n && !S_ISDIR(n->st.st_mode))
      throw Error(Errc::invalid_argument, "cannot copy to non-directory: /" + dst);
    const Owner owner{dir->st.st_uid, dir->st.st_gid};
    if (!lstat_opt(view_.host(dst))) make_dir_in_upper(dst, dir->st.st_mode, owner);
    apply_info(dst, dir->st.st_mode, owner, dir->st.st_mtim.tv_sec, false, true);
  }
  copy_item(item, join_rel(dest_real, keep));
}

void Step::run() {
  if (!req_.chown.empty()) chown_ = resolve_chown(req_.chown, lowers_);
  if (!req_.checksum.empty() && !req_.add)
    throw Error(Errc::invalid_argument, "checksum can't be specified for COPY");
  if (!req_.checksum.empty() && req_.sources.size() != 1)
    throw Error(Errc::invalid_argument, "checksum can't be specified for multiple sources");
  if (!req_.add)
    for (const auto &s : req_.sources)
      if (is_url(s)) throw Error(Errc::invalid_argument, "source can't be a URL for COPY");

  // pathRelativeToWorkingDir + cleanPath: a trailing "/" (or "/.", ".", "") marks a
  // directory.
  std::string dest = req_.dest.empty() || req_.dest == "." ? "./" : req_.dest;
  std::string abs =
      dest[0] == '/' ? dest : (req_.workdir.empty() ? "/" : req_.workdir) + "/" + dest;
  // With --parents the destination is always a directory.
  bool dir_syntax = req_.parents || abs.back() == '/' ||
                    (abs.size() >= 2 && abs.compare(abs.size() - 2, 2, "/.") == 0);
  std::string dest_rel = root_rel(abs);

  auto items = expand_sources();
  // Globs that all matched nothing copy nothing, not even the destination's parents:
  // BuildKit's docopy returns before fsutil's Copy (AllowEmptyWildcard).
  if (items.empty()) return;
  // No rule on the number of sources: BuildKit makes one copy action per source, so
  // each item below meets the destination as the items before it left it.
  // fsutil's Copy: the destination (with "/") or its parent is made first.
  ensure_dirs(view_.resolve(dir_syntax ? dest_rel : parent_rel(dest_rel), true));
  std::string dest_real = view_.resolve(dest_rel, true);
  for (const auto &item : items)
    req_.parents ? copy_with_parents(item, dest_real) : copy_item(item, dest_real);

  // Directory mtimes last: writing inside a directory changes its mtime.
  for (const auto &[rel, sec] : dir_mtimes_) {
    struct timespec ts[2] = {{static_cast<time_t>(sec), 0}, {static_cast<time_t>(sec), 0}};
    std::string host = view_.host(rel);
    if (::utimensat(AT_FDCWD, host.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0)
      core::throw_errno(errno, "utimes " + host);
  }
}

} // namespace copy_detail

void run_copy_step(const CopySourceRoot &root, const CopyRequest &req,
                   const std::vector<std::string> &image_lowers, const std::string &upper) {
  copy_detail::Step(root, req, image_lowers, upper).run();
}

std::optional<std::string> copy_sources_digest(const CopySourceRoot &root, const CopyRequest &req) {
  return copy_detail::Step(root, req, {}, {}).sources_digest();
}

} // namespace berth::ops
