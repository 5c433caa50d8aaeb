// Manifests and indexes from registries, layouts and archives: parse_manifest,
// parse_index and detect_media_type, with each Content-Type a registry may send.
#include <berth/error.hpp>
#include <berth/manifest.hpp>

#include "fuzz_input.hpp"

#include <array>

namespace {

namespace media = berth::image::media;

// The first byte picks the Content-Type hint; the rest is the document.
constexpr std::array<std::string_view, 6> kHints = {"",
                                                    media::oci_manifest,
                                                    media::oci_index,
                                                    media::docker_manifest,
                                                    media::docker_manifest_list,
                                                    "application/json; charset=utf-8"};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size == 0) return 0;
  const auto hint = kHints[data[0] % kHints.size()];
  const std::string raw(berth::fuzz::text(data + 1, size - 1));
  try {
    (void)berth::image::detect_media_type(raw, hint);
  } catch (const berth::Error &) {
  }
  try {
    auto m = berth::image::parse_manifest(raw, hint);
    for (const auto &l : m.layers)
      (void)l.to_json();
  } catch (const berth::Error &) {
  }
  try {
    auto x = berth::image::parse_index(raw, hint);
    // berth rewrites index.json from parsed entries (layouts, oci-archives): what it
    // writes must parse back to the same entries.
    auto again = berth::image::parse_index(
        berth::image::Index::make(x.media_type, x.manifests, x.annotations).raw);
    if (again.manifests.size() != x.manifests.size()) __builtin_trap();
    for (std::size_t i = 0; i < x.manifests.size(); ++i)
      if (again.manifests[i].digest != x.manifests[i].digest ||
          again.manifests[i].size != x.manifests[i].size ||
          again.manifests[i].platform != x.manifests[i].platform)
        __builtin_trap();
  } catch (const berth::Error &) {
  }
  return 0;
}
