// The SBOM's bounds against hostile layers (issue 20, item 4): each scanner linear in
// its input, warnings capped per file and in all, fields, Go dependencies and packages
// capped, paths longer than 4096 bytes skipped, held database text budgeted, and
// export's expansion limits for any reader of layers. The bomb shapes at small sizes;
// tests/integration/test_it_sbom_bombs.py runs them at full size through the CLI.
#include <doctest/doctest.h>

#include "../layer/tar_test_support.hpp"
#include "layer/expansion_limit.hpp"
#include "layer/tar_reader.hpp"
#include "ops/supply_chain/sbom_scan.hpp"
#include "sbom/apk_installed.hpp"
#include "sbom/control_fields.hpp"
#include "sbom/dpkg_status.hpp"
#include "sbom/go_buildinfo.hpp"
#include "sbom/layer_view.hpp"
#include "sbom/python_metadata.hpp"

#include <berth/error.hpp>

#include <ctime>
#include <string>

using namespace berth::sbom;
using berth::tartest::archive;
using berth::tartest::mfile;
using berth::tartest::string_source;

namespace {

// CPU seconds since `t0` (std::clock): other processes on a shared machine do not count.
double cpu_seconds_since(std::clock_t t0) {
  return static_cast<double>(std::clock() - t0) / CLOCKS_PER_SEC;
}

std::string repeat(std::string_view s, std::size_t times) {
  std::string out;
  out.reserve(s.size() * times);
  for (std::size_t i = 0; i < times; ++i)
    out += s;
  return out;
}

// A Go build-info header (16 bytes of magic and flags, padded to 32) whose version
// string claims `claim` bytes.
std::string go_header_claiming(std::size_t claim) {
  std::string h("\xff Go buildinf:\x08\x02", 16);
  h.resize(32, '\0');
  while (claim >= 0x80) {
    h += static_cast<char>((claim & 0x7f) | 0x80);
    claim >>= 7;
  }
  h += static_cast<char>(claim);
  h.resize(48, '\0');
  return h;
}

SpdxInput scan(const std::vector<std::string> &layers_top_first, berth::ops::SbomLimits limits) {
  berth::ops::SbomScanner s(limits);
  for (const auto &tar : layers_top_first) {
    berth::layer::TarReader r(string_source(tar, 777));
    s.add_layer(r);
  }
  SpdxInput doc;
  s.finish(doc);
  return doc;
}

bool has_warning(const SpdxInput &doc, std::string_view part) {
  for (const auto &w : doc.warnings)
    if (w.find(part) != std::string::npos) return true;
  return false;
}

} // namespace

TEST_CASE("sbom limits: layer view is linear in the depth of a path") {
  // 256 Ki components: hashing every ancestor anew (as before) is 32 G byte operations
  // per call (about 9 s of CPU for these six calls); one hashing pass is 512 KiB.
  std::string deep = repeat("a/", 256 << 10);
  LayerView v;
  auto t0 = std::clock();
  v.begin_layer();
  CHECK(v.classify(deep + "f", false) == LayerView::Verdict::visible);
  CHECK(v.classify(deep + ".wh.gone", false) == LayerView::Verdict::whiteout);
  v.begin_layer();
  CHECK(v.classify(deep + "f", false) == LayerView::Verdict::shadowed);
  CHECK(v.classify(deep + "gone/x", false) == LayerView::Verdict::shadowed);
  CHECK(v.classify(deep + "g", false) == LayerView::Verdict::visible);
  CHECK(v.classify(deep + "h", false) == LayerView::Verdict::visible);
  CHECK(cpu_seconds_since(t0) < 4.0);
}

TEST_CASE("sbom limits: layer view keeps the whiteout rules with the prefix hashes") {
  LayerView v;
  using V = LayerView::Verdict;
  v.begin_layer();
  CHECK(v.classify(".wh..wh..opq", false) == V::whiteout); // the root made opaque
  CHECK(v.classify("a/b", true) == V::visible);
  CHECK(v.classify("a/b/c", false) == V::visible);
  CHECK(v.classify("a/b/.wh..wh..opq", false) == V::whiteout);
  v.begin_layer();
  CHECK(v.classify("anything", false) == V::shadowed);
  LayerView w;
  w.begin_layer();
  CHECK(w.classify("d/.wh..wh..opq", false) == V::whiteout);
  CHECK(w.classify("f", false) == V::visible);
  w.begin_layer();
  CHECK(w.classify("d", true) == V::visible); // opaque hides what is below, not d
  CHECK(w.classify("d/x", false) == V::shadowed);
  CHECK(w.classify("f/x", false) == V::shadowed); // a file replaced the directory
  CHECK(w.classify("fx", false) == V::visible);
}

TEST_CASE("sbom limits: Go build info headers claiming a huge version are refused at once") {
  GoBuildInfo info;
  // Before: need_more, and the scanner held 4 MiB to find out.
  CHECK(parse_go_buildinfo(go_header_claiming(4u << 20), info) == GoParse::invalid);
  CHECK(parse_go_buildinfo(go_header_claiming(513), info) == GoParse::invalid);
  CHECK(parse_go_buildinfo(go_header_claiming(100), info) == GoParse::need_more);

  // 4.5 MiB of such headers, streamed: linear (was quadratic once the file is longer
  // than a claim: each header captured megabytes, gave up and rescanned them; 9.5 s).
  std::string file = "\x7f"
                     "ELF" +
                     std::string(12, '\0') + repeat(go_header_claiming(4u << 20), (9u << 19) / 48);
  auto t0 = std::clock();
  GoBuildInfoScanner s;
  for (std::size_t at = 0; at < file.size(); at += 256 << 10)
    s.update(file.data() + at, std::min<std::size_t>(256 << 10, file.size() - at));
  CHECK_FALSE(s.finish());
  CHECK(cpu_seconds_since(t0) < 2.0);
}

TEST_CASE("sbom limits: Go dependencies kept per binary") {
  std::string mod = "mod\texample.com/m\tv1.0.0\n" +
                    repeat("dep\tx.io/d\tv1.0.0\th1:x=\n=>\tx.io/e\tv1.0.1\n", kMaxGoDeps + 50);
  auto info = parse_go_modinfo(mod);
  CHECK(info.deps.size() == kMaxGoDeps);
  CHECK(info.main.path == "example.com/m");
  CHECK(info.deps.back().path == "x.io/e");
}

TEST_CASE("sbom limits: dpkg stanzas without a Package give a bounded list of warnings") {
  // The 12-million-stanza bomb at 200,000 stanzas: one warning each before.
  auto status = repeat("a:\n\n", 200000);
  Warnings w;
  auto pkgs = parse_dpkg_status(status, "var/lib/dpkg/status", {}, w);
  CHECK(pkgs.empty());
  REQUIRE(w.size() == kMaxWarningsPerFile + 1);
  CHECK(w.back() == "var/lib/dpkg/status: " + std::to_string(200000 - kMaxWarningsPerFile) +
                        " more like these not listed");
}

TEST_CASE("sbom limits: fields per stanza are capped, warnings per file counted") {
  // One stanza of 100,000 tiny fields (2.4 MiB of Stanza before, 21 bytes of it per
  // 3-byte line): the first kMaxFields are kept.
  std::string text = "Name: keep\nVersion: 1.0\n" + repeat("a: b\n c\n", 100000) + "\n";
  Warnings w;
  std::size_t fields = 0;
  parse_stanzas(text, "m", w, [&](const Stanza &s) { fields = s.fields.size(); });
  CHECK(fields == Stanza::kMaxFields);
  REQUIRE(w.size() == 1);
  CHECK(w[0].find("more than 4096 fields") != std::string::npos);
  // METADATA with thousands of Classifier lines still names its distribution.
  auto p = parse_python_metadata(text, "x.dist-info/METADATA", w);
  REQUIRE(p);
  CHECK(p->name == "keep");

  Warnings bad;
  parse_stanzas(repeat("no colon here\n", 1000), "f", bad, [](const Stanza &) {});
  REQUIRE(bad.size() == kMaxWarningsPerFile + 1);
  CHECK(bad.back() == "f: 980 more like these not listed");

  Warnings apk;
  CHECK(parse_apk_installed(repeat("bad\n", 50), "lib/apk/db/installed", {}, apk).empty());
  REQUIRE(apk.size() == kMaxWarningsPerFile + 1);
  CHECK(apk.back() == "lib/apk/db/installed: 30 more like these not listed");
}

TEST_CASE("sbom limits: the layer scanner skips long paths and oversized files") {
  berth::ops::SbomLimits limits;
  std::string deep = repeat("a/", 3000) + "f"; // 6001 bytes
  auto doc =
      scan({archive({mfile(deep, "x"), mfile("etc/ok", "ok"),
                     mfile("var/lib/dpkg/status.d/big", std::string(2u << 20, 'x')),
                     mfile("var/lib/dpkg/status.d/tzdata", "Package: tzdata\nVersion: 1\n")})},
           limits);
  REQUIRE(doc.files.size() == 3);
  CHECK(has_warning(doc, "path or link longer than 4096 bytes, skipped"));
  CHECK(has_warning(doc, "./var/lib/dpkg/status.d/big: 2097152 bytes, more than berth reads"));
  REQUIRE(doc.packages.size() == 1);
  CHECK(doc.packages[0].name == "tzdata");
  for (const auto &w : doc.warnings)
    CHECK(w.size() < 400);
}

TEST_CASE("sbom limits: held database text, packages and warnings are capped in all") {
  berth::ops::SbomLimits limits;
  limits.max_held = 100;
  std::vector<berth::tartest::Member> files;
  for (int i = 0; i < 6; ++i) // 6 x 27 bytes: the first three fit in 100
    files.push_back(mfile("var/lib/dpkg/status.d/pkg" + std::to_string(i),
                          "Package: pkg" + std::to_string(i) + "\nVersion: 1.0\n"));
  auto doc = scan({archive(files)}, limits);
  CHECK(doc.files.size() == 6);
  CHECK(doc.packages.size() == 3);
  REQUIRE(doc.warnings.size() == 3);
  for (const auto &w : doc.warnings)
    CHECK(w.find("bytes of package databases berth holds in all; skipped") != std::string::npos);

  limits = {};
  limits.max_warnings = 5;
  std::vector<berth::tartest::Member> deep;
  for (int i = 0; i < 10; ++i)
    deep.push_back(mfile(repeat("d/", 2100) + std::to_string(i), "x"));
  doc = scan({archive(deep)}, limits);
  REQUIRE(doc.warnings.size() == 5);
  CHECK(doc.warnings.back() == "6 more warnings not listed");

  limits = {};
  limits.max_packages = 2;
  std::vector<berth::tartest::Member> metas;
  for (int i = 0; i < 4; ++i)
    metas.push_back(mfile("site-packages/p" + std::to_string(i) + "-1.dist-info/METADATA",
                          "Name: p" + std::to_string(i) + "\nVersion: 1\n"));
  doc = scan({archive(metas)}, limits);
  CHECK(doc.packages.size() == 2);
  CHECK(has_warning(doc, "2 packages past the 2 berth lists"));
}

TEST_CASE("sbom limits: export's expansion limits for readers of layers") {
  using berth::layer::ExpansionLimit;
  ExpansionLimit lim(64ull << 30, 200);
  // Within the grace anything goes.
  CHECK_NOTHROW(lim.add(ExpansionLimit::kRatioGrace, 1, "sha256:a"));
  // Past it, more than 200 bytes per compressed byte is a bomb.
  CHECK_NOTHROW(lim.add(0, (ExpansionLimit::kRatioGrace + 1000) / 200 + 1, "sha256:a"));
  auto code = berth::tartest::code_of([&] { lim.add(1u << 20, 1000, "sha256:a"); });
  CHECK(code == berth::Errc::too_large);
  // Earlier layers' compressed bytes count for later ones.
  ExpansionLimit two(64ull << 30, 200);
  two.add(1000, 1u << 20, "sha256:a");
  two.end_layer(1u << 20);
  CHECK_NOTHROW(two.add(100u << 20, 100, "sha256:b"));
  ExpansionLimit total(1000, 0);
  CHECK_NOTHROW(total.add(1000, 1, "sha256:a"));
  try {
    total.add(1, 1, "sha256:a");
    FAIL("no error past the total");
  } catch (const berth::Error &e) {
    CHECK(e.code() == berth::Errc::too_large);
    CHECK(std::string(e.what()).find("past the limit of 1000 bytes") != std::string::npos);
  }
}
