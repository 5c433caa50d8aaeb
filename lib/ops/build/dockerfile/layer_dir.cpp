#include "ops/build/dockerfile/layer_dir.hpp"

#include "layer/compression.hpp"
#include "ops/transfer/endpoints.hpp"
#include "ops/transfer/pipe_reader.hpp"

namespace berth::ops {

std::shared_ptr<LayerDir> layer_dir(sandbox::LayerStore &store, ImageSource &src,
                                    const image::Descriptor &d, const std::string &diff_id) {
  return std::make_shared<LayerDir>([&store, &src, d, diff_id] {
    if (auto have = store.find(diff_id)) return *have;
    PipeReader pipe([&](const http::BodySink &sink) { src.blob(d, sink, {}); });
    auto dec = layer::open_decompressor(
        d.media_type, [&](char *buf, std::size_t len) { return pipe.read(buf, len); });
    return store.ensure(diff_id, [&](char *buf, std::size_t len) { return dec.read(buf, len); });
  });
}

} // namespace berth::ops
