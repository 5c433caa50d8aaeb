// The AWS SigV4 test suite (aws-c-auth's copy in tests/data/sigv4/v4): every case in
// header mode and in query (presign) mode, byte for byte.
#include <doctest/doctest.h>

#include <berth/sigv4.hpp>

#include "core/crypto.hpp"
#include "core/uri.hpp"
#include "test_util.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <map>
#include <set>

using namespace berth;
using berth::test::data_dir;
using berth::test::read_file;

namespace {

// core's appending decoder, as a value.
std::string uri_decoded(std::string_view s) {
  std::string out;
  berth::core::uri_decode_append(out, s);
  return out;
}

struct HttpMessage {
  std::string method, target;
  std::vector<aws::Header> headers;
  std::string body;
};

// request.txt: "METHOD target HTTP/1.1", Name:value lines (continuation lines start
// with whitespace), an empty line, then the body.
HttpMessage parse_message(const std::string &text) {
  HttpMessage m;
  auto line_end = text.find('\n');
  auto first = text.substr(0, line_end);
  auto sp = first.find(' ');
  m.method = first.substr(0, sp);
  auto proto = first.rfind(" HTTP/1.1");
  m.target = first.substr(sp + 1, proto - sp - 1);
  std::size_t pos = line_end == std::string::npos ? text.size() : line_end + 1;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    auto line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) {
      m.body = pos < text.size() ? text.substr(pos) : "";
      break;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !m.headers.empty()) {
      m.headers.back().value += "\n" + line;
      continue;
    }
    auto colon = line.find(':');
    m.headers.push_back({line.substr(0, colon), line.substr(colon + 1)});
  }
  return m;
}

std::string trim_trailing_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
    s.pop_back();
  return s;
}

std::multiset<std::string> query_params(const std::string &target) {
  std::multiset<std::string> out;
  auto q = target.find('?');
  if (q == std::string::npos) return out;
  std::string query = target.substr(q + 1);
  std::size_t start = 0;
  while (start <= query.size()) {
    auto end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    if (end > start) out.insert(uri_decoded(query.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

std::multiset<std::pair<std::string, std::string>> header_set(const std::vector<aws::Header> &hs) {
  std::multiset<std::pair<std::string, std::string>> out;
  for (const auto &h : hs) {
    std::string n = h.name;
    std::transform(n.begin(), n.end(), n.begin(), ::tolower);
    out.emplace(n, h.value);
  }
  return out;
}

struct Case {
  std::string name;
  std::filesystem::path dir;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const auto &e : std::filesystem::directory_iterator(data_dir() / "sigv4" / "v4"))
    if (e.is_directory()) out.push_back({e.path().filename().string(), e.path()});
  std::sort(out.begin(), out.end(), [](auto &a, auto &b) { return a.name < b.name; });
  return out;
}

aws::SigningOptions options_for(const std::filesystem::path &dir) {
  rapidjson::Document ctx;
  auto text = read_file(dir / "context.json");
  ctx.Parse(text.c_str());
  REQUIRE_FALSE(ctx.HasParseError());
  aws::SigningOptions o;
  o.region = ctx["region"].GetString();
  o.service = ctx["service"].GetString();
  const auto &c = ctx["credentials"];
  o.credentials.access_key_id = c["access_key_id"].GetString();
  o.credentials.secret_access_key = c["secret_access_key"].GetString();
  if (c.HasMember("token")) o.credentials.session_token = c["token"].GetString();
  o.normalize_path = ctx["normalize"].GetBool();
  o.content_sha256_header = ctx["sign_body"].GetBool();
  if (ctx.HasMember("omit_session_token"))
    o.sign_session_token = !ctx["omit_session_token"].GetBool();
  // 2015-08-30T12:36:00Z, the timestamp of every case.
  REQUIRE(std::string(ctx["timestamp"].GetString()) == "2015-08-30T12:36:00Z");
  o.time = std::chrono::system_clock::time_point(std::chrono::seconds(1440938160));
  return o;
}

} // namespace

TEST_CASE("sigv4 suite: all 38 v4 cases are present") {
  CHECK(cases().size() == 38);
}

TEST_CASE("sigv4 suite, header and query mode") {
  aws::Signer signer;
  for (const auto &c : cases()) {
    for (bool presign : {false, true}) {
      std::string mode = presign ? "query" : "header";
      CAPTURE(c.name);
      CAPTURE(mode);
      auto request = parse_message(read_file(c.dir / "request.txt"));
      auto opts = options_for(c.dir);
      if (presign) {
        opts.presign_expires = std::chrono::seconds(3600);
        opts.content_sha256_header = false;
      }
      std::string host;
      for (const auto &h : request.headers)
        if (h.name == "Host") host = h.value;
      aws::SignableRequest req{request.method, "https://" + host + request.target, request.headers,
                               request.body};
      auto signed_req = signer.sign(req, opts);

      CHECK(signed_req.canonical_request ==
            trim_trailing_newlines(read_file(c.dir / (mode + "-canonical-request.txt"))));
      CHECK(signed_req.string_to_sign ==
            trim_trailing_newlines(read_file(c.dir / (mode + "-string-to-sign.txt"))));
      CHECK(signed_req.signature ==
            trim_trailing_newlines(read_file(c.dir / (mode + "-signature.txt"))));

      auto expected = parse_message(read_file(c.dir / (mode + "-signed-request.txt")));
      CHECK(signed_req.method == expected.method);
      CHECK(header_set(signed_req.headers) == header_set(expected.headers));
      auto url = core::parse_url(signed_req.url);
      auto exp_path = expected.target.substr(0, expected.target.find('?'));
      CHECK(uri_decoded(url.path) == exp_path);
      CHECK(query_params("?" + url.query) == query_params(expected.target));
    }
  }
}

TEST_CASE("sigv4 stages can be called one by one") {
  auto key = aws::sigv4::derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830",
                                            "us-east-1", "iam");
  // The derived key of the AWS documentation's worked example.
  CHECK(core::hex(reinterpret_cast<const unsigned char *>(key.data()), key.size()) ==
        "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
  auto sts =
      aws::sigv4::string_to_sign("x", "20150830T123600Z", "20150830/us-east-1/iam/aws4_request");
  CHECK(sts.rfind("AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n", 0) ==
        0);
  CHECK(aws::sigv4::signature(key, sts).size() == 64);
}
