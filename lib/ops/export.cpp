// berth export: flatten an image into a directory, safely.
#include <berth/copy.hpp>
#include <berth/error.hpp>

#include "layer/compression.hpp"
#include "layer/extract.hpp"
#include "layer/tar_reader.hpp"
#include "ops/endpoints.hpp"
#include "ops/pipe_reader.hpp"
#include "ops/resolve.hpp"

#include <filesystem>

namespace berth {

void export_image(const std::string &src, const std::string &dir, const ExportOptions &o) {
  auto source = ops::open_source(ops::Location::parse(src), o.access);
  auto manifest = ops::resolve_image(*source, o.platform);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(Errc::io, "cannot create " + dir + ": " + ec.message());
  layer::ExtractOptions eo;
  eo.max_total_bytes = o.max_total_bytes;
  eo.max_expansion_ratio = o.max_expansion_ratio;
  layer::Extractor extractor(dir, eo);
  for (const auto &l : manifest.layers) {
    // The blob download pushes bytes; decompression and the tar reader pull them:
    // a bounded pipe between them keeps memory flat whatever the layer size.
    ops::PipeReader pipe([&](const http::BodySink &sink) { source->blob(l, sink, {}); });
    auto decompressor = layer::open_decompressor(
        l.media_type, [&](char *buf, std::size_t len) { return pipe.read(buf, len); });
    layer::TarReader reader([&](char *buf, std::size_t len) {
      auto n = decompressor.read(buf, len);
      return n;
    });
    extractor.apply_layer(reader);
    extractor.note_compressed_bytes(decompressor.compressed_bytes_read());
  }
}

} // namespace berth
