// berth's side of tests/layer/test_compress_interop.sh:
//
//   berth_compress_driver DIR [INPUT]
//
// writes the interop samples into DIR (raw data next to its .gz and .zst; see
// tests/unit/test_compress_util.hpp). With INPUT (a file, say a real tar) that file is
// compressed too, streamed through LayerPipeline, as "input.gz" / "input.zst" next to
// "input.raw", and a line "gzip: N bytes, digest D, diff_id I" (likewise zstd) is printed.
#include "layer/compression.hpp"
#include "layer/layer_pipeline.hpp"
#include "test_compress_util.hpp"

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using berth::layer::Compression;
namespace bt = berth::compress_test;

namespace {

struct FileSink final : berth::core::ByteSink {
  explicit FileSink(const fs::path &p) : f(p, std::ios::binary) {}
  void write(const char *d, std::size_t n) override { f.write(d, static_cast<std::streamsize>(n)); }
  void finish() override { f.close(); }
  std::ofstream f;
};

void compress_input(const fs::path &base, const std::string &in) {
  fs::copy_file(in, base / "input.raw", fs::copy_options::overwrite_existing);
  for (Compression c : {Compression::gzip, Compression::zstd}) {
    FileSink out(base / (c == Compression::gzip ? "input.gz" : "input.zst"));
    berth::layer::LayerPipeline p(out, c, -1, 0);
    std::ifstream f(in, std::ios::binary);
    std::vector<char> buf(1 << 20);
    while (f) {
      f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      if (f.gcount() > 0) p.input().write(buf.data(), static_cast<std::size_t>(f.gcount()));
    }
    auto r = p.finish();
    std::printf("%s: %llu bytes, digest %s, diff_id %s\n",
                std::string(berth::layer::compression_name(c)).c_str(),
                static_cast<unsigned long long>(r.size), r.digest.c_str(), r.diff_id.c_str());
  }
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3 || *argv[1] == '\0') {
    std::fputs("usage: berth_compress_driver DIR [INPUT]\n", stderr);
    return 2;
  }
  try {
    fs::path base(argv[1]);
    fs::create_directories(base);
    for (const auto &s : bt::interop_samples()) {
      bt::write_file(base / (s.name + ".raw"), s.data);
      bt::write_file(base / (s.name + ".gz"), s.gz);
      bt::write_file(base / (s.name + ".zst"), s.zst);
    }
    if (argc == 3 && *argv[2] != '\0') compress_input(base, argv[2]);
    std::printf("interop samples written to %s\n", base.string().c_str());
  } catch (const std::exception &e) {
    std::fprintf(stderr, "berth_compress_driver: %s\n", e.what());
    return 1;
  }
  return 0;
}
