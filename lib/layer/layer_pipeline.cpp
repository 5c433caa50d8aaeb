#include "layer/layer_pipeline.hpp"

namespace berth::layer {

LayerPipeline::LayerPipeline(core::ByteSink &final_out, Compression c, int level, unsigned threads,
                             bool docker_media_type)
    : compression_(c), docker_(docker_media_type) {
  if (c == Compression::none) {
    // Uncompressed: one hash serves as both digest and diffID.
    uncompressed_ = std::make_unique<HashingSink>(final_out);
    return;
  }
  compressed_ = std::make_unique<HashingSink>(final_out);
  compressor_ = make_compressor(*compressed_, c, level, threads);
  uncompressed_ = std::make_unique<HashingSink>(*compressor_);
}

LayerPipeline::~LayerPipeline() = default;

core::ByteSink &LayerPipeline::input() {
  return *uncompressed_;
}

LayerResult LayerPipeline::finish() {
  if (result_) return *result_;
  uncompressed_->finish(); // cascades down to final_out
  LayerResult r;
  r.diff_id = uncompressed_->digest();
  r.uncompressed_size = uncompressed_->size();
  r.digest = compressed_ ? compressed_->digest() : r.diff_id;
  r.size = compressed_ ? compressed_->size() : r.uncompressed_size;
  r.media_type = layer_media_type(compression_, docker_);
  result_ = r;
  return r;
}

} // namespace berth::layer
