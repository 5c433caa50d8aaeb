// ECR registry hosts, recognised from the name alone:
//   <12 digits>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]  (and other partitions)
//   <12 digits>.dkr-ecr[-fips].<region>.on.aws              (dual-stack)
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth::ecr {

struct EcrHost {
  std::string account; // "123456789012"
  std::string region;  // "us-east-1"
  bool fips = false;
  bool dualstack = false;
};

// host may carry a port ("…amazonaws.com:443": digits only); nullopt for non-ECR hosts.
std::optional<EcrHost> parse_registry_host(std::string_view host);

// Amazon ECR Public's registry: public.ecr.aws, or its dual-stack name
// ecr-public.aws.com (a port may follow). Its tokens come from the ecr-public API
// in us-east-1, whatever region the caller is in.
bool is_public_registry_host(std::string_view host);
inline constexpr const char *kPublicRegion = "us-east-1";

// The registry host[:port] (lower-cased) a credential-helper request names, when it is
// exactly an ECR or ECR Public host: "HOST", "https://HOST", either followed by "/",
// "/v1/" or "/v2/". Anything else is nullopt: another scheme, userinfo
// ("HOST:x@evil.test", "https://HOST@evil.test/"), a port that is not a number, any
// other path ("evil.test/HOST"), a longer name ("HOST.evil.test").
std::optional<std::string> server_url_registry_host(std::string_view server_url);

// "<account>.dkr.ecr.<region>.amazonaws.com" for the partition of the region.
std::string registry_host(const std::string &account, const std::string &region, bool fips = false,
                          bool dualstack = false);

} // namespace berth::ecr
