// A directory source's contents copied into the destination as fsutil's copier does:
// entry by entry with their metadata, hardlinks kept, .dockerignore and --exclude
// applied below the source.
#include "ops/build/dockerfile/copy_step_impl.hpp"

#include "layer/file_tree.hpp"

#include <berth/error.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <unordered_set>

namespace berth::ops::copy_detail {

void copy_data(core::UniqueFd in, const std::string &from, const std::string &to) {
  auto out = core::open_fd(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
  std::vector<char> buf(1 << 20);
  while (true) {
    auto n = core::read_some(in.get(), buf.data(), buf.size(), from);
    if (n == 0) break;
    core::write_all(out.get(), buf.data(), n, to);
  }
  out.close(to);
}

namespace {

// Whether an entry of a copied directory is left out by the ignore file or --exclude
// (`rel` is relative to the copied directory, `ctx_rel` to the root); `descend` says
// whether entries below it may still be copied (a "!" exception could re-include them).
bool left_out(const SourceTree &src, const std::optional<dockerfile::IgnoreMatcher> &ex,
              const std::string &ctx_rel, const std::string &rel, bool is_dir, bool &descend) {
  descend = true;
  bool out = false;
  if (src.ignored(ctx_rel, is_dir)) {
    out = true, descend = false;
  } else if (is_dir && src.ignored(ctx_rel, false)) {
    out = true; // the directory itself is ignored; what is below is checked one by one
  }
  if (ex && ex->matches(rel)) {
    out = true;
    if (!is_dir || !ex->has_exceptions()) descend = false;
  }
  return out;
}

} // namespace

void walk_kept(const SourceTree &src, const std::optional<dockerfile::IgnoreMatcher> &excludes,
               const std::string &src_rel, const std::function<void(const layer::FileInfo &)> &kept,
               const std::function<void(const layer::FileInfo &)> &left_dir) {
  const auto entries = layer::walk_tree(src.host(src_rel));
  std::unordered_set<std::string> skipped;
  for (const auto &fi : entries) {
    if (fi.rel.empty()) continue;
    bool under = false;
    for (std::string p = parent_rel(fi.rel); !p.empty() && !under; p = parent_rel(p))
      under = skipped.count(p) > 0;
    if (under) continue;
    const bool is_dir = S_ISDIR(fi.mode);
    bool descend = true;
    if (left_out(src, excludes, join_rel(src_rel, fi.rel), fi.rel, is_dir, descend)) {
      if (!descend)
        skipped.insert(fi.rel);
      else if (is_dir)
        left_dir(fi);
      continue;
    }
    kept(fi);
  }
}

// The contents of the source directory src_rel into dest_rel (which exists), every
// entry with its own metadata (fsutil copies them with overwriteTargetMetadata).
void Step::copy_tree(const std::string &src_rel, const std::string &dest_rel) {
  std::unordered_set<std::string> created{""};
  std::map<std::string, const layer::FileInfo *> dirs;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> inodes;
  // createParentDirs: directories left out by a pattern get made when something below
  // them is copied after all.
  auto ensure_parents = [&](const std::string &rel) {
    std::vector<std::string> missing;
    for (std::string p = parent_rel(rel); !created.count(p); p = parent_rel(p))
      missing.push_back(p);
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      const auto *fi = dirs.at(*it);
      std::string d = join_rel(dest_rel, *it);
      auto n = view_.lookup(d);
      if (n && !S_ISDIR(n->st.st_mode))
        throw Error(Errc::invalid_argument, "cannot copy to non-directory: /" + d);
      if (!lstat_opt(view_.host(d))) make_dir_in_upper(d, fi->mode, Owner{fi->uid, fi->gid});
      apply_info(d, fi->mode, Owner{fi->uid, fi->gid}, fi->mtime, false, true);
      created.insert(*it);
    }
  };
  auto copy_one = [&](const layer::FileInfo &fi) {
    const bool is_dir = S_ISDIR(fi.mode);
    if (is_dir) dirs[fi.rel] = &fi;
    ensure_parents(fi.rel);
    std::string d = join_rel(dest_rel, fi.rel);
    std::string host = view_.host(d);
    Owner src_owner{fi.uid, fi.gid};
    if (is_dir) {
      auto n = view_.lookup(d);
      if (n && !S_ISDIR(n->st.st_mode))
        throw Error(Errc::invalid_argument, "cannot copy to non-directory: /" + d);
      if (!lstat_opt(host)) make_dir_in_upper(d, fi.mode, src_owner);
      apply_info(d, fi.mode, src_owner, fi.mtime, false, true);
      created.insert(fi.rel);
      return;
    }
    prepare_file_target(d);
    std::string from = src_.host(join_rel(src_rel, fi.rel));
    if (S_ISREG(fi.mode)) {
      if (fi.nlink > 1) {
        auto [it, fresh] = inodes.emplace(std::make_pair(fi.dev, fi.ino), d);
        if (!fresh) {
          if (::link(view_.host(it->second).c_str(), host.c_str()) != 0)
            core::throw_errno(errno, "link " + host);
          return; // the first path's metadata is the inode's
        }
      }
      copy_data(src_.open_file(join_rel(src_rel, fi.rel)), from, host);
    } else if (S_ISLNK(fi.mode)) {
      if (::symlink(fi.link_target.c_str(), host.c_str()) != 0)
        core::throw_errno(errno, "symlink " + host);
    } else if (S_ISFIFO(fi.mode) || S_ISCHR(fi.mode) || S_ISBLK(fi.mode)) {
      if (::mknod(host.c_str(), fi.mode, static_cast<dev_t>(fi.rdev)) != 0)
        core::throw_errno(errno, "mknod " + host);
    } else {
      return; // sockets
    }
    apply_info(d, fi.mode, src_owner, fi.mtime, S_ISLNK(fi.mode), false);
  };
  // A directory left out is remembered: it is made when an entry below it is copied.
  walk_kept(src_, excludes_, src_rel, copy_one,
            [&](const layer::FileInfo &fi) { dirs[fi.rel] = &fi; });
}

} // namespace berth::ops::copy_detail
