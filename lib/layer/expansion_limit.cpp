#include "layer/expansion_limit.hpp"

#include <berth/error.hpp>

namespace berth::layer {

void ExpansionLimit::add(std::uint64_t n, std::uint64_t layer_compressed,
                         const std::string &layer) {
  out_ += n;
  if (out_ > max_total_)
    throw Error(Errc::too_large, "layer " + layer + " takes decompression past the limit of " +
                                     std::to_string(max_total_) + " bytes");
  if (max_ratio_ <= 0 || out_ <= kRatioGrace) return;
  auto compressed = compressed_ + layer_compressed;
  if (static_cast<double>(out_) > max_ratio_ * static_cast<double>(compressed))
    throw Error(Errc::too_large, "layer " + layer +
                                     " takes decompression past the expansion ratio limit (" +
                                     std::to_string(out_) + " bytes from " +
                                     std::to_string(compressed) + " compressed, limit " +
                                     std::to_string(max_ratio_) + "x): a decompression bomb?");
}

} // namespace berth::layer
