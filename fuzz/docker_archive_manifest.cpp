// A docker-archive's manifest.json (docker save, skopeo), as DockerArchive reads it:
// open, select by RepoTags, and each image it lists, built from the members it names.
#include <berth/error.hpp>

#include "fuzz_input.hpp"
#include "layout/docker_archive.hpp"

namespace {

// An image config and an (empty) layer tar for manifest.json to name.
constexpr std::string_view kConfig =
    R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[)"
    R"("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"]}})";

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  // manifest.json, separator, a reference to select, separator, the config member.
  auto parts = berth::fuzz::split(berth::fuzz::text(data, size), 3);
  const auto path = (berth::fuzz::scratch_dir() / "archive.tar").string();
  using berth::layout::ArchiveMember;
  std::vector<ArchiveMember> members = {
      {ArchiveMember::Kind::bytes, "manifest.json", std::string(parts[0])},
      {ArchiveMember::Kind::bytes, "config.json",
       std::string(parts.size() > 2 ? parts[2] : kConfig)},
      {ArchiveMember::Kind::bytes, "layer.tar", std::string(1024, '\0')},
      {ArchiveMember::Kind::directory, "blobs/sha256", ""},
      {ArchiveMember::Kind::bytes,
       "blobs/sha256/5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
       std::string(1024, '\0')},
  };
  berth::layout::write_archive_atomic(std::move(members), path);
  try {
    auto archive = berth::layout::DockerArchive::open(path);
    try {
      (void)archive.select(parts.size() > 1 ? std::string(parts[1]) : std::string());
    } catch (const berth::Error &) {
    }
    for (std::size_t i = 0; i < archive.items().size() && i < 4; ++i) {
      try {
        auto img = archive.image(i);
        std::string config;
        img.read_blob(img.parsed().config.digest,
                      [&](const char *p, std::size_t n) { config.append(p, n); });
      } catch (const berth::Error &) {
      }
    }
  } catch (const berth::Error &) {
  }
  return 0;
}
