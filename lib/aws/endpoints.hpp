// Service endpoints, following botocore's endpoint rule sets for ECR and STS:
// partitions by region (aws, aws-cn, aws-us-gov, ISO), FIPS and dual-stack
// variants, and the SDKs' AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL overrides.
#pragma once

#include <berth/aws_credentials.hpp>

#include <string>

namespace berth::aws {

struct EndpointFlags {
  bool fips = false;      // also AWS_USE_FIPS_ENDPOINT=true
  bool dualstack = false; // also AWS_USE_DUALSTACK_ENDPOINT=true
};

struct Partition {
  std::string name;             // "aws", "aws-cn", ...
  std::string dns_suffix;       // "amazonaws.com"
  std::string dualstack_suffix; // "api.aws"
};

Partition partition_for_region(const std::string &region);

// service: "ecr", "ecr-public" or "sts". Returns "https://host" (or an override URL as given).
std::string resolve_endpoint(const std::string &service, const std::string &region,
                             EndpointFlags flags, const EnvFn &env);

} // namespace berth::aws
