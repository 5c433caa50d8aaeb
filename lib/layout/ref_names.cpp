#include "layout/ref_names.hpp"

#include <berth/layout.hpp>

namespace berth::layout {

std::string ref_name_of(const image::Descriptor &d) {
  auto it = d.annotations.find(std::string(kRefNameAnnotation));
  return it == d.annotations.end() ? std::string() : it->second;
}

std::string describe_entries(const std::vector<image::Descriptor> &entries) {
  std::string out;
  for (const auto &d : entries) {
    if (!out.empty()) out += ", ";
    auto ref = ref_name_of(d);
    out += ref.empty() ? "<untagged " + d.digest + ">" : ref;
  }
  return out.empty() ? "none" : out;
}

} // namespace berth::layout
