// The decompression-bomb caps `berth export` applies (ExportOptions::max_total_bytes
// and max_expansion_ratio, enforced by Extractor on the file data it writes), for a
// reader of layers that writes nothing: `berth sbom` (and so `build --sbom`, which
// describes the built image, base layers included). It counts every byte that comes
// out of decompression — tar headers, padding and the drained tail too — against
// the compressed bytes read, over all layers of the image so far.
#pragma once

#include <cstdint>
#include <string>

namespace berth::layer {

class ExpansionLimit {
public:
  // Below this many decompressed bytes the ratio is not checked (as Extractor): small
  // layers of text or empty files have high ratios and harm nobody.
  static constexpr std::uint64_t kRatioGrace = 16u << 20;

  // max_total_bytes: decompressed bytes of all layers; max_ratio: decompressed bytes
  // per compressed byte, 0 = off.
  ExpansionLimit(std::uint64_t max_total_bytes, double max_ratio)
      : max_total_(max_total_bytes), max_ratio_(max_ratio) {}

  // `n` more bytes came out of the current layer, of which `layer_compressed` bytes
  // have been read so far. Error(too_large) naming `layer` past either cap.
  void add(std::uint64_t n, std::uint64_t layer_compressed, const std::string &layer);
  // The current layer ended after `layer_compressed` compressed bytes.
  void end_layer(std::uint64_t layer_compressed) { compressed_ += layer_compressed; }

  std::uint64_t decompressed() const noexcept { return out_; }

private:
  std::uint64_t max_total_;
  double max_ratio_;
  std::uint64_t out_ = 0, compressed_ = 0;
};

} // namespace berth::layer
