#include "ecr/registry_host.hpp"

#include "aws/endpoints.hpp"

#include <cctype>
#include <regex>

namespace berth::ecr {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto &c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The host of "host[:port]", lower-cased; nullopt when what follows a ':' is not a
// port number ("…amazonaws.com:x@evil.test" is no ECR host with a port).
std::optional<std::string> host_without_port(std::string_view host_port) {
  auto colon = host_port.find(':');
  if (colon != std::string_view::npos) {
    auto port = host_port.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string_view::npos)
      return std::nullopt;
  }
  return lower(host_port.substr(0, colon));
}

} // namespace

std::optional<EcrHost> parse_registry_host(std::string_view host_in) {
  auto lowered = host_without_port(host_in);
  if (!lowered) return std::nullopt;
  const std::string &host = *lowered;
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
  auto host = host_without_port(host_in);
  return host && (*host == "public.ecr.aws" || *host == "ecr-public.aws.com");
}

std::optional<std::string> server_url_registry_host(std::string_view server_url) {
  std::string_view s = server_url;
  if (lower(s.substr(0, 8)) == "https://") s.remove_prefix(8);
  auto slash = s.find('/');
  auto host = s.substr(0, slash);
  auto path = slash == std::string_view::npos ? std::string_view() : s.substr(slash);
  if (!path.empty() && path != "/" && path != "/v1/" && path != "/v2/" && path != "/v1" &&
      path != "/v2")
    return std::nullopt;
  // Both checks match the whole of host[:port]: no userinfo, no other characters.
  if (!parse_registry_host(host) && !is_public_registry_host(host)) return std::nullopt;
  return lower(host);
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
