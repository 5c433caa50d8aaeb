#include "core/quoted.hpp"

namespace berth::core {

std::string quoted(std::string_view s) {
  constexpr std::size_t kMax = 100;
  std::string out = "\"";
  for (unsigned char c : s.substr(0, kMax)) {
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out += "\"";
  if (s.size() > kMax) out += "...";
  return out;
}

std::string single_quoted(std::string_view s) {
  std::string out = "'";
  out.append(s);
  out += '\'';
  return out;
}

} // namespace berth::core
