// oci-archive and docker-archive files as TarArchive indexes them: headers walked
// once, names normalized, hardlinks and symlinks inside the archive followed; then
// every file found, looked up and read.
#include <berth/error.hpp>

#include "fuzz_input.hpp"
#include "layout/oci_archive.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const auto path = berth::fuzz::scratch_dir() / "archive.tar";
  berth::fuzz::write_file(path, berth::fuzz::text(data, size));
  try {
    auto archive = berth::layout::TarArchive::open(path.string(), "oci-archive");
    for (const auto &name : archive.files()) {
      auto m = archive.find(name);
      if (!m) __builtin_trap(); // every listed file can be found by its name
      (void)archive.read_all(*m, 1 << 20);
    }
    (void)archive.find("index.json");
    (void)archive.find("./blobs/../manifest.json");
  } catch (const berth::Error &) {
  }
  return 0;
}
