// The SBOM's parsers on their own: package databases, Python metadata, Go build
// info (whole and streamed in every chunking), purls, whiteouts and the SPDX writer.
#include <doctest/doctest.h>

#include "core/json.hpp"
#include "sbom/apk_installed.hpp"
#include "sbom/dpkg_status.hpp"
#include "sbom/file_checksums.hpp"
#include "sbom/go_buildinfo.hpp"
#include "sbom/layer_view.hpp"
#include "sbom/purl.hpp"
#include "sbom/python_metadata.hpp"
#include "sbom/spdx_document.hpp"
#include "sbom/utf8.hpp"

#include <string>

using namespace berth::sbom;

namespace {

// A Go 1.18+ build info blob as the linker writes it: header, then the version and
// the sentinel-wrapped module info as uvarint-prefixed strings.
std::string go_blob(const std::string &version, const std::string &modinfo,
                    bool inline_flag = true) {
  std::string b("\xff Go buildinf:", 14);
  b += '\x08';
  b += inline_flag ? '\x02' : '\x00';
  b.resize(32, '\0');
  auto put = [&](const std::string &s) {
    auto n = s.size();
    while (n >= 0x80) {
      b += static_cast<char>((n & 0x7f) | 0x80);
      n >>= 7;
    }
    b += static_cast<char>(n);
    b += s;
  };
  put(version);
  put(std::string(16, 'S') + modinfo + std::string(16, 'E'));
  return b;
}

const std::string kModinfo = "path\texample.com/tool/cmd/tool\n"
                             "mod\texample.com/tool\tv1.2.3\th1:abc=\n"
                             "dep\tgithub.com/a/b\tv0.1.0\th1:x=\n"
                             "dep\tgithub.com/c/d\tv2.0.0+incompatible\th1:y=\n"
                             "=>\tgithub.com/fork/d\tv2.0.1\th1:z=\n"
                             "build\t-compiler=gc\n";

} // namespace

TEST_CASE("purl: encoding and qualifiers") {
  CHECK(
      make_purl("deb", "debian", "libc6", "2.36-9+deb12u4", {{"arch", "amd64"}, {"distro", ""}}) ==
      "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64");
  CHECK(make_purl("deb", "debian", "perl", "1:5.36", {}) == "pkg:deb/debian/perl@1%3A5.36");
  CHECK(make_purl("golang", "github.com/google", "go-containerregistry", "v0.20.2") ==
        "pkg:golang/github.com/google/go-containerregistry@v0.20.2");
  CHECK(make_purl("pypi", "", "requests", "") == "pkg:pypi/requests");
}

TEST_CASE("dpkg status: installed packages, states, continuation lines, bad stanzas") {
  std::string status = "Package: libc6\n"
                       "Status: install ok installed\n"
                       "Architecture: amd64\n"
                       "Source: glibc (2.36-9)\n"
                       "Version: 2.36-9+deb12u4\n"
                       "Description: GNU C Library\n"
                       " continued description\n"
                       "\n"
                       "Package: gone\n"
                       "Status: deinstall ok config-files\n"
                       "Version: 1.0\n"
                       "\n"
                       "garbage line without colon\n"
                       "Package: bash\n"
                       "Status: install ok installed\n"
                       "Version: 5.2.15-2+b2\n"
                       "Architecture: amd64\n"
                       "\n"
                       "Package: noversion\n"
                       "Status: install ok installed\n";
  Warnings w;
  auto pkgs = parse_dpkg_status(status, "var/lib/dpkg/status", {"debian", "12"}, w);
  REQUIRE(pkgs.size() == 2);
  CHECK(pkgs[0].name == "libc6");
  CHECK(pkgs[0].source == "glibc");
  CHECK(pkgs[0].purl ==
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc");
  CHECK(pkgs[1].name == "bash");
  CHECK(w.size() == 2); // the garbage line and the stanza without a version
}

TEST_CASE("dpkg status.d stanza has no Status field and counts as installed") {
  Warnings w;
  auto pkgs = parse_dpkg_status("Package: tzdata\nVersion: 2024a-0\nArchitecture: all\n",
                                "var/lib/dpkg/status.d/tzdata", {}, w);
  REQUIRE(pkgs.size() == 1);
  CHECK(pkgs[0].purl == "pkg:deb/debian/tzdata@2024a-0?arch=all");
  CHECK(w.empty());
}

TEST_CASE("os-release") {
  auto d = parse_os_release("PRETTY_NAME=\"Debian GNU/Linux 12\"\nID=debian\nVERSION_ID=\"12\"\n");
  CHECK(d.id == "debian");
  CHECK(d.version_id == "12");
  CHECK(parse_os_release("ID=\"bad id\"\n").id.empty());
}

TEST_CASE("apk installed db") {
  std::string db = "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\no:musl\nL:MIT\nF:lib\nR:libc.so\n\n"
                   "P:busybox\nV:1.36.1-r5\nA:x86_64\nL:GPL-2.0-only\n\n"
                   "P:nover\n\nnot a field\n";
  Warnings w;
  auto pkgs = parse_apk_installed(db, "lib/apk/db/installed", {"alpine", "3.19.1"}, w);
  REQUIRE(pkgs.size() == 2);
  CHECK(pkgs[0].purl == "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1");
  CHECK(pkgs[0].license == "MIT");
  CHECK(pkgs[1].name == "busybox");
  CHECK(w.size() == 2);
}

TEST_CASE("python METADATA") {
  Warnings w;
  auto p = parse_python_metadata(
      "Metadata-Version: 2.1\nName: Charset_Normalizer\nVersion: 3.3.2\n"
      "License: MIT\n\nName: NotThis\n",
      "usr/lib/python3/dist-packages/charset_normalizer-3.3.2.dist-info/METADATA", w);
  REQUIRE(p);
  CHECK(p->name == "Charset_Normalizer");
  CHECK(p->purl == "pkg:pypi/charset-normalizer@3.3.2");
  CHECK(p->license == "MIT");
  CHECK(w.empty());
  CHECK_FALSE(parse_python_metadata("Name: ../../etc\nVersion: 1\n", "x", w));
  CHECK_FALSE(parse_python_metadata("Name: ok\nVersion: 1 2\n", "x", w));
  CHECK_FALSE(parse_python_metadata("", "x", w));
  CHECK(w.size() == 3);
  CHECK(is_python_metadata_path("usr/lib/python3.11/site-packages/a-1.dist-info/METADATA"));
  CHECK_FALSE(is_python_metadata_path(".dist-info/METADATA"));
  CHECK_FALSE(is_python_metadata_path("a.dist-info/RECORD"));
  CHECK(is_python_metadata_path("usr/lib/python3/dist-packages/PyJWT-2.6.0.egg-info/PKG-INFO"));
  CHECK_FALSE(is_python_metadata_path("usr/lib/python3/dist-packages/x.egg-info/requires.txt"));
  CHECK(normalize_python_name("Foo.Bar__baz") == "foo-bar-baz");
}

TEST_CASE("Go build info: parsed whole, streamed in any chunking, at 16-byte alignment") {
  auto blob = go_blob("go1.22.1", kModinfo);
  GoBuildInfo info;
  REQUIRE(parse_go_buildinfo(blob, info) == GoParse::ok);
  CHECK(info.go_version == "go1.22.1");
  CHECK(info.path == "example.com/tool/cmd/tool");
  CHECK(info.main.version == "v1.2.3");
  REQUIRE(info.deps.size() == 2);
  CHECK(info.deps[1].path == "github.com/fork/d");
  CHECK(parse_go_buildinfo(blob.substr(0, blob.size() - 1), info) == GoParse::need_more);
  CHECK(parse_go_buildinfo(go_blob("go1.10", kModinfo, false), info) == GoParse::invalid);

  // A file: ELF-ish prefix, a misaligned decoy magic, then the real one at offset 4096.
  std::string file = "\x7f"
                     "ELF" +
                     std::string(100, 'x') + std::string("\xff Go buildinf:", 14);
  file.resize(4096, '\0');
  file += blob;
  file += std::string(1000, 'z');
  for (std::size_t chunk : {1, 3, 7, 16, 100, 4096, 100000}) {
    CAPTURE(chunk);
    GoBuildInfoScanner s;
    for (std::size_t at = 0; at < file.size(); at += chunk)
      s.update(file.data() + at, std::min(chunk, file.size() - at));
    auto got = s.finish();
    REQUIRE(got);
    CHECK(got->main.path == "example.com/tool");
    auto pkgs = go_packages(*got, "usr/bin/tool");
    REQUIRE(pkgs.size() == 4);
    CHECK(pkgs[0].purl == "pkg:golang/example.com/tool@v1.2.3");
    CHECK(pkgs[2].purl == "pkg:golang/github.com/fork/d@v2.0.1");
    CHECK(pkgs[3].purl == "pkg:golang/stdlib@1.22.1");
  }
  // Truncated inside the build info: nothing found, the problem named.
  GoBuildInfoScanner cut;
  cut.update(file.data(), 4096 + 40);
  CHECK_FALSE(cut.finish());
  CHECK(cut.problem().find("cut short") != std::string::npos);
}

TEST_CASE("layer view: upper layers win, whiteouts and opaque directories hide") {
  LayerView v;
  using V = LayerView::Verdict;
  v.begin_layer(); // top
  CHECK(v.classify("etc/.wh.passwd", false) == V::whiteout);
  CHECK(v.classify("opt/.wh..wh..opq", false) == V::whiteout);
  CHECK(v.classify("opt/new", false) == V::visible);
  CHECK(v.classify("./usr/bin/tool", false) == V::visible);
  CHECK(v.classify("var/.wh.cache", false) == V::whiteout);
  v.begin_layer(); // below
  CHECK(v.classify("etc/passwd", false) == V::shadowed);
  CHECK(v.classify("etc/group", false) == V::visible);
  CHECK(v.classify("opt/old", false) == V::shadowed);
  CHECK(v.classify("opt", true) == V::visible);
  CHECK(v.classify("usr/bin/tool", false) == V::shadowed);
  CHECK(v.classify("var/cache/x/y", false) == V::shadowed);
  CHECK(normalize_layer_path("/a//b/./c/") == "a/b/c");
  CHECK(normalize_layer_path("../../etc") == "etc");
}

TEST_CASE("SPDX writer: valid shape, both checksums, warnings kept") {
  SpdxInput in;
  in.name = "registry.example/app:1";
  in.digest = "sha256:" + std::string(64, 'a');
  in.created = "2026-01-01T00:00:00Z";
  in.tool = "berth-test";
  FileChecksums fc;
  fc.update("abc", 3);
  in.files.push_back({"usr/bin/b", fc.finish()});
  in.files.push_back({"a", fc.finish()});
  Package p;
  p.ecosystem = "deb";
  p.name = "bash";
  p.version = "5";
  p.found_in = "var/lib/dpkg/status";
  p.purl = "pkg:deb/debian/bash@5";
  in.packages = {p, p};
  in.warnings = {"x: skipped"};
  auto doc = berth::core::json::parse(write_spdx_json(in), "spdx");
  CHECK(std::string(doc["spdxVersion"].GetString()) == "SPDX-2.3");
  CHECK(doc["packages"].Size() == 2); // the image and one bash (duplicates merged)
  REQUIRE(doc["files"].Size() == 2);
  CHECK(std::string(doc["files"][0]["fileName"].GetString()) == "./a");
  auto &sums = doc["files"][1]["checksums"];
  CHECK(std::string(sums[0]["checksumValue"].GetString()) ==
        "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(std::string(sums[1]["checksumValue"].GetString()) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(std::string(doc["creationInfo"]["comment"].GetString()).find("x: skipped") !=
        std::string::npos);
}

TEST_CASE("UTF-8 repair: valid text unchanged, each bad sequence one U+FFFD") {
  CHECK(to_valid_utf8("plain/\xc3\xa9t\xc3\xa9/\xf0\x9f\x90\xb3") ==
        "plain/\xc3\xa9t\xc3\xa9/\xf0\x9f\x90\xb3");
  CHECK(to_valid_utf8("bad\xffname") == "bad\xef\xbf\xbdname");
  CHECK(to_valid_utf8("\xc0\xaf") == "\xef\xbf\xbd\xef\xbf\xbd");                 // overlong '/'
  CHECK(to_valid_utf8("\xed\xa0\x80") == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); // surrogate
  CHECK(to_valid_utf8("cut\xe2\x82") == "cut\xef\xbf\xbd\xef\xbf\xbd");
  SpdxInput in;
  in.name = "img";
  in.digest = "sha256:" + std::string(64, '0');
  in.files.push_back({"latin1-\xe9", {}});
  auto json = write_spdx_json(in);
  CHECK(json.find("latin1-\xef\xbf\xbd") != std::string::npos);
}
