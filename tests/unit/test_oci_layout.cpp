// berth::layout::OciLayout (OCI image-layout directories) and the berth::core file
// helpers it is built on. (tests/drivers/layout_driver.cpp is berth's side of
// tests/layout/test_layout_interop.sh.)
#include <doctest/doctest.h>

#include <berth/digest.hpp>
#include <berth/error.hpp>
#include <berth/layout.hpp>
#include <berth/manifest.hpp>

#include "core/file.hpp"
#include "core/json.hpp"
#include "test_util.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using berth::Errc;
using berth::Error;
using berth::image::Descriptor;
using berth::layout::OciLayout;
using berth::test::TempDir;

namespace {

const std::string kAbcSha512 = "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b5"
                               "5d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54"
                               "ca49f";

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

Descriptor make_desc(std::string_view media_type, std::string digest, std::int64_t size) {
  Descriptor d;
  d.media_type = std::string(media_type);
  d.digest = std::move(digest);
  d.size = size;
  return d;
}

// Every file left under `dir` whose name marks it as a temp file.
std::vector<std::string> temp_files(const fs::path &dir) {
  std::vector<std::string> out;
  for (const auto &e : fs::recursive_directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (name.find(".tmp-") != std::string::npos || name.rfind(".berth-tmp-", 0) == 0)
      out.push_back(e.path().string());
  }
  return out;
}

std::size_t blob_count(const fs::path &dir) {
  std::size_t n = 0;
  for (const auto &e : fs::recursive_directory_iterator(dir / "blobs"))
    if (e.is_regular_file()) ++n;
  return n;
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  std::uint32_t x = 2463534242u;
  for (auto &c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xff);
  }
  return s;
}

// A minimal OCI image manifest referencing the given config and layers.
std::string manifest_json(const Descriptor &config, const std::vector<Descriptor> &layers) {
  std::string out = R"({"schemaVersion":2,"mediaType":")";
  out.append(berth::image::media::oci_manifest);
  out.append(R"(","config":)");
  out.append(config.to_json());
  out.append(R"(,"layers":[)");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(layers[i].to_json());
  }
  out.append("]}");
  return out;
}

// Writes a tiny image (config + one fake layer + manifest) and returns the manifest
// descriptor (not yet in index.json).
Descriptor write_image(OciLayout &layout, const std::string &layer_content) {
  auto layer = make_desc(std::string(berth::image::media::oci_layer),
                         layout.write_blob(std::string_view(layer_content)),
                         static_cast<std::int64_t>(layer_content.size()));
  std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers",)"
                       R"("diff_ids":[")" +
                       layer.digest + R"("]},"config":{}})";
  auto cfg = make_desc(std::string(berth::image::media::oci_config),
                       layout.write_blob(std::string_view(config)),
                       static_cast<std::int64_t>(config.size()));
  auto manifest = manifest_json(cfg, {layer});
  return make_desc(std::string(berth::image::media::oci_manifest),
                   layout.write_blob(std::string_view(manifest)),
                   static_cast<std::int64_t>(manifest.size()));
}

std::string ref_of(const Descriptor &d) {
  auto it = d.annotations.find(std::string(berth::layout::kRefNameAnnotation));
  return it == d.annotations.end() ? std::string() : it->second;
}

} // namespace

TEST_CASE("layout file helpers: atomic write, bounded read, temp files") {
  TempDir tmp;
  auto p = tmp.str("f.txt");
  berth::core::write_file_atomic(p, "hello");
  CHECK(berth::core::read_small_file(p, 100) == "hello");
  ::chmod(p.c_str(), 0600);
  berth::core::write_file_atomic(p, "replaced");
  CHECK(get_file(p) == "replaced");
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600); // an existing file keeps its mode
  CHECK(code_of([&] { (void)berth::core::read_small_file(p, 3); }) == Errc::too_large);
  CHECK(code_of([&] { (void)berth::core::read_small_file(tmp.str("missing"), 3); }) ==
        Errc::not_found);
  CHECK(code_of([&] { berth::core::write_file_atomic(tmp.str("no/such/dir/f"), "x"); }) ==
        Errc::not_found);

  {
    auto t = berth::core::TempFile::create(tmp.str(), ".x-");
    t.write("abc");
    CHECK(fs::exists(t.path()));
  }
  CHECK(temp_files(tmp.path).empty());
  auto count = std::distance(fs::directory_iterator(tmp.path), fs::directory_iterator());
  CHECK(count == 1); // only f.txt: the uncommitted temp file is gone
  {
    auto t = berth::core::TempFile::create(tmp.str(), ".x-");
    t.write("committed");
    t.rename_to(tmp.str("g.txt"));
    CHECK_FALSE(t.active());
  }
  CHECK(get_file(tmp.path / "g.txt") == "committed");

  CHECK(berth::core::parent_dir("a/b/c") == "a/b");
  CHECK(berth::core::parent_dir("a//b") == "a");
  CHECK(berth::core::parent_dir("b") == ".");
  CHECK(berth::core::parent_dir("/b") == "/");
  berth::core::make_dirs(tmp.str("x/y/z"));
  CHECK(fs::is_directory(tmp.path / "x/y/z"));
  CHECK(code_of([&] { berth::core::make_dirs(p); }) == Errc::exists);
}

TEST_CASE("layout: create makes a valid empty layout and reopens an existing one") {
  TempDir tmp;
  auto dir = tmp.str("a/b/layout");
  auto layout = OciLayout::create(dir);
  CHECK(layout.path() == dir);
  CHECK(get_file(fs::path(dir) / "oci-layout") == R"({"imageLayoutVersion":"1.0.0"})");
  CHECK(fs::is_directory(fs::path(dir) / "blobs/sha256"));
  auto idx = layout.index();
  CHECK(idx.manifests.empty());
  CHECK(idx.media_type == berth::image::media::oci_index);
  auto doc = berth::core::json::parse(get_file(fs::path(dir) / "index.json"), "index");
  CHECK(doc["schemaVersion"].GetInt() == 2);

  // Creating again keeps what is there.
  auto digest = layout.write_blob(std::string_view("x"));
  layout.add_manifest(make_desc(std::string(berth::image::media::oci_manifest), digest, 1), "t");
  auto again = OciLayout::create(dir + "/");
  CHECK(again.path() == dir);
  CHECK(again.tags() == std::vector<std::string>{"t"});
  CHECK(OciLayout::open(dir).index().manifests.size() == 1);
  CHECK(temp_files(tmp.path).empty());
}

TEST_CASE("layout: small blobs round-trip, and writing a present blob is a no-op") {
  TempDir tmp;
  auto layout = OciLayout::create(tmp.str("l"));
  const std::string data = R"({"hello":"world"})";
  auto digest = layout.write_blob(std::string_view(data));
  CHECK(digest == berth::image::digest_of(data));
  CHECK(layout.has_blob(digest));
  CHECK(layout.blob_size(digest) == data.size());
  CHECK(layout.read_blob(digest) == data);
  CHECK(layout.blob_path(digest) ==
        tmp.str("l") + "/blobs/sha256/" + berth::image::Digest::parse(digest).hex());

  struct stat before {};
  REQUIRE(::stat(layout.blob_path(digest).c_str(), &before) == 0);
  CHECK(layout.write_blob(std::string_view(data)) == digest);
  struct stat after {};
  REQUIRE(::stat(layout.blob_path(digest).c_str(), &after) == 0);
  CHECK(before.st_ino == after.st_ino); // not rewritten

  auto empty = layout.write_blob(std::string_view());
  CHECK(empty == berth::image::digest_of(""));
  CHECK(layout.read_blob(empty).empty());

  auto absent = berth::image::digest_of("absent");
  CHECK_FALSE(layout.has_blob(absent));
  CHECK(code_of([&] { (void)layout.blob_size(absent); }) == Errc::not_found);
  CHECK(code_of([&] { (void)layout.read_blob(absent); }) == Errc::not_found);
  CHECK(code_of([&] { layout.read_blob(absent, [](const char *, std::size_t) {}); }) ==
        Errc::not_found);

  // The in-memory read refuses big blobs; streaming reads them.
  auto big = pattern(berth::layout::kMaxSmallBlob + 1);
  auto big_digest = layout.write_blob(std::string_view(big));
  CHECK(code_of([&] { (void)layout.read_blob(big_digest); }) == Errc::too_large);
  std::size_t seen = 0;
  layout.read_blob(
      big_digest, [&](const char *, std::size_t n) { seen += n; },
      static_cast<std::int64_t>(big.size()));
  CHECK(seen == big.size());
  CHECK(temp_files(tmp.path).empty());
}

TEST_CASE("layout: streaming blob writer with unknown and known digests") {
  TempDir tmp;
  auto layout = OciLayout::create(tmp.str("l"));
  const auto data = pattern(3u << 20);
  const auto want = berth::image::digest_of(data);

  SUBCASE("unknown digest: commit names the blob") {
    auto w = layout.write_blob("");
    for (std::size_t off = 0; off < data.size(); off += 100003)
      w.write(data.data() + off, std::min<std::size_t>(100003, data.size() - off));
    CHECK(w.bytes_written() == data.size());
    CHECK_FALSE(layout.has_blob(want)); // nothing visible before commit
    CHECK(w.commit() == want);
  }
  SUBCASE("known digest and size") {
    auto w = layout.write_blob(want, static_cast<std::int64_t>(data.size()));
    w.write(data);
    CHECK(w.commit() == want);
    CHECK(code_of([&] { (void)w.commit(); }) == Errc::invalid_argument);
  }
  SUBCASE("moved writer") {
    auto w = layout.write_blob(want);
    auto w2 = std::move(w);
    w2.write(data);
    CHECK(w2.commit() == want);
  }
  SUBCASE("a blob that exists already is replaced atomically") {
    (void)layout.write_blob(std::string_view(data));
    auto w = layout.write_blob(want, static_cast<std::int64_t>(data.size()));
    w.write(data);
    CHECK(w.commit() == want);
  }
  CHECK(layout.has_blob(want));
  std::string back;
  layout.read_blob(
      want, [&](const char *p, std::size_t n) { back.append(p, n); },
      static_cast<std::int64_t>(data.size()));
  CHECK(back == data);
  CHECK(temp_files(tmp.path).empty());
}

TEST_CASE("layout: out-of-order blob writer (parallel segments)") {
  TempDir tmp;
  auto layout = OciLayout::create(tmp.str("l"));
  const auto data = pattern(5u << 20);
  const auto want = berth::image::digest_of(data);
  const auto size = static_cast<std::int64_t>(data.size());
  const std::size_t quarter = data.size() / 4;

  SUBCASE("segments written from four threads, absorbed in order") {
    auto w = layout.write_blob(want, size);
    std::vector<std::thread> threads;
    for (std::size_t i = 4; i-- > 0;)
      threads.emplace_back([&, i] {
        std::size_t end = i == 3 ? data.size() : (i + 1) * quarter;
        for (std::size_t at = i * quarter; at < end; at += 65536)
          w.write_at(at, data.data() + at, std::min<std::size_t>(65536, end - at));
      });
    for (auto &t : threads)
      t.join();
    w.absorb(quarter);
    w.absorb(quarter); // nothing new
    w.absorb(data.size());
    CHECK(w.bytes_written() == data.size());
    CHECK(w.commit() == want);
    std::string back;
    layout.read_blob(
        want, [&](const char *p, std::size_t n) { back.append(p, n); }, size);
    CHECK(back == data);
  }
  SUBCASE("a wrong byte in a late segment fails the commit and leaves nothing") {
    auto w = layout.write_blob(want, size);
    auto bad = data;
    bad[data.size() - 10] ^= 1;
    w.write_at(0, bad.data(), bad.size());
    w.absorb(data.size());
    CHECK(code_of([&] { (void)w.commit(); }) == Errc::digest_mismatch);
    CHECK_FALSE(layout.has_blob(want));
  }
  SUBCASE("bytes past the expected size, or an unknown size, are refused") {
    auto w = layout.write_blob(want, size);
    CHECK(code_of([&] { w.write_at(data.size() - 1, "ab", 2); }) == Errc::digest_mismatch);
    CHECK(code_of([&] { w.absorb(data.size() + 1); }) == Errc::digest_mismatch);
    auto unknown = layout.write_blob(want);
    CHECK(code_of([&] { unknown.write_at(0, "a", 1); }) == Errc::digest_mismatch);
  }
  SUBCASE("absorbing bytes never written (a hole past the end) is an error") {
    auto w = layout.write_blob(want, size);
    w.write_at(0, data.data(), quarter);
    CHECK(code_of([&] { w.absorb(2 * quarter); }) == Errc::io);
  }
  SUBCASE("a commit before every byte was absorbed fails") {
    auto w = layout.write_blob(want, size);
    w.write_at(0, data.data(), data.size());
    w.absorb(quarter);
    CHECK(code_of([&] { (void)w.commit(); }) == Errc::digest_mismatch);
  }
  CHECK(temp_files(tmp.path).empty());
}

TEST_CASE("layout: failed commits and abandoned writers leave no file") {
  TempDir tmp;
  auto layout = OciLayout::create(tmp.str("l"));
  const std::string data = "layer bytes";
  const auto right = berth::image::digest_of(data);
  const auto wrong = berth::image::digest_of("something else");

  SUBCASE("wrong digest") {
    auto w = layout.write_blob(wrong);
    w.write(data);
    auto msg = message_of([&] { (void)w.commit(); });
    CHECK(msg.find(right) != std::string::npos);
    CHECK(msg.find(wrong) != std::string::npos);
    CHECK(code_of([&] { (void)w.commit(); }) == Errc::invalid_argument);
    CHECK(code_of([&] { w.write("x"); }) == Errc::invalid_argument);
  }
  SUBCASE("wrong digest reports digest_mismatch") {
    auto w = layout.write_blob(wrong);
    w.write(data);
    CHECK(code_of([&] { (void)w.commit(); }) == Errc::digest_mismatch);
  }
  SUBCASE("short content") {
    auto w = layout.write_blob(right, static_cast<std::int64_t>(data.size()) + 1);
    w.write(data);
    CHECK(code_of([&] { (void)w.commit(); }) == Errc::digest_mismatch);
  }
  SUBCASE("long content fails on write, before commit") {
    auto w = layout.write_blob("", 4);
    CHECK(code_of([&] { w.write(data); }) == Errc::digest_mismatch);
    CHECK(temp_files(tmp.path).empty());
    CHECK(code_of([&] { (void)w.commit(); }) == Errc::invalid_argument);
  }
  SUBCASE("size right, digest unknown: accepted") {
    auto w = layout.write_blob("", static_cast<std::int64_t>(data.size()));
    w.write(data);
    CHECK(w.commit() == right);
    CHECK(layout.has_blob(right));
    CHECK(temp_files(tmp.path).empty());
    return;
  }
  SUBCASE("destroyed without commit") {
    {
      auto w = layout.write_blob(right);
      w.write(data);
      CHECK(temp_files(tmp.path).size() == 1); // the temp file exists while writing
    }
  }
  CHECK_FALSE(layout.has_blob(right));
  CHECK_FALSE(layout.has_blob(wrong));
  CHECK(blob_count(tmp.path / "l") == 0);
  CHECK(temp_files(tmp.path).empty());
}

TEST_CASE("layout: add_manifest, find and remove by tag") {
  TempDir tmp;
  auto layout = OciLayout::create(tmp.str("l"));
  auto m1 = write_image(layout, "layer one");
  auto m2 = write_image(layout, "layer two");
  auto m3 = write_image(layout, "layer three");

  CHECK_FALSE(layout.find("").has_value()); // empty index
  CHECK_FALSE(layout.find("v1").has_value());

  layout.add_manifest(m1, "v1");
  auto got = layout.find("v1");
  REQUIRE(got);
  CHECK(got->digest == m1.digest);
  CHECK(got->size == m1.size);
  CHECK(got->media_type == m1.media_type);
  CHECK(ref_of(*got) == "v1");
  REQUIRE(layout.find(""));
  CHECK(layout.find("")->digest == m1.digest); // the only entry

  layout.add_manifest(m2, "v2");
  CHECK(layout.tags() == std::vector<std::string>{"v1", "v2"});
  CHECK(code_of([&] { (void)layout.find(""); }) == Errc::invalid_argument);
  auto msg = message_of([&] { (void)layout.find(""); });
  CHECK(msg.find("v1") != std::string::npos);
  CHECK(msg.find("v2") != std::string::npos);

  SUBCASE("replacing a tag keeps its position") {
    layout.add_manifest(m3, "v1");
    auto idx = layout.index();
    REQUIRE(idx.manifests.size() == 2);
    CHECK(idx.manifests[0].digest == m3.digest);
    CHECK(ref_of(idx.manifests[0]) == "v1");
    CHECK(idx.manifests[1].digest == m2.digest);
    CHECK(layout.find("v1")->digest == m3.digest);
    CHECK(layout.has_blob(m1.digest)); // blobs are not garbage-collected
  }
  SUBCASE("remove") {
    layout.remove("v1");
    CHECK_FALSE(layout.find("v1"));
    CHECK(layout.tags() == std::vector<std::string>{"v2"});
    CHECK(code_of([&] { layout.remove("v1"); }) == Errc::not_found);
    CHECK(message_of([&] { layout.remove("v1"); }).find("v2") != std::string::npos);
    CHECK(code_of([&] { layout.remove(""); }) == Errc::invalid_argument);
    layout.remove("v2");
    CHECK(layout.index().manifests.empty());
  }
  SUBCASE("untagged entries are not duplicated and drop a stale ref name") {
    auto d = m3;
    d.annotations[std::string(berth::layout::kRefNameAnnotation)] = "stale";
    d.annotations["org.example.keep"] = "yes";
    layout.add_manifest(d, "");
    layout.add_manifest(d, "");
    auto idx = layout.index();
    REQUIRE(idx.manifests.size() == 3);
    CHECK(ref_of(idx.manifests[2]).empty());
    CHECK(idx.manifests[2].annotations.at("org.example.keep") == "yes");
    CHECK(layout.tags() == std::vector<std::string>{"v1", "v2"});
  }
  SUBCASE("platform and annotations survive the index round trip") {
    auto d = m3;
    d.platform = berth::image::Platform::parse("linux/arm64/v8");
    d.annotations["org.example.a"] = "b";
    layout.add_manifest(d, "arm");
    auto f = layout.find("arm");
    REQUIRE(f);
    REQUIRE(f->platform);
    CHECK(f->platform->str() == "linux/arm64/v8");
    CHECK(f->annotations.at("org.example.a") == "b");
  }
  SUBCASE("bad tags and descriptors are refused") {
    for (const char *bad : {"a b", "-x", "x-", "a//b", "a/", "x---y", "é", "a..b", "/a"}) {
      CAPTURE(bad);
      CHECK(code_of([&] { layout.add_manifest(m3, bad); }) == Errc::invalid_argument);
    }
    auto missing = m3;
    missing.digest = berth::image::digest_of("no such manifest");
    CHECK(code_of([&] { layout.add_manifest(missing, "x"); }) == Errc::not_found);
    auto wrong_size = m3;
    wrong_size.size += 1;
    CHECK(code_of([&] { layout.add_manifest(wrong_size, "x"); }) == Errc::digest_mismatch);
    auto bad_digest = m3;
    bad_digest.digest = "sha256:../../x";
    CHECK(code_of([&] { layout.add_manifest(bad_digest, "x"); }) == Errc::invalid_argument);
    auto no_type = m3;
    no_type.media_type.clear();
    CHECK(code_of([&] { layout.add_manifest(no_type, "x"); }) == Errc::invalid_argument);
    CHECK(layout.tags() == std::vector<std::string>{"v1", "v2"});
  }
  CHECK(temp_files(tmp.path).empty());
  // Whatever happened, index.json stays parseable by a fresh open.
  CHECK_NOTHROW(OciLayout::open(tmp.str("l")));
}

TEST_CASE("layout: concurrent writers lose no tag and share blobs safely") {
  TempDir tmp;
  auto layout = OciLayout::create(tmp.str("l"));
  auto m = write_image(layout, "shared layer");
  const auto data = pattern(1u << 20);
  constexpr int kThreads = 8;
  constexpr int kTagsEach = 6;
  std::vector<std::thread> threads;
  std::vector<std::string> errors(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        // Each thread opens its own value, as separate processes would.
        auto mine = OciLayout::open(tmp.str("l"));
        auto w = mine.write_blob("", static_cast<std::int64_t>(data.size()));
        w.write(data);
        (void)w.commit();
        for (int i = 0; i < kTagsEach; ++i) {
          std::string tag = "t";
          tag.append(std::to_string(t)).append("-").append(std::to_string(i));
          mine.add_manifest(m, tag);
        }
      } catch (const std::exception &e) {
        errors[static_cast<std::size_t>(t)] = e.what();
      }
    });
  }
  for (auto &th : threads)
    th.join();
  for (const auto &e : errors)
    CHECK(e.empty());
  CHECK(layout.tags().size() == static_cast<std::size_t>(kThreads * kTagsEach));
  CHECK_NOTHROW(layout.read_blob(
      berth::image::digest_of(data), [](const char *, std::size_t) {},
      static_cast<std::int64_t>(data.size())));
  CHECK(temp_files(tmp.path).empty());
}

TEST_CASE("layout: valid_ref_name follows the image-spec grammar") {
  using berth::layout::valid_ref_name;
  for (const char *ok : {"latest", "v1.0.2", "a", "A_b-c", "x--y", "foo/bar", "1.0+build",
                         "name@sha", "host:5000/x", "a.b.c/d_e/f"}) {
    CAPTURE(ok);
    CHECK(valid_ref_name(ok));
  }
  for (const char *bad :
       {"", ".", "-a", "a-", "a..b", "a/", "/a", "a//b", "a b", "a\nb", "x---y", "a_/b"}) {
    CAPTURE(bad);
    CHECK_FALSE(valid_ref_name(bad));
  }
}

TEST_CASE("layout: corrupt blobs are detected on read") {
  TempDir tmp;
  auto layout = OciLayout::create(tmp.str("l"));
  const std::string data = "original content";
  auto digest = layout.write_blob(std::string_view(data));
  auto path = layout.blob_path(digest);

  SUBCASE("same size, different content") {
    ::chmod(path.c_str(), 0644);
    put_file(path, "ORIGINAL content");
    CHECK(code_of([&] { (void)layout.read_blob(digest); }) == Errc::digest_mismatch);
    auto msg = message_of([&] { (void)layout.read_blob(digest); });
    CHECK(msg.find("corrupt") != std::string::npos);
    CHECK(msg.find(berth::image::digest_of("ORIGINAL content")) != std::string::npos);
    CHECK(code_of([&] {
            layout.read_blob(
                digest, [](const char *, std::size_t) {}, static_cast<std::int64_t>(data.size()));
          }) == Errc::digest_mismatch);
  }
  SUBCASE("truncated") {
    put_file(path, "orig");
    CHECK(code_of([&] { (void)layout.read_blob(digest); }) == Errc::digest_mismatch);
    std::size_t sent = 0;
    CHECK(code_of([&] {
            layout.read_blob(
                digest, [&](const char *, std::size_t n) { sent += n; },
                static_cast<std::int64_t>(data.size()));
          }) == Errc::digest_mismatch);
    CHECK(sent == 0); // a known size is checked before any byte goes out
  }
  SUBCASE("expected size differs from the file") {
    CHECK(code_of([&] {
            layout.read_blob(
                digest, [](const char *, std::size_t) {}, 3);
          }) == Errc::digest_mismatch);
    CHECK_NOTHROW(layout.read_blob(digest, [](const char *, std::size_t) {}));
  }
  SUBCASE("a directory where a blob should be") {
    fs::remove(path);
    fs::create_directory(path);
    CHECK_FALSE(layout.has_blob(digest));
    CHECK(code_of([&] { (void)layout.read_blob(digest); }) != Errc::ok);
  }
  SUBCASE("a sink that throws stops the read") {
    CHECK_THROWS_AS(layout.read_blob(digest, [](const char *,
                                                std::size_t) { throw std::runtime_error("stop"); }),
                    std::runtime_error);
  }
}

TEST_CASE("layout: digests that try to escape the layout are refused") {
  TempDir tmp;
  auto layout = OciLayout::create(tmp.str("l"));
  for (const char *bad : {"sha256:../../x", "sha256:../../../etc/passwd", "../x", "sha256:",
                          "sha256:ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
                          "sha256/../../x:aa", ""}) {
    CAPTURE(bad);
    CHECK(code_of([&] { (void)layout.blob_path(bad); }) == Errc::invalid_argument);
    CHECK(code_of([&] { (void)layout.has_blob(bad); }) == Errc::invalid_argument);
    CHECK(code_of([&] { (void)layout.read_blob(bad); }) == Errc::invalid_argument);
    if (*bad)
      CHECK(code_of([&] { (void)layout.write_blob(std::string(bad)); }) == Errc::invalid_argument);
  }
  CHECK(code_of([&] { (void)layout.blob_path("md5:d41d8cd98f00b204e9800998ecf8427e"); }) ==
        Errc::unsupported);
  CHECK(code_of([&] { (void)layout.write_blob("blake3:abcd"); }) == Errc::unsupported);
  CHECK(temp_files(tmp.path).empty());
}

TEST_CASE("layout: sha512 blobs are written and verified") {
  TempDir tmp;
  auto layout = OciLayout::create(tmp.str("l"));
  auto w = layout.write_blob(kAbcSha512, 3);
  w.write("abc");
  CHECK(w.commit() == kAbcSha512);
  CHECK(fs::is_regular_file(tmp.path / "l/blobs/sha512" / kAbcSha512.substr(7)));
  CHECK(layout.read_blob(kAbcSha512) == "abc");
  auto bad = layout.write_blob(kAbcSha512);
  bad.write("abd");
  CHECK(code_of([&] { (void)bad.commit(); }) == Errc::digest_mismatch);
  put_file(tmp.path / "l/blobs/sha512" / kAbcSha512.substr(7), "abd");
  CHECK(code_of([&] { (void)layout.read_blob(kAbcSha512); }) == Errc::digest_mismatch);
}

TEST_CASE("layout: bad layouts give clear errors") {
  TempDir tmp;
  auto dir = tmp.path / "l";

  CHECK(code_of([&] { (void)OciLayout::open(dir.string()); }) == Errc::not_found);
  CHECK(message_of([&] { (void)OciLayout::open(dir.string()); }).find("does not exist") !=
        std::string::npos);
  CHECK(code_of([&] { (void)OciLayout::open(""); }) == Errc::invalid_argument);

  put_file(tmp.path / "file", "x");
  CHECK(code_of([&] { (void)OciLayout::open((tmp.path / "file").string()); }) == Errc::not_found);
  CHECK(code_of([&] { (void)OciLayout::create((tmp.path / "file").string()); }) == Errc::exists);

  fs::create_directories(dir);
  CHECK(code_of([&] { (void)OciLayout::open(dir.string()); }) == Errc::not_found);
  CHECK(message_of([&] { (void)OciLayout::open(dir.string()); }).find("no oci-layout") !=
        std::string::npos);

  const std::string good_index = R"({"schemaVersion":2,"manifests":[]})";
  put_file(dir / "index.json", good_index);
  struct Case {
    const char *oci_layout;
    Errc code;
  };
  for (auto c :
       {Case{"garbage", Errc::protocol}, Case{"", Errc::protocol}, Case{"[1]", Errc::protocol},
        Case{"{}", Errc::protocol}, Case{R"({"imageLayoutVersion":1})", Errc::protocol},
        Case{R"({"imageLayoutVersion":"2.0.0"})", Errc::unsupported},
        Case{R"({"imageLayoutVersion":"1.0.0","extra":true})", Errc::ok}}) {
    CAPTURE(c.oci_layout);
    put_file(dir / "oci-layout", c.oci_layout);
    CHECK(code_of([&] { (void)OciLayout::open(dir.string()); }) == c.code);
  }
  CHECK(message_of([&] {
          put_file(dir / "oci-layout", R"({"imageLayoutVersion":"2.0.0"})");
          (void)OciLayout::open(dir.string());
        }).find("2.0.0") != std::string::npos);
  put_file(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  // create() on a layout with a bad index.json opens it and reports the problem.
  for (
      auto [bad_index, bad_code] :
      {std::pair<const char *, Errc>{"{not json", Errc::protocol},
       {"[]", Errc::protocol},
       {R"({"schemaVersion":2})", Errc::protocol},
       {R"({"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"sha256:../x","size":1}]})",
        Errc::protocol},
       {R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests":[]})",
        Errc::unsupported}}) {
    // Copies: lambdas cannot capture structured bindings before clang 16.
    const char *index = bad_index;
    const Errc code = bad_code;
    CAPTURE(index);
    put_file(dir / "index.json", index);
    CHECK(code_of([&] { (void)OciLayout::open(dir.string()); }) == code);
    CHECK(code_of([&] { (void)OciLayout::create(dir.string()); }) == code);
    CHECK(message_of([&] { (void)OciLayout::open(dir.string()); }).find("index.json") !=
          std::string::npos);
  }
  fs::remove(dir / "index.json");
  CHECK(code_of([&] { (void)OciLayout::open(dir.string()); }) == Errc::protocol);

  // index.json without mediaType (as umoci writes it) is fine; rewriting adds one.
  put_file(dir / "index.json", good_index);
  auto layout = OciLayout::open(dir.string());
  auto digest = layout.write_blob(std::string_view("{}"));
  layout.add_manifest(make_desc(std::string(berth::image::media::oci_manifest), digest, 2), "t");
  CHECK(get_file(dir / "index.json").find(berth::image::media::oci_index) != std::string::npos);
  CHECK(temp_files(tmp.path).empty());
}
