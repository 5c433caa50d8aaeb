#include "sbom/layer_view.hpp"

namespace berth::sbom {

namespace {
constexpr std::string_view kWhiteout = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";

// The key of child `name` of node `parent`.
void child_key(std::string &key, std::uint32_t parent, std::string_view name) {
  key.assign(reinterpret_cast<const char *>(&parent), sizeof parent);
  key.append(name);
}

// Calls fn(component, is_last) for each component of a normalised path ("" has none).
template <typename Fn> void for_each_component(std::string_view path, Fn &&fn) {
  while (!path.empty()) {
    auto slash = path.find('/');
    bool last = slash == std::string_view::npos;
    if (!fn(path.substr(0, slash), last)) return;
    path.remove_prefix(last ? path.size() : slash + 1);
  }
}
} // namespace

std::string normalize_layer_path(std::string_view path) {
  std::string out;
  while (!path.empty()) {
    auto slash = path.find('/');
    auto seg = path.substr(0, slash);
    path.remove_prefix(slash == std::string_view::npos ? path.size() : slash + 1);
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      auto cut = out.rfind('/');
      out.erase(cut == std::string::npos ? 0 : cut);
      continue;
    }
    if (!out.empty()) out += '/';
    out += seg;
  }
  return out;
}

LayerView::LayerView() : flags_(1, 0) {}

void LayerView::mark(std::string_view path, Flag flag) {
  std::uint32_t node = 0;
  std::string key;
  for_each_component(path, [&](std::string_view name, bool) {
    child_key(key, node, name);
    auto [it, added] = children_.try_emplace(key, static_cast<std::uint32_t>(flags_.size()));
    if (added) flags_.push_back(0);
    node = it->second;
    return true;
  });
  flags_[node] |= flag;
}

void LayerView::begin_layer() {
  seen_.merge(pending_seen_);
  pending_seen_.clear();
  for (const auto &[path, flag] : pending_marks_)
    mark(path, flag);
  pending_marks_.clear();
}

bool LayerView::hidden_below(std::string_view path) const {
  // The path itself or any ancestor removed; any strict ancestor opaque (the root too).
  if (flags_[0] & opaque) return true;
  std::uint32_t node = 0;
  bool hidden = false;
  std::string key;
  for_each_component(path, [&](std::string_view name, bool last) {
    child_key(key, node, name);
    auto it = children_.find(key);
    if (it == children_.end()) return false; // nothing below here was touched
    node = it->second;
    hidden = (flags_[node] & removed) || (!last && (flags_[node] & opaque));
    return !hidden;
  });
  return hidden;
}

LayerView::Verdict LayerView::classify(std::string_view raw, bool is_dir) {
  auto path = normalize_layer_path(raw);
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
  std::string_view name = slash == std::string::npos ? std::string_view(path)
                                                     : std::string_view(path).substr(slash + 1);
  if (name == kOpaque) {
    pending_marks_.emplace_back(dir, opaque);
    return Verdict::whiteout;
  }
  if (name.substr(0, kWhiteout.size()) == kWhiteout) {
    std::string target = std::string(name.substr(kWhiteout.size()));
    if (!target.empty() && target.rfind(".wh.", 0) != 0) // ".wh..wh.*": aufs bookkeeping
      pending_marks_.emplace_back(dir.empty() ? target : dir + "/" + target, removed);
    return Verdict::whiteout;
  }
  if (path.empty()) return Verdict::shadowed; // the root directory itself
  if (seen_.count(path) || hidden_below(path)) return Verdict::shadowed;
  // A tar may hold a path twice; the SBOM lists it once.
  if (!pending_seen_.insert(path).second) return Verdict::shadowed;
  if (!is_dir) pending_marks_.emplace_back(path, removed); // hides a lower directory's subtree
  return Verdict::visible;
}

} // namespace berth::sbom
