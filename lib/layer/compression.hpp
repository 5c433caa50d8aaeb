// Layer compression: the algorithm enum and its media types, a compressor factory,
// and the pull-side Decompressor used by layer extraction and verification.
//
// Compressors are ByteSinks (gzip.hpp, zstd.hpp): tar bytes are pushed in, compressed
// bytes come out of the sink they wrap. Decompression is pull-style because its users
// (tar readers, digest verifiers) pull.
#pragma once

#include "core/stream.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace berth::layer {

enum class Compression { none, gzip, zstd };

// "gzip", "zstd", "none" or "uncompressed" (ASCII case-insensitive);
// Error(invalid_argument) otherwise.
Compression parse_compression(std::string_view name);

// "gzip", "zstd" or "none".
std::string_view compression_name(Compression c) noexcept;

// The layer media type for a compression: the OCI types
// (application/vnd.oci.image.layer.v1.tar[+gzip|+zstd]) or, with `docker`, the Docker
// schema 2 types (application/vnd.docker.image.rootfs.diff.tar[.gzip]). Docker schema 2
// defines no zstd type, so zstd always gets the OCI one, as BuildKit and
// go-containerregistry do; containerd and Docker accept it in schema 2 manifests.
std::string layer_media_type(Compression c, bool docker = false);

// The compression of a layer media type: OCI (incl. non-distributable) and Docker
// (incl. foreign and the containerd-defined ".tar.zstd") layer types.
// Error(unsupported) for anything else.
Compression compression_of_media_type(std::string_view media_type);

// The default level of an algorithm (gzip 3, zstd 3, none 0).
int default_level(Compression c) noexcept;

// A sink that compresses into `out`; finish() finishes `out` too. For none the sink
// forwards bytes unchanged. level < 0 means the algorithm's default; threads 0 means
// std::thread::hardware_concurrency(). Error(invalid_argument) for a level the
// algorithm does not have.
std::unique_ptr<core::ByteSink> make_compressor(core::ByteSink &out, Compression c, int level = -1,
                                                unsigned threads = 0);

// Where a Decompressor pulls compressed bytes from: fill up to len bytes, return how
// many; 0 means the end of the input. May throw; the exception propagates out of read().
using PullSource = std::function<std::size_t(char *, std::size_t)>;

// Pull-style decompression of gzip (zlib inflate; every member of a multi-member
// stream, as RFC 1952 and `gzip -d` have it), zstd (every frame; skippable frames are
// skipped) or none (bytes pass through).
//
// Corrupt input, a truncated stream (including an empty one for gzip and zstd) or
// trailing bytes that do not start another member / frame give Error(protocol) with
// a message that says which. Movable, not thread-safe.
class Decompressor {
public:
  Decompressor(Compression c, PullSource source);
  ~Decompressor();
  Decompressor(Decompressor &&) noexcept;
  Decompressor &operator=(Decompressor &&) noexcept;

  // Up to len decompressed bytes; 0 only at the end of the stream.
  std::size_t read(char *buf, std::size_t len);

  // Compressed bytes pulled from the source so far (at the end: the compressed size).
  std::uint64_t compressed_bytes_read() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Decompressor for a layer media type (see compression_of_media_type).
Decompressor open_decompressor(std::string_view media_type, PullSource source);

} // namespace berth::layer
