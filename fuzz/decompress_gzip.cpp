// gzip layer streams (every member of a multi-member stream), through Decompressor.
#include "decompress.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  berth::fuzz::decompress(berth::layer::Compression::gzip, data, size);
  return 0;
}
