// SigV4 edge cases and regressions found by the differential tests
// (tests/differential), plus the building blocks the signer relies on: SHA-256,
// HMAC-SHA256 (plain and with a precomputed key), and the URI encoders.
#include <doctest/doctest.h>

#include <berth/error.hpp>
#include <berth/sigv4.hpp>

#include "core/crypto.hpp"
#include "core/uri.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <ctime>
#include <string>
#include <thread>
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

// ---------------------------------------------------------------------------------
// Building blocks, against straightforward reference implementations
// ---------------------------------------------------------------------------------

namespace {

// core's appending decoder, as a value.
std::string uri_decoded(std::string_view s) {
  std::string out;
  berth::core::uri_decode_append(out, s);
  return out;
}

std::string wire_encoded(std::string_view s, bool is_query) {
  std::string out;
  berth::core::wire_encode_append(out, s, is_query);
  return out;
}

bool ref_unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
}

std::string ref_uri_encode(std::string_view s, bool keep_slash) {
  static const char *hexd = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (ref_unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hexd[c >> 4]);
      out.push_back(hexd[c & 0xf]);
    }
  }
  return out;
}

std::string ref_uri_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string ref_wire_encode(std::string_view s, bool is_query) {
  static const char *hexd = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    bool keep_pct = c == '%' && i + 2 < s.size() &&
                    std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
                    std::isxdigit(static_cast<unsigned char>(s[i + 2]));
    bool bad =
        c <= 0x20 || c >= 0x7f ||
        std::string_view("\"<>\\^`{|}#").find(static_cast<char>(c)) != std::string_view::npos ||
        (!is_query && c == '?') || (c == '%' && !keep_pct);
    if (bad) {
      out.push_back('%');
      out.push_back(hexd[c >> 4]);
      out.push_back(hexd[c & 0xf]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string ref_normalize_path(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    auto seg = path.substr(start, end - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    start = end + 1;
  }
  std::string out = path.front() == '/' ? "/" : "";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i) out.push_back('/');
    out.append(segments[i]);
  }
  if (path.back() == '/' && !segments.empty()) out.push_back('/');
  return out.empty() ? "/" : out;
}

// Deterministic strings over an alphabet rich in the bytes the encoders care about.
struct Gen {
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  std::uint64_t next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  }
  std::string str(std::size_t max_len) {
    static const std::string alphabet = std::string("aZ09-._~/%?#&= +\t\"<>^`{|}\\") +
                                        "2F41a4e7F%%..//" + std::string("\x00\x7f\x80\xff\x0a", 5);
    std::string out(next() % (max_len + 1), '\0');
    for (auto &c : out) {
      auto r = next();
      c = r % 4 == 0 ? static_cast<char>(r >> 8) : alphabet[(r >> 8) % alphabet.size()];
    }
    return out;
  }
};

} // namespace

TEST_CASE("uri: encoders agree with reference implementations") {
  Gen g;
  for (int i = 0; i < 20000; ++i) {
    auto s = g.str(40);
    CAPTURE(s);
    REQUIRE(core::uri_encode(s, false) == ref_uri_encode(s, false));
    REQUIRE(core::uri_encode(s, true) == ref_uri_encode(s, true));
    REQUIRE(uri_decoded(s) == ref_uri_decode(s));
    REQUIRE(wire_encoded(s, false) == ref_wire_encode(s, false));
    REQUIRE(wire_encoded(s, true) == ref_wire_encode(s, true));
    REQUIRE(core::is_uri_encoded(s) == (ref_uri_encode(ref_uri_decode(s), false) == s));
    auto enc = core::uri_encode(s, false);
    REQUIRE(core::is_uri_encoded(enc));
    std::string appended = "x";
    core::uri_encode_append(appended, s, true);
    core::wire_encode_append(appended, s, true);
    core::uri_decode_append(appended, s);
    std::string expected(1, 'x');
    expected.append(ref_uri_encode(s, true)).append(ref_wire_encode(s, true));
    expected.append(ref_uri_decode(s));
    REQUIRE(appended == expected);
  }
  CHECK(core::is_uri_encoded("a%2Fb%20c"));
  CHECK_FALSE(core::is_uri_encoded("a%2fb")); // lower-case hex
  CHECK_FALSE(core::is_uri_encoded("%41"));   // an unreserved byte escaped
  CHECK_FALSE(core::is_uri_encoded("a/b"));   // '/' must be escaped
  CHECK_FALSE(core::is_uri_encoded("100%"));  // a bare '%'
  CHECK_FALSE(core::is_uri_encoded("%2"));
}

TEST_CASE("sigv4 canonical_request: paths and queries against reference forms") {
  Gen g;
  for (int i = 0; i < 5000; ++i) {
    aws::sigv4::Prepared p;
    p.method = "GET";
    p.path = g.str(30);
    p.query = g.str(40);
    p.headers = {{"Host", "h"}};
    for (bool normalize : {false, true}) {
      for (bool double_encode : {false, true}) {
        CAPTURE(p.path);
        CAPTURE(p.query);
        std::string signed_headers;
        auto cr = aws::sigv4::canonical_request(p, "UNSIGNED-PAYLOAD", normalize, double_encode,
                                                &signed_headers);
        std::string path = normalize ? ref_normalize_path(p.path) : p.path.empty() ? "/" : p.path;
        std::string uri = double_encode ? ref_uri_encode(path, true) : ref_wire_encode(path, false);
        std::vector<std::pair<std::string, std::string>> params;
        std::size_t start = 0;
        while (start <= p.query.size()) {
          auto end = p.query.find('&', start);
          if (end == std::string::npos) end = p.query.size();
          auto item = std::string_view(p.query).substr(start, end - start);
          if (!item.empty()) {
            auto eq = item.find('=');
            auto value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
            params.emplace_back(ref_uri_encode(ref_uri_decode(item.substr(0, eq)), false),
                                ref_uri_encode(ref_uri_decode(value), false));
          }
          start = end + 1;
        }
        std::sort(params.begin(), params.end());
        std::string query;
        for (const auto &[k, v] : params)
          query += (query.empty() ? "" : "&") + k + "=" + v;
        REQUIRE(cr == "GET\n" + uri + "\n" + query + "\nhost:h\n\nhost\nUNSIGNED-PAYLOAD");
        REQUIRE(signed_headers == "host");
      }
    }
  }
}

TEST_CASE("sigv4 canonical_request: header values are trimmed, collapsed and grouped") {
  aws::sigv4::Prepared p;
  p.method = "POST";
  p.path = "/";
  p.headers = {{"X-B", "  two   words\there  "},
               {"x-a", "1"},
               {"User-Agent", "not signed"},
               {"X-A", " 2 "},
               {"x-c", ""},
               {"X-Long", std::string(40, 'v') + " \t\r\n " + std::string(9, 'w') + "   "},
               {"x-a", "3"}};
  std::string signed_headers;
  auto cr = aws::sigv4::canonical_request(p, "h", true, true, &signed_headers);
  CHECK(cr == "POST\n/\n\nx-a:1,2,3\nx-b:two words here\nx-c:\nx-long:" + std::string(40, 'v') +
                  " " + std::string(9, 'w') + "\n\nx-a;x-b;x-c;x-long\nh");
  CHECK(signed_headers == "x-a;x-b;x-c;x-long");
}

TEST_CASE("sigv4 amz_date: agrees with gmtime/strftime") {
  for (std::int64_t t : {0LL, 1LL, 59LL, 86399LL, 86400LL, 951782400LL /* 2000-02-29 */,
                         1440938160LL, 1704067199LL, 1704067200LL, 4102444800LL /* 2100 */,
                         7258118399LL /* 2199-12-31T23:59:59 */, -1LL, -86401LL}) {
    CAPTURE(t);
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    CHECK(aws::sigv4::amz_date(std::chrono::system_clock::time_point(std::chrono::seconds(t))) ==
          buf);
  }
  // Sub-second parts are dropped.
  CHECK(aws::sigv4::amz_date(std::chrono::system_clock::time_point(
            std::chrono::milliseconds(1440938160999))) == "20150830T123600Z");
}

TEST_CASE("crypto: SHA-256 and HMAC-SHA256 test vectors") {
  CHECK(core::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(core::sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test cases 1, 2, 6 (a key longer than a block) and 7.
  struct Vector {
    std::string key, data, mac;
  };
  const Vector vectors[] = {
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. "
       "The key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const auto &v : vectors) {
    CHECK(core::hex(core::hmac_sha256(v.key, v.data)) == v.mac);
    core::HmacSha256Key key(v.key);
    CHECK(core::hex(key.mac(v.data)) == v.mac);
    CHECK(core::hex(key.mac(v.data)) == v.mac); // the precomputed state is reusable
  }
  // Every key length around the block size, precomputed or not.
  for (std::size_t n = 0; n <= 130; ++n) {
    std::string k(n, static_cast<char>('a' + n % 26));
    CHECK(core::hmac_sha256(k, "data") == core::HmacSha256Key(k).mac("data"));
  }
  char buf[6];
  const unsigned char bytes[] = {0x00, 0xab, 0xff};
  core::hex_to(buf, bytes, 3);
  CHECK(std::string_view(buf, 6) == "00abff");
}

TEST_CASE("sigv4: one signer shared by threads signs as a fresh one does") {
  const aws::Signer shared;
  std::vector<aws::SigningOptions> opts;
  for (const char *region : {"us-east-1", "eu-west-1", "ap-south-1"}) {
    auto o = base_options();
    o.region = region;
    opts.push_back(o);
  }
  aws::SignableRequest req{"POST", "https://h.example.com/x?b=2&a=1", {{"X-A", "b"}}, "body"};
  std::vector<std::string> expected;
  for (const auto &o : opts)
    expected.push_back(aws::Signer({}, false).sign(req, o).signature);

  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        std::size_t k = static_cast<std::size_t>(i + t) % opts.size();
        if (shared.sign(req, opts[k]).signature != expected[k]) ++mismatches;
      }
    });
  }
  for (auto &th : threads)
    th.join();
  CHECK(mismatches.load() == 0);
}
