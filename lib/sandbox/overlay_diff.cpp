#include "sandbox/overlay_diff.hpp"

#include "layer/file_tree.hpp"
#include "sandbox/overlay_unchanged.hpp"
#include "sandbox/userns_call.hpp"

#include <berth/error.hpp>

#include <cerrno>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <unordered_set>

namespace berth::sandbox {
namespace {

constexpr const char *kWhiteoutPrefix = ".wh.";
constexpr const char *kOpaqueMarker = ".wh..wh..opq";

bool is_whiteout(const layer::FileInfo &fi) {
  return S_ISCHR(fi.mode) && major(static_cast<dev_t>(fi.rdev)) == 0 &&
         minor(static_cast<dev_t>(fi.rdev)) == 0;
}

bool xattr_is_y(const std::string &path, const char *name) {
  char v[4] = {};
  auto n = ::lgetxattr(path.c_str(), name, v, sizeof v);
  if (n < 0) {
    // No such attribute, no xattr support, or trusted.* unreadable without privilege:
    // none of them marks the directory opaque.
    if (errno == ENODATA || errno == ENOTSUP || errno == EPERM || errno == EACCES) return false;
    core::throw_errno(errno, "cannot read the overlay attributes of '" + path + "'");
  }
  // "y" only: newer kernels also write "x" on upper directories that merely hold
  // xwhiteouts, which hides nothing below.
  return n == 1 && v[0] == 'y';
}

bool is_opaque(const std::string &path, bool userxattr) {
  if (xattr_is_y(path, "trusted.overlay.opaque")) return true;
  return userxattr && xattr_is_y(path, "user.overlay.opaque");
}

std::string dir_of(const std::string &rel) {
  auto slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash + 1);
}

std::string base_of(const std::string &rel) {
  auto slash = rel.rfind('/');
  return slash == std::string::npos ? rel : rel.substr(slash + 1);
}

std::uint32_t inside_id(const std::vector<IdRange> &ranges, std::uint32_t id,
                        const std::string &rel) {
  if (ranges.empty()) return id;
  auto in = to_inside(ranges, id);
  if (!in)
    throw Error(Errc::unsupported, "'" + rel + "' is owned by id " + std::to_string(id) +
                                       ", which the sandbox's user namespace does not map");
  return *in;
}

class FdSink final : public core::ByteSink {
public:
  explicit FdSink(int fd) : fd_(fd) {}
  void write(const char *data, std::size_t len) override {
    core::write_all(fd_, data, len, "the diff pipe");
  }
  using ByteSink::write;

private:
  int fd_;
};

// A rootless sandbox's upper directory holds files of its subordinate ids, which the
// caller may not read (a 0600 file of uid 1000 inside); root of a user namespace with the
// same mapping can, and sees the ids inside. The walk runs there, in a forked child, and
// its tar bytes come back through a pipe into `out`.
void diff_in_userns(const std::string &upper, core::ByteSink &out, const OverlayDiffOptions &opts) {
  run_in_userns(
      opts.ids,
      [&](int, int to) {
        OverlayDiffOptions inside = opts;
        inside.ids = {}; // stat(2) reports the ids inside here
        FdSink sink(to);
        layer::TarOptions tar_opts;
        tar_opts.mtime_clamp = opts.mtime_clamp;
        tar_opts.keep_owner = true;
        tar_opts.xattrs = true;
        layer::TarWriter tw(sink, tar_opts);
        write_overlay_diff(upper, tw, inside);
        tw.finish();
      },
      {}, [&](const char *p, std::size_t n) { out.write(p, n); },
      "making a layer of '" + upper + "'");
  out.finish();
}

// Which entries the layer gets: all of them without lower dirs; else those that differ
// from the image (whiteouts and opaque directories always do), and every directory
// above a kept entry. Entries come sorted, each directory before its contents.
std::vector<bool> entries_to_write(const std::string &upper_dir,
                                   const std::vector<layer::FileInfo> &entries,
                                   const OverlayDiffOptions &opts) {
  std::vector<bool> keep(entries.size(), true);
  if (opts.lower_dirs.empty()) return keep;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto &fi = entries[i];
    if (fi.rel.empty() || is_whiteout(fi)) continue;
    const std::string disk = upper_dir + "/" + fi.rel;
    if (S_ISDIR(fi.mode) && is_opaque(disk, opts.userxattr)) continue;
    if (auto below = image_path(opts.lower_dirs, fi.rel))
      keep[i] = !unchanged_from_image(disk, *below);
  }
  std::unordered_set<std::string> parents; // directories with a kept entry below
  for (std::size_t i = entries.size(); i-- > 0;) {
    const auto &rel = entries[i].rel;
    if (!keep[i] && parents.count(rel) == 0) continue;
    keep[i] = true;
    const auto dir = dir_of(rel);
    if (!dir.empty()) parents.insert(dir.substr(0, dir.size() - 1));
  }
  return keep;
}

} // namespace

void write_overlay_diff(const std::string &upper_dir, layer::TarWriter &tw,
                        const OverlayDiffOptions &opts) {
  auto entries = layer::walk_tree(upper_dir);
  const auto keep = entries_to_write(upper_dir, entries, opts);
  layer::DirFds dirs(upper_dir);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto fi = entries[i];
    if (fi.rel.empty() || !keep[i]) continue; // the upper root is the image root: no entry
    const std::string disk = upper_dir + "/" + fi.rel;
    if (is_whiteout(fi)) {
      // Mode 0 and no owner, as containerd and BuildKit write them: only the name counts.
      tw.add_bytes(dir_of(fi.rel) + kWhiteoutPrefix + base_of(fi.rel), {}, 0);
      continue;
    }
    fi.uid = inside_id(opts.ids.uids, fi.uid, fi.rel);
    fi.gid = inside_id(opts.ids.gids, fi.gid, fi.rel);
    tw.add_tree_entry(dirs, fi, fi.rel);
    // Right after its directory, so a reader meets the marker before the directory's
    // new contents (extractors that apply it on sight would otherwise delete them).
    if (S_ISDIR(fi.mode) && is_opaque(disk, opts.userxattr))
      tw.add_bytes(fi.rel + "/" + kOpaqueMarker, {}, 0);
  }
  // What the layer leaves out goes from the upper dir too (the image below shows the
  // same), so the dir holds exactly the layer when a layer store adopts it by diffID.
  for (std::size_t i = entries.size(); i-- > 0;) {
    if (keep[i]) continue;
    const std::string disk = upper_dir + "/" + entries[i].rel;
    if ((S_ISDIR(entries[i].mode) ? ::rmdir(disk.c_str()) : ::unlink(disk.c_str())) != 0)
      core::throw_errno(errno, "cannot remove the unchanged copy-up '" + disk + "'");
  }
}

layer::LayerResult overlay_diff_layer(const std::string &upper_dir, core::ByteSink &out,
                                      layer::Compression compression,
                                      const OverlayDiffOptions &opts, int level, unsigned threads,
                                      bool docker_media_type) {
  layer::LayerPipeline pipe(out, compression, level, threads, docker_media_type);
  if (!opts.ids.empty() && ::geteuid() != 0) {
    diff_in_userns(upper_dir, pipe.input(), opts);
    return pipe.finish();
  }
  layer::TarOptions tar_opts;
  tar_opts.mtime_clamp = opts.mtime_clamp;
  tar_opts.keep_owner = true; // a RUN step's owners are content, unlike a COPY's
  tar_opts.xattrs = true;
  layer::TarWriter tw(pipe.input(), tar_opts);
  write_overlay_diff(upper_dir, tw, opts);
  tw.finish();
  return pipe.finish();
}

} // namespace berth::sandbox
