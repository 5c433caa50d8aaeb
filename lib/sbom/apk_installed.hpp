// apk's database of installed packages, /lib/apk/db/installed: one "K:value" line per
// field (P name, V version, A arch, o origin, L license, m maintainer, and file
// lists), a blank line between packages.
// https://wiki.alpinelinux.org/wiki/Apk_spec#Package_Database
#pragma once

#include "sbom/dpkg_status.hpp"
#include "sbom/package.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace berth::sbom {

// Packages without P or V, and lines that are not "K:value", are skipped with a
// warning. The purl namespace is the os-release ID, else "alpine".
std::vector<Package> parse_apk_installed(std::string_view text, const std::string &path,
                                         const Distro &distro, Warnings &warnings);

} // namespace berth::sbom
