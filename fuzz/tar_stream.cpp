// Layer tars as extraction and verification read them: TarReader over ustar, pax
// ('x' and 'g'), GNU long names and base-256 numbers, v7 headers.
#include <berth/error.hpp>

#include "fuzz_input.hpp"
#include "layer/tar_reader.hpp"

#include <algorithm>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte sets how much the source hands out per call (sources may return
  // short reads at any time); 0 means as much as asked for.
  const std::size_t chunk = data[0] % 16 == 0 ? SIZE_MAX : data[0] % 16;
  auto in = berth::fuzz::text(data + 1, size - 1);
  std::size_t pos = 0;
  berth::layer::TarReader reader([&](char *buf, std::size_t len) {
    std::size_t n = std::min({len, chunk, in.size() - pos});
    std::memcpy(buf, in.data() + pos, n);
    pos += n;
    return n;
  });
  try {
    char buf[700];
    std::size_t entries = 0;
    while (auto e = reader.next()) {
      ++entries;
      // Read every other entry's data; next() skips what is left of the others.
      if (entries % 2 == 0) {
        std::uint64_t got = 0;
        while (std::size_t n = reader.read_data(buf, sizeof buf))
          got += n;
        if (got != e->size) __builtin_trap();
      }
      if (reader.offset() > in.size()) __builtin_trap();
    }
  } catch (const berth::Error &) {
  }
  return 0;
}
