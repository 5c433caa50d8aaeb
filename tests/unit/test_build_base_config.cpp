// berth build on a base image whose config names a key twice: refused, since Go's
// decoder (every runtime) reads the last of them and rapidjson the first.
#include <doctest/doctest.h>

#include "core/json.hpp"
#include "test_util.hpp"

#include <berth/build.hpp>
#include <berth/error.hpp>
#include <berth/layout.hpp>

#include <filesystem>
#include <stdlib.h>

using namespace berth;
namespace fs = std::filesystem;
using berth::test::TempDir;
namespace json = berth::core::json;

namespace {

// An oci: base image with this config and no layers; returns its reference.
std::string base_with_config(const fs::path &dir, const std::string &config) {
  auto base = layout::OciLayout::create(dir.string());
  auto descriptor = [&](std::string_view media_type, const std::string &blob) {
    image::Descriptor d;
    d.media_type = media_type;
    d.digest = base.write_blob(std::string_view(blob));
    d.size = static_cast<std::int64_t>(blob.size());
    return d;
  };
  auto cfg = descriptor(image::media::oci_config, config);
  auto manifest = R"({"schemaVersion":2,"mediaType":")" + std::string(image::media::oci_manifest) +
                  R"(","config":)" + cfg.to_json() + R"(,"layers":[]})";
  base.add_manifest(descriptor(image::media::oci_manifest, manifest), "base");
  return "oci:" + dir.string() + ":base";
}

} // namespace

TEST_CASE("build: a base config with duplicate keys is refused") {
  // Go's decoder (runtimes, crane, skopeo) reads the last of duplicate keys: whichever
  // one berth edited, the image would mean one thing to berth and another to them.
  TempDir tmp;
  BuildOptions o;
  o.from = base_with_config(
      tmp.path / "base", R"({"os":"linux","architecture":"amd64","config":{"Env":["A=0"]},)"
                         R"("config":{"Env":["B=1"]},"rootfs":{"type":"layers","diff_ids":[]}})");
  o.output = "oci:" + (tmp.path / "out").string() + ":built";
  o.env = {"C=2"};
  try {
    (void)build_image(o);
    FAIL("a base config with a duplicate key was built on");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::protocol);
    CHECK(std::string(e.what()).find("\"config\" twice") != std::string::npos);
  }
  // Nothing was tagged: the output layout has no "built".
  if (fs::exists(tmp.path / "out" / "index.json"))
    CHECK_FALSE(layout::OciLayout::open((tmp.path / "out").string()).find("built"));
}
