// oci-archive and docker-archive files as TarArchive indexes them: headers walked
// once, names normalized, hardlinks and symlinks inside the archive followed; then
// every name the tar holds (read with TarReader, as a peer would list it) looked up
// and, when found, read.
#include <berth/error.hpp>

#include "fuzz_input.hpp"
#include "layer/tar_reader.hpp"
#include "layout/oci_archive.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const auto input = berth::fuzz::text(data, size);
  const auto path = berth::fuzz::scratch_dir() / "archive.tar";
  berth::fuzz::write_file(path, input);
  std::vector<std::string> names;
  try {
    std::size_t pos = 0;
    berth::layer::TarReader reader([&](char *buf, std::size_t len) {
      std::size_t n = std::min(len, input.size() - pos);
      std::memcpy(buf, input.data() + pos, n);
      pos += n;
      return n;
    });
    while (auto e = reader.next())
      if (names.size() < 4096) names.push_back(e->path);
  } catch (const berth::Error &) {
  }
  try {
    auto archive = berth::layout::TarArchive::open(path.string(), "oci-archive");
    for (const auto &name : names)
      if (auto m = archive.find(name)) (void)archive.read_all(*m, 1 << 20);
    (void)archive.find("index.json");
    (void)archive.find("./blobs/../manifest.json");
  } catch (const berth::Error &) {
  }
  return 0;
}
