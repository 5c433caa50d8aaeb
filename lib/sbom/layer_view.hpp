// Which entries of an image's layers are in the image: layers are read top (last)
// to bottom, so the first entry seen for a path is the one that counts, and whiteouts
// (".wh.NAME", the opaque marker ".wh..wh..opq") of an upper layer hide what lower
// layers hold there (the OCI image spec's layer rules). Memory is one set entry per
// path seen, never file content. classify() is linear in the length of the path: what
// upper layers removed or made opaque is a tree of path components, walked once from
// the root (a set of whole paths would hash every ancestor, quadratic in the depth).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

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
  enum Flag : std::uint8_t { removed = 1, opaque = 2 };
  bool hidden_below(std::string_view path) const;
  void mark(std::string_view path, Flag flag);

  // Paths the layers above the current one hold (any type): lower copies are shadowed.
  std::unordered_set<std::string> seen_;
  // Below the layers above: the tree of path components (node 0 is the root; a child
  // is keyed by its parent's number and its name) with what happened at each node:
  // `removed` for whiteouts and non-directories (which replace any directory of that
  // name below), `opaque` for directories whose lower contents an opaque marker hid.
  std::unordered_map<std::string, std::uint32_t> children_;
  std::vector<std::uint8_t> flags_;
  // The current layer's own additions, applied to the layers below it only.
  std::unordered_set<std::string> pending_seen_;
  std::vector<std::pair<std::string, Flag>> pending_marks_;
};

} // namespace berth::sbom
