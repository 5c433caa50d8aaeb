#include "aws/endpoints.hpp"

#include <berth/error.hpp>

#include <algorithm>
#include <cctype>

namespace berth::aws {
namespace {

bool starts_with(const std::string &s, const char *p) {
  return s.rfind(p, 0) == 0;
}

bool env_true(const EnvFn &env, const char *name) {
  auto v = env(name);
  if (!v) return false;
  std::string s = *v;
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s == "true" || s == "1";
}

// The SDKs' AWS_ENDPOINT_URL_<SERVICE> suffix: the service id upper-cased, '-' and
// ' ' as '_' ("ecr-public" -> ECR_PUBLIC).
std::string env_suffix(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
    return c == '-' || c == ' ' ? '_' : static_cast<char>(std::toupper(c));
  });
  return s;
}

} // namespace

Partition partition_for_region(const std::string &region) {
  if (starts_with(region, "cn-"))
    return {"aws-cn", "amazonaws.com.cn", "api.amazonwebservices.com.cn"};
  if (starts_with(region, "us-gov-")) return {"aws-us-gov", "amazonaws.com", "api.aws"};
  if (starts_with(region, "us-isob-")) return {"aws-iso-b", "sc2s.sgov.gov", "api.aws.scloud"};
  if (starts_with(region, "us-isof-")) return {"aws-iso-f", "csp.hci.ic.gov", "api.aws.hci.ic.gov"};
  if (starts_with(region, "us-iso-")) return {"aws-iso", "c2s.ic.gov", "api.aws.ic.gov"};
  if (starts_with(region, "eu-isoe-"))
    return {"aws-iso-e", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk"};
  if (starts_with(region, "eusc-")) return {"aws-eusc", "amazonaws.eu", "api.amazonwebservices.eu"};
  return {"aws", "amazonaws.com", "api.aws"};
}

std::string resolve_endpoint(const std::string &service, const std::string &region,
                             EndpointFlags flags, const EnvFn &env) {
  // The SDKs' service-specific override wins over the global one.
  if (auto v = env("AWS_ENDPOINT_URL_" + env_suffix(service)); v && !v->empty()) return *v;
  if (auto v = env("AWS_ENDPOINT_URL"); v && !v->empty()) return *v;
  if (region.empty())
    throw Error(Errc::config, service + ": no region (set AWS_REGION or a profile region)");
  for (unsigned char c : region)
    if (!std::isalnum(c) && c != '-')
      throw Error(Errc::config, service + ": invalid region '" + region + "'");
  flags.fips = flags.fips || env_true(env, "AWS_USE_FIPS_ENDPOINT");
  flags.dualstack = flags.dualstack || env_true(env, "AWS_USE_DUALSTACK_ENDPOINT");
  auto p = partition_for_region(region);
  std::string suffix = flags.dualstack ? p.dualstack_suffix : p.dns_suffix;
  if (service == "ecr") {
    // api.ecr / api.ecr-fips on the plain suffix; ecr / ecr-fips on dual-stack.
    std::string prefix = flags.dualstack ? "ecr" : "api.ecr";
    if (flags.fips) prefix += "-fips";
    return "https://" + prefix + "." + region + "." + suffix;
  }
  if (service == "ecr-public") {
    // api.ecr-public.<region>.amazonaws.com; ecr-public.<region>.api.aws dual-stack.
    return "https://" + std::string(flags.dualstack ? "" : "api.") + "ecr-public." + region + "." +
           suffix;
  }
  if (service == "sts") {
    // GovCloud's regular STS endpoints are FIPS endpoints already; there is no
    // sts-fips host there (botocore's rule set answers sts.<region>.amazonaws.com).
    bool fips_host = flags.fips && !(p.name == "aws-us-gov" && !flags.dualstack);
    return "https://" + std::string(fips_host ? "sts-fips" : "sts") + "." + region + "." + suffix;
  }
  return "https://" + service + (flags.fips ? "-fips" : "") + "." + region + "." + suffix;
}

} // namespace berth::aws
