// The body of the gzip and zstd targets: a Decompressor pulls the input through a
// source that returns short reads, and the output is read to its end (up to a cap,
// so a small bomb does not stall the fuzzer; export caps expansion separately).
#pragma once

#include <berth/error.hpp>

#include "fuzz_input.hpp"
#include "layer/compression.hpp"

#include <algorithm>
#include <cstring>

namespace berth::fuzz {

inline void decompress(layer::Compression c, const std::uint8_t *data, std::size_t size) {
  if (size == 0) return;
  const std::size_t chunk = data[0] % 16 == 0 ? SIZE_MAX : data[0] % 16 * 37;
  auto in = text(data + 1, size - 1);
  std::size_t pos = 0;
  try {
    layer::Decompressor d(c, [&](char *buf, std::size_t len) {
      std::size_t n = std::min({len, chunk, in.size() - pos});
      std::memcpy(buf, in.data() + pos, n);
      pos += n;
      return n;
    });
    static char out[64 << 10];
    std::size_t total = 0;
    while (std::size_t n = d.read(out, sizeof out)) {
      total += n;
      if (total > (16u << 20)) break;
    }
    if (d.compressed_bytes_read() > in.size()) __builtin_trap();
  } catch (const Error &) {
  }
}

} // namespace berth::fuzz
