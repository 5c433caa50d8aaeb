#include "sbom/layer_view.hpp"

#include <random>

namespace berth::sbom {

namespace {
constexpr std::string_view kWhiteout = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";
constexpr std::uint64_t kFnvPrime = 0x100000001b3ull;

std::uint64_t fnv_step(std::uint64_t h, char c) {
  return (h ^ static_cast<unsigned char>(c)) * kFnvPrime;
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

LayerView::LayerView() {
  std::random_device rd;
  seed_ = (static_cast<std::uint64_t>(rd()) << 32 | rd()) ^ 0xcbf29ce484222325ull;
}

std::uint64_t LayerView::hash(std::string_view path) const {
  std::uint64_t h = seed_;
  for (char c : path)
    h = fnv_step(h, c);
  return h;
}

void LayerView::begin_layer() {
  for (const auto &p : pending_removed_)
    marked_.insert(hash(p));
  for (const auto &p : pending_opaque_)
    marked_.insert(hash(p));
  seen_.merge(pending_seen_);
  removed_.merge(pending_removed_);
  opaque_.merge(pending_opaque_);
  pending_seen_.clear();
  pending_removed_.clear();
  pending_opaque_.clear();
}

bool LayerView::hidden_below(const std::string &path) const {
  // The path itself or any ancestor removed; any strict ancestor opaque (the root too).
  if (opaque_.count("")) return true;
  if (marked_.empty()) return false;
  std::uint64_t h = seed_;
  for (std::size_t i = 0;; ++i) {
    if (i == path.size() || path[i] == '/') {
      // Only a prefix whose hash was marked is looked up by name: a real ancestor
      // (which ends the walk) or, at most, the path itself when only made opaque.
      if (marked_.count(h)) {
        std::string prefix = path.substr(0, i);
        if (removed_.count(prefix)) return true;
        if (i < path.size() && opaque_.count(prefix)) return true;
      }
      if (i == path.size()) return false;
    }
    h = fnv_step(h, path[i]);
  }
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
