// berth sbom's layer scanner as a whole (ops/sbom_scan.hpp): tars of an image's layers
// read topmost first — whiteouts, hardlinks, package databases, METADATA, os-release,
// ELF files with Go build info — then the SPDX document written from what it found.
// The limits are lowered so the fuzzer reaches them: held text, packages, warnings and
// paths never pass them.
#include <berth/error.hpp>

#include "fuzz_input.hpp"
#include "layer/tar_reader.hpp"
#include "ops/supply_chain/sbom_scan.hpp"
#include "sbom/spdx_document.hpp"

#include <algorithm>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte sets how much the source hands out per call (0: all asked for).
  const std::size_t chunk = data[0] % 16 == 0 ? SIZE_MAX : data[0] % 16;
  berth::ops::SbomLimits limits;
  limits.max_path = 256;
  limits.max_database = 8192;
  limits.max_small_file = 2048;
  limits.max_os_release = 512;
  limits.max_held = 8192;
  limits.max_packages = 40;
  limits.max_warnings = 12;
  berth::ops::SbomScanner scanner(limits);
  try {
    for (auto layer : berth::fuzz::split(berth::fuzz::text(data + 1, size - 1), 4)) {
      std::size_t pos = 0;
      berth::layer::TarReader reader([&](char *buf, std::size_t len) {
        std::size_t n = std::min({len, chunk, layer.size() - pos});
        std::memcpy(buf, layer.data() + pos, n);
        pos += n;
        return n;
      });
      scanner.add_layer(reader);
    }
  } catch (const berth::Error &) {
    // A corrupt tar ends the scan, as it ends `berth sbom`; what was found still counts.
  }
  berth::sbom::SpdxInput doc;
  doc.name = "fuzz";
  doc.digest = "sha256:" + std::string(64, '0');
  doc.created = "2026-01-01T00:00:00Z";
  doc.tool = "berth-fuzz";
  scanner.finish(doc);
  if (doc.packages.size() > limits.max_packages || doc.warnings.size() > limits.max_warnings)
    __builtin_trap();
  for (const auto &f : doc.files)
    if (f.path.empty() || f.path.size() > limits.max_path || f.sums.sha1.size() != 40 ||
        f.sums.sha256.size() != 64)
      __builtin_trap();
  for (const auto &w : doc.warnings)
    if (w.size() > 1024) __builtin_trap(); // hostile paths are shortened in warnings
  (void)berth::sbom::write_spdx_json(std::move(doc));
  return 0;
}
