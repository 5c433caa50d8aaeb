// ECR registry logins: a token for a registry host (ecr or ecr-public), and its entry
// in docker's config.json.
#include <berth/ecr.hpp>
#include <berth/error.hpp>

#include "aws/aws_client.hpp"
#include "core/base64.hpp"
#include "core/file.hpp"
#include "core/json.hpp"
#include "ecr/ecr_client.hpp"
#include "ecr/ecr_public_client.hpp"
#include "ecr/registry_host.hpp"
#include "ops/ecr/session.hpp"
#include "registry/docker_config.hpp"

#include <cstdlib>
#include <filesystem>

namespace berth {

using ops::context_for;
using ops::region_for;

EcrLogin ecr_login(const AwsOptions &o, const std::string &registry) {
  if (ecr::is_public_registry_host(registry)) {
    // ECR Public: one registry, tokens from the ecr-public API in us-east-1.
    auto ctx = context_for(o);
    ecr::EcrPublicClient client(aws::aws_http_client(ctx), aws_credentials_provider(o),
                                o.ecr_public_endpoint, ctx.env);
    auto t = client.get_authorization_token();
    return {registry, t.username, t.password, t.expires_at};
  }
  std::optional<ecr::EcrHost> host;
  if (!registry.empty()) {
    host = ecr::parse_registry_host(registry);
    if (!host)
      throw Error(Errc::invalid_argument,
                  "'" + registry +
                      "' is not an ECR registry host (<account>.dkr.ecr.<region>.amazonaws.com, "
                      "public.ecr.aws)");
  }
  auto ctx = context_for(o);
  auto region = region_for(o, host);
  ecr::EcrClient client(aws::aws_http_client(ctx), aws_credentials_provider(o), region,
                        o.ecr_endpoint, ctx.env);
  auto t = client.get_authorization_token(host ? host->account : std::string());
  EcrLogin login;
  login.username = t.username;
  login.password = t.password;
  login.expires_at = t.expires_at;
  if (!registry.empty()) {
    login.registry = registry;
  } else {
    // proxyEndpoint is "https://<host>".
    login.registry = t.proxy_endpoint.substr(
        t.proxy_endpoint.find("://") == std::string::npos ? 0 : t.proxy_endpoint.find("://") + 3);
  }
  return login;
}

std::string ecr_docker_login(const AwsOptions &o, const std::string &registry,
                             const std::string &config_path) {
  auto login = ecr_login(o, registry);
  const std::string path = config_path.empty() ? registry::docker_config_file() : config_path;
  registry::write_login(path, login.registry, login.username, login.password);
  return path;
}

} // namespace berth
