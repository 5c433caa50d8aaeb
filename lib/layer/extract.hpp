// Extractor: flattens image layers, in order, into a directory, applying OCI whiteouts.
//
// Hostile archives are expected. Every path is resolved component by component from
// an open descriptor of the target with openat(O_NOFOLLOW | O_DIRECTORY), so nothing
// is ever written, linked or removed through a symlink — whether an earlier entry or
// layer created it or it was there before. Refused with Error(unsafe), naming the entry:
// absolute paths, paths with "..", entries (and whiteouts) below a symlink, hardlinks
// whose target is absolute, has "..", goes through a symlink or does not exist in the
// target. A symlink entry itself may point anywhere: it is stored, never followed.
//
// Regular files, symlinks, fifos, devices and hardlinks are created under a temporary
// name in their directory and renamed into place, so a failure (a truncated stream, a
// cap) never leaves a half-written file under its real name. Directories get their
// mode and mtime after the whole layer, so read-only directories can still be filled;
// after a failed layer, directories it created may keep a temporary 0700 mode. Entries
// before the failing one stay extracted: a failed layer leaves a partial tree.
//
// Whiteout bookkeeping keeps the set of paths the current layer wrote (as containerd
// does), so memory grows with the number of entries in one layer, not with data size.
//
// Limits: max_total_bytes caps the file data of all layers together, checked against
// each header's size before anything is written (Error(too_large)); a non-zero
// max_expansion_ratio caps bytes written / compressed bytes read (earlier layers'
// note_compressed_bytes() plus the current layer's counter), checked while data is
// written, once more than 16 MiB has been written.
//
// Without preserve_owner, files belong to the caller and setuid/setgid bits and
// security.capability are dropped; with it, owners, those bits and the capability
// xattr are applied (usually needs root). Character and block devices are skipped
// unless `devices` is set and berth runs as root; they are then created with at most
// mode 0600. Fifos are created (mode as given, minus setuid/setgid). Entries of type
// `other` are skipped.
#pragma once

#include "core/file.hpp"
#include "layer/tar_reader.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace berth::layer {

struct ExtractOptions {
  std::uint64_t max_total_bytes = 64ull << 30;
  // 0 = off; else uncompressed/compressed limit, compressed count fed via
  // note_compressed_bytes.
  double max_expansion_ratio = 0;
  bool preserve_owner = false;
  bool devices = false; // create character and block devices (as root only)
  // What whiteouts do. `apply` deletes what earlier layers wrote (a flattened tree).
  // The overlay modes keep them in overlayfs's on-disk form instead, for a layer
  // unpacked alone to be an overlay lower directory: ".wh.X" becomes a character device
  // 0/0 named X (which unprivileged users may make, Linux 5.8+) and ".wh..wh..opq" the
  // opaque xattr of its directory — trusted.overlay.opaque (root's mounts) or
  // user.overlay.opaque (mounts with "userxattr", in a user namespace).
  enum class Whiteouts { apply, overlay_trusted, overlay_user };
  Whiteouts whiteouts = Whiteouts::apply;
};

class Extractor {
public:
  // Creates `target_dir` (and its parents) when missing.
  explicit Extractor(std::string target_dir, ExtractOptions opts = {});
  ~Extractor();
  Extractor(Extractor &&) noexcept;
  Extractor &operator=(Extractor &&) noexcept;
  Extractor(const Extractor &) = delete;
  Extractor &operator=(const Extractor &) = delete;

  // One layer: whiteouts delete what earlier layers wrote; an opaque whiteout empties
  // its directory of everything earlier layers put there.
  // compressed_so_far, when given, tells the compressed bytes of this layer read so
  // far, for the expansion-ratio cap while the layer streams.
  void apply_layer(TarReader &reader, std::function<std::uint64_t()> compressed_so_far = {});
  // Adds compressed input bytes for the expansion-ratio cap.
  void note_compressed_bytes(std::uint64_t n);

  // File data bytes written by all layers so far.
  std::uint64_t bytes_written() const noexcept { return written_; }
  const std::string &target_dir() const noexcept { return target_; }

private:
  struct Layer;
  void apply_entry(const TarEntry &e, TarReader &reader, Layer &layer);
  void keep_overlay_whiteout(const TarEntry &e, const std::vector<std::string> &parts,
                             Layer &layer);
  void write_file(const TarEntry &e, TarReader &reader, int dirfd, const std::string &name);
  void check_ratio(const std::string &entry) const;
  std::uint64_t compressed_total() const;

  std::string target_;
  ExtractOptions opts_;
  core::UniqueFd root_;
  bool is_root_ = false;
  std::uint64_t written_ = 0;
  std::uint64_t compressed_ = 0;
  std::function<std::uint64_t()> layer_compressed_;
  std::vector<char> buf_;
};

// Removes what an Extractor killed mid-entry left in a tree it extracted into in
// place: entries under their temporary names (".berth-tmp-" and 12 characters) that
// no live writer holds. Returns how many were removed.
int remove_stale_extract_temps(const std::string &dir);

} // namespace berth::layer
