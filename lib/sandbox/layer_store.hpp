// Base layers unpacked once, for RUN steps to stack as overlay lower directories: one
// directory per layer, named by its diffID (the sha256 of its uncompressed tar), so any
// build that needs the same layer reuses it. Whiteouts stay in overlay's on-disk form
// (0/0 character devices, opaque xattrs) rather than being applied, since each layer is
// its own lower directory and overlay applies them when it stacks them.
//
// A layer is unpacked into a locked staging directory beside its final name, verified
// against its diffID, and renamed into place: a directory under a diffID's name is always
// complete, whatever killed a writer (kill -9 included); a killed writer's staging
// directory is removed by the next writer in that store.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace berth::sandbox {

class LayerStore {
public:
  // `root` is created when missing. With `userxattr`, opaque directories are marked for
  // a rootless overlay mount (user.overlay.opaque), else for root's (trusted.*).
  explicit LayerStore(std::string root, bool userxattr = false);

  // The directory of `diff_id` ("sha256:<hex>") if it was unpacked.
  std::optional<std::string> find(const std::string &diff_id) const;

  // The directory of `diff_id`, unpacked first from `read` (the layer's uncompressed
  // tar: fill up to len bytes, 0 at the end) when it is not there yet. Owners and device
  // nodes are kept when running as root; a rootless store's files all belong to the
  // caller (root inside the sandbox). Error(digest_mismatch) when the bytes do not hash
  // to diff_id (nothing is kept), Error(unsafe) for hostile entries (layer/extract.hpp).
  // Two processes unpacking one layer at once both succeed; one copy is kept.
  std::string ensure(const std::string &diff_id,
                     const std::function<std::size_t(char *, std::size_t)> &read);

  // Moves `dir` — a directory already in overlay's form whose layer has `diff_id`, such
  // as a RUN step's upper directory — into the store under that name (same file system:
  // a rename). When the store has the layer already, `dir` is removed and the stored
  // copy is returned.
  std::string adopt(const std::string &diff_id, const std::string &dir);

  const std::string &root() const noexcept { return root_; }

private:
  std::string path_of(const std::string &diff_id) const;

  std::string root_;
  bool userxattr_;
};

} // namespace berth::sandbox
