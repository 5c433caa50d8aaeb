// gzip and zstd layer compression: round trips, interop with zlib, gzip, Go and zstd,
// determinism across thread counts, corrupt and truncated input.
#include <doctest/doctest.h>

#include "layer/compression.hpp"
#include "layer/gzip.hpp"
#include "layer/layer_pipeline.hpp"
#include "layer/zstd.hpp"
#include "test_compress_util.hpp"

#include <berth/error.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using berth::Errc;
using berth::Error;
using berth::core::StringSink;
using berth::layer::Compression;
using berth::layer::Decompressor;
using berth::layer::GzipSink;
using berth::layer::ZstdSink;
namespace bt = berth::compress_test;

namespace {

constexpr std::size_t kBlock = GzipSink::kBlockSize;

const std::vector<std::size_t> &sizes() {
  static const std::vector<std::size_t> s{
      0,
      1,
      100,
      (128 << 10) - 1,
      128 << 10,
      (128 << 10) + 1,
      kBlock - 1,
      kBlock,
      kBlock + 1,
      2 * kBlock - 1,
      2 * kBlock,
      2 * kBlock + 1,
      5 * kBlock + 12345,
  };
  return s;
}

Errc error_of(Compression c, std::string_view blob) {
  try {
    (void)bt::decompress(c, blob);
  } catch (const Error &e) {
    return e.code();
  }
  return Errc::ok;
}

std::string message_of(Compression c, std::string_view blob) {
  try {
    (void)bt::decompress(c, blob);
  } catch (const Error &e) {
    return e.what();
  }
  return {};
}

} // namespace

TEST_CASE("compress: round trips for gzip, zstd and none, random and compressible data") {
  for (Compression c : {Compression::gzip, Compression::zstd, Compression::none}) {
    for (unsigned threads : {1u, 2u}) {
      for (std::size_t n : sizes()) {
        for (bool random : {false, true}) {
          CAPTURE(berth::layer::compression_name(c));
          CAPTURE(threads);
          CAPTURE(n);
          CAPTURE(random);
          std::string data = random ? bt::random_bytes(n, n + 1) : bt::compressible_bytes(n, n + 7);
          std::string blob = bt::compress(c, data, -1, threads, n + 3);
          std::uint64_t consumed = 0;
          CHECK(bt::decompress(c, blob, 1 << 16, 100000, &consumed) == data);
          CHECK(consumed == blob.size());
          if (c == Compression::gzip) CHECK(bt::zlib_gunzip(blob) == data);
          if (c == Compression::none) CHECK(blob == data);
          if (!random && n >= kBlock && c != Compression::none) CHECK(blob.size() < n / 2);
        }
      }
    }
  }
}

TEST_CASE("compress: decoders cope with 1-byte source pieces and 1-byte reads") {
  std::string data = bt::compressible_bytes(300000, 5);
  for (Compression c : {Compression::gzip, Compression::zstd}) {
    CAPTURE(berth::layer::compression_name(c));
    std::string blob = bt::compress(c, data, -1, 2);
    CHECK(bt::decompress(c, blob, 1, 1) == data);
    CHECK(bt::decompress(c, blob, 7, 1 << 20) == data);
  }
}

TEST_CASE("compress: gzip levels 1..12 and zstd levels; invalid levels are refused") {
  std::string data = bt::compressible_bytes(300000, 11);
  std::size_t prev = 0;
  for (int level : {1, 6, 9, 12}) {
    std::string blob = bt::compress(Compression::gzip, data, level, 2);
    CHECK(bt::zlib_gunzip(blob) == data);
    if (prev != 0) CHECK(blob.size() <= prev);
    prev = blob.size();
  }
  for (int level : {-5, 0, 1, 3, 19}) {
    CAPTURE(level);
    StringSink out;
    ZstdSink z(out, level, 1);
    z.write(data);
    z.finish();
    CHECK(bt::decompress(Compression::zstd, out.str()) == data);
  }
  StringSink out;
  for (int level : {0, 13, -1})
    CHECK_THROWS_AS(GzipSink(out, level, 1), Error);
  try {
    GzipSink g(out, 13, 1);
  } catch (const Error &e) {
    CHECK(e.code() == Errc::invalid_argument);
  }
  try {
    ZstdSink z(out, 23, 1);
    FAIL("level 23 accepted");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::invalid_argument);
  }
  try {
    (void)berth::layer::make_compressor(out, Compression::gzip, 99, 1);
    FAIL("level 99 accepted");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::invalid_argument);
  }
}

TEST_CASE("compress: gzip output is deterministic and independent of threads and chunking") {
  std::string data = bt::compressible_bytes(7 * kBlock + 4321, 99);
  std::string ref = bt::compress(Compression::gzip, data, 6, 1, 0);
  CHECK(bt::compress(Compression::gzip, data, 6, 1, 0) == ref);
  for (unsigned threads : {1u, 2u, 3u, 8u}) {
    CAPTURE(threads);
    CHECK(bt::compress(Compression::gzip, data, 6, threads, 0) == ref);
    CHECK(bt::compress(Compression::gzip, data, 6, threads, threads * 17) == ref);
  }
  // Header: magic, deflate, no flags, mtime 0 (no timestamps in layers).
  REQUIRE(ref.size() > 10);
  CHECK(ref.substr(0, 8) == std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8));
  CHECK(bt::compress(Compression::gzip, data, 1, 2) != ref);
}

TEST_CASE("compress: zstd output is deterministic and independent of threads and chunking") {
  // Over 16 MiB so libzstd cuts several jobs at level 3.
  std::string data = bt::compressible_bytes(20 << 20, 42);
  std::string ref = bt::compress(Compression::zstd, data, 3, 1, 0);
  for (unsigned threads : {1u, 2u, 4u}) {
    CAPTURE(threads);
    CHECK(bt::compress(Compression::zstd, data, 3, threads, 0) == ref);
    CHECK(bt::compress(Compression::zstd, data, 3, threads, threads + 5) == ref);
  }
  CHECK(bt::decompress(Compression::zstd, ref) == data);
}

TEST_CASE("compress: GzipSink streams with bounded buffering") {
  for (unsigned threads : {1u, 2u}) {
    CAPTURE(threads);
    StringSink out;
    GzipSink g(out, 1, threads);
    std::string block = bt::compressible_bytes(kBlock, 3);
    // At most 2 * threads blocks wait in flight; the next one pushes the oldest out.
    for (unsigned i = 0; i < 2 * threads + 1; ++i)
      g.write(block);
    CHECK(!out.str().empty());
    g.finish();
    g.finish(); // a second finish does nothing
    std::string all;
    for (unsigned i = 0; i < 2 * threads + 1; ++i)
      all += block;
    CHECK(bt::zlib_gunzip(out.str()) == all);
    CHECK_THROWS_AS(g.write("x"), Error);
  }
}

TEST_CASE("compress: a failing downstream sink breaks the compressor with its error") {
  struct FailingSink final : berth::core::ByteSink {
    void write(const char *, std::size_t) override {
      throw Error(Errc::network, "downstream gone");
    }
  };
  for (Compression c : {Compression::gzip, Compression::zstd}) {
    for (unsigned threads : {1u, 2u}) {
      CAPTURE(berth::layer::compression_name(c));
      CAPTURE(threads);
      FailingSink fail;
      auto sink = berth::layer::make_compressor(fail, c, 1, threads);
      std::string data = bt::random_bytes(8 * kBlock, 1);
      try {
        sink->write(data);
        sink->finish();
        FAIL("no error");
      } catch (const Error &e) {
        CHECK(e.code() == Errc::network);
      }
      try {
        sink->finish();
        FAIL("no error");
      } catch (const Error &e) {
        CHECK(e.code() == Errc::network);
      }
    }
  }
}

TEST_CASE("compress: gzip decoding reads every member; Decompressor counts compressed bytes") {
  std::string a = bt::compressible_bytes(5000, 1), b = bt::random_bytes(3000, 2);
  std::string blob = bt::compress(Compression::gzip, a, 6, 1) +
                     bt::compress(Compression::gzip, "", 6, 1) +
                     bt::compress(Compression::gzip, b, 9, 1);
  std::uint64_t consumed = 0;
  CHECK(bt::decompress(Compression::gzip, blob, 13, 4096, &consumed) == a + b);
  CHECK(consumed == blob.size());
  // Several zstd frames likewise.
  std::string zblob =
      bt::compress(Compression::zstd, a, 3, 1) + bt::compress(Compression::zstd, b, 3, 1);
  CHECK(bt::decompress(Compression::zstd, zblob, 11) == a + b);
}

TEST_CASE("compress: corrupt and truncated gzip give Error(protocol)") {
  std::string data = bt::compressible_bytes(3 * kBlock + 100, 8);
  std::string blob = bt::compress(Compression::gzip, data, 6, 2);
  REQUIRE(blob.size() > 1000);
  for (std::size_t cut :
       {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{10}, blob.size() / 3,
        blob.size() / 2, blob.size() - 9, blob.size() - 8, blob.size() - 1}) {
    CAPTURE(cut);
    CHECK(error_of(Compression::gzip, blob.substr(0, cut)) == Errc::protocol);
  }
  CHECK(message_of(Compression::gzip, blob.substr(0, blob.size() / 2)).find("truncated") !=
        std::string::npos);
  CHECK(message_of(Compression::gzip, "").find("empty") != std::string::npos);

  std::string bad = blob;
  bad[blob.size() / 2] = static_cast<char>(bad[blob.size() / 2] ^ 0x55);
  CHECK(error_of(Compression::gzip, bad) == Errc::protocol);
  bad = blob;
  bad[blob.size() - 6] = static_cast<char>(bad[blob.size() - 6] ^ 1); // CRC-32
  CHECK(error_of(Compression::gzip, bad) == Errc::protocol);
  CHECK(message_of(Compression::gzip, bad).find("corrupt") != std::string::npos);
  bad = blob;
  bad[0] = 'x'; // magic
  CHECK(error_of(Compression::gzip, bad) == Errc::protocol);
  CHECK(error_of(Compression::gzip, blob + "garbage") == Errc::protocol);
  CHECK(error_of(Compression::gzip, blob + std::string(1, '\0')) == Errc::protocol);
  CHECK(error_of(Compression::gzip, "this is not gzip at all") == Errc::protocol);
  // zstd data is not gzip.
  CHECK(error_of(Compression::gzip, bt::compress(Compression::zstd, data, 3, 1)) == Errc::protocol);
}

TEST_CASE("compress: corrupt and truncated zstd give Error(protocol)") {
  std::string data = bt::compressible_bytes(3 * kBlock + 100, 9);
  std::string blob = bt::compress(Compression::zstd, data, 3, 2);
  REQUIRE(blob.size() > 1000);
  for (std::size_t cut : {std::size_t{0}, std::size_t{1}, std::size_t{4}, std::size_t{8},
                          blob.size() / 3, blob.size() / 2, blob.size() - 4, blob.size() - 1}) {
    CAPTURE(cut);
    CHECK(error_of(Compression::zstd, blob.substr(0, cut)) == Errc::protocol);
  }
  CHECK(message_of(Compression::zstd, blob.substr(0, blob.size() / 2)).find("truncated") !=
        std::string::npos);
  CHECK(message_of(Compression::zstd, "").find("empty") != std::string::npos);
  std::string bad = blob;
  bad[blob.size() / 2] = static_cast<char>(bad[blob.size() / 2] ^ 0x55);
  CHECK(error_of(Compression::zstd, bad) == Errc::protocol);
  bad = blob;
  bad[blob.size() - 2] = static_cast<char>(bad[blob.size() - 2] ^ 1); // content checksum
  CHECK(error_of(Compression::zstd, bad) == Errc::protocol);
  CHECK(message_of(Compression::zstd, bad).find("corrupt") != std::string::npos);
  CHECK(error_of(Compression::zstd, blob + "garbage!") == Errc::protocol);
  CHECK(error_of(Compression::zstd, bt::compress(Compression::gzip, data, 6, 1)) == Errc::protocol);
}

TEST_CASE("compress: Decompressor errors repeat, source errors propagate, none passes through") {
  std::string blob = bt::compress(Compression::gzip, bt::random_bytes(1000, 1), 6, 1);
  const std::string truncated = blob.substr(0, 100);
  Decompressor d(Compression::gzip, bt::string_source(truncated));
  char buf[4096];
  // Stored blocks decode as they arrive, so the error may come after some data.
  auto drain = [&] {
    while (d.read(buf, sizeof buf) > 0) {
    }
  };
  CHECK_THROWS_AS(drain(), Error);
  try {
    (void)d.read(buf, sizeof buf);
    FAIL("no error");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::protocol);
  }

  Decompressor failing(Compression::zstd, [](char *, std::size_t) -> std::size_t {
    throw Error(Errc::network, "connection reset");
  });
  try {
    (void)failing.read(buf, sizeof buf);
    FAIL("no error");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::network);
  }

  CHECK(bt::decompress(Compression::none, "").empty());
  CHECK(bt::decompress(Compression::none, "plain tar bytes", 3, 2) == "plain tar bytes");
  CHECK_THROWS_AS(Decompressor(Compression::gzip, nullptr), Error);

  // Moved-from and moved-to decompressors keep working on the moved state.
  std::string zb = bt::compress(Compression::zstd, "hello", 3, 1);
  Decompressor a(Compression::zstd, bt::string_source(zb));
  Decompressor b = std::move(a);
  CHECK(b.read(buf, sizeof buf) == 5);
  CHECK(std::string(buf, 5) == "hello");
  CHECK(b.read(buf, sizeof buf) == 0);
  CHECK(b.read(buf, sizeof buf) == 0);
  CHECK(b.compressed_bytes_read() == zb.size());
}

TEST_CASE("compress: names and media types") {
  using berth::layer::compression_of_media_type;
  using berth::layer::layer_media_type;
  using berth::layer::parse_compression;
  CHECK(parse_compression("gzip") == Compression::gzip);
  CHECK(parse_compression("GZIP") == Compression::gzip);
  CHECK(parse_compression("zstd") == Compression::zstd);
  CHECK(parse_compression("none") == Compression::none);
  CHECK(parse_compression("uncompressed") == Compression::none);
  for (std::string_view bad : {"", "gz", "zstd ", "bzip2", "xz"}) {
    try {
      (void)parse_compression(bad);
      FAIL("accepted " << bad);
    } catch (const Error &e) {
      CHECK(e.code() == Errc::invalid_argument);
    }
  }
  CHECK(layer_media_type(Compression::none) == "application/vnd.oci.image.layer.v1.tar");
  CHECK(layer_media_type(Compression::gzip) == "application/vnd.oci.image.layer.v1.tar+gzip");
  CHECK(layer_media_type(Compression::zstd) == "application/vnd.oci.image.layer.v1.tar+zstd");
  CHECK(layer_media_type(Compression::gzip, true) ==
        "application/vnd.docker.image.rootfs.diff.tar.gzip");
  CHECK(layer_media_type(Compression::none, true) ==
        "application/vnd.docker.image.rootfs.diff.tar");
  CHECK(layer_media_type(Compression::zstd, true) == "application/vnd.oci.image.layer.v1.tar+zstd");
  for (Compression c : {Compression::none, Compression::gzip, Compression::zstd})
    for (bool docker : {false, true})
      CHECK(compression_of_media_type(layer_media_type(c, docker)) == c);
  CHECK(compression_of_media_type("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip") ==
        Compression::gzip);
  CHECK(compression_of_media_type("application/vnd.docker.image.rootfs.diff.tar.zstd") ==
        Compression::zstd);
  CHECK(compression_of_media_type("application/vnd.oci.image.layer.nondistributable.v1.tar+zstd") ==
        Compression::zstd);
  for (std::string_view bad : {"application/vnd.oci.image.layer.v1.tar+bzip2",
                               "application/vnd.oci.image.manifest.v1+json", "", "gzip"}) {
    try {
      (void)compression_of_media_type(bad);
      FAIL("accepted " << bad);
    } catch (const Error &e) {
      CHECK(e.code() == Errc::unsupported);
    }
  }
  std::string blob = bt::compress(Compression::zstd, "abc", 3, 1);
  auto d = berth::layer::open_decompressor("application/vnd.oci.image.layer.v1.tar+zstd",
                                           bt::string_source(blob));
  char buf[8];
  CHECK(d.read(buf, sizeof buf) == 3);
}

// ---------------------------------------------------------------------------------
// Interop with other implementations: the system gzip and zstd, and Go's
// compress/gzip (what Docker and containerd decompress layers with).

TEST_CASE("compress: gzip -d and zstd -d decompress berth's output") {
  bt::TempDir dir;
  auto samples = bt::interop_samples();
  bool gzip = bt::have_tool("gzip"), zstd = bt::have_tool("zstd");
  if (!gzip) MESSAGE("gzip not installed: skipping gzip -d");
  if (!zstd) MESSAGE("zstd not installed: skipping zstd -d");
  for (const auto &s : samples) {
    CAPTURE(s.name);
    if (gzip) {
      bt::write_file(dir / (s.name + ".gz"), s.gz);
      REQUIRE(bt::run_shell("gzip -dc " + bt::quote(dir / (s.name + ".gz")) + " > " +
                            bt::quote(dir / (s.name + ".gunzip"))) == 0);
      CHECK(bt::slurp(dir / (s.name + ".gunzip")) == s.data);
    }
    if (zstd) {
      bt::write_file(dir / (s.name + ".zst"), s.zst);
      REQUIRE(bt::run_shell("zstd -q -dc " + bt::quote(dir / (s.name + ".zst")) + " > " +
                            bt::quote(dir / (s.name + ".unzstd"))) == 0);
      CHECK(bt::slurp(dir / (s.name + ".unzstd")) == s.data);
    }
  }
  // And the other way: what the tools write, berth reads.
  if (gzip && zstd) {
    std::string data = bt::compressible_bytes(2 * kBlock + 5, 4);
    bt::write_file(dir / "tool.raw", data);
    REQUIRE(bt::run_shell("gzip -6 -c " + bt::quote(dir / "tool.raw") + " > " +
                          bt::quote(dir / "tool.gz")) == 0);
    REQUIRE(bt::run_shell("zstd -q -3 -c " + bt::quote(dir / "tool.raw") + " > " +
                          bt::quote(dir / "tool.zst")) == 0);
    CHECK(bt::decompress(Compression::gzip, bt::slurp(dir / "tool.gz")) == data);
    CHECK(bt::decompress(Compression::zstd, bt::slurp(dir / "tool.zst")) == data);
  }
}

TEST_CASE("compress: Go's compress/gzip decompresses berth's output") {
  if (!bt::have_tool("go")) {
    MESSAGE("go not installed: skipping (tests/layer/test_compress_interop.sh covers it too)");
    return;
  }
  bt::TempDir dir;
  bt::write_file(dir / "main.go", R"(package main

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// Usage: main FILE.gz EXPECTED_SHA256_HEX ...
func main() {
	for i := 1; i+1 < len(os.Args); i += 2 {
		f, err := os.Open(os.Args[i])
		if err != nil {
			panic(err)
		}
		r, err := gzip.NewReader(f)
		if err != nil {
			fmt.Println(os.Args[i], "header:", err)
			os.Exit(1)
		}
		h := sha256.New()
		if _, err := io.Copy(h, r); err != nil {
			fmt.Println(os.Args[i], "read:", err)
			os.Exit(1)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != os.Args[i+1] {
			fmt.Println(os.Args[i], "sha256 mismatch:", got)
			os.Exit(1)
		}
		f.Close()
	}
	fmt.Println("go: ok")
}
)");
  std::string args;
  for (const auto &s : bt::interop_samples()) {
    bt::write_file(dir / (s.name + ".gz"), s.gz);
    args.append(" ").append(bt::quote(dir / (s.name + ".gz")));
    args.append(" ").append(berth::core::sha256_hex(s.data));
  }
  CHECK(bt::run_shell("cd " + bt::quote(dir.path) +
                      " && GOTOOLCHAIN=local GOFLAGS= go run main.go" + args) == 0);
}
