// What the SBOM's package parsers find: one installed package, named the way its
// ecosystem names it, with the package URL (purl) that identifies it across tools.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace berth::sbom {

struct Package {
  std::string ecosystem; // purl type: "deb", "apk", "pypi", "golang"
  std::string name, version;
  std::string arch;     // deb and apk; "" elsewhere
  std::string source;   // the source package (deb Source:, apk origin), "" when the same
  std::string license;  // as the package database says it (free text, not an SPDX expression)
  std::string supplier; // maintainer, as written
  std::string found_in; // the file it was read from, "./var/lib/dpkg/status"
  std::string purl;     // filled by the parser that made it
};

// Package and version names are printable ASCII without spaces (Debian policy, and
// apk's too); a field holding anything else is not a package we can name.
inline bool plausible_token(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  for (unsigned char c : s)
    if (c <= ' ' || c >= 0x7f) return false;
  return true;
}

// What a parser could not read: skipped with a reason, never fatal.
using Warnings = std::vector<std::string>;

// Warnings of one kind about one file stop at this many, then one more line counts
// the rest: a hostile file of a million bad lines gives a bounded report.
constexpr std::size_t kMaxWarningsPerFile = 20;

// The line that counts the warnings past kMaxWarningsPerFile, when there were any.
inline void count_unlisted(Warnings &warnings, const std::string &what, std::size_t warned) {
  if (warned > kMaxWarningsPerFile)
    warnings.push_back(what + ": " + std::to_string(warned - kMaxWarningsPerFile) +
                       " more like these not listed");
}

} // namespace berth::sbom
