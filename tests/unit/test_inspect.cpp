// berth/inspect.hpp on OCI layouts built here: raw manifests, inspection of images
// and indexes, tag lists, tagging, validation that finds each corrupt or missing
// blob, and index annotations. The registry side is covered by the binding and
// integration tests against a real registry.
#include <doctest/doctest.h>

#include <berth/copy.hpp>
#include <berth/error.hpp>
#include <berth/inspect.hpp>
#include <berth/layout.hpp>
#include <berth/manifest.hpp>

#include "core/json.hpp"
#include "test_util.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using berth::Errc;
using berth::Error;
using berth::image::Descriptor;
using berth::layout::OciLayout;
using berth::test::TempDir;

namespace {

template <typename F> Errc code_of(F &&f) {
  try {
    f();
  } catch (const Error &e) {
    return e.code();
  }
  return Errc::ok;
}

Descriptor put(OciLayout &l, const std::string &data, std::string media_type) {
  Descriptor d;
  d.media_type = std::move(media_type);
  d.digest = l.write_blob(std::string_view(data));
  d.size = static_cast<std::int64_t>(data.size());
  return d;
}

std::string descriptor_json(const Descriptor &d) {
  return d.to_json();
}

// One image: a config naming arch, entrypoint and a label, and two layers (their
// bytes need not be tars: nothing here unpacks them).
struct Image {
  Descriptor manifest, config;
  std::vector<Descriptor> layers;
};

Image make_image(OciLayout &l, const std::string &arch, const std::string &layer_text) {
  Image img;
  img.config = put(l,
                   "{\"architecture\":\"" + arch +
                       "\",\"os\":\"linux\",\"created\":\"2024-01-02T03:04:05Z\",\"config\":{"
                       "\"Entrypoint\":[\"/app\",\"--serve\"],\"Env\":[\"A=1\"],\"WorkingDir\":"
                       "\"/srv\",\"Labels\":{\"team\":\"" +
                       arch + "\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
                   std::string(berth::image::media::oci_config));
  img.layers.push_back(put(l, layer_text + "-one", std::string(berth::image::media::oci_layer)));
  img.layers.push_back(put(l, layer_text + "-two", std::string(berth::image::media::oci_layer)));
  std::string raw = "{\"schemaVersion\":2,\"mediaType\":\"" +
                    std::string(berth::image::media::oci_manifest) +
                    "\",\"config\":" + descriptor_json(img.config) + ",\"layers\":[" +
                    descriptor_json(img.layers[0]) + "," + descriptor_json(img.layers[1]) +
                    "],\"annotations\":{\"note\":\"" + arch + "\"}}\n";
  img.manifest = put(l, raw, std::string(berth::image::media::oci_manifest));
  return img;
}

// A layout holding "single" (an amd64 image) and "multi" (an index of amd64 and
// arm64 with an annotation).
struct Fixture {
  TempDir dir;
  OciLayout layout = OciLayout::create((dir.path / "l").string());
  Image amd, arm;
  Descriptor index;
  std::string index_raw;
  std::string ref(const std::string &tag) const { return "oci:" + layout.path() + ":" + tag; }

  Fixture() {
    amd = make_image(layout, "amd64", "amd");
    arm = make_image(layout, "arm64", "arm");
    layout.add_manifest(amd.manifest, "single");
    auto a = amd.manifest, b = arm.manifest;
    a.platform = berth::image::Platform::parse("linux/amd64");
    b.platform = berth::image::Platform::parse("linux/arm64");
    index_raw = berth::image::Index::make(std::string(berth::image::media::oci_index), {a, b},
                                          {{"org.example.built-by", "unit"}})
                    .raw;
    index = put(layout, index_raw, std::string(berth::image::media::oci_index));
    layout.add_manifest(index, "multi");
  }

  // Replaces a blob's bytes in place (same length unless said otherwise).
  void overwrite(const Descriptor &d, const std::string &content) {
    auto path = layout.blob_path(d.digest);
    fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  }
};

} // namespace

TEST_CASE("inspect: fetch_manifest returns the bytes as stored, or an index child") {
  Fixture f;
  auto m = berth::fetch_manifest(f.ref("single"));
  CHECK(m.raw == f.layout.read_blob(f.amd.manifest.digest));
  CHECK(m.digest == f.amd.manifest.digest);
  CHECK(m.media_type == berth::image::media::oci_manifest);
  CHECK(m.raw.back() == '\n'); // nothing re-encoded or trimmed

  auto idx = berth::fetch_manifest(f.ref("multi"));
  CHECK(idx.raw == f.index_raw);
  CHECK(idx.media_type == berth::image::media::oci_index);

  berth::InspectOptions o;
  o.platform = "linux/arm64";
  auto child = berth::fetch_manifest(f.ref("multi"), o);
  CHECK(child.digest == f.arm.manifest.digest);
  o.platform = "linux/s390x";
  CHECK(code_of([&] { berth::fetch_manifest(f.ref("multi"), o); }) == Errc::not_found);
  CHECK(code_of([&] { berth::fetch_manifest(f.ref("nope")); }) == Errc::not_found);
}

TEST_CASE("inspect: an index lists its platforms and each image's config and layers") {
  Fixture f;
  auto r = berth::inspect_image(f.ref("multi"));
  CHECK(r.is_index);
  CHECK(r.digest == f.index.digest);
  CHECK(r.size == static_cast<std::int64_t>(f.index_raw.size()));
  CHECK(r.annotations.at("org.example.built-by") == "unit");
  REQUIRE(r.manifests.size() == 2);
  REQUIRE(r.images.size() == 2);
  const auto &arm = r.images[1];
  CHECK(arm.digest == f.arm.manifest.digest);
  REQUIRE(arm.platform);
  CHECK(arm.platform->str() == "linux/arm64");
  CHECK(arm.config.digest == f.arm.config.digest);
  REQUIRE(arm.layers.size() == 2);
  CHECK(arm.layers[1].digest == f.arm.layers[1].digest);
  CHECK(arm.total_size ==
        arm.size + f.arm.config.size + f.arm.layers[0].size + f.arm.layers[1].size);
  CHECK(arm.entrypoint == std::vector<std::string>{"/app", "--serve"});
  CHECK(arm.env == std::vector<std::string>{"A=1"});
  CHECK(arm.working_dir == "/srv");
  CHECK(arm.created == "2024-01-02T03:04:05Z");
  CHECK(arm.labels.at("team") == "arm64");
  CHECK(arm.annotations.at("note") == "arm64");

  auto doc = berth::core::json::parse(berth::to_json(r), "inspection");
  CHECK(std::string(doc["digest"].GetString()) == f.index.digest);
  CHECK(doc["manifests"].Size() == 2);
  CHECK(std::string(doc["manifests"][1]["platform"]["architecture"].GetString()) == "arm64");
  CHECK(std::string(doc["images"][0]["platform"].GetString()) == "linux/amd64");
  CHECK(doc["images"][0]["layers"].Size() == 2);
  CHECK(doc["images"][0]["totalSize"].GetInt64() == r.images[0].total_size);
  CHECK(std::string(doc["images"][0]["labels"]["team"].GetString()) == "amd64");

  // A single image: its platform comes from the config.
  auto one = berth::inspect_image(f.ref("single"));
  CHECK_FALSE(one.is_index);
  REQUIRE(one.images.size() == 1);
  CHECK(one.images[0].platform->str() == "linux/amd64");
  CHECK(one.manifests.empty());

  berth::InspectOptions o;
  o.platform = "linux/arm64";
  auto picked = berth::inspect_image(f.ref("multi"), o);
  CHECK_FALSE(picked.is_index);
  CHECK(picked.digest == f.arm.manifest.digest);
}

TEST_CASE("inspect: tags of a layout, and tagging adds each missing tag once") {
  Fixture f;
  auto repo = "oci:" + f.layout.path();
  CHECK(berth::list_tags(repo) == std::vector<std::string>{"single", "multi"});
  CHECK(code_of([&] { berth::list_tags(f.ref("single")); }) == Errc::invalid_argument);

  auto r = berth::tag_image(f.ref("single"), {"v1", "v2"});
  CHECK(r.digest == f.amd.manifest.digest);
  CHECK(r.tagged == std::vector<std::string>{"v1", "v2"});
  CHECK(r.skipped.empty());
  CHECK(f.layout.find("v2")->digest == f.amd.manifest.digest);
  auto again = berth::tag_image(f.ref("single"), {"v2", "v3"});
  CHECK(again.tagged == std::vector<std::string>{"v3"});
  CHECK(again.skipped == std::vector<std::string>{"v2"});
  CHECK(berth::list_tags(repo).size() == 5);

  // Moving a tag to another manifest is a PUT too.
  auto moved = berth::tag_image(f.ref("multi"), {"v1"});
  CHECK(moved.tagged == std::vector<std::string>{"v1"});
  CHECK(f.layout.find("v1")->digest == f.index.digest);

  CHECK(code_of([&] { berth::tag_image(f.ref("single"), {"bad tag"}); }) == Errc::invalid_argument);
  CHECK(code_of([&] { berth::tag_image(f.ref("single"), {}); }) == Errc::invalid_argument);
  // A layout that does not exist is not created by tagging.
  auto missing = (f.dir.path / "missing").string();
  CHECK(code_of([&] { berth::tag_image("oci:" + missing + ":x", {"y"}); }) == Errc::not_found);
  CHECK_FALSE(fs::exists(missing));
}

TEST_CASE("inspect: rm and catalog refuse what they cannot do") {
  Fixture f;
  CHECK(code_of([&] { berth::delete_image(f.ref("single")); }) == Errc::unsupported);
  CHECK(code_of([&] { berth::list_repositories("host/with/path"); }) == Errc::invalid_argument);
  CHECK(code_of([&] { berth::list_repositories("bad host"); }) == Errc::invalid_argument);
  berth::InspectOptions o;
  o.page_size = 0;
  CHECK(code_of([&] { berth::list_repositories("127.0.0.1:1", o); }) == Errc::invalid_argument);
}

TEST_CASE("validate: a sound index passes, counting every manifest and blob once") {
  Fixture f;
  auto r = berth::validate_image(f.ref("multi"));
  CHECK(r.ok());
  CHECK(r.digest == f.index.digest);
  CHECK(r.manifests == 3);
  CHECK(r.blobs == 6);
  std::uint64_t bytes = 0;
  for (const auto *img : {&f.amd, &f.arm}) {
    bytes += static_cast<std::uint64_t>(img->config.size);
    for (const auto &l : img->layers)
      bytes += static_cast<std::uint64_t>(l.size);
  }
  CHECK(r.bytes == bytes);
  auto doc = berth::core::json::parse(berth::to_json(r), "report");
  CHECK(doc["ok"].GetBool());
  CHECK(doc["failures"].Size() == 0);
}

TEST_CASE("validate: each corrupt, truncated or missing blob is reported, not just the first") {
  Fixture f;
  // Same length, other bytes: only the digest can tell.
  auto layer = f.arm.layers[0];
  f.overwrite(layer, std::string(static_cast<std::size_t>(layer.size), 'x'));
  // Shorter than its descriptor says.
  f.overwrite(f.amd.layers[1], "short");
  fs::remove(f.layout.blob_path(f.amd.config.digest));

  auto r = berth::validate_image(f.ref("multi"), {});
  CHECK_FALSE(r.ok());
  CHECK(r.manifests == 3);
  REQUIRE(r.failures.size() == 3);
  // In the order the manifests name them: amd64's config and layer, then arm64's.
  CHECK(r.failures[0].digest == f.amd.config.digest);
  CHECK(r.failures[0].kind == "config");
  CHECK(r.failures[0].code == Errc::not_found);
  CHECK(r.failures[1].digest == f.amd.layers[1].digest);
  CHECK(r.failures[1].kind == "layer");
  CHECK(r.failures[1].code == Errc::digest_mismatch);
  CHECK(r.failures[2].digest == layer.digest);
  CHECK(r.failures[2].code == Errc::digest_mismatch);

  auto doc = berth::core::json::parse(berth::to_json(r), "report");
  CHECK_FALSE(doc["ok"].GetBool());
  CHECK(doc["failures"].Size() == 3);
  CHECK(doc["failures"][2]["code"].GetInt() == static_cast<int>(Errc::digest_mismatch));
  CHECK(std::string(doc["failures"][0]["kind"].GetString()) == "config");
}

TEST_CASE("validate: a corrupt child manifest is reported and the other child still checked") {
  Fixture f;
  auto raw = f.layout.read_blob(f.arm.manifest.digest);
  raw[raw.find("arm64")] = 'X';
  f.overwrite(f.arm.manifest, raw);
  auto r = berth::validate_image(f.ref("multi"));
  REQUIRE(r.failures.size() == 1);
  CHECK(r.failures[0].digest == f.arm.manifest.digest);
  CHECK(r.failures[0].kind == "manifest");
  CHECK(r.failures[0].code == Errc::digest_mismatch);
  CHECK(r.manifests == 2); // the index and amd64
  CHECK(r.blobs == 3);     // amd64's config and layers

  // A corrupt top manifest is a finding too, not an error.
  f.overwrite(f.index, f.index_raw + " ");
  auto top = berth::validate_image(f.ref("multi"));
  REQUIRE(top.failures.size() == 1);
  CHECK(top.failures[0].kind == "manifest");
  CHECK(top.manifests == 0);
  // One that does not exist is an error.
  CHECK(code_of([&] { berth::validate_image(f.ref("nope")); }) == Errc::not_found);
}

TEST_CASE("index: annotations land on the index, which is then an OCI index") {
  Fixture f;
  berth::CopyOptions o;
  auto out = "oci:" + (f.dir.path / "out").string() + ":idx";
  auto r = berth::assemble_index({f.ref("single")}, out, o,
                                 {{"org.opencontainers.image.source", "https://example.com/x"}});
  CHECK(r.media_type == berth::image::media::oci_index);
  auto idx = berth::inspect_image(out);
  CHECK(idx.digest == r.digest);
  CHECK(idx.annotations.at("org.opencontainers.image.source") == "https://example.com/x");
  REQUIRE(idx.manifests.size() == 1);
  CHECK(idx.manifests[0].digest == f.amd.manifest.digest);
}
