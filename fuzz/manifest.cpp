// Manifests and indexes from registries, layouts and archives: parse_manifest,
// parse_index and detect_media_type, with each Content-Type a registry may send; then
// the Docker <-> OCI conversion of what parsed (copy --format, docker-archive to oci:).
#include <berth/error.hpp>
#include <berth/manifest.hpp>

#include "fuzz_input.hpp"
#include "image/convert.hpp"

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

// The child each index entry is converted to point at.
const berth::image::Manifest &child_manifest() {
  static const auto m = berth::image::parse_manifest(
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
      R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,)"
      R"("digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},)"
      R"("layers":[]})");
  return m;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size == 0) return 0;
  const auto hint = kHints[data[0] % kHints.size()];
  const std::string raw(berth::fuzz::text(data + 1, size - 1));
  try {
    (void)berth::image::detect_media_type(raw, hint);
  } catch (const berth::Error &) {
  }
  using berth::image::Family;
  try {
    auto m = berth::image::parse_manifest(raw, hint);
    for (const auto &l : m.layers)
      (void)l.to_json();
    for (auto to : {Family::oci, Family::docker}) {
      try {
        // What berth converts, it must read back.
        auto converted = berth::image::convert_manifest(m, to);
        (void)berth::image::parse_manifest(converted.raw);
      } catch (const berth::Error &e) {
        if (e.code() != berth::Errc::unsupported) throw;
      }
    }
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
    for (auto to : {Family::oci, Family::docker}) {
      (void)berth::image::needs_conversion(x, to);
      try {
        const auto child = berth::image::convert_manifest(child_manifest(), to);
        auto converted = berth::image::convert_index(
            x, to, std::vector<berth::image::Manifest>(x.manifests.size(), child));
        (void)berth::image::parse_index(converted.raw);
      } catch (const berth::Error &e) {
        if (e.code() != berth::Errc::unsupported) throw;
      }
    }
  } catch (const berth::Error &) {
  }
  return 0;
}
