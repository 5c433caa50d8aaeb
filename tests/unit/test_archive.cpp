// oci-archive and docker-archive: Location parsing, the TarArchive index, reading the
// docker-archive flavours Docker and skopeo write, round trips through berth copy,
// determinism, and clear errors (and untouched targets) for corrupt input.
#include <doctest/doctest.h>

#include <berth/copy.hpp>
#include <berth/digest.hpp>
#include <berth/error.hpp>
#include <berth/layout.hpp>
#include <berth/manifest.hpp>

#include "core/json.hpp"
#include "core/stream.hpp"
#include "layer/compression.hpp"
#include "layer/tar_reader.hpp"
#include "layer/tar_writer.hpp"
#include "layout/docker_archive.hpp"
#include "layout/oci_archive.hpp"
#include "ops/transfer/location.hpp"
#include "test_util.hpp"

#include "../layer/tar_test_support.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using berth::copy_image;
using berth::Errc;
using berth::Error;
using berth::image::Descriptor;
using berth::layout::DockerArchive;
using berth::layout::OciArchive;
using berth::layout::OciLayout;
using berth::layout::TarArchive;
using berth::ops::Location;
using berth::test::TempDir;
namespace media = berth::image::media;

namespace {

template <typename F> Errc code_of(F &&f) {
  try {
    f();
  } catch (const Error &e) {
    return e.code();
  }
  return Errc::ok;
}

template <typename F> std::string message_of(F &&f) {
  try {
    f();
  } catch (const Error &e) {
    return e.what();
  }
  return {};
}

void put_file(const fs::path &p, const std::string &data) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << data;
}

std::string get_file(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string pattern(std::size_t n, std::uint32_t seed) {
  std::string s(n, '\0');
  std::uint32_t x = seed;
  for (auto &c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

berth::layer::TarOptions fixed_tar() {
  berth::layer::TarOptions o;
  o.fixed_mtime = 0;
  return o;
}

// A layer tar holding the given files.
std::string tar_of(const std::vector<std::pair<std::string, std::string>> &files) {
  berth::core::StringSink s;
  berth::layer::TarWriter w(s, fixed_tar());
  for (const auto &[name, data] : files)
    w.add_bytes(name, data);
  w.finish();
  return s.str();
}

std::string compress(const std::string &data, berth::layer::Compression c) {
  berth::core::StringSink s;
  auto z = berth::layer::make_compressor(s, c, -1, 1);
  z->write(data);
  z->finish();
  return s.str();
}

// A tar file built member by member (for hand-made docker-archives).
struct ArchiveBuilder {
  std::vector<berth::tartest::Member> members;
  ArchiveBuilder &file(const std::string &name, const std::string &data) {
    members.push_back(berth::tartest::mfile(name, data));
    return *this;
  }
  ArchiveBuilder &symlink(const std::string &name, const std::string &target) {
    members.push_back(berth::tartest::msymlink(name, target));
    return *this;
  }
  std::string finish() const { return berth::tartest::archive(members); }
};

std::string config_json(const std::vector<std::string> &diff_ids) {
  std::string ids;
  for (const auto &d : diff_ids)
    ids += (ids.empty() ? "\"" : ",\"") + d + "\"";
  return R"({"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"]},)"
         R"("rootfs":{"type":"layers","diff_ids":[)" +
         ids + "]}}";
}

Descriptor desc(std::string_view media_type, const std::string &data) {
  Descriptor d;
  d.media_type = std::string(media_type);
  d.digest = berth::image::digest_of(data);
  d.size = static_cast<std::int64_t>(data.size());
  return d;
}

std::string manifest_json(std::string_view media_type, const Descriptor &config,
                          const std::vector<Descriptor> &layers) {
  std::string out = R"({"schemaVersion":2,"mediaType":")" + std::string(media_type) +
                    R"(","config":)" + config.to_json() + R"(,"layers":[)";
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (i > 0) out += ',';
    out += layers[i].to_json();
  }
  return out + "]}";
}

struct TestImage {
  std::string manifest_digest;
  std::string config_digest;
  std::vector<std::string> layer_digests;
  std::vector<std::string> layer_types;
  std::vector<std::string> diff_ids;
};

// An OCI image with a small and a 300 KiB layer in layout `dir` under `tag`.
TestImage make_image(const std::string &dir, const std::string &tag,
                     berth::layer::Compression c = berth::layer::Compression::gzip,
                     std::uint32_t seed = 7) {
  auto layout = OciLayout::create(dir);
  std::vector<std::string> raw = {tar_of({{"etc/hello", "hello " + std::to_string(seed)}}),
                                  tar_of({{"bin/tool", pattern(300u << 10, seed)}})};
  TestImage img;
  std::vector<Descriptor> layers;
  for (const auto &r : raw) {
    img.diff_ids.push_back(berth::image::digest_of(r));
    auto blob = c == berth::layer::Compression::none ? r : compress(r, c);
    auto d = desc(berth::layer::layer_media_type(c), blob);
    (void)layout.write_blob(std::string_view(blob));
    img.layer_digests.push_back(d.digest);
    img.layer_types.push_back(d.media_type);
    layers.push_back(d);
  }
  auto config = config_json(img.diff_ids);
  (void)layout.write_blob(std::string_view(config));
  auto cd = desc(media::oci_config, config);
  img.config_digest = cd.digest;
  auto manifest = manifest_json(media::oci_manifest, cd, layers);
  auto md = desc(media::oci_manifest, manifest);
  (void)layout.write_blob(std::string_view(manifest));
  layout.add_manifest(md, tag);
  img.manifest_digest = md.digest;
  return img;
}

berth::image::Manifest manifest_in(const std::string &layout_dir, const std::string &tag) {
  auto layout = OciLayout::open(layout_dir);
  auto d = layout.find(tag);
  REQUIRE(d);
  return berth::image::parse_manifest(layout.read_blob(d->digest), d->media_type);
}

// Names in `dir` that berth's staging and temp files would have.
std::vector<std::string> leftovers(const fs::path &dir) {
  std::vector<std::string> out;
  for (const auto &e : fs::directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (name.find(".berth-") != std::string::npos) out.push_back(name);
  }
  return out;
}

// Member names of a tar file, in order, with their mtimes and owners checked.
std::vector<std::string> members_of(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  berth::layer::TarReader r([&](char *buf, std::size_t len) {
    in.read(buf, static_cast<std::streamsize>(len));
    return static_cast<std::size_t>(in.gcount());
  });
  std::vector<std::string> out;
  while (auto e = r.next()) {
    CHECK(e->mtime == 0);
    CHECK(e->uid == 0);
    CHECK(e->gid == 0);
    out.push_back(e->path);
  }
  return out;
}

} // namespace

TEST_CASE("archive: locations parse as skopeo writes them") {
  auto l = Location::parse("oci-archive:img.tar");
  CHECK(l.kind == Location::Kind::oci_archive);
  CHECK(l.path == "img.tar");
  CHECK(l.tag.empty());
  l = Location::parse("oci-archive:/a/img.tar:v1");
  CHECK(l.path == "/a/img.tar");
  CHECK(l.tag == "v1");
  CHECK(l.str() == "oci-archive:/a/img.tar:v1");
  // A ':' followed by '/' belongs to the path; the tag may hold ':' and '/'.
  l = Location::parse("oci-archive:/mnt/c:/x.tar:a/b:c");
  CHECK(l.path == "/mnt/c:/x.tar");
  CHECK(l.tag == "a/b:c");

  l = Location::parse("docker-archive:d.tar");
  CHECK(l.kind == Location::Kind::docker_archive);
  CHECK(l.path == "d.tar");
  CHECK(l.ref.repository.empty());
  CHECK(l.image_index == -1);
  l = Location::parse("docker-archive:d.tar:busybox");
  CHECK(l.ref.str() == "docker.io/library/busybox:latest");
  l = Location::parse("docker-archive:/x:/d.tar:localhost:5000/team/app:v2");
  CHECK(l.path == "/x:/d.tar");
  CHECK(l.ref.registry == "localhost:5000");
  CHECK(l.ref.repository == "team/app");
  CHECK(l.ref.tag == "v2");
  CHECK(l.str() == "docker-archive:/x:/d.tar:localhost:5000/team/app:v2");
  l = Location::parse("docker-archive:d.tar:@3");
  CHECK(l.image_index == 3);
  CHECK(l.str() == "docker-archive:d.tar:@3");

  CHECK(code_of([] { Location::parse("docker-archive:"); }) == Errc::invalid_argument);
  CHECK(code_of([] { Location::parse("oci-archive:"); }) == Errc::invalid_argument);
  CHECK(code_of([] { Location::parse("oci-archive:x.tar:"); }) == Errc::invalid_argument);
  CHECK(code_of([] { Location::parse("docker-archive:d.tar:@x"); }) == Errc::invalid_argument);
  CHECK(message_of([] {
          Location::parse("docker-archive:d.tar:busybox@sha256:"
                          "0000000000000000000000000000000000000000000000000000000000000000");
        }).find("not a digest") != std::string::npos);
  CHECK(code_of([] { Location::parse("dir:/x"); }) == Errc::unsupported);
}

TEST_CASE("archive: oci-archive round trip keeps every digest and is deterministic") {
  TempDir t;
  auto img = make_image(t.str("src"), "v1");
  auto r = copy_image("oci:" + t.str("src") + ":v1", "oci-archive:" + t.str("out/a.tar") + ":v1");
  CHECK(r.digest == img.manifest_digest);
  {
    berth::CopyOptions o;
    o.extra_tags = {"latest"};
    copy_image("oci:" + t.str("src") + ":v1", "oci-archive:" + t.str("out/tags.tar") + ":v1", o);
    CHECK(OciArchive::open(t.str("out/tags.tar")).tags() ==
          std::vector<std::string>{"v1", "latest"});
    fs::remove(t.path / "out/tags.tar");
  }
  CHECK(leftovers(t.path / "out").empty());

  // Sorted members, fixed mtimes and owners; the same bytes when written again.
  auto names = members_of(t.str("out/a.tar"));
  REQUIRE(names.size() == 8); // blobs, blobs/sha256, 4 blobs, index.json, oci-layout
  CHECK(names.front() == "blobs");
  CHECK(names[names.size() - 2] == "index.json");
  CHECK(names.back() == "oci-layout");
  CHECK(std::is_sorted(names.begin(), names.end()));
  copy_image("oci:" + t.str("src") + ":v1", "oci-archive:" + t.str("out/b.tar") + ":v1");
  CHECK(get_file(t.path / "out/a.tar") == get_file(t.path / "out/b.tar"));

  auto archive = OciArchive::open(t.str("out/a.tar"));
  CHECK(archive.tags() == std::vector<std::string>{"v1"});
  CHECK(archive.find("")->digest == img.manifest_digest);
  CHECK(archive.has_blob(img.config_digest));

  auto back = copy_image("oci-archive:" + t.str("out/a.tar"), "oci:" + t.str("back") + ":x");
  CHECK(back.digest == img.manifest_digest);
  auto m = manifest_in(t.str("back"), "x");
  CHECK(m.config.digest == img.config_digest);
  REQUIRE(m.layers.size() == 2);
  CHECK(m.layers[1].digest == img.layer_digests[1]);

  // A second copy replaces the archive as a whole; its mode is kept.
  fs::permissions(t.path / "out/a.tar", fs::perms(0600));
  auto other = make_image(t.str("src"), "v2", berth::layer::Compression::gzip, 99);
  copy_image("oci:" + t.str("src") + ":v2", "oci-archive:" + t.str("out/a.tar") + ":v2");
  CHECK(OciArchive::open(t.str("out/a.tar")).tags() == std::vector<std::string>{"v2"});
  CHECK((fs::status(t.path / "out/a.tar").permissions() & fs::perms::all) == fs::perms(0600));
  CHECK(code_of([&] {
          copy_image("oci-archive:" + t.str("out/a.tar") + ":v1", "oci:" + t.str("back") + ":y");
        }) == Errc::not_found);
  (void)other;
}

TEST_CASE("archive: docker-archive round trip keeps config and layers, OCI types in a layout") {
  TempDir t;
  for (auto c : {berth::layer::Compression::gzip, berth::layer::Compression::none}) {
    CAPTURE(berth::layer::compression_name(c));
    auto img = make_image(t.str("src"), "v1", c);
    const auto file = t.str("d-" + std::string(berth::layer::compression_name(c)) + ".tar");
    berth::CopyOptions o;
    o.extra_tags = {"extra"};
    copy_image("oci:" + t.str("src") + ":v1", "docker-archive:" + file + ":example.com/team/app:1",
               o);
    CHECK(leftovers(t.path).empty());

    // manifest.json: skopeo's member names, Docker's RepoTags form, the blobs as given.
    auto archive = TarArchive::open(file, "docker-archive");
    auto mj = archive.read_all(*archive.find("manifest.json"), 1 << 20);
    auto doc = berth::core::json::parse(mj, "manifest.json");
    REQUIRE(doc.IsArray());
    REQUIRE(doc.Size() == 1);
    const auto &item = doc[0];
    CHECK(std::string(item["Config"].GetString()) ==
          berth::image::Digest::parse(img.config_digest).hex() + ".json");
    REQUIRE(item["RepoTags"].Size() == 2);
    CHECK(std::string(item["RepoTags"][0].GetString()) == "example.com/team/app:1");
    CHECK(std::string(item["RepoTags"][1].GetString()) == "example.com/team/app:extra");
    REQUIRE(item["Layers"].Size() == 2);
    CHECK(std::string(item["Layers"][1].GetString()) ==
          berth::image::Digest::parse(img.layer_digests[1]).hex() + ".tar");

    // Into a layout the synthesised Docker manifest becomes OCI (umoci reads only
    // OCI); asked for, Docker it stays. The blobs are the same either way.
    auto r = copy_image("docker-archive:" + file, "oci:" + t.str("back") + ":x");
    berth::CopyOptions keep;
    keep.format = berth::ImageFormat::docker;
    auto rd = copy_image("docker-archive:" + file, "oci:" + t.str("back") + ":docker", keep);
    // (Not a structured binding: clang 14 cannot capture one in CAPTURE's lambda.)
    for (const auto &case_ : {std::pair{"x", false}, std::pair{"docker", true}}) {
      const char *tag = case_.first;
      const bool docker = case_.second;
      CAPTURE(tag);
      auto m = manifest_in(t.str("back"), tag);
      CHECK((docker ? rd : r).digest == berth::image::digest_of(m.raw));
      CHECK(m.media_type == (docker ? media::docker_manifest : media::oci_manifest));
      CHECK(m.config.media_type == (docker ? media::docker_config : media::oci_config));
      CHECK(m.config.digest == img.config_digest);
      REQUIRE(m.layers.size() == 2);
      for (std::size_t i = 0; i < 2; ++i) {
        CHECK(m.layers[i].digest == img.layer_digests[i]);
        CHECK(m.layers[i].media_type == berth::layer::layer_media_type(c, docker));
      }
    }
    // Selecting by either tag, normalized, gives the same image.
    auto again = copy_image("docker-archive:" + file + ":example.com/team/app:extra",
                            "oci:" + t.str("back") + ":y");
    CHECK(again.digest == r.digest);
    CHECK(code_of([&] {
            copy_image("docker-archive:" + file + ":example.com/team/app:nope",
                       "oci:" + t.str("back") + ":z");
          }) == Errc::not_found);

    // Deterministic: the same image written twice gives the same bytes.
    copy_image("oci:" + t.str("src") + ":v1",
               "docker-archive:" + file + ".2:example.com/team/app:1", o);
    CHECK(get_file(file) == get_file(file + ".2"));
    fs::remove_all(t.path / "src");
    fs::remove_all(t.path / "back");
  }
}

TEST_CASE("archive: docker-archive flavours of docker <25, skopeo and docker 25+ are read") {
  TempDir t;
  const auto l1 = tar_of({{"a", "one"}});
  const auto l2 = tar_of({{"b", pattern(5000, 3)}});
  const auto l2gz = compress(l2, berth::layer::Compression::gzip);
  const auto d1 = berth::image::digest_of(l1), d2 = berth::image::digest_of(l2);
  const auto config = config_json({d1, d2, d1});
  const auto config_digest = berth::image::digest_of(config);

  auto check_image = [&](const std::string &file, const std::string &ref,
                         const std::vector<std::pair<std::string, std::string>> &want) {
    auto archive = DockerArchive::open(file);
    auto img = archive.image(archive.select(ref));
    const auto &m = img.parsed();
    CHECK(m.media_type == media::docker_manifest);
    CHECK(m.config.digest == config_digest);
    REQUIRE(m.layers.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      CHECK(m.layers[i].digest == want[i].first);
      CHECK(m.layers[i].media_type == want[i].second);
    }
    // And berth copy reads every blob, verified. (Kept Docker, the manifest is the
    // one the archive's image presents.)
    berth::CopyOptions keep;
    keep.format = berth::ImageFormat::docker;
    auto r = copy_image("docker-archive:" + file + (ref.empty() ? "" : ":" + ref),
                        "oci:" + t.str("out") + ":t", keep);
    CHECK(r.digest == img.digest());
  };
  const std::string tar_type(media::oci_layer);
  const std::string docker_tar =
      berth::layer::layer_media_type(berth::layer::Compression::none, true);
  const std::string docker_gz(media::docker_layer);

  SUBCASE("docker before 25: <id>/layer.tar, repeated layers as symlinks") {
    auto file = t.str("legacy.tar");
    put_file(file, ArchiveBuilder()
                       .file("1111/layer.tar", l1)
                       .file("1111/VERSION", "1.0")
                       .file("2222/layer.tar", l2)
                       .symlink("3333/layer.tar", "../1111/layer.tar")
                       .file("cfg.json", config)
                       .file("manifest.json",
                             R"([{"Config":"cfg.json","RepoTags":["busybox:latest"],)"
                             R"("Layers":["1111/layer.tar","2222/layer.tar","3333/layer.tar"]}])")
                       .file("repositories", R"({"busybox":{"latest":"3333"}})")
                       .finish());
    check_image(file, "", {{d1, docker_tar}, {d2, docker_tar}, {d1, docker_tar}});
    check_image(file, "docker.io/library/busybox",
                {{d1, docker_tar}, {d2, docker_tar}, {d1, docker_tar}});
  }
  SUBCASE("skopeo / docker load input: <hex>.tar with a gzip layer, RepoTags null") {
    auto gz_digest = berth::image::digest_of(l2gz);
    auto file = t.str("skopeo.tar");
    put_file(file, ArchiveBuilder()
                       .file("./" + berth::image::Digest::parse(d1).hex() + ".tar", l1)
                       .file("./aaaa.tar", l2gz)
                       .file("./cfg.json", config)
                       .file("./manifest.json",
                             R"([{"Config":"cfg.json","RepoTags":null,)"
                             R"("Layers":[")" +
                                 berth::image::Digest::parse(d1).hex() + R"(.tar","aaaa.tar",")" +
                                 berth::image::Digest::parse(d1).hex() + R"(.tar"]}])")
                       .finish());
    check_image(file, "", {{d1, docker_tar}, {gz_digest, docker_gz}, {d1, docker_tar}});
    // The same archive gzip-compressed as a whole (docker save | gzip).
    put_file(t.str("skopeo.tar.gz"), compress(get_file(file), berth::layer::Compression::gzip));
    check_image(t.str("skopeo.tar.gz"), "",
                {{d1, docker_tar}, {gz_digest, docker_gz}, {d1, docker_tar}});
  }
  SUBCASE("docker 25+: an OCI layout whose blobs manifest.json names") {
    auto hex = [](const std::string &d) { return berth::image::Digest::parse(d).hex(); };
    auto file = t.str("docker25.tar");
    put_file(file,
             ArchiveBuilder()
                 .file("blobs/sha256/" + hex(d1), l1)
                 .file("blobs/sha256/" + hex(d2), l2)
                 .file("blobs/sha256/" + hex(config_digest), config)
                 .file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})")
                 .file("index.json", R"({"schemaVersion":2,"manifests":[]})")
                 .file("manifest.json", R"([{"Config":"blobs/sha256/)" + hex(config_digest) +
                                            R"(","RepoTags":["app:1"],"Layers":["blobs/sha256/)" +
                                            hex(d1) + R"(","blobs/sha256/)" + hex(d2) +
                                            R"(","blobs/sha256/)" + hex(d1) + R"("]}])")
                 .finish());
    check_image(file, "app:1", {{d1, docker_tar}, {d2, docker_tar}, {d1, docker_tar}});
    // Read as an oci-archive, the same file is Docker's OCI layout.
    CHECK(OciArchive::open(file).index().manifests.empty());
  }
  SUBCASE("several images: select by tag or @N") {
    auto file = t.str("multi.tar");
    put_file(
        file,
        ArchiveBuilder()
            .file("l1.tar", l1)
            .file("l2.tar", l2)
            .file("cfg.json", config)
            .file(
                "manifest.json",
                R"([{"Config":"cfg.json","RepoTags":["one:1"],"Layers":["l1.tar","l2.tar","l1.tar"]},)"
                R"({"Config":"cfg.json","RepoTags":["two:2","docker.io/x/two:3"],"Layers":["l1.tar","l2.tar","l1.tar"]}])")
            .finish());
    auto archive = DockerArchive::open(file);
    CHECK(archive.items().size() == 2);
    CHECK(archive.select("docker.io/library/two:2") == 1);
    CHECK(archive.select("x/two:3") == 1);
    CHECK(archive.select("one:1") == 0);
    CHECK(code_of([&] { archive.select(""); }) == Errc::invalid_argument);
    CHECK(message_of([&] { archive.select("three"); }).find("one:1, two:2") != std::string::npos);
    CHECK(code_of([&] { archive.image(2); }) == Errc::not_found);
    berth::CopyOptions keep;
    keep.format = berth::ImageFormat::docker;
    auto r = copy_image("docker-archive:" + file + ":@1", "oci:" + t.str("out") + ":t", keep);
    CHECK(r.digest == archive.image(1).digest());
    CHECK(code_of([&] { copy_image("docker-archive:" + file, "oci:" + t.str("out") + ":t"); }) ==
          Errc::invalid_argument);
  }
}

TEST_CASE("archive: corrupt and truncated archives give clear errors") {
  TempDir t;
  make_image(t.str("src"), "v1");
  const auto good = t.str("good.tar");
  copy_image("oci:" + t.str("src") + ":v1", "docker-archive:" + good + ":app:1");
  const auto bytes = get_file(good);

  SUBCASE("truncated inside a layer") {
    auto archive = TarArchive::open(good, "docker-archive");
    auto big = archive.find(
        berth::image::Digest::parse(manifest_in(t.str("src"), "v1").layers[1].digest).hex() +
        ".tar");
    REQUIRE(big);
    put_file(t.str("cut.tar"), bytes.substr(0, big->offset + big->size / 2));
    auto msg = message_of([&] { DockerArchive::open(t.str("cut.tar")); });
    CHECK(msg.find("docker-archive '" + t.str("cut.tar") + "'") != std::string::npos);
    CHECK(msg.find("truncated") != std::string::npos);
    CHECK(code_of([&] { DockerArchive::open(t.str("cut.tar")); }) == Errc::protocol);
    // Cut at the header of manifest.json (the last member): a valid tar without it.
    auto mj = archive.find("manifest.json");
    REQUIRE(mj);
    put_file(t.str("short.tar"), bytes.substr(0, mj->offset - 512));
    CHECK(message_of([&] { DockerArchive::open(t.str("short.tar")); }).find("no manifest.json") !=
          std::string::npos);
  }
  SUBCASE("a flipped byte in a layer is caught") {
    // gzip layers are checked against their diff_ids when the image is loaded;
    // uncompressed ones, whose digest is the diff_id, when their blob is read.
    for (auto c : {berth::layer::Compression::gzip, berth::layer::Compression::none}) {
      CAPTURE(berth::layer::compression_name(c));
      make_image(t.str("src2"), "v1", c);
      const auto file = t.str("plain.tar");
      copy_image("oci:" + t.str("src2") + ":v1", "docker-archive:" + file);
      auto archive = TarArchive::open(file, "docker-archive");
      auto layer = archive.find(
          berth::image::Digest::parse(manifest_in(t.str("src2"), "v1").layers[1].digest).hex() +
          ".tar");
      REQUIRE(layer);
      auto bad = get_file(file);
      bad[layer->offset + 1000] = static_cast<char>(bad[layer->offset + 1000] ^ 0x55);
      put_file(t.str("bad.tar"), bad);
      std::string msg;
      auto code = code_of([&] {
        try {
          copy_image("docker-archive:" + t.str("bad.tar"), "oci:" + t.str("out") + ":t");
        } catch (const Error &e) {
          msg = e.what();
          throw;
        }
      });
      if (c == berth::layer::Compression::none)
        CHECK(code == Errc::digest_mismatch);
      else
        CHECK((code == Errc::digest_mismatch || code == Errc::protocol));
      CHECK(msg.find("corrupt") != std::string::npos);
      CHECK(msg.find(layer->name) != std::string::npos);
      fs::remove_all(t.path / "src2");
    }
  }
  SUBCASE("not a tar, empty, no manifest, missing members, wrong format") {
    put_file(t.str("junk.tar"), pattern(4096, 5));
    CHECK(code_of([&] { DockerArchive::open(t.str("junk.tar")); }) == Errc::protocol);
    CHECK(message_of([&] { OciArchive::open(t.str("junk.tar")); }).find("not a valid tar") !=
          std::string::npos);
    put_file(t.str("empty.tar"), "");
    CHECK(message_of([&] { DockerArchive::open(t.str("empty.tar")); }).find("empty") !=
          std::string::npos);
    CHECK(code_of([&] { DockerArchive::open(t.str("absent.tar")); }) == Errc::not_found);
    CHECK(code_of([&] { OciArchive::open(t.str()); }) == Errc::invalid_argument);
    // A docker-archive read as oci-archive, and the other way round, say so.
    CHECK(message_of([&] { OciArchive::open(good); }).find("docker-archive:") != std::string::npos);
    copy_image("oci:" + t.str("src") + ":v1", "oci-archive:" + t.str("o.tar"));
    CHECK(message_of([&] { DockerArchive::open(t.str("o.tar")); }).find("oci-archive:") !=
          std::string::npos);

    put_file(t.str("nolayer.tar"),
             ArchiveBuilder()
                 .file("c.json", config_json({}))
                 .file("manifest.json", R"([{"Config":"c.json","Layers":["gone.tar"]}])")
                 .finish());
    auto msg = message_of([&] { DockerArchive::open(t.str("nolayer.tar")).image(0); });
    CHECK(msg.find("'gone.tar'") != std::string::npos);
    put_file(t.str("badjson.tar"),
             ArchiveBuilder().file("manifest.json", R"({"Config":"x"})").finish());
    CHECK(message_of([&] { DockerArchive::open(t.str("badjson.tar")); }).find("not a JSON array") !=
          std::string::npos);
    put_file(t.str("xz.tar"),
             ArchiveBuilder()
                 .file("c.json", config_json({}))
                 .file("l.tar", std::string("\xfd"
                                            "7zXZ\0rest",
                                            10))
                 .file("manifest.json", R"([{"Config":"c.json","Layers":["l.tar"]}])")
                 .finish());
    CHECK(code_of([&] { DockerArchive::open(t.str("xz.tar")).image(0); }) == Errc::unsupported);
    // A symlink loop or a link out of the archive leads nowhere.
    put_file(t.str("loop.tar"), ArchiveBuilder()
                                    .symlink("a", "b")
                                    .symlink("b", "a")
                                    .symlink("out", "../../etc/passwd")
                                    .finish());
    auto loop = TarArchive::open(t.str("loop.tar"), "docker-archive");
    CHECK_FALSE(loop.find("a"));
    CHECK_FALSE(loop.find("out"));
  }
}

TEST_CASE("archive: a failed copy leaves no half-written archive") {
  TempDir t;
  make_image(t.str("src"), "v1");
  // Corrupt the big layer of the source layout: the copy fails while moving blobs.
  auto m = manifest_in(t.str("src"), "v1");
  auto layout = OciLayout::open(t.str("src"));
  auto blob = layout.blob_path(m.layers[1].digest);
  auto data = get_file(blob);
  data[data.size() / 2] = static_cast<char>(data[data.size() / 2] ^ 1);
  fs::permissions(blob, fs::perms::owner_write, fs::perm_options::add);
  put_file(blob, data);

  fs::create_directories(t.path / "out");
  put_file(t.path / "out/keep.tar", "previous archive");
  for (std::string transport : {"oci-archive:", "docker-archive:"}) {
    CAPTURE(transport);
    CHECK(code_of([&] {
            copy_image("oci:" + t.str("src") + ":v1", transport + t.str("out/new.tar"));
          }) == Errc::digest_mismatch);
    CHECK_FALSE(fs::exists(t.path / "out/new.tar"));
    CHECK(code_of([&] {
            copy_image("oci:" + t.str("src") + ":v1", transport + t.str("out/keep.tar"));
          }) == Errc::digest_mismatch);
    CHECK(get_file(t.path / "out/keep.tar") == "previous archive");
    CHECK(leftovers(t.path / "out").empty());
  }
}

TEST_CASE("archive: an index cannot go to a docker-archive; it can to an oci-archive") {
  TempDir t;
  auto img = make_image(t.str("src"), "one");
  auto layout = OciLayout::open(t.str("src"));
  Descriptor child = desc(media::oci_manifest, layout.read_blob(img.manifest_digest));
  child.platform = berth::image::Platform::parse("linux/amd64");
  auto index = berth::image::Index::make(std::string(media::oci_index), {child});
  (void)layout.write_blob(std::string_view(index.raw));
  layout.add_manifest(desc(media::oci_index, index.raw), "multi");

  auto msg = message_of(
      [&] { copy_image("oci:" + t.str("src") + ":multi", "docker-archive:" + t.str("d.tar")); });
  CHECK(msg.find("--platform") != std::string::npos);
  CHECK_FALSE(fs::exists(t.path / "d.tar"));
  CHECK(leftovers(t.path).empty());

  berth::CopyOptions o;
  o.platform = "linux/amd64";
  auto r = copy_image("oci:" + t.str("src") + ":multi", "docker-archive:" + t.str("d.tar"), o);
  CHECK(r.digest == img.manifest_digest);
  CHECK(DockerArchive::open(t.str("d.tar")).items().at(0).repo_tags.empty());

  auto ri = copy_image("oci:" + t.str("src") + ":multi", "oci-archive:" + t.str("i.tar") + ":m");
  CHECK(ri.digest == berth::image::digest_of(index.raw));
  auto back = copy_image("oci-archive:" + t.str("i.tar") + ":m", "oci:" + t.str("back") + ":m");
  CHECK(back.digest == ri.digest);
}

TEST_CASE("archive: docker_repo_tag gives Docker's familiar names") {
  using berth::image::Reference;
  CHECK(berth::layout::docker_repo_tag(Reference::parse("busybox")) == "busybox:latest");
  CHECK(berth::layout::docker_repo_tag(Reference::parse("docker.io/library/busybox:1")) ==
        "busybox:1");
  CHECK(berth::layout::docker_repo_tag(Reference::parse("me/app:v1")) == "me/app:v1");
  CHECK(berth::layout::docker_repo_tag(Reference::parse("ghcr.io/o/app:v1")) == "ghcr.io/o/app:v1");
  CHECK(berth::layout::docker_repo_tag(Reference::parse("localhost:5000/library/x:2")) ==
        "localhost:5000/library/x:2");
}

TEST_CASE("archive: TarArchive follows hardlinks and reads zstd-compressed archives") {
  TempDir t;
  put_file(t.path / "tree/dir/a", "content of a");
  fs::create_hard_link(t.path / "tree/dir/a", t.path / "tree/b");
  berth::core::StringSink s;
  berth::layer::TarWriter w(s, fixed_tar());
  w.add_tree(t.str("tree"), "");
  w.finish();
  put_file(t.path / "links.tar", s.str());
  put_file(t.path / "links.tar.zst", compress(s.str(), berth::layer::Compression::zstd));
  for (const char *name : {"links.tar", "links.tar.zst"}) {
    CAPTURE(name);
    auto archive = TarArchive::open(t.str(name), "oci-archive");
    auto a = archive.find("./dir/a");
    auto b = archive.find("/b");
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->offset == b->offset); // one is a hardlink to the other
    CHECK(a->name == b->name);
    CHECK(archive.read_all(*b, 100) == "content of a");
    CHECK(code_of([&] { archive.read_all(*b, 5); }) == Errc::too_large);
    CHECK_FALSE(archive.find("dir"));      // a directory is no file
    CHECK_FALSE(archive.find("../dir/a")); // nor is anything above the root
    // read_verified checks size and digest, naming the member.
    CHECK(message_of([&] {
            archive.read_verified(*b, berth::image::digest_of("other"),
                                  [](const char *, std::size_t) {});
          }).find("'" + b->name + "'") != std::string::npos);
    CHECK(code_of([&] {
            archive.read_verified(
                *b, berth::image::digest_of("content of a"), [](const char *, std::size_t) {}, 3);
          }) == Errc::digest_mismatch);
  }
}
