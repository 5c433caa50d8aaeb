// Python core metadata (*.dist-info/METADATA) from an image's layers.
#include "fuzz_input.hpp"
#include "sbom/python_metadata.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  berth::sbom::Warnings warnings;
  auto p = berth::sbom::parse_python_metadata(berth::fuzz::text(data, size), "METADATA", warnings);
  // A valid result is one purl path segment (no '/' past "pkg:pypi/") and one line.
  if (p && (p->purl.rfind("pkg:pypi/", 0) != 0 ||
            p->purl.find_first_of(" \t\n\r/", 9) != std::string::npos ||
            p->license.find('\n') != std::string::npos))
    __builtin_trap();
  if (!p && warnings.empty()) __builtin_trap(); // a skipped file is always reported
  // The stanza's warnings are capped (plus the line counting the rest), then one more.
  if (warnings.size() > berth::sbom::kMaxWarningsPerFile + 2) __builtin_trap();
  return 0;
}
