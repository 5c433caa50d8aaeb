// The compressions of archives ADD unpacks, as BuildKit's ADD detects them: gzip, bzip2,
// xz and zstd by their magic bytes (anything else is read as it is). Layers are only
// ever gzip, zstd or uncompressed (compression.hpp); bzip2 and xz appear only here,
// decoded with libbz2 and liblzma.
#pragma once

#include "layer/compression.hpp"

#include <cstddef>
#include <memory>
#include <string_view>

namespace berth::layer {

enum class ArchiveCodec { none, gzip, bzip2, xz, zstd };

// The codec the first bytes of a file announce (6 are enough).
ArchiveCodec sniff_archive_codec(std::string_view head) noexcept;

std::string_view archive_codec_name(ArchiveCodec c) noexcept;

// Pull-style decompression of every stream in the input (concatenated bzip2 streams and
// xz streams are decoded one after the other, as bzip2 -d and xz -d do). Corrupt or
// truncated input gives Error(protocol) naming the codec. Not thread-safe.
class ArchiveDecoder {
public:
  ArchiveDecoder(ArchiveCodec c, PullSource source);
  ~ArchiveDecoder();
  ArchiveDecoder(const ArchiveDecoder &) = delete;
  ArchiveDecoder &operator=(const ArchiveDecoder &) = delete;

  // Up to len decompressed bytes; 0 only at the end.
  std::size_t read(char *buf, std::size_t len);

  struct Codec; // one decoder's state (bzip2, xz)

private:
  std::unique_ptr<Decompressor> plain_; // gzip, zstd, none
  std::unique_ptr<Codec> codec_;
};

} // namespace berth::layer
