// How the ensure-* operations compare and show list settings (tag filters, appliedFor):
// as sets, written "[a,b]" in sorted order, so that order never counts as a difference.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace berth::ops {

inline std::string set_text(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  std::string out;
  for (const auto &s : v)
    out.append(out.empty() ? "" : ",").append(s);
  return "[" + out + "]";
}

} // namespace berth::ops
