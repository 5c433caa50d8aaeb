#include "sbom/purl.hpp"

namespace berth::sbom {

std::string purl_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string make_purl(std::string_view type, std::string_view ns, std::string_view name,
                      std::string_view version,
                      const std::vector<std::pair<std::string, std::string>> &qualifiers) {
  std::string out = "pkg:";
  out += type;
  out += '/';
  while (!ns.empty()) {
    auto slash = ns.find('/');
    auto segment = ns.substr(0, slash);
    if (!segment.empty()) {
      out += purl_encode(segment);
      out += '/';
    }
    if (slash == std::string_view::npos) break;
    ns.remove_prefix(slash + 1);
  }
  out += purl_encode(name);
  if (!version.empty()) {
    out += '@';
    out += purl_encode(version);
  }
  char sep = '?';
  for (const auto &[k, v] : qualifiers) {
    if (v.empty()) continue;
    out += sep;
    out += k;
    out += '=';
    out += purl_encode(v);
    sep = '&';
  }
  return out;
}

} // namespace berth::sbom
