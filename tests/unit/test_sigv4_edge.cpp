// SigV4 edge cases and regressions found by the differential tests
// (tests/differential), plus the building blocks the signer relies on: SHA-256,
// HMAC-SHA256 (plain and with a precomputed key), and the URI encoders.
#include <doctest/doctest.h>

#include <berth/error.hpp>
#include <berth/sigv4.hpp>

#include "core/crypto.hpp"
#include "core/uri.hpp"

#include <algorithm>
#include <string>
#include <vector>

using namespace berth;

namespace {

aws::SigningOptions base_options() {
  aws::SigningOptions o;
  o.region = "us-east-1";
  o.service = "s3";
  o.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  o.time = std::chrono::system_clock::time_point(std::chrono::seconds(1440938160));
  return o;
}

std::string payload_hash_of(const std::string &canonical_request) {
  return canonical_request.substr(canonical_request.rfind('\n') + 1);
}

std::vector<std::string> header_values(const aws::SignedRequest &r, std::string_view lname) {
  std::vector<std::string> out;
  for (const auto &h : r.headers) {
    std::string n = h.name;
    std::transform(n.begin(), n.end(), n.begin(), ::tolower);
    if (n == lname) out.push_back(h.value);
  }
  return out;
}

} // namespace

TEST_CASE("sigv4: a caller's x-amz-content-sha256 header is the payload hash") {
  aws::Signer signer;
  for (std::string value : {"UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                            "0000000000000000000000000000000000000000000000000000000000abcdef"}) {
    CAPTURE(value);
    aws::SignableRequest req{"PUT",
                             "https://bucket.s3.amazonaws.com/key",
                             {{"X-Amz-Content-SHA256", "  " + value + " \t"}},
                             "hello"};
    auto opts = base_options();
    auto got = signer.sign(req, opts);
    CHECK(payload_hash_of(got.canonical_request) == value);
    CHECK(got.canonical_request.find("\nx-amz-content-sha256:" + value + "\n") !=
          std::string::npos);
    CHECK(header_values(got, "x-amz-content-sha256") ==
          std::vector<std::string>{"  " + value + " \t"});

    // The same signature as with the hash given as an option.
    auto explicit_opts = base_options();
    explicit_opts.payload_hash = value;
    CHECK(signer.sign(req, explicit_opts).signature == got.signature);

    // In a presigned URL too.
    opts.presign_expires = std::chrono::seconds(60);
    CHECK(payload_hash_of(signer.sign(req, opts).canonical_request) == value);
  }
}

TEST_CASE("sigv4: explicit payload options win over a caller's x-amz-content-sha256") {
  aws::Signer signer;
  aws::SignableRequest req{"PUT",
                           "https://bucket.s3.amazonaws.com/key",
                           {{"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}},
                           "hello"};
  const std::string body_hash = core::sha256_hex("hello");

  auto o = base_options();
  o.payload_hash = std::string(64, 'f');
  CHECK(payload_hash_of(signer.sign(req, o).canonical_request) == std::string(64, 'f'));

  o = base_options();
  o.unsigned_payload = true;
  req.headers = {{"x-amz-content-sha256", body_hash}};
  CHECK(payload_hash_of(signer.sign(req, o).canonical_request) == "UNSIGNED-PAYLOAD");

  // content_sha256_header replaces the caller's header with the body's hash.
  o = base_options();
  o.content_sha256_header = true;
  req.headers = {{"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}};
  auto got = signer.sign(req, o);
  CHECK(payload_hash_of(got.canonical_request) == body_hash);
  CHECK(header_values(got, "x-amz-content-sha256") == std::vector<std::string>{body_hash});

  // Without the header, the body is hashed.
  o = base_options();
  req.headers = {};
  CHECK(payload_hash_of(signer.sign(req, o).canonical_request) == body_hash);
}

TEST_CASE("uri: zero-padded ports are normalised to their number") {
  auto u = core::parse_url("https://h.example.com:0443/p");
  CHECK(u.port == "443");
  CHECK(u.authority() == "h.example.com");
  CHECK(u.effective_port() == 443);
  CHECK(core::parse_url("http://h.example.com:080/p").authority() == "h.example.com");
  CHECK(core::parse_url("https://h.example.com:08443/p").authority() == "h.example.com:8443");
  CHECK(core::parse_url("http://[::1]:0080/").authority() == "[::1]");
  CHECK(core::parse_url("http://[::1]:00081/").authority() == "[::1]:81");
  CHECK(core::parse_url("http://h:0000/").port == "0");
  CHECK(core::parse_url("http://h:8080/").port == "8080");
  CHECK(core::parse_url("http://h:/").port.empty());
  CHECK_THROWS_AS(core::parse_url("http://h:065536/"), Error);
  CHECK(core::parse_url("http://h:00000443/").port == "443");
  CHECK_THROWS_AS(core::parse_url("http://h:99999999999999999999/"), Error);
  CHECK_THROWS_AS(core::parse_url("http://h:+80/"), Error);
  CHECK_THROWS_AS(core::parse_url("http://h:8a/"), Error);

  const core::Url padded{"https", "", "h", "0443", "/", "", false};
  CHECK(padded.authority() == "h");
  const core::Url padded_other{"https", "", "h", "08443", "/", "", false};
  CHECK(padded_other.authority() == "h:8443");
}

TEST_CASE("sigv4: zero-padded ports are signed and sent as their number") {
  aws::Signer signer;
  struct Case {
    const char *url, *host, *wire;
  };
  for (auto c :
       {Case{"https://h.example.com:0443/p", "h.example.com", "https://h.example.com:443/p"},
        Case{"http://h.example.com:080/p", "h.example.com", "http://h.example.com:80/p"},
        Case{"https://h.example.com:08443/p", "h.example.com:8443",
             "https://h.example.com:8443/p"}}) {
    CAPTURE(c.url);
    for (bool presign : {false, true}) {
      auto o = base_options();
      if (presign) o.presign_expires = std::chrono::seconds(60);
      auto got = signer.sign({"GET", c.url, {}, ""}, o);
      CHECK(got.canonical_request.find(std::string("\nhost:") + c.host + "\n") !=
            std::string::npos);
      CHECK(header_values(got, "host") == std::vector<std::string>{c.host});
      CHECK(got.url.rfind(c.wire, 0) == 0);
    }
  }
}
