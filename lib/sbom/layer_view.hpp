// Which entries of an image's layers are in the image: layers are read top (last)
// to bottom, so the first entry seen for a path is the one that counts, and whiteouts
// (".wh.NAME", the opaque marker ".wh..wh..opq") of an upper layer hide what lower
// layers hold there (the OCI image spec's layer rules). Memory is one set entry per
// path seen, never file content. classify() is linear in the length of the path: the
// hashes of all its ancestors come from one pass over it (FNV-1a is computed byte by
// byte, so each prefix's hash is a state along the way), and only an ancestor whose
// hash matches is looked up by name. (Hashing each ancestor anew is quadratic in the
// depth: a path of a million bytes of "a/a/..." took seconds.)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

namespace berth::sbom {

// "./usr/bin/x", "/usr/bin/x/" -> "usr/bin/x"; "" for the root. ".." segments and
// empty segments are dropped (a path cannot climb out of the image's root).
std::string normalize_layer_path(std::string_view path);

class LayerView {
public:
  enum class Verdict {
    visible,  // in the image: describe it
    shadowed, // an upper layer replaced or deleted it
    whiteout  // a whiteout or opaque marker: bookkeeping, not a file
  };

  LayerView();

  // Call before the entries of each layer, topmost first.
  void begin_layer();
  // One entry of the current layer (path as stored in the tar).
  Verdict classify(std::string_view path, bool is_dir);

private:
  bool hidden_below(const std::string &path) const;
  std::uint64_t hash(std::string_view path) const;

  // Paths the layers above the current one hold (any type): lower copies are shadowed.
  std::unordered_set<std::string> seen_;
  // Paths whose whole subtree upper layers removed (whiteouts, and non-directories,
  // which replace any directory of that name below).
  std::unordered_set<std::string> removed_;
  // Directories whose lower contents upper layers hid (opaque markers).
  std::unordered_set<std::string> opaque_;
  // hash() of every path in removed_ and opaque_, with a seed of this process's own
  // (a layer cannot be made of colliding names).
  std::unordered_set<std::uint64_t> marked_;
  std::uint64_t seed_;
  // The current layer's own additions, applied to the layers below it only.
  std::unordered_set<std::string> pending_seen_, pending_removed_, pending_opaque_;
};

} // namespace berth::sbom
