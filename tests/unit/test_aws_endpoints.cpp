// Service endpoints against botocore's endpoint rule sets, and the SDKs' environment
// overrides.
#include <doctest/doctest.h>

#include "aws/endpoints.hpp"

#include <berth/error.hpp>

#include <map>
#include <string>

using berth::Errc;
using berth::Error;
using namespace berth::aws;

namespace {

EnvFn env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string &k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

struct Expected {
  const char *service, *region;
  bool fips, dualstack;
  const char *url;
};

// Generated with botocore 1.43.11's own resolver (botocore.endpoint_provider.EndpointProvider
// over data/<service>/*/endpoint-rule-set-1.json and partitions.json; STS with
// UseGlobalEndpoint=false, i.e. regional endpoints):
//   for each service, region, UseFIPS, UseDualStack: provider.resolve_endpoint(...).url
const Expected kBotocore[] = {
    {"ecr", "us-east-1", false, false, "https://api.ecr.us-east-1.amazonaws.com"},
    {"ecr", "us-east-1", false, true, "https://ecr.us-east-1.api.aws"},
    {"ecr", "us-east-1", true, false, "https://api.ecr-fips.us-east-1.amazonaws.com"},
    {"ecr", "us-east-1", true, true, "https://ecr-fips.us-east-1.api.aws"},
    {"ecr", "us-west-2", false, false, "https://api.ecr.us-west-2.amazonaws.com"},
    {"ecr", "us-west-2", false, true, "https://ecr.us-west-2.api.aws"},
    {"ecr", "us-west-2", true, false, "https://api.ecr-fips.us-west-2.amazonaws.com"},
    {"ecr", "us-west-2", true, true, "https://ecr-fips.us-west-2.api.aws"},
    {"ecr", "eu-central-1", false, false, "https://api.ecr.eu-central-1.amazonaws.com"},
    {"ecr", "eu-central-1", false, true, "https://ecr.eu-central-1.api.aws"},
    {"ecr", "eu-central-1", true, false, "https://api.ecr-fips.eu-central-1.amazonaws.com"},
    {"ecr", "eu-central-1", true, true, "https://ecr-fips.eu-central-1.api.aws"},
    {"ecr", "ap-southeast-2", false, false, "https://api.ecr.ap-southeast-2.amazonaws.com"},
    {"ecr", "ap-southeast-2", false, true, "https://ecr.ap-southeast-2.api.aws"},
    {"ecr", "ap-southeast-2", true, false, "https://api.ecr-fips.ap-southeast-2.amazonaws.com"},
    {"ecr", "ap-southeast-2", true, true, "https://ecr-fips.ap-southeast-2.api.aws"},
    {"ecr", "sa-east-1", false, false, "https://api.ecr.sa-east-1.amazonaws.com"},
    {"ecr", "sa-east-1", false, true, "https://ecr.sa-east-1.api.aws"},
    {"ecr", "sa-east-1", true, false, "https://api.ecr-fips.sa-east-1.amazonaws.com"},
    {"ecr", "sa-east-1", true, true, "https://ecr-fips.sa-east-1.api.aws"},
    {"ecr", "ca-west-1", false, false, "https://api.ecr.ca-west-1.amazonaws.com"},
    {"ecr", "ca-west-1", false, true, "https://ecr.ca-west-1.api.aws"},
    {"ecr", "ca-west-1", true, false, "https://api.ecr-fips.ca-west-1.amazonaws.com"},
    {"ecr", "ca-west-1", true, true, "https://ecr-fips.ca-west-1.api.aws"},
    {"ecr", "il-central-1", false, false, "https://api.ecr.il-central-1.amazonaws.com"},
    {"ecr", "il-central-1", false, true, "https://ecr.il-central-1.api.aws"},
    {"ecr", "il-central-1", true, false, "https://api.ecr-fips.il-central-1.amazonaws.com"},
    {"ecr", "il-central-1", true, true, "https://ecr-fips.il-central-1.api.aws"},
    {"ecr", "mx-central-1", false, false, "https://api.ecr.mx-central-1.amazonaws.com"},
    {"ecr", "mx-central-1", false, true, "https://ecr.mx-central-1.api.aws"},
    {"ecr", "mx-central-1", true, false, "https://api.ecr-fips.mx-central-1.amazonaws.com"},
    {"ecr", "mx-central-1", true, true, "https://ecr-fips.mx-central-1.api.aws"},
    {"ecr", "cn-north-1", false, false, "https://api.ecr.cn-north-1.amazonaws.com.cn"},
    {"ecr", "cn-north-1", false, true, "https://ecr.cn-north-1.api.amazonwebservices.com.cn"},
    {"ecr", "cn-north-1", true, false, "https://api.ecr-fips.cn-north-1.amazonaws.com.cn"},
    {"ecr", "cn-north-1", true, true, "https://ecr-fips.cn-north-1.api.amazonwebservices.com.cn"},
    {"ecr", "cn-northwest-1", false, false, "https://api.ecr.cn-northwest-1.amazonaws.com.cn"},
    {"ecr", "cn-northwest-1", false, true,
     "https://ecr.cn-northwest-1.api.amazonwebservices.com.cn"},
    {"ecr", "cn-northwest-1", true, false, "https://api.ecr-fips.cn-northwest-1.amazonaws.com.cn"},
    {"ecr", "cn-northwest-1", true, true,
     "https://ecr-fips.cn-northwest-1.api.amazonwebservices.com.cn"},
    {"ecr", "us-gov-west-1", false, false, "https://api.ecr.us-gov-west-1.amazonaws.com"},
    {"ecr", "us-gov-west-1", false, true, "https://ecr.us-gov-west-1.api.aws"},
    {"ecr", "us-gov-west-1", true, false, "https://api.ecr-fips.us-gov-west-1.amazonaws.com"},
    {"ecr", "us-gov-west-1", true, true, "https://ecr-fips.us-gov-west-1.api.aws"},
    {"ecr", "us-gov-east-1", false, false, "https://api.ecr.us-gov-east-1.amazonaws.com"},
    {"ecr", "us-gov-east-1", false, true, "https://ecr.us-gov-east-1.api.aws"},
    {"ecr", "us-gov-east-1", true, false, "https://api.ecr-fips.us-gov-east-1.amazonaws.com"},
    {"ecr", "us-gov-east-1", true, true, "https://ecr-fips.us-gov-east-1.api.aws"},
    {"ecr", "us-iso-east-1", false, false, "https://api.ecr.us-iso-east-1.c2s.ic.gov"},
    {"ecr", "us-iso-east-1", false, true, "https://ecr.us-iso-east-1.api.aws.ic.gov"},
    {"ecr", "us-iso-east-1", true, false, "https://api.ecr-fips.us-iso-east-1.c2s.ic.gov"},
    {"ecr", "us-iso-east-1", true, true, "https://ecr-fips.us-iso-east-1.api.aws.ic.gov"},
    {"ecr", "us-isob-east-1", false, false, "https://api.ecr.us-isob-east-1.sc2s.sgov.gov"},
    {"ecr", "us-isob-east-1", false, true, "https://ecr.us-isob-east-1.api.aws.scloud"},
    {"ecr", "us-isob-east-1", true, false, "https://api.ecr-fips.us-isob-east-1.sc2s.sgov.gov"},
    {"ecr", "us-isob-east-1", true, true, "https://ecr-fips.us-isob-east-1.api.aws.scloud"},
    {"ecr", "eu-isoe-west-1", false, false, "https://api.ecr.eu-isoe-west-1.cloud.adc-e.uk"},
    {"ecr", "eu-isoe-west-1", false, true, "https://ecr.eu-isoe-west-1.api.cloud-aws.adc-e.uk"},
    {"ecr", "eu-isoe-west-1", true, false, "https://api.ecr-fips.eu-isoe-west-1.cloud.adc-e.uk"},
    {"ecr", "eu-isoe-west-1", true, true, "https://ecr-fips.eu-isoe-west-1.api.cloud-aws.adc-e.uk"},
    {"ecr", "us-isof-south-1", false, false, "https://api.ecr.us-isof-south-1.csp.hci.ic.gov"},
    {"ecr", "us-isof-south-1", false, true, "https://ecr.us-isof-south-1.api.aws.hci.ic.gov"},
    {"ecr", "us-isof-south-1", true, false, "https://api.ecr-fips.us-isof-south-1.csp.hci.ic.gov"},
    {"ecr", "us-isof-south-1", true, true, "https://ecr-fips.us-isof-south-1.api.aws.hci.ic.gov"},
    {"ecr", "eusc-de-east-1", false, false, "https://api.ecr.eusc-de-east-1.amazonaws.eu"},
    {"ecr", "eusc-de-east-1", false, true, "https://ecr.eusc-de-east-1.api.amazonwebservices.eu"},
    {"ecr", "eusc-de-east-1", true, false, "https://api.ecr-fips.eusc-de-east-1.amazonaws.eu"},
    {"ecr", "eusc-de-east-1", true, true,
     "https://ecr-fips.eusc-de-east-1.api.amazonwebservices.eu"},
    {"sts", "us-east-1", false, false, "https://sts.us-east-1.amazonaws.com"},
    {"sts", "us-east-1", false, true, "https://sts.us-east-1.api.aws"},
    {"sts", "us-east-1", true, false, "https://sts-fips.us-east-1.amazonaws.com"},
    {"sts", "us-east-1", true, true, "https://sts-fips.us-east-1.api.aws"},
    {"sts", "us-west-2", false, false, "https://sts.us-west-2.amazonaws.com"},
    {"sts", "us-west-2", false, true, "https://sts.us-west-2.api.aws"},
    {"sts", "us-west-2", true, false, "https://sts-fips.us-west-2.amazonaws.com"},
    {"sts", "us-west-2", true, true, "https://sts-fips.us-west-2.api.aws"},
    {"sts", "eu-central-1", false, false, "https://sts.eu-central-1.amazonaws.com"},
    {"sts", "eu-central-1", false, true, "https://sts.eu-central-1.api.aws"},
    {"sts", "eu-central-1", true, false, "https://sts-fips.eu-central-1.amazonaws.com"},
    {"sts", "eu-central-1", true, true, "https://sts-fips.eu-central-1.api.aws"},
    {"sts", "ap-southeast-2", false, false, "https://sts.ap-southeast-2.amazonaws.com"},
    {"sts", "ap-southeast-2", false, true, "https://sts.ap-southeast-2.api.aws"},
    {"sts", "ap-southeast-2", true, false, "https://sts-fips.ap-southeast-2.amazonaws.com"},
    {"sts", "ap-southeast-2", true, true, "https://sts-fips.ap-southeast-2.api.aws"},
    {"sts", "sa-east-1", false, false, "https://sts.sa-east-1.amazonaws.com"},
    {"sts", "sa-east-1", false, true, "https://sts.sa-east-1.api.aws"},
    {"sts", "sa-east-1", true, false, "https://sts-fips.sa-east-1.amazonaws.com"},
    {"sts", "sa-east-1", true, true, "https://sts-fips.sa-east-1.api.aws"},
    {"sts", "ca-west-1", false, false, "https://sts.ca-west-1.amazonaws.com"},
    {"sts", "ca-west-1", false, true, "https://sts.ca-west-1.api.aws"},
    {"sts", "ca-west-1", true, false, "https://sts-fips.ca-west-1.amazonaws.com"},
    {"sts", "ca-west-1", true, true, "https://sts-fips.ca-west-1.api.aws"},
    {"sts", "il-central-1", false, false, "https://sts.il-central-1.amazonaws.com"},
    {"sts", "il-central-1", false, true, "https://sts.il-central-1.api.aws"},
    {"sts", "il-central-1", true, false, "https://sts-fips.il-central-1.amazonaws.com"},
    {"sts", "il-central-1", true, true, "https://sts-fips.il-central-1.api.aws"},
    {"sts", "mx-central-1", false, false, "https://sts.mx-central-1.amazonaws.com"},
    {"sts", "mx-central-1", false, true, "https://sts.mx-central-1.api.aws"},
    {"sts", "mx-central-1", true, false, "https://sts-fips.mx-central-1.amazonaws.com"},
    {"sts", "mx-central-1", true, true, "https://sts-fips.mx-central-1.api.aws"},
    {"sts", "cn-north-1", false, false, "https://sts.cn-north-1.amazonaws.com.cn"},
    {"sts", "cn-north-1", false, true, "https://sts.cn-north-1.api.amazonwebservices.com.cn"},
    {"sts", "cn-north-1", true, false, "https://sts-fips.cn-north-1.amazonaws.com.cn"},
    {"sts", "cn-north-1", true, true, "https://sts-fips.cn-north-1.api.amazonwebservices.com.cn"},
    {"sts", "cn-northwest-1", false, false, "https://sts.cn-northwest-1.amazonaws.com.cn"},
    {"sts", "cn-northwest-1", false, true,
     "https://sts.cn-northwest-1.api.amazonwebservices.com.cn"},
    {"sts", "cn-northwest-1", true, false, "https://sts-fips.cn-northwest-1.amazonaws.com.cn"},
    {"sts", "cn-northwest-1", true, true,
     "https://sts-fips.cn-northwest-1.api.amazonwebservices.com.cn"},
    {"sts", "us-gov-west-1", false, false, "https://sts.us-gov-west-1.amazonaws.com"},
    {"sts", "us-gov-west-1", false, true, "https://sts.us-gov-west-1.api.aws"},
    {"sts", "us-gov-west-1", true, false, "https://sts.us-gov-west-1.amazonaws.com"},
    {"sts", "us-gov-west-1", true, true, "https://sts-fips.us-gov-west-1.api.aws"},
    {"sts", "us-gov-east-1", false, false, "https://sts.us-gov-east-1.amazonaws.com"},
    {"sts", "us-gov-east-1", false, true, "https://sts.us-gov-east-1.api.aws"},
    {"sts", "us-gov-east-1", true, false, "https://sts.us-gov-east-1.amazonaws.com"},
    {"sts", "us-gov-east-1", true, true, "https://sts-fips.us-gov-east-1.api.aws"},
    {"sts", "us-iso-east-1", false, false, "https://sts.us-iso-east-1.c2s.ic.gov"},
    {"sts", "us-iso-east-1", false, true, "https://sts.us-iso-east-1.api.aws.ic.gov"},
    {"sts", "us-iso-east-1", true, false, "https://sts-fips.us-iso-east-1.c2s.ic.gov"},
    {"sts", "us-iso-east-1", true, true, "https://sts-fips.us-iso-east-1.api.aws.ic.gov"},
    {"sts", "us-isob-east-1", false, false, "https://sts.us-isob-east-1.sc2s.sgov.gov"},
    {"sts", "us-isob-east-1", false, true, "https://sts.us-isob-east-1.api.aws.scloud"},
    {"sts", "us-isob-east-1", true, false, "https://sts-fips.us-isob-east-1.sc2s.sgov.gov"},
    {"sts", "us-isob-east-1", true, true, "https://sts-fips.us-isob-east-1.api.aws.scloud"},
    {"sts", "eu-isoe-west-1", false, false, "https://sts.eu-isoe-west-1.cloud.adc-e.uk"},
    {"sts", "eu-isoe-west-1", false, true, "https://sts.eu-isoe-west-1.api.cloud-aws.adc-e.uk"},
    {"sts", "eu-isoe-west-1", true, false, "https://sts-fips.eu-isoe-west-1.cloud.adc-e.uk"},
    {"sts", "eu-isoe-west-1", true, true, "https://sts-fips.eu-isoe-west-1.api.cloud-aws.adc-e.uk"},
    {"sts", "us-isof-south-1", false, false, "https://sts.us-isof-south-1.csp.hci.ic.gov"},
    {"sts", "us-isof-south-1", false, true, "https://sts.us-isof-south-1.api.aws.hci.ic.gov"},
    {"sts", "us-isof-south-1", true, false, "https://sts-fips.us-isof-south-1.csp.hci.ic.gov"},
    {"sts", "us-isof-south-1", true, true, "https://sts-fips.us-isof-south-1.api.aws.hci.ic.gov"},
    {"sts", "eusc-de-east-1", false, false, "https://sts.eusc-de-east-1.amazonaws.eu"},
    {"sts", "eusc-de-east-1", false, true, "https://sts.eusc-de-east-1.api.amazonwebservices.eu"},
    {"sts", "eusc-de-east-1", true, false, "https://sts-fips.eusc-de-east-1.amazonaws.eu"},
    {"sts", "eusc-de-east-1", true, true,
     "https://sts-fips.eusc-de-east-1.api.amazonwebservices.eu"},
};

} // namespace

TEST_CASE("aws endpoints: every region and variant as botocore resolves it") {
  auto env = env_of({});
  for (const auto &e : kBotocore) {
    std::string service = e.service, region = e.region;
    CAPTURE(service);
    CAPTURE(region);
    CAPTURE(e.fips);
    CAPTURE(e.dualstack);
    EndpointFlags f;
    f.fips = e.fips;
    f.dualstack = e.dualstack;
    CHECK(resolve_endpoint(e.service, e.region, f, env) == e.url);
  }
}

TEST_CASE("aws endpoints: partitions") {
  CHECK(partition_for_region("us-east-1").name == "aws");
  CHECK(partition_for_region("eu-west-3").dns_suffix == "amazonaws.com");
  CHECK(partition_for_region("cn-north-1").name == "aws-cn");
  CHECK(partition_for_region("cn-north-1").dns_suffix == "amazonaws.com.cn");
  CHECK(partition_for_region("us-gov-west-1").name == "aws-us-gov");
  CHECK(partition_for_region("us-iso-east-1").name == "aws-iso");
  CHECK(partition_for_region("us-isob-east-1").name == "aws-iso-b");
  CHECK(partition_for_region("us-isof-south-1").name == "aws-iso-f");
  CHECK(partition_for_region("eu-isoe-west-1").name == "aws-iso-e");
  CHECK(partition_for_region("eusc-de-east-1").name == "aws-eusc");
  // Regions the table does not know yet belong to the aws partition (botocore's default).
  CHECK(partition_for_region("xx-future-9").name == "aws");
}

TEST_CASE("aws endpoints: environment flags and overrides") {
  SUBCASE("AWS_USE_FIPS_ENDPOINT / AWS_USE_DUALSTACK_ENDPOINT") {
    CHECK(resolve_endpoint("ecr", "us-west-2", {}, env_of({{"AWS_USE_FIPS_ENDPOINT", "true"}})) ==
          "https://api.ecr-fips.us-west-2.amazonaws.com");
    CHECK(resolve_endpoint("ecr", "us-west-2", {},
                           env_of({{"AWS_USE_DUALSTACK_ENDPOINT", "TRUE"}})) ==
          "https://ecr.us-west-2.api.aws");
    CHECK(resolve_endpoint("sts", "us-west-2", {},
                           env_of({{"AWS_USE_FIPS_ENDPOINT", "true"},
                                   {"AWS_USE_DUALSTACK_ENDPOINT", "true"}})) ==
          "https://sts-fips.us-west-2.api.aws");
    CHECK(resolve_endpoint("ecr", "us-west-2", {}, env_of({{"AWS_USE_FIPS_ENDPOINT", "false"}})) ==
          "https://api.ecr.us-west-2.amazonaws.com");
  }
  SUBCASE("AWS_ENDPOINT_URL_<SERVICE> wins over AWS_ENDPOINT_URL, which wins over the region") {
    auto env = env_of({{"AWS_ENDPOINT_URL", "http://127.0.0.1:1"},
                       {"AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:2"}});
    CHECK(resolve_endpoint("ecr", "us-east-1", {}, env) == "http://127.0.0.1:2");
    CHECK(resolve_endpoint("sts", "us-east-1", {}, env) == "http://127.0.0.1:1");
    // An override needs no region and beats FIPS.
    CHECK(resolve_endpoint("sts", "", EndpointFlags{true, true}, env) == "http://127.0.0.1:1");
    auto sts_only = env_of({{"AWS_ENDPOINT_URL_STS", "https://sts.example"}});
    CHECK(resolve_endpoint("sts", "us-east-1", {}, sts_only) == "https://sts.example");
    CHECK(resolve_endpoint("ecr", "us-east-1", {}, sts_only) ==
          "https://api.ecr.us-east-1.amazonaws.com");
    // Empty variables are unset.
    CHECK(resolve_endpoint("ecr", "us-east-1", {},
                           env_of({{"AWS_ENDPOINT_URL_ECR", ""}, {"AWS_ENDPOINT_URL", ""}})) ==
          "https://api.ecr.us-east-1.amazonaws.com");
  }
  SUBCASE("ecr-public: us-east-1 (dual-stack on api.aws), AWS_ENDPOINT_URL_ECR_PUBLIC") {
    CHECK(resolve_endpoint("ecr-public", "us-east-1", {}, env_of({})) ==
          "https://api.ecr-public.us-east-1.amazonaws.com");
    CHECK(resolve_endpoint("ecr-public", "us-east-1", EndpointFlags{false, true}, env_of({})) ==
          "https://ecr-public.us-east-1.api.aws");
    auto env = env_of({{"AWS_ENDPOINT_URL_ECR_PUBLIC", "http://127.0.0.1:3"},
                       {"AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:2"}});
    CHECK(resolve_endpoint("ecr-public", "us-east-1", {}, env) == "http://127.0.0.1:3");
    CHECK(resolve_endpoint("ecr", "us-east-1", {}, env) == "http://127.0.0.1:2");
  }
  SUBCASE("no or a malformed region is a configuration error") {
    for (const char *bad : {"", "us-east-1.evil.com", "us east 1", "us-east-1/x", "a@b"}) {
      CAPTURE(bad);
      try {
        resolve_endpoint("ecr", bad, {}, env_of({}));
        FAIL("no error");
      } catch (const Error &e) {
        CHECK(e.code() == Errc::config);
      }
    }
  }
}
