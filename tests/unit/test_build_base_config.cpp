// berth build on a base image whose config has duplicate keys ("config", "rootfs",
// "Env" twice): the edits land in the one member every runtime reads (Go's decoder
// takes the last). rapidjson's RemoveMember drops only the first of duplicates, so
// "rootfs":1,"rootfs":2 left the number 2 where berth then edited an object.
#include <doctest/doctest.h>

#include "core/json.hpp"

#include <berth/build.hpp>
#include <berth/error.hpp>
#include <berth/layout.hpp>

#include <filesystem>
#include <stdlib.h>

using namespace berth;
namespace fs = std::filesystem;
namespace json = berth::core::json;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "berth-build-config-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
};

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

std::string built_config(const fs::path &out) {
  auto layout = layout::OciLayout::open(out.string());
  auto m = image::parse_manifest(layout.read_blob(layout.find("built")->digest));
  return layout.read_blob(m.config.digest);
}

} // namespace

TEST_CASE("build: a base config with duplicate keys") {
  TempDir tmp;
  BuildOptions o;
  o.from = base_with_config(
      tmp.path / "base",
      R"({"os":"linux","architecture":"amd64","config":{"Env":["A=0"]},"config":5,)"
      R"("config":{"Env":["B=1"],"Env":7,"Labels":1,"Labels":{"k":"v"},"ExposedPorts":[]},)"
      R"("rootfs":1,"rootfs":2,"rootfs":{"type":"layers","diff_ids":2},"history":{},)"
      R"("history":[]})");
  o.output = "oci:" + (tmp.path / "out").string() + ":built";
  o.env = {"C=2"};
  o.labels = {{"l", "x"}};
  o.expose = {"80"};
  o.entrypoint = std::vector<std::string>{"/app"};
  o.created = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  REQUIRE_NOTHROW((void)build_image(o));

  auto doc = json::parse(built_config(tmp.path / "out"), "config");
  // Every member once: what berth wrote is what every reader sees.
  auto again = json::parse(built_config(tmp.path / "out"), "config");
  json::keep_last_duplicates(again, again.GetAllocator());
  CHECK(doc.MemberCount() == again.MemberCount());
  const auto &c = doc["config"];
  REQUIRE(c.IsObject());
  REQUIRE(c["Env"].IsArray());
  CHECK(c["Env"].Size() == 1); // "Env":7 was the last: only C=2 remains
  CHECK(std::string(c["Env"][0].GetString()) == "C=2");
  CHECK(std::string(c["Labels"]["k"].GetString()) == "v");
  CHECK(std::string(c["Labels"]["l"].GetString()) == "x");
  CHECK(c["ExposedPorts"].HasMember("80/tcp"));
  CHECK(doc["rootfs"]["diff_ids"].IsArray());
  CHECK(doc["history"].IsArray());
}
