// The body of the decompression targets: a decoder pulls the input through a source
// that returns short reads, and the output is read to its end (up to a cap, so a small
// bomb does not stall the fuzzer; export caps expansion separately).
#pragma once

#include <berth/error.hpp>

#include "fuzz_input.hpp"
#include "layer/compression.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string_view>

namespace berth::fuzz {

// The short-read size the first input byte picks (SIZE_MAX: whatever is asked).
inline std::size_t chunk_of(std::uint8_t b) {
  return b % 16 == 0 ? SIZE_MAX : b % 16 * 37;
}

// make(PullSource) -> a decoder with read(char*, size_t); after(decoder) runs once its
// output was read (an Error from it propagates).
template <class Make, class After = void (*)(const void *)>
void pull_through(
    std::string_view in, std::size_t chunk, Make make, After after = [](const void *) {}) {
  std::size_t pos = 0;
  auto d = make([&, in, chunk](char *buf, std::size_t len) {
    std::size_t n = std::min({len, chunk, in.size() - pos});
    std::memcpy(buf, in.data() + pos, n);
    pos += n;
    return n;
  });
  static char out[64 << 10];
  std::size_t total = 0;
  while (std::size_t n = d->read(out, sizeof out)) {
    total += n;
    if (total > (16u << 20)) break;
  }
  after(d.get());
}

inline void decompress(layer::Compression c, const std::uint8_t *data, std::size_t size) {
  if (size == 0) return;
  auto in = text(data + 1, size - 1);
  try {
    pull_through(
        in, chunk_of(data[0]),
        [c](layer::PullSource src) {
          return std::make_unique<layer::Decompressor>(c, std::move(src));
        },
        [&](const layer::Decompressor *d) {
          if (d->compressed_bytes_read() > in.size()) __builtin_trap();
        });
  } catch (const Error &) {
  }
}

} // namespace berth::fuzz
