#include "layer/compression.hpp"

#include "layer/gzip.hpp"
#include "layer/zstd.hpp"

#include <berth/error.hpp>
#include <berth/manifest.hpp>

#include <array>
#include <exception>
#include <utility>

namespace berth::layer {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

constexpr std::string_view kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar";

struct MediaTypeEntry {
  std::string_view media_type;
  Compression compression;
};

constexpr std::array<MediaTypeEntry, 11> kMediaTypes{{
    {image::media::oci_layer, Compression::none},
    {image::media::oci_layer_gzip, Compression::gzip},
    {image::media::oci_layer_zstd, Compression::zstd},
    {"application/vnd.oci.image.layer.nondistributable.v1.tar", Compression::none},
    {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", Compression::gzip},
    {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", Compression::zstd},
    {kDockerLayer, Compression::none},
    {image::media::docker_layer, Compression::gzip},
    {"application/vnd.docker.image.rootfs.diff.tar.zstd", Compression::zstd},
    {"application/vnd.docker.image.rootfs.foreign.diff.tar", Compression::none},
    {image::media::docker_foreign_layer, Compression::gzip},
}};

// Compression::none as a sink: bytes pass through unchanged.
class ForwardSink final : public core::ByteSink {
public:
  explicit ForwardSink(core::ByteSink &out) : out_(out) {}
  void write(const char *data, std::size_t len) override { out_.write(data, len); }
  using ByteSink::write;
  void finish() override {
    if (finished_) return;
    out_.finish();
    finished_ = true;
  }

private:
  core::ByteSink &out_;
  bool finished_ = false;
};

} // namespace

Compression parse_compression(std::string_view name) {
  if (iequals(name, "gzip")) return Compression::gzip;
  if (iequals(name, "zstd")) return Compression::zstd;
  if (iequals(name, "none") || iequals(name, "uncompressed")) return Compression::none;
  throw Error(Errc::invalid_argument, "unknown compression \"" + std::string(name) +
                                          "\" (gzip, zstd, none or uncompressed)");
}

std::string_view compression_name(Compression c) noexcept {
  switch (c) {
  case Compression::gzip: return "gzip";
  case Compression::zstd: return "zstd";
  case Compression::none: break;
  }
  return "none";
}

std::string layer_media_type(Compression c, bool docker) {
  switch (c) {
  case Compression::gzip:
    return std::string(docker ? image::media::docker_layer : image::media::oci_layer_gzip);
  case Compression::zstd: return std::string(image::media::oci_layer_zstd);
  case Compression::none: break;
  }
  return std::string(docker ? kDockerLayer : image::media::oci_layer);
}

Compression compression_of_media_type(std::string_view media_type) {
  for (const auto &e : kMediaTypes)
    if (e.media_type == media_type) return e.compression;
  throw Error(Errc::unsupported,
              "unsupported layer media type \"" + std::string(media_type) + "\"");
}

int default_level(Compression c) noexcept {
  switch (c) {
  // Chosen by measurement (benchmarks/README.md, layers): libdeflate's level 3 builds
  // GOROOT 1.7x as fast as umoci insert (Go's pgzip at its default) and 1.4% smaller;
  // level 6 is 5% smaller again but no faster than umoci on two cores.
  case Compression::gzip: return 3;
  case Compression::zstd: return 3;
  case Compression::none: break;
  }
  return 0;
}

std::unique_ptr<core::ByteSink> make_compressor(core::ByteSink &out, Compression c, int level,
                                                unsigned threads) {
  if (level < 0) level = default_level(c);
  switch (c) {
  case Compression::gzip: return std::make_unique<GzipSink>(out, level, threads);
  case Compression::zstd: return std::make_unique<ZstdSink>(out, level, threads);
  case Compression::none: break;
  }
  return std::make_unique<ForwardSink>(out);
}

// ---------------------------------------------------------------------------------

struct Decompressor::Impl {
  Impl(Compression comp, PullSource src) : c(comp), source(std::move(src)) {
    if (!source) throw Error(Errc::invalid_argument, "Decompressor: no source");
    auto pull_fn = [this](char *buf, std::size_t len) { return pull(buf, len); };
    if (c == Compression::gzip) gzip = std::make_unique<GzipDecoder>(pull_fn);
    if (c == Compression::zstd) zstd = std::make_unique<ZstdDecoder>(pull_fn);
  }

  std::size_t pull(char *buf, std::size_t len) {
    std::size_t n = source(buf, len);
    if (n > len) throw Error(Errc::internal, "Decompressor: source returned more than asked");
    bytes_read += n;
    return n;
  }

  std::size_t read(char *buf, std::size_t len) {
    if (gzip) return gzip->read(buf, len);
    if (zstd) return zstd->read(buf, len);
    return len == 0 ? 0 : pull(buf, len);
  }

  Compression c;
  PullSource source;
  std::uint64_t bytes_read = 0;
  std::unique_ptr<GzipDecoder> gzip;
  std::unique_ptr<ZstdDecoder> zstd;
  std::exception_ptr broken;
};

Decompressor::Decompressor(Compression c, PullSource source)
    : impl_(std::make_unique<Impl>(c, std::move(source))) {}

Decompressor::~Decompressor() = default;
Decompressor::Decompressor(Decompressor &&) noexcept = default;
Decompressor &Decompressor::operator=(Decompressor &&) noexcept = default;

std::size_t Decompressor::read(char *buf, std::size_t len) {
  if (impl_->broken) std::rethrow_exception(impl_->broken);
  try {
    return impl_->read(buf, len);
  } catch (...) {
    // The decoder state is undefined after a failure; every later read repeats it.
    impl_->broken = std::current_exception();
    throw;
  }
}

std::uint64_t Decompressor::compressed_bytes_read() const {
  return impl_->bytes_read;
}

Decompressor open_decompressor(std::string_view media_type, PullSource source) {
  return Decompressor(compression_of_media_type(media_type), std::move(source));
}

} // namespace berth::layer
