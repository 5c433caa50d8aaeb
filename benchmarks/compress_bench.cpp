// Compression throughput against the usual tools (it takes a minute):
//   build/benchmarks/berth_compress_bench [FILE]     (or benchmarks/run.sh compress)
// Input: FILE, else BERTH_COMPRESS_BENCH_FILE, else a tar of `go env GOROOT` (about
// 250 MB).
// Each row is the best of BERTH_COMPRESS_BENCH_REPEAT runs (default 2): wall clock and
// CPU time (user + sys, threads and child processes included). MB/s is uncompressed MB
// (10^6 bytes) per wall second; MB/CPU-s per CPU second, the figure that stays
// comparable on a busy machine.
#include "layer/compression.hpp"
#include "layer/gzip.hpp"
#include "layer/hashing_sink.hpp"
#include "layer/layer_pipeline.hpp"
#include "test_compress_util.hpp"
#include "test_util.hpp"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <utility>
#include <vector>

using berth::layer::Compression;
namespace bt = berth::compress_test;

namespace {

void require(bool ok, const char *what) {
  if (!ok) throw std::runtime_error(what);
}

struct NullSink final : berth::core::ByteSink {
  void write(const char *, std::size_t len) override { bytes += len; }
  std::uint64_t bytes = 0;
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::string shell_output(const std::string &cmd) {
  std::string out;
  FILE *p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
    out.pop_back();
  return out;
}

// Streams a file through `sink` in 1 MiB writes, as a tar writer would.
void feed(const std::filesystem::path &file, berth::core::ByteSink &sink) {
  std::ifstream in(file, std::ios::binary);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = static_cast<std::size_t>(in.gcount());
    if (n > 0) sink.write(buf.data(), n);
  }
}

struct Row {
  std::string name;
  double seconds = 0;
  std::uint64_t out_bytes = 0;
  double cpu = 0; // user + sys CPU seconds of this process and its children
};

double process_cpu_s() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage ru{};
    getrusage(who, &ru);
    total += static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
             static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
  }
  return total;
}

int repeats() {
  const char *r = std::getenv("BERTH_COMPRESS_BENCH_REPEAT");
  int n = r != nullptr ? std::atoi(r) : 2;
  return n < 1 ? 1 : n;
}

Row best_of(const std::string &name, const std::function<std::uint64_t()> &run) {
  Row row{name, 1e100, 0, 1e100};
  for (int i = 0; i < repeats(); ++i) {
    double t0 = now_s(), c0 = process_cpu_s();
    row.out_bytes = run();
    row.seconds = std::min(row.seconds, now_s() - t0);
    row.cpu = std::min(row.cpu, process_cpu_s() - c0);
  }
  return row;
}

void print_table(const char *title, const std::vector<Row> &rows, std::uint64_t in_bytes) {
  std::printf("\n%s (input %.1f MB)\n", title, static_cast<double>(in_bytes) / 1e6);
  std::printf("  %-44s %8s %12s %7s %8s %8s %9s\n", "", "seconds", "output", "ratio", "MB/s",
              "CPU s", "MB/CPU-s");
  for (const auto &r : rows)
    std::printf("  %-44s %8.2f %12llu %7.4f %8.1f %8.2f %9.1f\n", r.name.c_str(), r.seconds,
                static_cast<unsigned long long>(r.out_bytes),
                static_cast<double>(r.out_bytes) / static_cast<double>(in_bytes),
                static_cast<double>(in_bytes) / 1e6 / r.seconds, r.cpu,
                r.cpu > 0 ? static_cast<double>(in_bytes) / 1e6 / r.cpu : 0.0);
}

// The alternative GzipSink design, per core: pigz-style zlib raw deflate per 128 KiB
// block with the previous 32 KiB as preset dictionary and Z_SYNC_FLUSH, against
// libdeflate whole members per 1 MiB block. Thread CPU time, one thread.
void design_comparison(const std::string &data) {
  std::vector<Row> rows;
  for (int level : {1, 6, 9}) {
    double t0 = thread_cpu_s();
    z_stream s{};
    require(deflateInit2(&s, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK,
            "deflateInit2");
    const std::size_t bs = 128 << 10;
    std::vector<unsigned char> out(bs + bs / 2 + 1024);
    std::uint64_t total = 20; // one gzip header + trailer
    for (std::size_t off = 0; off < data.size(); off += bs) {
      std::size_t n = std::min(bs, data.size() - off);
      deflateReset(&s);
      if (off > 0) {
        std::size_t dl = std::min<std::size_t>(32768, off);
        deflateSetDictionary(&s, reinterpret_cast<const Bytef *>(data.data() + off - dl),
                             static_cast<uInt>(dl));
      }
      s.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data() + off));
      s.avail_in = static_cast<uInt>(n);
      s.next_out = out.data();
      s.avail_out = static_cast<uInt>(out.size());
      deflate(&s, Z_SYNC_FLUSH);
      total += out.size() - s.avail_out;
      (void)crc32(0, reinterpret_cast<const Bytef *>(data.data() + off), static_cast<uInt>(n));
    }
    deflateEnd(&s);
    double cpu = thread_cpu_s() - t0;
    rows.push_back(
        Row{"zlib -" + std::to_string(level) + ", 128 KiB + dict, one member", cpu, total, cpu});
  }
  for (int level : {1, 5, 6, 9}) {
    double t0 = thread_cpu_s();
    libdeflate_compressor *c = libdeflate_alloc_compressor(level);
    require(c != nullptr, "libdeflate_alloc_compressor");
    const std::size_t bs = berth::layer::GzipSink::kBlockSize;
    std::vector<char> out(libdeflate_gzip_compress_bound(c, bs));
    std::uint64_t total = 0;
    for (std::size_t off = 0; off < data.size(); off += bs) {
      std::size_t n = std::min(bs, data.size() - off);
      total += libdeflate_gzip_compress(c, data.data() + off, n, out.data(), out.size());
    }
    libdeflate_free_compressor(c);
    double cpu = thread_cpu_s() - t0;
    rows.push_back(
        Row{"libdeflate -" + std::to_string(level) + ", 1 MiB members", cpu, total, cpu});
  }
  print_table("gzip design, one core (thread CPU seconds)", rows, data.size());
}

// berth against gzip, pigz and zstd; fails when a check of berth's output fails.
int bench(const char *input_file) {
  berth::test::TempDir dir;
  std::filesystem::path input;
  if (const char *f = input_file != nullptr ? input_file : std::getenv("BERTH_COMPRESS_BENCH_FILE");
      f != nullptr && *f != '\0') {
    input = f;
  } else {
    std::string goroot = shell_output("go env GOROOT 2>/dev/null");
    if (goroot.empty()) {
      std::fputs("go not found and no input file: nothing to measure\n", stderr);
      return 2;
    }
    input = dir.path / "goroot.tar";
    require(bt::run_shell("tar -cf " + bt::quote(input) + " -C " + bt::quote(goroot) + " .") == 0,
            "tar of GOROOT failed");
  }
  bool ok = true;
  const std::uint64_t in_bytes = std::filesystem::file_size(input);
  std::printf("\ninput: %s, %.1f MB, %u hardware threads\n", input.c_str(),
              static_cast<double>(in_bytes) / 1e6, std::thread::hardware_concurrency());

  std::vector<Row> rows;
  std::string gzip6_digest_t1, gzip6_digest_t2;
  auto berth_row = [&](const std::string &name, Compression c, int level, unsigned threads,
                       std::string *digest = nullptr) {
    rows.push_back(best_of(name, [&] {
      NullSink null;
      berth::layer::HashingSink hash(null);
      auto sink = berth::layer::make_compressor(hash, c, level, threads);
      feed(input, *sink);
      sink->finish();
      if (digest != nullptr) *digest = hash.digest();
      return null.bytes;
    }));
  };
  berth_row("berth gzip -1, 2 threads", Compression::gzip, 1, 2);
  berth_row("berth gzip -6, 2 threads", Compression::gzip, 6, 2, &gzip6_digest_t2);
  berth_row("berth gzip -6, 1 thread", Compression::gzip, 6, 1, &gzip6_digest_t1);
  berth_row("berth zstd -3, 2 threads", Compression::zstd, 3, 2);
  for (auto [name, c] :
       {std::pair{"berth pipeline gzip -6 (diffID+digest), 2 thr", Compression::gzip},
        std::pair{"berth pipeline zstd -3 (diffID+digest), 2 thr", Compression::zstd}}) {
    rows.push_back(best_of(name, [&, c = c] {
      NullSink null;
      berth::layer::LayerPipeline p(null, c, -1, 2);
      feed(input, p.input());
      auto r = p.finish();
      return r.size;
    }));
  }
  if (gzip6_digest_t1 != gzip6_digest_t2) {
    std::fputs("FAIL: gzip -6 output differs between 1 and 2 threads\n", stderr);
    ok = false;
  }

  auto tool_row = [&](const std::string &name, const std::string &tool, const std::string &cmd) {
    if (!bt::have_tool(tool)) {
      std::printf("  (%s not installed)\n", tool.c_str());
      return;
    }
    auto out = dir.path / "tool.out";
    rows.push_back(best_of(name, [&] {
      require(bt::run_shell(cmd + " < " + bt::quote(input) + " > " + bt::quote(out)) == 0,
              "a tool failed");
      return static_cast<std::uint64_t>(std::filesystem::file_size(out));
    }));
  };
  tool_row("pigz -p2 -1", "pigz", "pigz -p2 -1 -c");
  tool_row("pigz -p2 -6", "pigz", "pigz -p2 -6 -c");
  tool_row("gzip -1", "gzip", "gzip -1 -c");
  tool_row("gzip -6", "gzip", "gzip -6 -c");
  tool_row("zstd -T0 -3", "zstd", "zstd -q -T0 -3 -c");
  print_table("compression, wall clock", rows, in_bytes);

  // Decompression: berth's Decompressor against the tools on the same blobs.
  std::vector<Row> drows;
  for (Compression c : {Compression::gzip, Compression::zstd}) {
    std::string blob = bt::slurp(input); // reused below as the compressed blob
    {
      berth::core::StringSink s;
      auto sink = berth::layer::make_compressor(s, c, -1, 2);
      sink->write(blob);
      sink->finish();
      blob = s.str();
    }
    auto file = dir.path / (std::string("blob.") + (c == Compression::gzip ? "gz" : "zst"));
    bt::write_file(file, blob);
    drows.push_back(best_of(
        std::string("berth Decompressor ") + std::string(berth::layer::compression_name(c)), [&] {
          berth::layer::Decompressor d(c, bt::string_source(blob, 1 << 20));
          std::vector<char> buf(1 << 20);
          std::uint64_t total = 0;
          while (std::size_t n = d.read(buf.data(), buf.size()))
            total += n;
          if (total != in_bytes) {
            std::fputs("FAIL: Decompressor output has the wrong size\n", stderr);
            ok = false;
          }
          return static_cast<std::uint64_t>(blob.size());
        }));
    auto tool = [&](const std::string &name, const std::string &t, const std::string &cmd) {
      if (!bt::have_tool(t)) return;
      drows.push_back(best_of(name, [&] {
        require(bt::run_shell(cmd + " < " + bt::quote(file) + " > /dev/null") == 0,
                "a tool failed");
        return static_cast<std::uint64_t>(blob.size());
      }));
    };
    if (c == Compression::gzip) {
      tool("gzip -d (berth's gzip -6 output)", "gzip", "gzip -dc");
      tool("pigz -d (berth's gzip -6 output)", "pigz", "pigz -dc");
    } else {
      tool("zstd -d (berth's zstd -3 output)", "zstd", "zstd -q -dc");
    }
  }
  print_table("decompression, wall clock (MB/s of uncompressed output)", drows, in_bytes);

  design_comparison(bt::slurp(input));
  std::fflush(stdout);
  return ok ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
  if (argc > 2) {
    std::fputs("usage: berth_compress_bench [FILE]\n", stderr);
    return 2;
  }
  try {
    return bench(argc == 2 ? argv[1] : nullptr);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "berth_compress_bench: %s\n", e.what());
    return 1;
  }
}
