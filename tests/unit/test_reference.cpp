// berth::image::Reference: distribution/reference's grammar and Docker Hub
// normalization, field by field.
#include <doctest/doctest.h>

#include <berth/digest.hpp>
#include <berth/error.hpp>
#include <berth/reference.hpp>

#include <string>
#include <vector>

using berth::Errc;
using berth::Error;
using berth::image::Reference;
using berth::image::valid_tag;

namespace {

const std::string kD = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kD512 = "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                          "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
const std::string kEcr = "012345678901.dkr.ecr.us-east-1.amazonaws.com";

struct Good {
  std::string input;
  std::string registry;
  std::string repository;
  std::string tag;
  std::string digest;
  bool loopback = false;
};

// "example.com/" + path of this length makes a name of exactly `total` characters.
std::string name_of_length(std::size_t total) {
  std::string prefix = "example.com/";
  return prefix + std::string(total - prefix.size(), 'a');
}

const std::vector<Good> &good_cases() {
  static const std::vector<Good> cases = {
      {"ubuntu", "docker.io", "library/ubuntu", "", ""},
      {"ubuntu:22.04", "docker.io", "library/ubuntu", "22.04", ""},
      {"ubuntu@" + kD, "docker.io", "library/ubuntu", "", kD},
      {"ubuntu:22.04@" + kD, "docker.io", "library/ubuntu", "22.04", kD},
      {"a", "docker.io", "library/a", "", ""},
      {"user/app", "docker.io", "user/app", "", ""},
      {"user/app:v1", "docker.io", "user/app", "v1", ""},
      {"docker.io/ubuntu", "docker.io", "library/ubuntu", "", ""},
      {"docker.io/library/ubuntu:latest", "docker.io", "library/ubuntu", "latest", ""},
      {"docker.io/user/app", "docker.io", "user/app", "", ""},
      {"index.docker.io/ubuntu", "docker.io", "library/ubuntu", "", ""},
      {"index.docker.io/user/app:1", "docker.io", "user/app", "1", ""},
      {"1/2/3", "docker.io", "1/2/3", "", ""},
      {"localhost:5000", "docker.io", "library/localhost", "5000", ""},
      {"localhost/app", "localhost", "app", "", "", true},
      {"localhost:5000/a/b:tag", "localhost:5000", "a/b", "tag", "", true},
      {"127.0.0.1:5000/x@" + kD, "127.0.0.1:5000", "x", "", kD, true},
      {"127.0.0.1/x", "127.0.0.1", "x", "", "", true},
      {"127.255.3.4:80/x", "127.255.3.4:80", "x", "", "", true},
      {"128.0.0.1:5000/x", "128.0.0.1:5000", "x", "", "", false},
      {"[::1]:5000/x:y", "[::1]:5000", "x", "y", "", true},
      {"[::1]/x", "[::1]", "x", "", "", true},
      {"[0:0:0:0:0:0:0:1]:5000/x", "[0:0:0:0:0:0:0:1]:5000", "x", "", "", true},
      {"[::1]:5000/x:y@" + kD, "[::1]:5000", "x", "y", kD, true},
      {"[2001:DB8::1]:443/team/app:v2", "[2001:db8::1]:443", "team/app", "v2", "", false},
      {"registry.example.com/a/b/c:1.2@" + kD, "registry.example.com", "a/b/c", "1.2", kD},
      {"Registry.Example.COM:8443/app", "registry.example.com:8443", "app", "", ""},
      {kEcr + "/app:v1", kEcr, "app", "v1", ""},
      {"012345678901.dkr.ecr-fips.us-gov-west-1.amazonaws.com/team/app",
       "012345678901.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "team/app", "", ""},
      {"012345678901.dkr.ecr.cn-north-1.amazonaws.com.cn/app@" + kD,
       "012345678901.dkr.ecr.cn-north-1.amazonaws.com.cn", "app", "", kD},
      {"public.ecr.aws/docker/library/alpine:3.19", "public.ecr.aws", "docker/library/alpine",
       "3.19", ""},
      {"ghcr.io/owner/repo:sha-abc123", "ghcr.io", "owner/repo", "sha-abc123", ""},
      {"my-registry.local:5000/ns/app", "my-registry.local:5000", "ns/app", "", ""},
      {"a.b/c", "a.b", "c", "", ""},
      {"x.io/a/b/c/d/e/f", "x.io", "a/b/c/d/e/f", "", ""},
      {"example.com:1/app", "example.com:1", "app", "", ""},
      {"example.com:65535/app", "example.com:65535", "app", "", ""},
      {"my-user/my.app_v2__x---y", "docker.io", "my-user/my.app_v2__x---y", "", ""},
      {"foo_bar/baz-qux.quux0", "docker.io", "foo_bar/baz-qux.quux0", "", ""},
      {"app:_under", "docker.io", "library/app", "_under", ""},
      {"app:V1.0-RC_1", "docker.io", "library/app", "V1.0-RC_1", ""},
      {"app:" + std::string(128, 't'), "docker.io", "library/app", std::string(128, 't'), ""},
      {"app@" + kD512, "docker.io", "library/app", "", kD512},
      {name_of_length(255), "example.com", std::string(243, 'a'), "", ""},
  };
  return cases;
}

struct Bad {
  std::string input;
  std::string problem; // a substring of the message
};

const std::vector<Bad> &bad_cases() {
  static const std::vector<Bad> cases = {
      {"", "empty reference"},
      {"Ubuntu", "must be lowercase"},
      {"user/App", "must be lowercase"},
      {"FOO/bar", "must be lowercase"},
      {"docker.io/Library/ubuntu", "must be lowercase"},
      {"ubuntu:", "empty tag"},
      {"ubuntu:" + std::string(129, 't'), "at most 128"},
      {"ubuntu:-bad", "tag must start with"},
      {"ubuntu:.bad", "tag must start with"},
      {"ubuntu:v1+x", "invalid character '+' in tag"},
      {"ubuntu:tag:more", "invalid character ':' in tag"},
      {"ubuntu@", "empty digest"},
      {"ubuntu@sha256:abc", "64 lower-case hex digits"},
      {"ubuntu@sha256:" + std::string(64, 'A'), "64 lower-case hex digits"},
      {"ubuntu@md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported algorithm"},
      {"ubuntu@" + kD + "@x", "invalid digest"},
      {":tag", "missing repository name"},
      {"@" + kD, "missing repository name"},
      {"localhost:5000/", "missing repository name"},
      {"user/app/", "ends with '/'"},
      {"/app", "starts with '/'"},
      {"a..b", "invalid separator \"..\""},
      {"a___b", "invalid separator \"___\""},
      {"a._b", "invalid separator \"._\""},
      {"a//b", "empty path component"},
      {"-a", "must start and end with a letter or digit"},
      {"a/b-", "must start and end with a letter or digit"},
      {"a/b+c", "invalid character '+'"},
      {name_of_length(256), "at most 255"},
      {"ubuntu" + std::string(300, 'u'), "at most 255"},
      {"localhost:abc/app", "is not a number"},
      {"localhost:/app", "empty port"},
      {"localhost:70000/app", "out of range"},
      {"localhost:0/app", "out of range"},
      {"ubuntu:latest/foo", "is not a number"},
      {"registry..com/app", "empty component in registry host"},
      {"-reg.com/app", "starts or ends with '-'"},
      {"reg_istry.com/app", "invalid character '_' in registry host"},
      {"[::1/app", "unterminated '['"},
      {"[::g]:5000/app", "invalid IPv6 address"},
      {"[1:2:3:4:5:6:7:8:9]/app", "invalid IPv6 address"},
      {"[:::1]/app", "invalid IPv6 address"},
      {"[::1]x:5000/app", "unexpected 'x'"},
      {"ubu ntu", "whitespace"},
      {" ubuntu", "whitespace"},
      {"user/app ", "whitespace"},
      {"a\nb", "control character"},
      {"caf\xc3\xa9", "non-ASCII"},
      {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "image ID"},
  };
  return cases;
}

std::string message_of(const std::string &s) {
  try {
    (void)Reference::parse(s);
  } catch (const Error &e) {
    CHECK(e.code() == Errc::invalid_argument);
    return e.what();
  }
  return "(accepted)";
}

} // namespace

TEST_CASE("reference: good inputs, every field") {
  CHECK(good_cases().size() >= 40);
  for (const auto &g : good_cases()) {
    CAPTURE(g.input);
    Reference r;
    REQUIRE_NOTHROW(r = Reference::parse(g.input));
    CHECK(r.registry == g.registry);
    CHECK(r.repository == g.repository);
    CHECK(r.tag == g.tag);
    CHECK(r.digest == g.digest);
    CHECK(r.is_loopback() == g.loopback);
    CHECK(r.context() == g.registry + "/" + g.repository);
    CHECK(r.identifier() == (!g.digest.empty() ? g.digest : !g.tag.empty() ? g.tag : "latest"));
    CHECK(r.str() == g.registry + "/" + g.repository + (g.tag.empty() ? "" : ":" + g.tag) +
                         (g.digest.empty() ? "" : "@" + g.digest));
    // The normalized form parses back to the same reference.
    CHECK(Reference::parse(r.str()) == r);
  }
}

TEST_CASE("reference: bad inputs name the problem and quote the input") {
  CHECK(bad_cases().size() >= 25);
  for (const auto &b : bad_cases()) {
    CAPTURE(b.input);
    auto msg = message_of(b.input);
    CAPTURE(msg);
    CHECK(msg.find(b.problem) != std::string::npos);
    if (b.input.find_first_of("\n\xc3") == std::string::npos) {
      std::string quoted(1, '"');
      quoted.append(b.input, 0, 100).push_back('"');
      CHECK(msg.find(quoted) != std::string::npos);
    }
  }
}

TEST_CASE("reference: messages truncate and escape the input") {
  auto msg = message_of("ubuntu" + std::string(300, 'u'));
  CHECK(msg.find("\"ubuntu" + std::string(94, 'u') + "\"...") != std::string::npos);
  CHECK(msg.size() < 250);
  msg = message_of("a\nb");
  CHECK(msg.find('\n') == std::string::npos);
  CHECK(msg.find("\"a\\x0ab\"") != std::string::npos);
}

TEST_CASE("reference: docker hub scenario from the brief") {
  auto r = Reference::parse("ubuntu");
  CHECK(r.str() == "docker.io/library/ubuntu");
  CHECK(r.tag.empty());
  CHECK(r.identifier() == "latest");
  CHECK(r.registry_host() == "registry-1.docker.io");
  CHECK_FALSE(r.is_loopback());
}

TEST_CASE("reference: registry_host") {
  CHECK(Reference::parse("user/app").registry_host() == "registry-1.docker.io");
  CHECK(Reference::parse("index.docker.io/user/app").registry_host() == "registry-1.docker.io");
  Reference legacy{"index.docker.io", "user/app", "", ""};
  CHECK(legacy.registry_host() == "registry-1.docker.io");
  CHECK(Reference::parse("registry-1.docker.io/user/app").registry_host() ==
        "registry-1.docker.io");
  CHECK(Reference::parse("localhost:5000/a").registry_host() == "localhost:5000");
  CHECK(Reference::parse("[::1]:5000/a").registry_host() == "[::1]:5000");
  CHECK(Reference::parse(kEcr + "/app").registry_host() == kEcr);
}

TEST_CASE("reference: with_tag and with_digest validate") {
  auto r = Reference::parse("registry.example.com/a/b:old");
  auto t = r.with_tag("new");
  CHECK(t.tag == "new");
  CHECK(t.str() == "registry.example.com/a/b:new");
  CHECK(r.tag == "old");

  auto d = t.with_digest(kD);
  CHECK(d.digest == kD);
  CHECK(d.identifier() == kD);
  CHECK(d.str() == "registry.example.com/a/b:new@" + kD);

  for (const auto &bad : std::vector<std::string>{"", "-x", "a b", std::string(129, 'a'), "x/y"}) {
    CAPTURE(bad);
    try {
      (void)r.with_tag(bad);
      FAIL("accepted");
    } catch (const Error &e) {
      CHECK(e.code() == Errc::invalid_argument);
    }
  }
  for (const auto &bad : std::vector<std::string>{
           "", "sha256:abc", "md5:d41d8cd98f00b204e9800998ecf8427e", "latest"}) {
    CAPTURE(bad);
    try {
      (void)r.with_digest(bad);
      FAIL("accepted");
    } catch (const Error &e) {
      CHECK(e.code() == Errc::invalid_argument);
    }
  }
}

TEST_CASE("reference: valid_tag") {
  CHECK(valid_tag("latest"));
  CHECK(valid_tag("_"));
  CHECK(valid_tag("0"));
  CHECK(valid_tag("v1.2.3-rc.1_build"));
  CHECK(valid_tag(std::string(128, 'a')));
  CHECK_FALSE(valid_tag(""));
  CHECK_FALSE(valid_tag(std::string(129, 'a')));
  CHECK_FALSE(valid_tag(".x"));
  CHECK_FALSE(valid_tag("-x"));
  CHECK_FALSE(valid_tag("a:b"));
  CHECK_FALSE(valid_tag("a/b"));
  CHECK_FALSE(valid_tag("a b"));
  CHECK_FALSE(valid_tag("caf\xc3\xa9"));
}

TEST_CASE("reference: is_loopback") {
  CHECK(Reference::parse("localhost/a").is_loopback());
  CHECK(Reference::parse("LOCALHOST:5000/a").is_loopback());
  CHECK(Reference::parse("127.0.0.1/a").is_loopback());
  CHECK(Reference::parse("[::1]:5000/a").is_loopback());
  CHECK_FALSE(Reference::parse("localhost.example.com/a").is_loopback());
  CHECK_FALSE(Reference::parse("127.0.0.1.example.com/a").is_loopback());
  CHECK_FALSE(Reference::parse("127.0.0/a").is_loopback());
  CHECK_FALSE(Reference::parse("127.0.0.256/a").is_loopback());
  CHECK_FALSE(Reference::parse("[::2]/a").is_loopback());
  CHECK_FALSE(Reference::parse("[::]/a").is_loopback());
  CHECK_FALSE(Reference::parse("user/a").is_loopback());
}
