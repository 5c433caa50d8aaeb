#include "ecr/registry_host.hpp"

#include "aws/endpoints.hpp"

#include <regex>

namespace berth::ecr {

std::optional<EcrHost> parse_registry_host(std::string_view host_in) {
  std::string host(host_in.substr(0, host_in.find(':')));
  for (auto &c : host)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::regex classic(
      R"(^([0-9]{12})\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.(amazonaws\.com|amazonaws\.com\.cn|amazonaws\.eu|c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$)");
  static const std::regex dual(
      R"(^([0-9]{12})\.dkr-ecr(-fips)?\.([a-z0-9-]+)\.on\.(aws|amazonwebservices\.com\.cn)$)");
  std::smatch m;
  if (std::regex_match(host, m, classic)) return EcrHost{m[1], m[3], m[2].matched, false};
  if (std::regex_match(host, m, dual)) return EcrHost{m[1], m[3], m[2].matched, true};
  return std::nullopt;
}

bool is_public_registry_host(std::string_view host_in) {
  std::string host(host_in.substr(0, host_in.find(':')));
  for (auto &c : host)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return host == "public.ecr.aws" || host == "ecr-public.aws.com";
}

std::string registry_host(const std::string &account, const std::string &region, bool fips,
                          bool dualstack) {
  auto p = aws::partition_for_region(region);
  if (dualstack)
    return account + ".dkr-ecr" + (fips ? "-fips" : "") + "." + region + ".on." +
           (p.name == "aws-cn" ? "amazonwebservices.com.cn" : "aws");
  return account + ".dkr.ecr" + (fips ? "-fips" : "") + "." + region + "." + p.dns_suffix;
}

} // namespace berth::ecr
