// Block-parallel gzip compression (pigz-style) and the gzip half of Decompressor.
#pragma once

#include "core/stream.hpp"

#include <cstddef>
#include <functional>
#include <memory>

namespace berth::layer {

// Compresses into `out` as gzip.
//
// Format: the input is cut into fixed 1 MiB blocks and each block becomes one complete
// gzip member (header, raw DEFLATE from libdeflate, CRC-32, ISIZE); the members are
// written in input order. A concatenation of members is one valid gzip file (RFC 1952
// section 2.2) that gzip -d, pigz -d, zlib-with-member-loop (Decompressor), Go's
// compress/gzip (multistream is its default, which Docker and containerd use), Python's
// gzip module and Java's GZIPInputStream read whole; eStargz layers are built the same
// way. Readers that stop after the first member (Rust flate2's GzDecoder rather than
// its MultiGzDecoder, a bare zlib inflate) would see only the first MiB; diffID
// verification catches that.
//
// Why not one member with zlib, pigz-style (deflateSetDictionary of the previous
// 32 KiB, Z_SYNC_FLUSH per block)? Measured on a 245 MB tar of GOROOT, per core:
//   zlib -6 with dictionary, 128 KiB blocks   67.53 MB   42 MB/s
//   libdeflate -6, 1 MiB members              66.89 MB  110 MB/s
//   libdeflate -5, 1 MiB members              67.51 MB  135 MB/s
// so libdeflate members are about 3x faster at equal size (and 1% smaller at equal
// level) — the 18 bytes of header and trailer per MiB and the lost 32 KiB of history
// at each block start cost less than libdeflate's better parsing gains.
//
// Determinism: block boundaries depend only on the byte count, never on the thread
// count or on how write() calls are chunked, and the header carries no time or name,
// so the output is the same bytes for a given input, level and libdeflate version, on
// any machine, with 1 thread or 64.
//
// Threads: threads == 1 compresses on the calling thread, and so does any input of at
// most one block. Otherwise `threads` workers compress blocks while the caller writes;
// at most 2 * threads blocks are in flight (the caller waits for the oldest one when
// that many are), so memory stays about 4 * threads MiB whatever the input size.
// Compressed members are written to `out` on the calling thread, in order, from
// write() and finish(): `out` is never called from a worker.
//
// Levels 1..12 (libdeflate's; 10..12 are slow and small), default 3 (layer/compression.hpp);
// Error(invalid_argument) otherwise. After an exception the sink is broken: further
// calls rethrow it.
class GzipSink final : public core::ByteSink {
public:
  static constexpr std::size_t kBlockSize = std::size_t{1} << 20;

  GzipSink(core::ByteSink &out, int level = 6, unsigned threads = 0 /* hardware */);
  ~GzipSink() override;
  GzipSink(const GzipSink &) = delete;
  GzipSink &operator=(const GzipSink &) = delete;

  void write(const char *data, std::size_t len) override;
  using ByteSink::write;
  // Writes the remaining members (an empty member when nothing was written, so the
  // output is always valid gzip) and finishes `out`. A second call does nothing.
  void finish() override;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Pull-side gzip decoding for Decompressor: zlib inflate over every member.
class GzipDecoder {
public:
  explicit GzipDecoder(std::function<std::size_t(char *, std::size_t)> source);
  ~GzipDecoder();
  GzipDecoder(const GzipDecoder &) = delete;
  GzipDecoder &operator=(const GzipDecoder &) = delete;

  std::size_t read(char *buf, std::size_t len);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace berth::layer
