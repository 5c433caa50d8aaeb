// berth's side of tests/layer/test_tar_interop.sh (GNU tar interop):
//
//   berth_tar_driver write [--keep-owner] SRC OUT [DEST]
//       archives SRC under DEST (default "") into OUT with TarWriter, with xattrs,
//       file times clamped to SOURCE_DATE_EPOCH when it is set (as berth build does);
//   berth_tar_driver extract TAR DIR
//       extracts TAR with Extractor into DIR, keeping owners when run as root.
//
// Exits 0 on success, 1 with the error on stderr, 2 on bad usage.
#include <berth/error.hpp>

#include "core/file.hpp"
#include "core/stream.hpp"
#include "layer/extract.hpp"
#include "layer/tar_reader.hpp"
#include "layer/tar_writer.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <unistd.h>

using namespace berth::layer;

namespace {

int usage() {
  std::fputs("usage: berth_tar_driver write [--keep-owner] SRC OUT [DEST]\n"
             "       berth_tar_driver extract TAR DIR\n",
             stderr);
  return 2;
}

// SOURCE_DATE_EPOCH as a clamp: unset or empty is none; anything but decimal digits
// (or beyond int64) is refused.
std::optional<std::int64_t> source_date_epoch() {
  const char *v = std::getenv("SOURCE_DATE_EPOCH");
  if (v == nullptr || *v == '\0') return std::nullopt;
  std::int64_t n = 0;
  for (const char *p = v; *p; ++p) {
    if (*p < '0' || *p > '9')
      throw std::runtime_error(std::string("SOURCE_DATE_EPOCH must be decimal digits: ") + v);
    int d = *p - '0';
    if (n > (std::numeric_limits<std::int64_t>::max() - d) / 10)
      throw std::runtime_error(std::string("SOURCE_DATE_EPOCH is out of range: ") + v);
    n = n * 10 + d;
  }
  return n;
}

void write_tar(const std::string &src, const std::string &out, const std::string &dest,
               bool keep_owner) {
  TarOptions opts;
  opts.mtime_clamp = source_date_epoch();
  opts.keep_owner = keep_owner;
  opts.xattrs = true;
  berth::core::StringSink sink;
  TarWriter w(sink, opts);
  w.add_tree(src, dest);
  w.finish();
  if (auto parent = std::filesystem::path(out).parent_path(); !parent.empty())
    std::filesystem::create_directories(parent);
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  f << sink.str();
  if (!f) throw std::runtime_error("cannot write " + out);
}

void extract_tar(const std::string &tar, const std::string &dir) {
  ExtractOptions o;
  o.preserve_owner = ::geteuid() == 0;
  Extractor x(dir, o);
  auto fd = berth::core::open_fd(tar, O_RDONLY);
  TarReader r(
      [&](char *buf, std::size_t len) { return berth::core::read_some(fd.get(), buf, len, tar); });
  x.apply_layer(r);
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) return usage();
  std::string cmd = argv[1];
  try {
    if (cmd == "write") {
      int i = 2;
      bool keep_owner = i < argc && std::strcmp(argv[i], "--keep-owner") == 0;
      if (keep_owner) ++i;
      if (argc - i < 2 || argc - i > 3) return usage();
      write_tar(argv[i], argv[i + 1], argc - i == 3 ? argv[i + 2] : "", keep_owner);
    } else if (cmd == "extract") {
      if (argc != 4) return usage();
      extract_tar(argv[2], argv[3]);
    } else {
      return usage();
    }
  } catch (const std::exception &e) {
    std::fprintf(stderr, "berth_tar_driver %s: %s\n", cmd.c_str(), e.what());
    return 1;
  }
  return 0;
}
