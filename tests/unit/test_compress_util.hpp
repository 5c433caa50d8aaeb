// Helpers for the compression tests: data generators, one-call compress and
// decompress, and running external tools on temp files.
#pragma once

#include "core/crypto.hpp"
#include "core/stream.hpp"
#include "layer/compression.hpp"
#include "layer/gzip.hpp"
#include "test_util.hpp"

#include <sys/wait.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace berth::compress_test {

inline std::string random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t v = rng();
    for (std::size_t k = 0; k < 8 && i + k < n; ++k)
      s[i + k] = static_cast<char>(v >> (8 * k));
  }
  return s;
}

// Text-like data that compresses about 3-5x, a little like source trees in a tar.
inline std::string compressible_bytes(std::size_t n, std::uint64_t seed) {
  static constexpr std::string_view words[] = {
      "func ",
      "return ",
      "if err != nil {\n",
      "}\n",
      "\t",
      "package ",
      "import ",
      "layer",
      "digest",
      "sha256:",
      "0x1f8b ",
      "// comment ",
      "struct ",
      "const ",
      "std::string ",
      "\n",
      "for i := range ",
  };
  std::mt19937_64 rng(seed);
  std::string s;
  s.reserve(n + 32);
  while (s.size() < n) {
    std::uint64_t v = rng();
    s += words[v % std::size(words)];
    if ((v >> 20) % 7 == 0) s += std::to_string((v >> 32) % 100000);
  }
  s.resize(n);
  return s;
}

// Compresses `data` in pieces of pseudo-random size (1 byte up to 200 KiB), so the
// block buffering sees every kind of split.
inline std::string compress(layer::Compression c, std::string_view data, int level = -1,
                            unsigned threads = 2, std::uint64_t chunk_seed = 0) {
  core::StringSink out;
  auto sink = layer::make_compressor(out, c, level, threads);
  if (chunk_seed == 0) {
    sink->write(data.data(), data.size());
  } else {
    std::mt19937_64 rng(chunk_seed);
    std::size_t pos = 0;
    while (pos < data.size()) {
      std::size_t n = std::min<std::size_t>(data.size() - pos,
                                            rng() % 3 == 0 ? 1 + rng() % 16 : 1 + rng() % 204800);
      sink->write(data.data() + pos, n);
      pos += n;
    }
  }
  sink->finish();
  return out.str();
}

// A PullSource over a string that hands out at most `piece` bytes per call.
inline layer::PullSource string_source(std::string_view s, std::size_t piece = 1 << 16) {
  return [s, pos = std::size_t{0}, piece](char *buf, std::size_t len) mutable {
    std::size_t n = std::min({len, piece, s.size() - pos});
    std::copy_n(s.data() + pos, n, buf);
    pos += n;
    return n;
  };
}

inline std::string decompress(layer::Compression c, std::string_view blob,
                              std::size_t piece = 1 << 16, std::size_t read_size = 100000,
                              std::uint64_t *compressed_read = nullptr) {
  layer::Decompressor d(c, string_source(blob, piece));
  std::string out, buf(read_size, '\0');
  for (;;) {
    std::size_t n = d.read(buf.data(), buf.size());
    if (n == 0) break;
    out.append(buf.data(), n);
  }
  if (compressed_read != nullptr) *compressed_read = d.compressed_bytes_read();
  return out;
}

// Samples around GzipSink's block boundaries, random and text-like, compressed with
// one and two threads: what the interop checks feed to other decoders.
struct Sample {
  std::string name, data, gz, zst;
};

inline std::vector<Sample> interop_samples() {
  constexpr std::size_t kBlock = layer::GzipSink::kBlockSize;
  std::vector<Sample> out;
  for (std::size_t n :
       {std::size_t{0}, std::size_t{1}, kBlock - 1, kBlock, kBlock + 1, 3 * kBlock + 777}) {
    for (bool random : {false, true}) {
      for (unsigned threads : {1u, 2u}) {
        Sample s;
        s.name =
            std::to_string(n) + (random ? "-random" : "-text") + "-t" + std::to_string(threads);
        s.data = random ? random_bytes(n, n * 3 + 1) : compressible_bytes(n, n * 5 + 2);
        s.gz = compress(layer::Compression::gzip, s.data, 6, threads, 77);
        s.zst = compress(layer::Compression::zstd, s.data, 3, threads, 78);
        out.push_back(std::move(s));
      }
    }
  }
  return out;
}

// Plain zlib, independent of berth's decoder: inflate member after member.
inline std::string zlib_gunzip(std::string_view blob) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error("inflateInit2");
  std::string out;
  char buf[65536];
  zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(blob.data()));
  zs.avail_in = static_cast<uInt>(blob.size());
  int members = 0;
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef *>(buf);
    zs.avail_out = sizeof buf;
    int ret = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
    if (ret == Z_STREAM_END) {
      ++members;
      if (zs.avail_in == 0) break;
      inflateReset(&zs);
      continue;
    }
    if (ret != Z_OK) {
      inflateEnd(&zs);
      throw std::runtime_error("zlib inflate failed: " + std::to_string(ret));
    }
  }
  inflateEnd(&zs);
  return out;
}

inline std::string sha256_digest(std::string_view data) {
  return "sha256:" + core::sha256_hex(data);
}

using test::TempDir;

inline void write_file(const std::filesystem::path &p, std::string_view data) {
  std::ofstream f(p, std::ios::binary);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!f) throw std::runtime_error("cannot write " + p.string());
}

inline std::string slurp(const std::filesystem::path &p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool have_tool(const std::string &name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

inline int run_shell(const std::string &cmd) {
  int rc = std::system(cmd.c_str());
  return rc == -1 ? -1 : WEXITSTATUS(rc);
}

inline std::string quote(const std::filesystem::path &p) {
  std::string out = "'";
  for (char ch : p.string()) {
    if (ch == '\'')
      out += "'\\''";
    else
      out += ch;
  }
  return out + "'";
}

} // namespace berth::compress_test
