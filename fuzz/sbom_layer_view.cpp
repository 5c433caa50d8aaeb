// Which layer entries an SBOM lists, and the names it writes for them: paths (one per
// line) of layers separated by the separator line, topmost first — whiteouts, opaque
// markers, "..", odd slashes, bytes that are not UTF-8.
#include "fuzz_input.hpp"
#include "sbom/layer_view.hpp"
#include "sbom/utf8.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  berth::sbom::LayerView view;
  for (auto layer : berth::fuzz::split(berth::fuzz::text(data, size), 8)) {
    view.begin_layer();
    while (!layer.empty()) {
      auto nl = layer.find('\n');
      auto line = layer.substr(0, nl);
      layer.remove_prefix(nl == std::string_view::npos ? layer.size() : nl + 1);
      bool dir = !line.empty() && line.back() == '/';
      auto v = view.classify(line, dir);
      auto norm = berth::sbom::normalize_layer_path(line);
      // A normalised path never climbs out of the root or keeps empty segments.
      if (norm.find("//") != std::string::npos || norm.rfind("../", 0) == 0 || norm == ".." ||
          (!norm.empty() && (norm.front() == '/' || norm.back() == '/')))
        __builtin_trap();
      // What the SPDX document writes for the path: repaired once, stable after.
      auto text = berth::sbom::to_valid_utf8(norm);
      if (berth::sbom::to_valid_utf8(text) != text) __builtin_trap();
      // The same path again in the same layer is never visible twice.
      if (v == berth::sbom::LayerView::Verdict::visible &&
          view.classify(line, dir) == berth::sbom::LayerView::Verdict::visible)
        __builtin_trap();
    }
  }
  return 0;
}
