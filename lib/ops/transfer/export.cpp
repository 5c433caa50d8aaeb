// berth export: flatten an image into a directory, safely.
#include <berth/copy.hpp>
#include <berth/error.hpp>

#include "layer/compression.hpp"
#include "layer/extract.hpp"
#include "layer/tar_reader.hpp"
#include "ops/transfer/endpoints.hpp"
#include "ops/transfer/mirror.hpp"
#include "ops/transfer/pipe_reader.hpp"
#include "ops/transfer/resolve.hpp"

#include "core/file.hpp"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <optional>

namespace berth {

namespace {

namespace fs = std::filesystem;

// A new or empty DIR is filled through a sibling temporary directory renamed into place
// once every layer arrived and verified (a layer's digest is only known at its end):
// DIR then never holds a tree from bytes that failed their digest. A DIR with content
// is extracted into in place, as layers on top of it.
class Staging {
public:
  explicit Staging(const std::string &dir) : dir_(dir) {
    std::error_code ec;
    bool fresh = !fs::exists(dir_, ec) || fs::is_empty(dir_, ec);
    if (!fresh || ec) {
      fs::create_directories(dir_, ec);
      if (ec) throw Error(Errc::io, "cannot create " + dir + ": " + ec.message());
      // Extracting in place: what a killed export left half-written in the tree goes.
      layer::remove_stale_extract_temps(dir);
      target_ = dir;
      return;
    }
    auto abs = fs::absolute(fs::path(dir_).lexically_normal(), ec);
    if (abs.filename().empty()) abs = abs.parent_path();
    final_ = abs.string();
    // Beside DIR, locked while this export runs; a killed export's is swept here.
    staged_.emplace(final_);
    target_ = staged_->path();
  }
  const std::string &target() const { return target_; }
  void commit() {
    if (!staged_) return;
    std::error_code ec;
    fs::remove(final_, ec); // the empty directory, if there was one
    if (::rename(staged_->path().c_str(), final_.c_str()) != 0)
      core::throw_errno(errno, "cannot rename the exported tree to " + dir_);
    staged_->release();
    staged_.reset();
    core::fsync_dir(core::parent_dir(final_));
  }

private:
  std::string dir_, target_, final_;
  std::optional<core::StagingDir> staged_;
};

} // namespace

void export_image(const std::string &src, const std::string &dir, const ExportOptions &o) {
  auto source = ops::open_source_with_mirrors(ops::Location::parse(src), o.access,
                                              ops::parse_mirrors(o.mirrors))
                    .source;
  auto manifest = ops::resolve_image(*source, o.platform);
  Staging staging(dir);
  layer::ExtractOptions eo;
  eo.max_total_bytes = o.max_total_bytes;
  eo.max_expansion_ratio = o.max_expansion_ratio;
  eo.devices = o.devices;
  layer::Extractor extractor(staging.target(), eo);
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
    extractor.apply_layer(reader, [&] { return decompressor.compressed_bytes_read(); });
    extractor.note_compressed_bytes(decompressor.compressed_bytes_read());
  }
  staging.commit();
}

} // namespace berth
