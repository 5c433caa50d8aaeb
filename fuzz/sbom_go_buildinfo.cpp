// Go build info embedded in ELF files of an image: the whole-buffer parser and the
// streaming scanner must agree whatever the chunking.
#include "fuzz_input.hpp"
#include "sbom/go_buildinfo.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the chunk size the scanner is fed in; the rest is the file.
  std::size_t chunk = 1 + data[0] % 64;
  auto file = berth::fuzz::text(data + 1, size - 1);
  berth::sbom::GoBuildInfo whole;
  (void)berth::sbom::parse_go_buildinfo(file, whole);
  berth::sbom::GoBuildInfoScanner one, chunked;
  one.update(file.data(), file.size());
  for (std::size_t at = 0; at < file.size(); at += chunk)
    chunked.update(file.data() + at, std::min(chunk, file.size() - at));
  auto a = one.finish();
  auto b = chunked.finish();
  if (a.has_value() != b.has_value()) __builtin_trap();
  if (a && (a->go_version != b->go_version || a->main.path != b->main.path ||
            a->deps.size() != b->deps.size()))
    __builtin_trap();
  if (a && a->deps.size() > berth::sbom::kMaxGoDeps) __builtin_trap();
  if (a) (void)berth::sbom::go_packages(*a, "usr/bin/x");
  return 0;
}
