// ECR registry host names: what is recognised (and what must not be), and the
// names berth builds for each partition.
#include <doctest/doctest.h>

#include "ecr/registry_host.hpp"

#include <string>

using namespace berth::ecr;

TEST_CASE("ecr host: registry hosts of every partition and variant") {
  struct Good {
    const char *host, *account, *region;
    bool fips, dualstack;
  };
  const Good good[] = {
      {"123456789012.dkr.ecr.us-east-1.amazonaws.com", "123456789012", "us-east-1", false, false},
      {"123456789012.dkr.ecr.us-east-1.amazonaws.com:443", "123456789012", "us-east-1", false,
       false},
      {"210987654321.DKR.ECR.EU-WEST-1.AMAZONAWS.COM", "210987654321", "eu-west-1", false, false},
      {"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "123456789012", "us-gov-west-1",
       true, false},
      {"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "123456789012", "cn-north-1", false,
       false},
      {"123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov", "123456789012", "us-iso-east-1", false,
       false},
      {"123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov", "123456789012", "us-isob-east-1", false,
       false},
      {"123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk", "123456789012", "eu-isoe-west-1",
       false, false},
      {"123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov", "123456789012", "us-isof-south-1",
       false, false},
      {"123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu", "123456789012", "eusc-de-east-1", false,
       false},
      {"123456789012.dkr-ecr.us-west-2.on.aws", "123456789012", "us-west-2", false, true},
      {"123456789012.dkr-ecr-fips.us-west-2.on.aws", "123456789012", "us-west-2", true, true},
      {"123456789012.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn", "123456789012", "cn-north-1",
       false, true},
  };
  for (const auto &g : good) {
    CAPTURE(g.host);
    auto h = parse_registry_host(g.host);
    REQUIRE(h);
    CHECK(h->account == g.account);
    CHECK(h->region == g.region);
    CHECK(h->fips == g.fips);
    CHECK(h->dualstack == g.dualstack);
  }
}

TEST_CASE("ecr host: everything else is not ECR") {
  const char *bad[] = {
      "",
      "docker.io",
      "registry-1.docker.io",
      "localhost:5000",
      "public.ecr.aws",                                         // ECR Public: not this API
      "12345678901.dkr.ecr.us-east-1.amazonaws.com",            // 11 digits
      "1234567890123.dkr.ecr.us-east-1.amazonaws.com",          // 13 digits
      "12345678901a.dkr.ecr.us-east-1.amazonaws.com",           // not digits
      "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.test", // suffix attack
      "123456789012.dkr.ecr.us-east-1.amazonaws.comx",
      "evil.test.123456789012.dkr.ecr.us-east-1.amazonaws.com", // prefix
      "x.123456789012.dkr.ecr.us-east-1.amazonaws.com",
      "123456789012.dkr.ecr..amazonaws.com",                  // no region
      "123456789012.dkr.ecr.us_east_1.amazonaws.com",         // bad region
      "123456789012.dkr.ecr.us-east-1.example.com",           // other domain
      "123456789012.ecr.us-east-1.amazonaws.com",             // not dkr
      "123456789012.dkr.ecr.us-east-1.on.aws",                // classic label, dual-stack domain
      "123456789012.dkr-ecr.us-east-1.amazonaws.com",         // dual-stack label, classic domain
      "api.ecr.us-east-1.amazonaws.com",                      // the API, not a registry
      "https://123456789012.dkr.ecr.us-east-1.amazonaws.com", // a URL, not a host
  };
  for (const char *h : bad) {
    CAPTURE(h);
    CHECK_FALSE(parse_registry_host(h));
  }
}

TEST_CASE("ecr host: names berth builds parse back") {
  CHECK(registry_host("123456789012", "us-east-1") ==
        "123456789012.dkr.ecr.us-east-1.amazonaws.com");
  CHECK(registry_host("123456789012", "cn-northwest-1") ==
        "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn");
  CHECK(registry_host("123456789012", "us-gov-east-1", true) ==
        "123456789012.dkr.ecr-fips.us-gov-east-1.amazonaws.com");
  CHECK(registry_host("123456789012", "us-iso-east-1") ==
        "123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov");
  CHECK(registry_host("123456789012", "eu-west-1", false, true) ==
        "123456789012.dkr-ecr.eu-west-1.on.aws");
  CHECK(registry_host("123456789012", "cn-north-1", false, true) ==
        "123456789012.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn");
  for (const char *region : {"us-east-1", "cn-north-1", "us-gov-west-1", "us-isob-east-1",
                             "eu-isoe-west-1", "us-isof-south-1", "eusc-de-east-1"})
    for (bool fips : {false, true})
      for (bool ds : {false, true}) {
        if (ds && std::string(region).rfind("us-iso", 0) == 0) continue;
        if (ds && std::string(region).rfind("eu-isoe", 0) == 0) continue;
        if (ds && std::string(region).rfind("eusc", 0) == 0) continue;
        auto host = registry_host("000011112222", region, fips, ds);
        CAPTURE(host);
        auto h = parse_registry_host(host);
        REQUIRE(h);
        CHECK(h->account == "000011112222");
        CHECK(h->region == region);
        CHECK(h->fips == fips);
        CHECK(h->dualstack == ds);
      }
}

TEST_CASE("ecr registry host: ECR Public") {
  for (const char *h :
       {"public.ecr.aws", "PUBLIC.ECR.AWS", "public.ecr.aws:443", "ecr-public.aws.com"})
    CHECK(is_public_registry_host(h));
  for (const char *h : {"", "ecr.aws", "public.ecr.aws.evil.com", "xpublic.ecr.aws",
                        "123456789012.dkr.ecr.us-east-1.amazonaws.com"})
    CHECK_FALSE(is_public_registry_host(h));
  CHECK_FALSE(parse_registry_host("public.ecr.aws"));
}

TEST_CASE("ecr host: a port is digits, nothing else") {
  CHECK(parse_registry_host("123456789012.dkr.ecr.us-east-1.amazonaws.com:443"));
  for (const char *h : {"123456789012.dkr.ecr.us-east-1.amazonaws.com:x@evil.com",
                        "123456789012.dkr.ecr.us-east-1.amazonaws.com:443@evil.com",
                        "123456789012.dkr.ecr.us-east-1.amazonaws.com:",
                        "123456789012.dkr.ecr.us-east-1.amazonaws.com:443/x",
                        "123456789012.dkr.ecr.us-east-1.amazonaws.com:4430000"}) {
    CAPTURE(h);
    CHECK_FALSE(parse_registry_host(h));
  }
  CHECK_FALSE(is_public_registry_host("public.ecr.aws:x@evil.com"));
}

TEST_CASE("ecr host: a credential helper's server URL names exactly a registry host") {
  const std::string host = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
  for (const std::string &url :
       {host, host + "/", "https://" + host, "https://" + host + "/", "HTTPS://" + host + "/v2/",
        "https://" + host + "/v1/", host + ":443"}) {
    CAPTURE(url);
    auto h = server_url_registry_host(url);
    REQUIRE(h);
    CHECK(h->rfind(host, 0) == 0);
  }
  CHECK(server_url_registry_host("https://public.ecr.aws") == "public.ecr.aws");
  CHECK(server_url_registry_host("123456789012.DKR.ECR.us-east-1.amazonaws.com") == host);
  for (const std::string &url : {
           host + ":x@evil.com",
           "https://" + host + "@evil.com/",
           "https://user:pass@" + host,
           "user@" + host,
           "evil.com/" + host,
           "https://evil.com/" + host,
           host + ".evil.com",
           "https://" + host + ".evil.com/",
           "http://" + host,
           "ftp://" + host,
           "https://" + host + "/other",
           "https://" + host + "?x=1",
           "https://" + host + "#@evil.com",
           "https://evil.com\\@" + host,
           "https://" + host + "\\@evil.com",
           std::string("public.ecr.aws:x@evil.com"),
           std::string(),
       }) {
    CAPTURE(url);
    CHECK_FALSE(server_url_registry_host(url));
  }
}
