// dpkg's database of installed packages: /var/lib/dpkg/status, and the one-package
// files of /var/lib/dpkg/status.d/ that distroless images carry instead.
#pragma once

#include "sbom/package.hpp"

#include <string>
#include <string_view>

namespace berth::sbom {

// The distribution, from /etc/os-release (ID, VERSION_ID): the purl namespace and
// its "distro" qualifier. Empty fields fall back to the ecosystem's usual namespace.
struct Distro {
  std::string id, version_id;
};

// Parses os-release text (KEY=value lines, values maybe quoted).
Distro parse_os_release(std::string_view text);

// The packages dpkg has installed ("Status: ... installed", or no Status field, as in
// status.d/). Stanzas without Package or Version, and malformed lines, are skipped
// with a warning. `path` names the file in warnings and in Package::found_in.
std::vector<Package> parse_dpkg_status(std::string_view text, const std::string &path,
                                       const Distro &distro, Warnings &warnings);

} // namespace berth::sbom
