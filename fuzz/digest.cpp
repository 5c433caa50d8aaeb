// Digests from registries (Docker-Content-Digest, descriptors) and users.
#include <berth/digest.hpp>
#include <berth/error.hpp>

#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const auto in = berth::fuzz::text(data, size);
  bool parsed = false;
  try {
    auto d = berth::image::Digest::parse(in);
    parsed = true;
    // A digest becomes a path under blobs/: it must be exactly what was given.
    if (d.str() != in) __builtin_trap();
  } catch (const berth::Error &) {
  }
  if (parsed != berth::image::Digest::valid(in)) __builtin_trap();
  return 0;
}
