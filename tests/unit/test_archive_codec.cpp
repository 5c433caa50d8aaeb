// lib/layer/archive_codec: what ADD unpacks — the magic bytes of gzip, bzip2, xz and zstd,
// and bzip2/xz decoding of one stream, of concatenated streams (pbzip2, xz -T), of
// corrupt and truncated input, read in small and large pieces.
#include <doctest/doctest.h>

#include "layer/archive_codec.hpp"

#include <berth/error.hpp>

#include <bzlib.h>
#include <lzma.h>

#include <algorithm>
#include <string>

using namespace berth::layer;

namespace {

std::string bzip2_of(const std::string &data) {
  std::string out(data.size() + data.size() / 100 + 700, '\0');
  unsigned len = static_cast<unsigned>(out.size());
  REQUIRE(BZ2_bzBuffToBuffCompress(out.data(), &len, const_cast<char *>(data.data()),
                                   static_cast<unsigned>(data.size()), 9, 0, 0) == BZ_OK);
  out.resize(len);
  return out;
}

std::string xz_of(const std::string &data) {
  std::string out(lzma_stream_buffer_bound(data.size()), '\0');
  std::size_t pos = 0;
  REQUIRE(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, nullptr,
                                  reinterpret_cast<const std::uint8_t *>(data.data()), data.size(),
                                  reinterpret_cast<std::uint8_t *>(out.data()), &pos,
                                  out.size()) == LZMA_OK);
  out.resize(pos);
  return out;
}

// Everything the decoder gives, pulling `chunk` bytes at a time from `in`.
std::string decode(ArchiveCodec c, const std::string &in, std::size_t chunk = 7,
                   std::size_t out_chunk = 5) {
  std::size_t pos = 0;
  ArchiveDecoder d(c, [&](char *buf, std::size_t len) {
    std::size_t n = std::min({len, chunk, in.size() - pos});
    std::copy_n(in.data() + pos, n, buf);
    pos += n;
    return n;
  });
  std::string out;
  std::string buf(out_chunk, '\0');
  while (auto n = d.read(buf.data(), buf.size()))
    out.append(buf.data(), n);
  return out;
}

std::string sample(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; s.size() < n; ++i)
    s += "line " + std::to_string(i * 7919 % 1000) + "\n";
  s.resize(n);
  return s;
}

} // namespace

TEST_CASE("archive codec: magic bytes") {
  CHECK(sniff_archive_codec("\x1f\x8b\x08") == ArchiveCodec::gzip);
  CHECK(sniff_archive_codec(bzip2_of("x")) == ArchiveCodec::bzip2);
  CHECK(sniff_archive_codec(xz_of("x")) == ArchiveCodec::xz);
  CHECK(sniff_archive_codec("\x28\xb5\x2f\xfd\x00") == ArchiveCodec::zstd);
  CHECK(sniff_archive_codec("BZ") == ArchiveCodec::none); // too short to be bzip2
  CHECK(sniff_archive_codec("ustar") == ArchiveCodec::none);
  CHECK(sniff_archive_codec("") == ArchiveCodec::none);
}

TEST_CASE("archive codec: bzip2 and xz, one stream and several") {
  const auto a = sample(300000), b = sample(1234);
  for (auto c : {ArchiveCodec::bzip2, ArchiveCodec::xz}) {
    CAPTURE(std::string(archive_codec_name(c)));
    auto enc = [&](const std::string &d) {
      return c == ArchiveCodec::bzip2 ? bzip2_of(d) : xz_of(d);
    };
    CHECK(decode(c, enc(a)) == a);
    CHECK(decode(c, enc(a), 1 << 16, 1 << 16) == a);
    CHECK(decode(c, enc(a) + enc(b)) == a + b); // concatenated streams, as xz -d and bzip2 -d
    CHECK(decode(c, enc("")) == "");
  }
}

TEST_CASE("archive codec: corrupt and truncated input is an error, never a short success") {
  const auto a = sample(100000);
  for (auto c : {ArchiveCodec::bzip2, ArchiveCodec::xz}) {
    CAPTURE(std::string(archive_codec_name(c)));
    const auto good = c == ArchiveCodec::bzip2 ? bzip2_of(a) : xz_of(a);
    CHECK_THROWS_AS(decode(c, good.substr(0, good.size() / 2)), berth::Error);
    CHECK_THROWS_AS(decode(c, good.substr(0, good.size() - 1)), berth::Error);
    auto bad = good;
    bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x55);
    CHECK_THROWS_AS(decode(c, bad), berth::Error);
    CHECK_THROWS_AS(decode(c, good + "trailing garbage"), berth::Error);
  }
}

TEST_CASE("archive codec: gzip, zstd and plain pass through the layer decompressor") {
  CHECK(decode(ArchiveCodec::none, "plain bytes") == "plain bytes");
}
