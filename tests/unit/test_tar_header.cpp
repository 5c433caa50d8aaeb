// The tar header codec (lib/layer/tar_header.*): octal and base-256 numbers,
// checksums, the ustar prefix split, pax records and encode_header()'s choice of
// when to add a pax extended header — each checked by decoding with TarReader too.
#include <doctest/doctest.h>

#include "../layer/tar_test_support.hpp"

#include "layer/tar_header.hpp"
#include "layer/tar_reader.hpp"

#include <cstring>
#include <string>

using berth::Errc;
using namespace berth::layer;
using namespace berth::tartest;

namespace {

std::string field(const std::string &block, const tarfmt::Field &f) {
  return block.substr(f.offset, f.width);
}

std::int64_t parse(const std::string &bytes, std::size_t width) {
  char block[tarfmt::kBlockSize] = {};
  std::memcpy(block + tarfmt::kSize.offset, bytes.data(), std::min(bytes.size(), width));
  return tarfmt::parse_numeric(block, tarfmt::Field{tarfmt::kSize.offset, width, "size"}, "test");
}

// The single ustar header of an archive member that needs no pax header.
std::string plain_header(const tarfmt::HeaderSpec &h) {
  std::string out = tarfmt::encode_header(h);
  REQUIRE(out.size() == tarfmt::kBlockSize);
  return out;
}

} // namespace

TEST_CASE("tar header: octal fields are zero-padded and NUL-terminated") {
  char f[12];
  tarfmt::put_octal(f, 8, 0755);
  CHECK(std::string(f, 8) == std::string("0000755\0", 8));
  tarfmt::put_octal(f, 12, 1234567);
  CHECK(std::string(f, 12) == std::string("00004553207\0", 12));
  CHECK(tarfmt::fits_octal(07777777, 8));
  CHECK_FALSE(tarfmt::fits_octal(010000000, 8));
  CHECK(tarfmt::fits_octal((std::int64_t{1} << 33) - 1, 12)); // 8^11 - 1
  CHECK_FALSE(tarfmt::fits_octal(std::int64_t{1} << 33, 12)); // 8 GiB
  CHECK_FALSE(tarfmt::fits_octal(-1, 12));
}

TEST_CASE("tar header: octal parsing accepts the historic spellings and rejects junk") {
  CHECK(parse(std::string("0000755\0", 8), 8) == 0755);
  CHECK(parse("   755 ", 8) == 0755); // leading spaces, trailing space
  CHECK(parse(std::string("755\0\0\0\0\0", 8), 8) == 0755);
  CHECK(parse(std::string(8, '\0'), 8) == 0);      // empty field
  CHECK(parse("77777777777", 12) == 8589934591);   // 11 digits, no terminator
  CHECK(parse("777777777777", 12) == 68719476735); // 12 digits (some writers)
  CHECK(code_of([] { parse("00008xx", 8); }) == Errc::protocol);
  CHECK(code_of([] { parse("12 34", 8); }) == Errc::protocol); // space inside
  CHECK(message_of([] { parse("0009", 8); }).find("bad octal") != std::string::npos);
}

TEST_CASE("tar header: base-256 numbers for values octal cannot hold") {
  char f[12];
  const std::int64_t eight_gib = std::int64_t{8} << 30;
  CHECK_FALSE(tarfmt::put_numeric(f, 12, eight_gib));
  CHECK(static_cast<unsigned char>(f[0]) == 0x80);
  CHECK(static_cast<unsigned char>(f[7]) == 0x02); // 8 GiB = 0x2_0000_0000
  CHECK(parse(std::string(f, 12), 12) == eight_gib);

  tarfmt::put_base256(f, 12, -1);
  CHECK(std::string(f, 12) == std::string(12, '\xff'));
  CHECK(parse(std::string(f, 12), 12) == -1);

  for (std::int64_t v : {std::int64_t{0}, std::int64_t{1}, std::int64_t{-315619200},
                         std::int64_t{1} << 40, INT64_MAX, INT64_MIN + 1}) {
    tarfmt::put_base256(f, 12, v);
    CHECK(parse(std::string(f, 12), 12) == v);
  }
  // 8-byte id fields: 4000000 does not fit 7 octal digits.
  char id[8];
  CHECK_FALSE(tarfmt::put_numeric(id, 8, 4000000));
  CHECK(parse(std::string(id, 8), 8) == 4000000);
  // A 12-byte base-256 value beyond int64 is corrupt, not silently wrapped.
  std::string huge(12, '\0');
  huge[0] = '\x80';
  huge[3] = '\x01';
  CHECK(code_of([&] { parse(huge, 12); }) == Errc::protocol);
}

TEST_CASE("tar header: checksum is the unsigned byte sum with the field as spaces") {
  tarfmt::HeaderSpec h;
  h.path = "hello.txt";
  h.size = 5;
  h.mtime = 1700000000;
  std::string block = plain_header(h);
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < block.size(); ++i)
    sum += (i >= 148 && i < 156) ? 0x20u : static_cast<unsigned char>(block[i]);
  char expect[8];
  tarfmt::put_octal(expect, 7, sum);
  expect[7] = ' ';
  CHECK(field(block, tarfmt::kChksum) == std::string(expect, 8));
  CHECK(tarfmt::checksum_unsigned(block.data()) == sum);

  // Fixed layout details other tools rely on.
  CHECK(field(block, tarfmt::kMagic) == std::string("ustar\0", 6));
  CHECK(field(block, tarfmt::kVersion) == "00");
  CHECK(field(block, tarfmt::kMode) == std::string("0000644\0", 8));
  CHECK(field(block, tarfmt::kUname) == std::string(32, '\0'));
  CHECK(block[tarfmt::kTypeflag.offset] == '0');
}

TEST_CASE("tar header: ustar prefix/name split") {
  std::string_view prefix, name;
  const std::string dir(60, 'd'), base(89, 'b');
  std::string p = dir + "/" + base; // 150 bytes
  REQUIRE(tarfmt::split_ustar_path(p, prefix, name));
  CHECK(prefix == dir);
  CHECK(name == base);

  // A directory path keeps its trailing slash in the name part.
  std::string d = dir + "/" + std::string(95, 'x') + "/";
  REQUIRE(tarfmt::split_ustar_path(d, prefix, name));
  CHECK(name == std::string(95, 'x') + "/");

  CHECK_FALSE(tarfmt::split_ustar_path("short", prefix, name));
  CHECK_FALSE(tarfmt::split_ustar_path(std::string(150, 'a'), prefix, name)); // no slash
  CHECK_FALSE(tarfmt::split_ustar_path("a/" + std::string(101, 'n'), prefix, name));
  CHECK_FALSE(tarfmt::split_ustar_path(std::string(156, 'p') + "/n", prefix, name));

  tarfmt::HeaderSpec h;
  h.path = p;
  std::string block = plain_header(h); // split, so no pax header
  CHECK(tarfmt::field_string(block.data(), tarfmt::kPrefix) == dir);
  CHECK(tarfmt::field_string(block.data(), tarfmt::kName) == base);
}

TEST_CASE("tar header: pax records carry their own exact length") {
  CHECK(tarfmt::pax_record("a", "") == "5 a=\n");
  CHECK(tarfmt::pax_record("path", "x") == "9 path=x\n");
  CHECK(tarfmt::pax_record("path", "xy") == "11 path=xy\n"); // 10 would need 2 digits
  CHECK(tarfmt::pax_record("path", std::string(91, 'v')).substr(0, 4) == "101 ");
  for (std::size_t n = 0; n < 1100; ++n) {
    std::string rec = tarfmt::pax_record("path", std::string(n, 'v'));
    CHECK(std::to_string(rec.size()) == rec.substr(0, rec.find(' ')));
    auto parsed = tarfmt::parse_pax_records(rec);
    REQUIRE(parsed.size() == 1);
    CHECK(parsed[0].second.size() == n);
  }
}

TEST_CASE("tar header: pax record parsing, binary values and malformed input") {
  const std::string binary("\x01\n=\0\xff", 5);
  std::string data = tarfmt::pax_record("SCHILY.xattr.security.capability", binary) +
                     tarfmt::pax_record("mtime", "1.5");
  auto recs = tarfmt::parse_pax_records(data + std::string(7, '\0')); // NUL padding is fine
  REQUIRE(recs.size() == 2);
  CHECK(recs[0].first == "SCHILY.xattr.security.capability");
  CHECK(recs[0].second == binary);
  CHECK(recs[1] == std::pair<std::string, std::string>("mtime", "1.5"));

  for (std::string bad :
       {std::string("5 a=\nX"), std::string("10 a=b\n"), std::string("3 a\n"),
        std::string("6 a=bc"), std::string("x a=b\n"), std::string("6 =bc\n"),
        std::string("999999999999999999999999 a=b\n"), std::string("5 a=\n\0x", 7)})
    CHECK_MESSAGE(code_of([&] { tarfmt::parse_pax_records(bad); }) == Errc::protocol, bad);
}

TEST_CASE("tar header: pax extended headers exactly where ustar falls short") {
  auto records_of = [](const std::string &bytes) {
    REQUIRE(bytes.size() > tarfmt::kBlockSize);
    CHECK(bytes[tarfmt::kTypeflag.offset] == 'x');
    auto size = tarfmt::parse_numeric(bytes.data(), tarfmt::kSize, "");
    auto recs = tarfmt::parse_pax_records(
        std::string_view(bytes).substr(tarfmt::kBlockSize, static_cast<std::size_t>(size)));
    std::map<std::string, std::string> m(recs.begin(), recs.end());
    return m;
  };
  tarfmt::HeaderSpec h;

  h.path = std::string(120, 'n'); // no slash to split at
  auto long_name = tarfmt::encode_header(h);
  CHECK(records_of(long_name).at("path") == h.path);
  CHECK(long_name.size() == 3 * tarfmt::kBlockSize);
  CHECK(tarfmt::field_string(long_name.data(), tarfmt::kName) ==
        "PaxHeaders/" + std::string(89, 'n'));

  h.path = "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac"; // café/日本: short but not ASCII
  auto utf8 = records_of(tarfmt::encode_header(h));
  CHECK(utf8.at("path") == h.path);
  CHECK(utf8.count("hdrcharset") == 0);

  h.path = "bad\xff";
  CHECK(records_of(tarfmt::encode_header(h)).at("hdrcharset") == "BINARY");

  h = {};
  h.path = "l";
  h.typeflag = tarfmt::kTypeSymlink;
  h.link = std::string(101, 't');
  CHECK(records_of(tarfmt::encode_header(h)).at("linkpath") == h.link);

  h = {};
  h.path = "big";
  h.size = std::uint64_t{8} << 30;
  h.uid = 3000000;
  h.gid = 4000000000u;
  h.mtime = -315619200; // 1960
  auto big = records_of(tarfmt::encode_header(h));
  CHECK(big.at("size") == "8589934592");
  CHECK(big.at("uid") == "3000000");
  CHECK(big.at("gid") == "4000000000");
  CHECK(big.at("mtime") == "-315619200");

  h = {};
  h.path = "fits";
  h.size = (std::uint64_t{8} << 30) - 1;
  h.uid = 2097151;
  h.mtime = 8589934591;
  CHECK(tarfmt::encode_header(h).size() == tarfmt::kBlockSize);
}

TEST_CASE("tar header: encoded headers decode to the same entry") {
  struct Case {
    tarfmt::HeaderSpec spec;
    TarEntry::Type type;
  };
  std::vector<Case> cases;
  auto add = [&](tarfmt::HeaderSpec s, TarEntry::Type t) { cases.push_back({std::move(s), t}); };
  tarfmt::HeaderSpec s;
  s.path = std::string(70, 'p') + "/" + std::string(200, 'q') + "/\xe2\x98\x83.txt";
  s.mode = 04755;
  s.uid = 4294967295u;
  s.gid = 3000000;
  s.mtime = -1;
  add(s, TarEntry::Type::file);
  s = {};
  s.typeflag = tarfmt::kTypeDir;
  s.path = std::string(150, 'd') + "/";
  s.mode = 01777;
  s.mtime = 8589934592; // year 2242: base-256 + pax
  add(s, TarEntry::Type::dir);
  s = {};
  s.typeflag = tarfmt::kTypeHardlink;
  s.path = "h";
  s.link = std::string(300, 'x');
  add(s, TarEntry::Type::hardlink);
  s = {};
  s.typeflag = tarfmt::kTypeChar;
  s.path = "dev/null";
  s.devmajor = 1;
  s.devminor = 3;
  s.mode = 0666;
  add(s, TarEntry::Type::chardev);
  s = {};
  s.typeflag = tarfmt::kTypeBlock;
  s.path = "dev/big";
  s.devmajor = 4000000; // base-256 device numbers
  s.devminor = 5;
  add(s, TarEntry::Type::blockdev);

  for (const auto &c : cases) {
    std::string bytes = tarfmt::encode_header(c.spec) + std::string(1024, '\0');
    TarReader r(string_source(bytes, 17));
    auto e = r.next();
    REQUIRE(e.has_value());
    std::string path = c.spec.path;
    if (c.type == TarEntry::Type::dir) path.pop_back();
    CHECK(e->path == path);
    CHECK(e->type == c.type);
    CHECK(e->link == c.spec.link);
    CHECK(e->mode == c.spec.mode);
    CHECK(e->uid == c.spec.uid);
    CHECK(e->gid == c.spec.gid);
    CHECK(e->mtime == c.spec.mtime);
    CHECK(e->devmajor == c.spec.devmajor);
    CHECK(e->devminor == c.spec.devminor);
    CHECK_FALSE(r.next().has_value());
  }
}
