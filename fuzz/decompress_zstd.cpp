// zstd layer streams (every frame; skippable frames skipped), through Decompressor.
#include "decompress.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  berth::fuzz::decompress(berth::layer::Compression::zstd, data, size);
  return 0;
}
