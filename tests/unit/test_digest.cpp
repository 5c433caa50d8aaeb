// berth::image::Digest: the OCI image-spec digest grammar, sha256/sha512 only.
#include <doctest/doctest.h>

#include <berth/digest.hpp>
#include <berth/error.hpp>

#include <algorithm>
#include <string>
#include <vector>

using berth::Errc;
using berth::Error;
using berth::image::Digest;

namespace {

const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kAbcSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const std::string kAbcSha512 = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                               "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

Errc code_of(std::string_view s) {
  try {
    (void)Digest::parse(s);
  } catch (const Error &e) {
    return e.code();
  }
  return Errc::ok;
}

std::string message_of(std::string_view s) {
  try {
    (void)Digest::parse(s);
  } catch (const Error &e) {
    return e.what();
  }
  return {};
}

} // namespace

TEST_CASE("digest: parse accepts sha256 and sha512") {
  auto d = Digest::parse("sha256:" + kAbcSha256);
  CHECK(d.algorithm() == "sha256");
  CHECK(d.hex() == kAbcSha256);
  CHECK(d.str() == "sha256:" + kAbcSha256);
  CHECK_FALSE(d.empty());

  auto e = Digest::parse("sha512:" + kAbcSha512);
  CHECK(e.algorithm() == "sha512");
  CHECK(e.hex() == kAbcSha512);
  CHECK(e.str() == "sha512:" + kAbcSha512);
}

TEST_CASE("digest: sha256_of and from_sha256_hex") {
  CHECK(Digest::sha256_of("").str() == "sha256:" + kEmptySha256);
  CHECK(Digest::sha256_of("abc") == Digest::parse("sha256:" + kAbcSha256));
  CHECK(Digest::from_sha256_hex(kAbcSha256) == Digest::sha256_of("abc"));

  for (const auto &bad : std::vector<std::string>{
           std::string(), kAbcSha256.substr(1), kAbcSha256 + "0", std::string(64, 'A'),
           std::string(63, '0') + "g", "sha256:" + kAbcSha256}) {
    CAPTURE(bad);
    try {
      (void)Digest::from_sha256_hex(bad);
      FAIL("accepted");
    } catch (const Error &err) {
      CHECK(err.code() == Errc::invalid_argument);
    }
  }
}

TEST_CASE("digest: malformed inputs are invalid_argument") {
  const std::vector<std::string> bad = {
      "",
      "sha256",
      ":" + kAbcSha256,
      "sha256:",
      "sha256:" + kAbcSha256.substr(1),       // 63 digits
      "sha256:" + kAbcSha256 + "a",           // 65 digits
      "sha256:" + std::string(64, 'A'),       // upper-case hex
      "sha256:" + std::string(63, '0') + "g", // not hex
      "SHA256:" + kAbcSha256,                 // upper-case algorithm
      "sha256:" + kAbcSha256 + "\n",          // trailing newline
      " sha256:" + kAbcSha256,                // leading space
      "sha512:" + kAbcSha256,                 // sha512 with 64 digits
      "sha256:" + kAbcSha256 + ":x",          // ':' in encoded part
      "sha-:" + kAbcSha256,                   // algorithm ends with separator
      "sha..256:" + kAbcSha256,               // two separators in a row
      "+sha:" + kAbcSha256,                   // algorithm starts with separator
      "md5:abc/def",                          // '/' in encoded part
  };
  for (const auto &s : bad) {
    CAPTURE(s);
    CHECK(code_of(s) == Errc::invalid_argument);
    CHECK_FALSE(Digest::valid(s));
  }
}

TEST_CASE("digest: well-formed but unregistered algorithms are unsupported") {
  const std::vector<std::string> other = {
      "md5:d41d8cd98f00b204e9800998ecf8427e",
      "sha384:" + std::string(96, 'a'),
      "blake3:" + kAbcSha256,
      "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
      "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
  };
  for (const auto &s : other) {
    CAPTURE(s);
    CHECK(code_of(s) == Errc::unsupported);
    CHECK_FALSE(Digest::valid(s));
  }
  CHECK(message_of("md5:d41d8cd98f00b204e9800998ecf8427e").find("unsupported algorithm \"md5\"") !=
        std::string::npos);
}

TEST_CASE("digest: valid() agrees with parse()") {
  CHECK(Digest::valid("sha256:" + kAbcSha256));
  CHECK(Digest::valid("sha512:" + kAbcSha512));
  CHECK_FALSE(Digest::valid("sha256:" + kAbcSha512));
  CHECK_FALSE(Digest::valid("latest"));
}

TEST_CASE("digest: error messages quote the input, truncated and escaped") {
  auto msg = message_of("sha256:xyz");
  CHECK(msg.find("\"sha256:xyz\"") != std::string::npos);
  CHECK(msg.find("64 lower-case hex digits") != std::string::npos);

  std::string long_input = "sha256:" + std::string(500, 'z');
  msg = message_of(long_input);
  CHECK(msg.find(long_input.substr(0, 100) + "\"...") != std::string::npos);
  CHECK(msg.find(long_input.substr(0, 101)) == std::string::npos);
  CHECK(msg.size() < 250);

  msg = message_of("sha256:\nabc");
  CHECK(msg.find('\n') == std::string::npos);
  CHECK(msg.find("sha256:\\x0aabc") != std::string::npos);
}

TEST_CASE("digest: equality and ordering") {
  auto a = Digest::parse("sha256:" + kAbcSha256);
  auto b = Digest::parse("sha256:" + kEmptySha256);
  auto c = Digest::parse("sha512:" + kAbcSha512);
  CHECK(a == Digest::sha256_of("abc"));
  CHECK(a != b);
  CHECK(a < b); // "ba78..." < "e3b0..."
  CHECK(b < c); // sha256 < sha512
  std::vector<Digest> v = {c, b, a};
  std::sort(v.begin(), v.end());
  CHECK(v == std::vector<Digest>{a, b, c});

  Digest empty;
  CHECK(empty.empty());
  CHECK(empty.str().empty());
  CHECK(empty < a);
}
