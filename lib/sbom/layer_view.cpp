#include "sbom/layer_view.hpp"

namespace berth::sbom {

namespace {
constexpr std::string_view kWhiteout = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";
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

void LayerView::begin_layer() {
  seen_.merge(pending_seen_);
  removed_.merge(pending_removed_);
  opaque_.merge(pending_opaque_);
  pending_seen_.clear();
  pending_removed_.clear();
  pending_opaque_.clear();
}

bool LayerView::hidden_below(const std::string &path) const {
  // The path itself or any ancestor removed; any strict ancestor opaque.
  if (removed_.count(path)) return true;
  for (auto cut = path.rfind('/'); cut != std::string::npos; cut = path.rfind('/', cut - 1)) {
    std::string parent = path.substr(0, cut);
    if (removed_.count(parent) || opaque_.count(parent)) return true;
    if (cut == 0) break;
  }
  return opaque_.count("") > 0; // an opaque marker at the root
}

LayerView::Verdict LayerView::classify(std::string_view raw, bool is_dir) {
  auto path = normalize_layer_path(raw);
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
  std::string_view name = slash == std::string::npos ? std::string_view(path)
                                                     : std::string_view(path).substr(slash + 1);
  if (name == kOpaque) {
    pending_opaque_.insert(dir);
    return Verdict::whiteout;
  }
  if (name.substr(0, kWhiteout.size()) == kWhiteout) {
    std::string target = std::string(name.substr(kWhiteout.size()));
    if (!target.empty() && target.rfind(".wh.", 0) != 0) // ".wh..wh.*": aufs bookkeeping
      pending_removed_.insert(dir.empty() ? target : dir + "/" + target);
    return Verdict::whiteout;
  }
  if (path.empty()) return Verdict::shadowed; // the root directory itself
  if (seen_.count(path) || hidden_below(path)) return Verdict::shadowed;
  // A tar may hold a path twice; the SBOM lists it once.
  if (!pending_seen_.insert(path).second) return Verdict::shadowed;
  if (!is_dir) pending_removed_.insert(path); // a file hides a lower directory's subtree
  return Verdict::visible;
}

} // namespace berth::sbom
