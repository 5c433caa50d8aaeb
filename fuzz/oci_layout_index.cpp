// An OCI layout's index.json (and its oci-layout file), as OciLayout reads them:
// open, index, tags, find; then add_manifest, which rewrites index.json from what it
// read and must leave a layout that opens again.
#include <berth/error.hpp>
#include <berth/layout.hpp>

#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  // index.json, separator, a tag to look up, separator, the oci-layout file.
  auto parts = berth::fuzz::split(berth::fuzz::text(data, size), 3);
  const auto dir = berth::fuzz::scratch_dir() / "layout";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "blobs" / "sha256");
  berth::fuzz::write_file(dir / "index.json", parts[0]);
  const std::string tag = parts.size() > 1 ? std::string(parts[1]) : "latest";
  berth::fuzz::write_file(dir / "oci-layout",
                          parts.size() > 2 ? parts[2] : R"({"imageLayoutVersion":"1.0.0"})");
  std::optional<berth::layout::OciLayout> layout;
  try {
    layout = berth::layout::OciLayout::open(dir.string());
    (void)layout->tags();
    (void)layout->find(tag);
    (void)layout->find("");
  } catch (const berth::Error &) {
  }
  if (!layout) return 0;
  try {
    berth::image::Descriptor d;
    d.media_type = berth::image::media::oci_manifest;
    const std::string manifest = R"({"schemaVersion":2})";
    d.digest = layout->write_blob(std::string_view(manifest));
    d.size = static_cast<std::int64_t>(manifest.size());
    layout->add_manifest(d, "fuzz");
  } catch (const berth::Error &) {
    return 0;
  }
  // berth wrote this index.json itself: it must read back, with the new tag in it.
  auto again = berth::layout::OciLayout::open(dir.string());
  if (!again.find("fuzz")) __builtin_trap();
  return 0;
}
