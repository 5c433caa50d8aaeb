// Image configs as `berth build` reads a base image's and edits it (env, labels,
// ports, entrypoint, rootfs.diff_ids, history), and as `berth inspect` reports them:
// the input is the config blob of an oci: base image.
#include <berth/build.hpp>
#include <berth/error.hpp>
#include <berth/inspect.hpp>
#include <berth/layout.hpp>

#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const auto dir = berth::fuzz::scratch_dir();
  std::filesystem::remove_all(dir / "base");
  std::filesystem::remove_all(dir / "out");
  auto base = berth::layout::OciLayout::create((dir / "base").string());
  const std::string config(berth::fuzz::text(data, size));
  auto descriptor = [&](std::string_view media_type, const std::string &blob) {
    berth::image::Descriptor d;
    d.media_type = media_type;
    d.digest = base.write_blob(std::string_view(blob));
    d.size = static_cast<std::int64_t>(blob.size());
    return d;
  };
  const auto cfg = descriptor(berth::image::media::oci_config, config);
  const std::string manifest = R"({"schemaVersion":2,"mediaType":")" +
                               std::string(berth::image::media::oci_manifest) + R"(","config":)" +
                               cfg.to_json() + R"(,"layers":[]})";
  const auto m = descriptor(berth::image::media::oci_manifest, manifest);
  base.add_manifest(m, "base");

  berth::BuildOptions o;
  o.from = "oci:" + (dir / "base").string() + ":base";
  o.output = "oci:" + (dir / "out").string() + ":built";
  o.entrypoint = std::vector<std::string>{"/bin/app"};
  o.env = {"PATH=/usr/bin", "NEW=1"};
  o.labels = {{"org.opencontainers.image.source", "https://example.com"}};
  o.expose = {"8080", "53/udp"};
  o.workdir = "/app";
  o.created = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  o.jobs = 1;
  try {
    (void)berth::build_image(o);
  } catch (const berth::Error &) {
  }
  try {
    (void)berth::to_json(berth::inspect_image(o.from));
  } catch (const berth::Error &) {
  }
  return 0;
}
