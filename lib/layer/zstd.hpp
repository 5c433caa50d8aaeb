// zstd compression (libzstd's own worker threads) and the zstd half of Decompressor.
#pragma once

#include "core/stream.hpp"

#include <cstddef>
#include <functional>
#include <memory>

namespace berth::layer {

// Compresses into `out` as one zstd frame with a content checksum (what `zstd`
// writes by default).
//
// Threads: libzstd's multi-threaded mode (ZSTD_c_nbWorkers) with `threads` workers,
// also for threads == 1. zstd's output in that mode does not depend on the number of
// workers, while its single-threaded mode (nbWorkers 0) produces different bytes; always
// using workers keeps the output identical on machines with different core counts.
// Should libzstd lack thread support, compression falls back to single-threaded.
//
// Memory is bounded by libzstd (jobs of a few window sizes per worker) whatever the
// input size. `out` is written on the calling thread only, from write() and finish().
// Levels: ZSTD_minCLevel()..ZSTD_maxCLevel() (0 is zstd's default, 3), default 3;
// Error(invalid_argument) otherwise. After an exception the sink is broken.
class ZstdSink final : public core::ByteSink {
public:
  ZstdSink(core::ByteSink &out, int level = 3, unsigned threads = 0 /* hardware */);
  ~ZstdSink() override;
  ZstdSink(const ZstdSink &) = delete;
  ZstdSink &operator=(const ZstdSink &) = delete;

  void write(const char *data, std::size_t len) override;
  using ByteSink::write;
  // Ends the frame and finishes `out`. A second call does nothing.
  void finish() override;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Pull-side zstd decoding for Decompressor: every frame, ZSTD_decompressStream.
class ZstdDecoder {
public:
  explicit ZstdDecoder(std::function<std::size_t(char *, std::size_t)> source);
  ~ZstdDecoder();
  ZstdDecoder(const ZstdDecoder &) = delete;
  ZstdDecoder &operator=(const ZstdDecoder &) = delete;

  std::size_t read(char *buf, std::size_t len);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace berth::layer
