// One pass from tar bytes to a pushed-or-stored layer blob:
//   input() -> HashingSink (diffID) -> compressor -> HashingSink (digest, size) -> out
// The diffID hash runs on the producer's thread as the tar bytes arrive; the digest
// hash runs where the compressor emits, in output order (also the producer's thread:
// GzipSink and ZstdSink write downstream only from write()/finish()). Memory stays
// bounded by the compressor's in-flight blocks whatever the layer size.
#pragma once

#include "core/stream.hpp"
#include "layer/compression.hpp"
#include "layer/hashing_sink.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace berth::layer {

struct LayerResult {
  std::string digest;     // "sha256:<hex>" of the compressed blob
  std::string diff_id;    // "sha256:<hex>" of the uncompressed tar
  std::string media_type; // layer_media_type(compression, docker)
  std::uint64_t size = 0; // compressed bytes
  std::uint64_t uncompressed_size = 0;
};

class LayerPipeline {
public:
  // level < 0: the algorithm's default (gzip 3, zstd 3); threads 0: all cores.
  // Error(invalid_argument) for a level the algorithm does not have.
  LayerPipeline(core::ByteSink &final_out, Compression c, int level = -1, unsigned threads = 0,
                bool docker_media_type = false);
  ~LayerPipeline();
  LayerPipeline(const LayerPipeline &) = delete;
  LayerPipeline &operator=(const LayerPipeline &) = delete;

  // Write the tar bytes here. Finishing it (a TarWriter may) is the same as finish().
  core::ByteSink &input();

  // Flushes the compressor, finishes final_out and returns the layer's identity.
  // Calling it again returns the same result.
  LayerResult finish();

private:
  Compression compression_;
  bool docker_;
  // Destroyed in reverse: the input end first, so nothing writes into a dead sink.
  std::unique_ptr<HashingSink> compressed_; // absent for none: digest == diffID
  std::unique_ptr<core::ByteSink> compressor_;
  std::unique_ptr<HashingSink> uncompressed_;
  std::optional<LayerResult> result_;
};

} // namespace berth::layer
