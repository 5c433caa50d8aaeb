// HashingSink and LayerPipeline: one pass from tar bytes to digest, diffID and size.
#include <doctest/doctest.h>

#include "layer/hashing_sink.hpp"
#include "layer/layer_pipeline.hpp"
#include "test_compress_util.hpp"

#include <berth/error.hpp>

#include <random>
#include <string>

using berth::Errc;
using berth::Error;
using berth::core::StringSink;
using berth::layer::Compression;
using berth::layer::HashingSink;
using berth::layer::LayerPipeline;
namespace bt = berth::compress_test;

namespace {

// Counts finish() calls, to show each sink finishes its downstream exactly once.
struct CountingSink final : berth::core::ByteSink {
  void write(const char *data, std::size_t len) override { bytes.append(data, len); }
  void finish() override { ++finishes; }
  std::string bytes;
  int finishes = 0;
};

void write_in_pieces(berth::core::ByteSink &sink, std::string_view data, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t n = std::min<std::size_t>(data.size() - pos, 1 + rng() % 70000);
    sink.write(data.data() + pos, n);
    pos += n;
  }
}

} // namespace

TEST_CASE("hashing sink: digest and size equal core::sha256 of the bytes") {
  for (std::size_t n :
       {std::size_t{0}, std::size_t{1}, std::size_t{63}, std::size_t{64}, std::size_t{1000003}}) {
    CAPTURE(n);
    std::string data = bt::random_bytes(n, n);
    CountingSink out;
    HashingSink h(out);
    write_in_pieces(h, data, n + 1);
    CHECK(h.size() == n);
    CHECK_THROWS_AS((void)h.digest(), Error);
    h.finish();
    h.finish();
    CHECK(out.finishes == 1);
    CHECK(out.bytes == data);
    CHECK(h.digest() == bt::sha256_digest(data));
    CHECK(h.digest() == "sha256:" + berth::core::hex(berth::core::sha256(data)));
    CHECK_THROWS_AS(h.write("more"), Error);
  }
  StringSink s;
  HashingSink empty(s);
  empty.finish();
  CHECK(empty.digest() ==
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("layer pipeline: digest is sha256 of the blob, diff_id sha256 of the tar") {
  for (Compression c : {Compression::gzip, Compression::zstd, Compression::none}) {
    for (unsigned threads : {1u, 2u}) {
      for (std::size_t n : {std::size_t{0}, std::size_t{10240}, (std::size_t{1} << 20) + 512,
                            std::size_t{6} << 20}) {
        CAPTURE(berth::layer::compression_name(c));
        CAPTURE(threads);
        CAPTURE(n);
        std::string tar = bt::compressible_bytes(n, n + threads);
        CountingSink out;
        LayerPipeline p(out, c, -1, threads);
        write_in_pieces(p.input(), tar, n);
        auto r = p.finish();
        CHECK(out.finishes == 1);
        CHECK(r.digest == bt::sha256_digest(out.bytes));
        CHECK(r.size == out.bytes.size());
        CHECK(r.diff_id == bt::sha256_digest(tar));
        CHECK(r.uncompressed_size == n);
        CHECK(r.media_type == berth::layer::layer_media_type(c));
        CHECK(bt::decompress(c, out.bytes) == tar);
        if (c == Compression::none) CHECK(r.digest == r.diff_id);
        if (c != Compression::none) CHECK(r.digest != r.diff_id);
        // The same bytes through the plain compressor: the pipeline adds nothing.
        CHECK(out.bytes == bt::compress(c, tar, -1, 2));
        auto again = p.finish();
        CHECK(again.digest == r.digest);
        CHECK(out.finishes == 1);
      }
    }
  }
}

TEST_CASE("layer pipeline: finishing input() (as a TarWriter does) then finish()") {
  std::string tar = bt::compressible_bytes(300000, 1);
  CountingSink out;
  LayerPipeline p(out, Compression::gzip, 9, 2, /*docker_media_type=*/true);
  p.input().write(tar);
  p.input().finish();
  CHECK(out.finishes == 1);
  auto r = p.finish();
  CHECK(out.finishes == 1);
  CHECK(r.media_type == "application/vnd.docker.image.rootfs.diff.tar.gzip");
  CHECK(r.diff_id == bt::sha256_digest(tar));
  CHECK(r.digest == bt::sha256_digest(out.bytes));
  CHECK(bt::zlib_gunzip(out.bytes) == tar);
}

TEST_CASE("layer pipeline: levels, defaults and bad levels") {
  std::string tar = bt::compressible_bytes(2 << 20, 2);
  StringSink a, b;
  LayerPipeline pa(a, Compression::gzip, -1, 2), pb(b, Compression::gzip, 3, 1);
  pa.input().write(tar);
  pb.input().write(tar);
  CHECK(pa.finish().digest == pb.finish().digest); // -1 = 3, threads do not matter
  StringSink z;
  CHECK_THROWS_AS(LayerPipeline(z, Compression::gzip, 20), Error);
  try {
    LayerPipeline bad(z, Compression::zstd, 100);
    FAIL("level 100 accepted");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::invalid_argument);
  }
}
