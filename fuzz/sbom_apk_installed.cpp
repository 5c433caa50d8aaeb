// apk's installed database (lib/apk/db/installed) from an image's layers.
#include "fuzz_input.hpp"
#include "sbom/apk_installed.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  berth::sbom::Warnings warnings;
  auto pkgs = berth::sbom::parse_apk_installed(berth::fuzz::text(data, size),
                                               "lib/apk/db/installed", {}, warnings);
  for (const auto &p : pkgs)
    if (p.name.empty() || p.version.empty() || p.purl.rfind("pkg:apk/alpine/", 0) != 0 ||
        p.purl.find_first_of(" \t\n\r") != std::string::npos)
      __builtin_trap();
  // Warnings per file are capped, then one line counts the rest.
  if (warnings.size() > berth::sbom::kMaxWarningsPerFile + 1) __builtin_trap();
  return 0;
}
