// Docker schema 2 <-> OCI conversion (image/convert.hpp), the choice of format a copy
// makes (ops/format.hpp), and copies between layouts that convert: new manifest
// digests under every tag, the same blobs.
#include <doctest/doctest.h>

#include <berth/copy.hpp>
#include <berth/error.hpp>
#include <berth/layout.hpp>
#include <berth/manifest.hpp>

#include "core/json.hpp"
#include "image/convert.hpp"
#include "ops/transfer/format.hpp"
#include "ops/transfer/location.hpp"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using berth::Errc;
using berth::Error;
using berth::image::Family;
namespace media = berth::image::media;

namespace {

std::string hex64(char c) {
  return std::string(64, c);
}
std::string dg(char c) {
  return "sha256:" + hex64(c);
}

const std::string kDockerManifest = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
  "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1469,
             "digest": ")" + dg('c') +
                                    R"("},
  "layers": [
    {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 100,
     "digest": ")" + dg('1') + R"("},
    {"mediaType": "application/vnd.docker.image.rootfs.diff.tar", "size": 200,
     "digest": ")" + dg('2') + R"("},
    {"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "size": 300,
     "digest": ")" + dg('3') + R"(", "urls": ["https://example.com/base.tar.gz"]},
    {"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd", "size": 400,
     "digest": ")" + dg('4') + R"("}
  ]
})";

const std::string kOciManifest = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 500,
             "digest": ")" + dg('c') +
                                 R"("},
  "layers": [
    {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": 100,
     "digest": ")" + dg('1') + R"(", "annotations": {"org.example.layer": "base"}},
    {"mediaType": "application/vnd.oci.image.layer.v1.tar", "size": 200,
     "digest": ")" + dg('2') + R"("},
    {"mediaType": "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", "size": 300,
     "digest": ")" + dg('3') + R"(", "urls": ["https://example.com/base.tar.gz"]}
  ],
  "annotations": {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"}
})";

std::vector<std::string> layer_types(const berth::image::Manifest &m) {
  std::vector<std::string> out;
  for (const auto &l : m.layers)
    out.push_back(l.media_type);
  return out;
}

template <typename F> std::string refusal(F &&f) {
  try {
    f();
  } catch (const Error &e) {
    CHECK(e.code() == Errc::unsupported);
    return e.what();
  }
  FAIL("no error");
  return {};
}

berth::image::Manifest parse(const std::string &raw) {
  return berth::image::parse_manifest(raw);
}

std::string with_layer(const std::string &media_type) {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":")" +
         dg('c') + R"("},
    "layers":[{"mediaType":")" +
         media_type + R"(","size":1,"digest":")" + dg('1') + R"("}]})";
}

} // namespace

TEST_CASE("Docker schema 2 to OCI: every media type, the same blobs") {
  auto src = parse(kDockerManifest);
  auto out = berth::image::convert_manifest(src, Family::oci);
  auto again = parse(out.raw); // what a reader of the new bytes sees
  CHECK(again.media_type == media::oci_manifest);
  CHECK(again.config.media_type == media::oci_config);
  CHECK(layer_types(again) ==
        std::vector<std::string>{"application/vnd.oci.image.layer.v1.tar+gzip",
                                 "application/vnd.oci.image.layer.v1.tar",
                                 "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                                 "application/vnd.oci.image.layer.v1.tar+zstd"});
  // Blobs are untouched: digests and sizes as they were, foreign URLs kept.
  CHECK(again.config.digest == src.config.digest);
  CHECK(again.config.size == 1469);
  for (std::size_t i = 0; i < src.layers.size(); ++i) {
    CHECK(again.layers[i].digest == src.layers[i].digest);
    CHECK(again.layers[i].size == src.layers[i].size);
  }
  CHECK(again.layers[2].urls == std::vector<std::string>{"https://example.com/base.tar.gz"});
  // The manifest itself is new bytes, so a new digest.
  CHECK(berth::image::digest_of(out.raw) != berth::image::digest_of(src.raw));
  CHECK(out.raw.find("docker") == std::string::npos);
}

TEST_CASE("OCI to Docker schema 2: media types, annotations dropped, and back") {
  auto src = parse(kOciManifest);
  auto out = berth::image::convert_manifest(src, Family::docker);
  auto again = parse(out.raw);
  CHECK(again.media_type == media::docker_manifest);
  CHECK(again.config.media_type == media::docker_config);
  CHECK(layer_types(again) ==
        std::vector<std::string>{"application/vnd.docker.image.rootfs.diff.tar.gzip",
                                 "application/vnd.docker.image.rootfs.diff.tar",
                                 "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"});
  CHECK(again.annotations.empty());
  CHECK(again.layers[0].annotations.empty());
  CHECK(out.raw.find("annotations") == std::string::npos);
  CHECK(out.raw.find("\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\"") !=
        std::string::npos);
  CHECK(again.layers[2].urls.size() == 1);

  auto back = parse(berth::image::convert_manifest(again, Family::oci).raw);
  CHECK(back.media_type == media::oci_manifest);
  CHECK(layer_types(back) == layer_types(src));
  CHECK(back.config.digest == src.config.digest);
}

TEST_CASE("a manifest already in the family is returned byte for byte") {
  auto oci = parse(kOciManifest);
  CHECK(berth::image::convert_manifest(oci, Family::oci).raw == kOciManifest);
  auto docker = parse(kDockerManifest);
  // Its zstd layer stays: nothing is converted, so nothing is refused.
  CHECK(berth::image::convert_manifest(docker, Family::docker).raw == kDockerManifest);
  CHECK_FALSE(berth::image::needs_conversion(media::oci_manifest, Family::oci));
  CHECK(berth::image::needs_conversion(media::oci_manifest, Family::docker));
  CHECK(berth::image::needs_conversion(media::docker_manifest_list, Family::oci));
}

TEST_CASE("conversions that would lose meaning are refused, naming the reason") {
  auto zstd = refusal([] {
    (void)berth::image::convert_manifest(
        parse(with_layer("application/vnd.oci.image.layer.v1.tar+zstd")), Family::docker);
  });
  CHECK(zstd.find("zstd") != std::string::npos);
  CHECK(zstd.find("Docker") != std::string::npos);
  CHECK(zstd.find("layer 1") != std::string::npos);
  CHECK(refusal([] {
          (void)berth::image::convert_manifest(
              parse(with_layer("application/vnd.oci.image.layer.nondistributable.v1.tar+zstd")),
              Family::docker);
        }).find("zstd") != std::string::npos);
  CHECK(refusal([] {
          (void)berth::image::convert_manifest(
              parse(with_layer("application/vnd.oci.image.layer.v1.tar+gzip+encrypted")),
              Family::docker);
        }).find("encrypted") != std::string::npos);
  CHECK(refusal([] {
          (void)berth::image::convert_manifest(parse(with_layer("application/x-custom")),
                                               Family::docker);
        }).find("application/x-custom") != std::string::npos);

  // Artifacts: another config type, an artifactType, a subject.
  auto helm = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"mediaType":"application/vnd.cncf.helm.config.v1+json","size":2,"digest":")" +
              dg('c') + R"("},"layers":[]})";
  CHECK(refusal([&] {
          (void)berth::image::convert_manifest(parse(helm), Family::docker);
        }).find("not an image config") != std::string::npos);
  auto signature = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":")" +
                   dg('c') + R"("},"layers":[],
    "subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":7,"digest":")" +
                   dg('9') + R"("}})";
  CHECK(refusal([&] {
          (void)berth::image::convert_manifest(parse(signature), Family::docker);
        }).find("subject") != std::string::npos);
  auto sbom = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "artifactType":"application/spdx+json",
    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":")" +
              dg('c') + R"("},"layers":[]})";
  CHECK(refusal([&] {
          (void)berth::image::convert_manifest(parse(sbom), Family::docker);
        }).find("artifact") != std::string::npos);

  // To OCI: unknown Docker types are refused too.
  auto plugin =
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.plugin.v1+json","size":2,"digest":")" +
      dg('c') + R"("},"layers":[]})";
  CHECK(refusal([&] {
          (void)berth::image::convert_manifest(parse(plugin), Family::oci);
        }).find("application/vnd.docker.plugin.v1+json") != std::string::npos);
}

TEST_CASE("indexes: list type, entries pointing at the converted children") {
  // A Docker child without zstd layers, so that it converts both ways.
  auto docker_child = berth::image::convert_manifest(parse(kOciManifest), Family::docker);
  auto list_raw = R"({"schemaVersion":2,
    "mediaType":"application/vnd.docker.distribution.manifest.list.v2+json",
    "manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
      "size":)" + std::to_string(docker_child.raw.size()) +
                  R"(,"digest":")" + berth::image::digest_of(docker_child.raw) +
                  R"(","platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]})";
  auto list = berth::image::parse_index(list_raw);
  CHECK(berth::image::needs_conversion(list, Family::oci));
  CHECK_FALSE(berth::image::needs_conversion(list, Family::docker));

  auto child = berth::image::convert_manifest(docker_child, Family::oci);
  auto index = berth::image::convert_index(list, Family::oci, {child});
  auto again = berth::image::parse_index(index.raw);
  CHECK(again.media_type == media::oci_index);
  REQUIRE(again.manifests.size() == 1);
  const auto &e = again.manifests[0];
  CHECK(e.media_type == media::oci_manifest);
  CHECK(e.digest == berth::image::digest_of(child.raw));
  CHECK(e.size == static_cast<std::int64_t>(child.raw.size()));
  REQUIRE(e.platform);
  CHECK(e.platform->str() == "linux/arm64/v8");

  // And back: a manifest list of Docker manifests.
  auto docker_again = berth::image::convert_manifest(child, Family::docker);
  auto list_again = berth::image::convert_index(again, Family::docker, {docker_again});
  auto parsed = berth::image::parse_index(list_again.raw);
  CHECK(parsed.media_type == media::docker_manifest_list);
  CHECK(parsed.manifests[0].media_type == media::docker_manifest);
  CHECK(parsed.manifests[0].digest == berth::image::digest_of(docker_again.raw));

  // An OCI index of OCI manifests whose one entry is Docker still needs converting.
  auto mixed = berth::image::Index::make(std::string(media::oci_index), list.manifests);
  CHECK(berth::image::needs_conversion(mixed, Family::oci));

  CHECK_THROWS_AS(berth::image::convert_index(list, Family::oci, {}), Error);
}

TEST_CASE("an index entry without a platform cannot go into a Docker manifest list") {
  auto oci_child = parse(kOciManifest);
  berth::image::Descriptor d;
  d.media_type = media::oci_manifest;
  d.digest = berth::image::digest_of(kOciManifest);
  d.size = static_cast<std::int64_t>(kOciManifest.size());
  auto index = berth::image::Index::make(std::string(media::oci_index), {d},
                                         {{"org.example", "kept in OCI"}});
  auto child = berth::image::convert_manifest(oci_child, Family::docker);
  CHECK(refusal([&] {
          (void)berth::image::convert_index(index, Family::docker, {child});
        }).find("platform") != std::string::npos);
  // Converting to OCI keeps the index's annotations.
  auto same = berth::image::convert_index(index, Family::oci, {oci_child});
  CHECK(berth::image::parse_index(same.raw).annotations.at("org.example") == "kept in OCI");
}

TEST_CASE("target_family: the source's format unless asked, docker-archive into OCI") {
  using berth::ImageFormat;
  using berth::ops::Location;
  using berth::ops::target_family;
  auto loc = [](const char *s) { return Location::parse(s); };
  auto archive = loc("docker-archive:/tmp/x.tar");
  CHECK(target_family(ImageFormat::automatic, archive, loc("oci:/tmp/l:t")) == Family::oci);
  CHECK(target_family(ImageFormat::automatic, archive, loc("oci-archive:/tmp/o.tar")) ==
        Family::oci);
  CHECK_FALSE(target_family(ImageFormat::automatic, archive, loc("example.com/app:v1")));
  CHECK_FALSE(target_family(ImageFormat::automatic, archive, loc("docker-archive:/tmp/y.tar")));
  CHECK_FALSE(target_family(ImageFormat::automatic, loc("example.com/app:v1"), loc("oci:/tmp/l")));
  CHECK_FALSE(target_family(ImageFormat::automatic, loc("oci-archive:/tmp/o.tar"), loc("oci:/l")));
  CHECK(target_family(ImageFormat::docker, archive, loc("oci:/tmp/l")) == Family::docker);
  CHECK(target_family(ImageFormat::oci, loc("example.com/a:1"), loc("example.com/b:1")) ==
        Family::oci);
}

namespace {

// A layout holding one Docker-typed image (config and one gzip "layer" of bytes).
struct DockerLayout {
  fs::path dir;
  std::string manifest, digest, config_digest, layer_digest;
  explicit DockerLayout(const fs::path &d) : dir(d) {
    auto layout = berth::layout::OciLayout::create(d.string());
    std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers",)"
                         R"("diff_ids":[]}})";
    config_digest = layout.write_blob(std::string_view(config));
    std::string layer = "not really a layer, but a blob all the same";
    layer_digest = layout.write_blob(std::string_view(layer));
    manifest =
        R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
        R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":)" +
        std::to_string(config.size()) + R"(,"digest":")" + config_digest +
        R"("},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip",)"
        R"("size":)" +
        std::to_string(layer.size()) + R"(,"digest":")" + layer_digest + R"("}]})";
    digest = layout.write_blob(std::string_view(manifest));
    berth::image::Descriptor d2;
    d2.media_type = media::docker_manifest;
    d2.digest = digest;
    d2.size = static_cast<std::int64_t>(manifest.size());
    layout.add_manifest(d2, "v1");
  }
};

struct Scratch {
  fs::path path;
  Scratch() {
    std::string tmpl = (fs::temp_directory_path() / "berth-convert-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

} // namespace

TEST_CASE("copy --format oci between layouts: the new digest under every tag, same blobs") {
  Scratch tmp;
  DockerLayout src(tmp.path / "src");
  berth::CopyOptions o;
  o.format = berth::ImageFormat::oci;
  o.extra_tags = {"also"};
  auto dst = (tmp.path / "dst").string();
  auto r = berth::copy_image("oci:" + src.dir.string() + ":v1", "oci:" + dst + ":v1", o);
  CHECK(r.media_type == media::oci_manifest);
  CHECK(r.digest != src.digest);
  auto layout = berth::layout::OciLayout::open(dst);
  REQUIRE(layout.find("v1"));
  CHECK(layout.find("v1")->digest == r.digest);
  CHECK(layout.find("v1")->media_type == media::oci_manifest);
  REQUIRE(layout.find("also"));
  CHECK(layout.find("also")->digest == r.digest);
  auto m = berth::image::parse_manifest(layout.read_blob(r.digest));
  CHECK(m.config.media_type == media::oci_config);
  CHECK(m.config.digest == src.config_digest);
  CHECK(m.layers.at(0).media_type == media::oci_layer_gzip);
  CHECK(m.layers.at(0).digest == src.layer_digest);
  CHECK(layout.has_blob(src.config_digest));
  CHECK(layout.has_blob(src.layer_digest));
  CHECK_FALSE(layout.has_blob(src.digest)); // the Docker manifest itself is not copied

  // A re-run finds the converted manifest under the tag and moves nothing.
  auto again = berth::copy_image("oci:" + src.dir.string() + ":v1", "oci:" + dst + ":v1", o);
  CHECK(again.digest == r.digest);
  CHECK(again.manifests == 0);

  // Without a format the layout keeps the source's manifest, byte for byte.
  auto kept = berth::copy_image("oci:" + src.dir.string() + ":v1", "oci:" + dst + ":kept");
  CHECK(kept.digest == src.digest);
  CHECK(kept.media_type == media::docker_manifest);

  // And --format docker turns the OCI copy back into Docker media types.
  berth::CopyOptions d;
  d.format = berth::ImageFormat::docker;
  auto back = berth::copy_image("oci:" + dst + ":v1", "oci:" + dst + ":docker", d);
  CHECK(back.media_type == media::docker_manifest);
  CHECK(berth::image::parse_manifest(layout.read_blob(back.digest)).config.media_type ==
        media::docker_config);
}

TEST_CASE("a conversion that cannot be done fails before anything is written") {
  Scratch tmp;
  auto layout = berth::layout::OciLayout::create((tmp.path / "src").string());
  auto config = layout.write_blob(std::string_view("{}"));
  auto layer = layout.write_blob(std::string_view("zstd bytes"));
  auto raw = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
             R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,)"
             R"("digest":")" +
             config +
             R"("},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd",)"
             R"("size":10,"digest":")" +
             layer + R"("}]})";
  berth::image::Descriptor d;
  d.media_type = media::oci_manifest;
  d.digest = layout.write_blob(std::string_view(raw));
  d.size = static_cast<std::int64_t>(raw.size());
  layout.add_manifest(d, "z");
  berth::CopyOptions o;
  o.format = berth::ImageFormat::docker;
  auto dst = tmp.path / "dst";
  try {
    (void)berth::copy_image("oci:" + (tmp.path / "src").string() + ":z",
                            "oci:" + dst.string() + ":z", o);
    FAIL("converted zstd to Docker");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::unsupported);
    CHECK(std::string(e.what()).find("zstd") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(dst / "blobs" / "sha256" / layer.substr(7)));
}
