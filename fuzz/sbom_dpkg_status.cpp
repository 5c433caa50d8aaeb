// dpkg's status database (and status.d/ files, os-release) from an image's layers:
// anyone can put any bytes there, and berth sbom reads them.
#include "fuzz_input.hpp"
#include "sbom/dpkg_status.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  // "os-release", separator, "status".
  auto parts = berth::fuzz::split(berth::fuzz::text(data, size), 2);
  auto distro = berth::sbom::parse_os_release(parts[0]);
  berth::sbom::Warnings warnings;
  auto pkgs = berth::sbom::parse_dpkg_status(parts.back(), "var/lib/dpkg/status", distro, warnings);
  for (const auto &p : pkgs)
    // Every package named is a usable purl: no spaces or control bytes survive.
    if (p.name.empty() || p.version.empty() || p.purl.rfind("pkg:deb/", 0) != 0 ||
        p.purl.find_first_of(" \t\n\r") != std::string::npos)
      __builtin_trap();
  // Line warnings and skipped-stanza warnings are each capped per file, plus the
  // line counting the rest: a million bad stanzas stay a short report.
  if (warnings.size() > 2 * (berth::sbom::kMaxWarningsPerFile + 1)) __builtin_trap();
  return 0;
}
