// ADD of a local archive: BuildKit's isArchivePath + unpack. A regular file whose
// (decompressed) start reads as a tar header is extracted into the destination
// directory by layer::Extractor; anything else is copied as a file.
#include "ops/build/dockerfile/copy_step_impl.hpp"

#include "layer/archive_codec.hpp"
#include "layer/extract.hpp"
#include "layer/file_tree.hpp"
#include "layer/tar_reader.hpp"
#include "sandbox/id_map.hpp"
#include "sandbox/userns_call.hpp"

#include <berth/error.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <unordered_set>

namespace berth::ops::copy_detail {

bool Step::try_unpack(const std::string &src_rel, const std::string &dest_real) {
  std::string path = src_.host(src_rel);
  auto probe = src_.open_file(src_rel);
  unsigned char magic[6] = {};
  std::size_t got = 0;
  while (got < sizeof magic) {
    auto n = core::read_some(probe.get(), reinterpret_cast<char *>(magic) + got, sizeof magic - got,
                             path);
    if (n == 0) break;
    got += n;
  }
  // gzip, bzip2, xz or zstd, as BuildKit's ADD detects them; else read as it is.
  const auto codec =
      layer::sniff_archive_codec(std::string_view(reinterpret_cast<const char *>(magic), got));

  auto open_reader = [&](core::UniqueFd &fd, std::unique_ptr<layer::ArchiveDecoder> &dec) {
    fd = src_.open_file(src_rel);
    int raw = fd.get();
    dec = std::make_unique<layer::ArchiveDecoder>(
        codec, [raw, path](char *b, std::size_t n) { return core::read_some(raw, b, n, path); });
    auto *d = dec.get();
    return layer::TarReader([d](char *b, std::size_t n) { return d->read(b, n); });
  };
  // The archive's own paths, for --chown (what was already below the destination and
  // is not in the archive keeps its owner).
  std::unordered_set<std::string> archive_paths;
  {
    core::UniqueFd fd;
    std::unique_ptr<layer::ArchiveDecoder> dec;
    auto r = open_reader(fd, dec);
    std::optional<layer::TarEntry> e;
    try {
      e = r.next();
    } catch (const Error &) {
      return false; // not a tar: copied as a file
    }
    if (!e) return false; // an empty archive is no archive (Go's tar says EOF)
    if (chown_)
      for (; e; e = r.next()) {
        std::string p = root_rel(e->path);
        for (; !p.empty() && archive_paths.insert(p).second; p = parent_rel(p)) {
        }
      }
  }
  ensure_dirs(dest_real);
  const std::string target = view_.host(dest_real);
  std::unordered_set<std::string> before;
  if (chown_)
    for (const auto &fi : layer::walk_tree(target))
      before.insert(fi.rel);
  core::UniqueFd fd;
  std::unique_ptr<layer::ArchiveDecoder> dec;
  auto r = open_reader(fd, dec);
  // The archive's owners are kept, as BuildKit's Untar keeps them; rootless, by root of a
  // user namespace mapping the caller's subordinate ids (without them, the owners go).
  layer::ExtractOptions eo;
  eo.preserve_owner = ::geteuid() == 0 || sandbox::rootless_mapping().use_helpers;
  sandbox::as_root_inside(
      [&]() -> std::string {
        layer::Extractor ex(target, eo);
        ex.apply_layer(r);
        return {};
      },
      "unpacking " + src_rel);
  if (chown_) { // ChownOpts: every entry of the archive gets the --chown owner
    for (const auto &fi : layer::walk_tree(target)) {
      if (fi.rel.empty() || (before.count(fi.rel) && !archive_paths.count(fi.rel))) continue;
      std::string h = target + "/" + fi.rel;
      set_owner(h, *chown_);
      if (!S_ISLNK(fi.mode) && ::chmod(h.c_str(), fi.mode & 07777) != 0) // chown drops setuid
        core::throw_errno(errno, "chmod " + h);
    }
  }
  return true;
}

} // namespace berth::ops::copy_detail
