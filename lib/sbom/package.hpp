// What the SBOM's package parsers find: one installed package, named the way its
// ecosystem names it, with the package URL (purl) that identifies it across tools.
#pragma once

#include <string>
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

// What a parser could not read: skipped with a reason, never fatal.
using Warnings = std::vector<std::string>;

} // namespace berth::sbom
