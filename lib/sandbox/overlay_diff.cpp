#include "sandbox/overlay_diff.hpp"

#include "layer/file_tree.hpp"

#include <berth/error.hpp>

#include <cerrno>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

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

} // namespace

void write_overlay_diff(const std::string &upper_dir, layer::TarWriter &tw,
                        const OverlayDiffOptions &opts) {
  auto entries = layer::walk_tree(upper_dir);
  layer::DirFds dirs(upper_dir);
  for (auto fi : entries) {
    if (fi.rel.empty()) continue; // the upper root is the image root: no entry
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
}

layer::LayerResult overlay_diff_layer(const std::string &upper_dir, core::ByteSink &out,
                                      layer::Compression compression,
                                      const OverlayDiffOptions &opts, int level, unsigned threads,
                                      bool docker_media_type) {
  layer::LayerPipeline pipe(out, compression, level, threads, docker_media_type);
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
