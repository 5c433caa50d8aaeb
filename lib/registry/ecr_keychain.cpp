#include "registry/ecr_keychain.hpp"

#include "aws/aws_client.hpp"
#include "ecr/ecr_client.hpp"
#include "ecr/ecr_public_client.hpp"
#include "ecr/registry_host.hpp"

#include <berth/error.hpp>

namespace berth::registry {

EcrKeychain::EcrKeychain(EcrKeychainOptions options) : options_(std::move(options)) {}

std::string EcrKeychain::cache_key(const std::string &registry) const {
  // Tokens belong to a registry and to the identity that asked for them.
  std::lock_guard g(mutex_);
  if (!credentials_)
    credentials_ = options_.credentials ? options_.credentials : aws::default_chain(options_.chain);
  return registry + "|" + credentials_->resolve().credentials.access_key_id;
}

AuthConfig EcrKeychain::resolve(const std::string &registry) const {
  if (ecr::is_public_registry_host(registry)) return resolve_public(registry);
  auto host = ecr::parse_registry_host(registry);
  if (!host) return {};
  std::string key;
  try {
    key = cache_key(registry);
  } catch (const Error &e) {
    // No AWS credentials anywhere: let the docker keychain try (a `docker login`).
    if (e.code() == Errc::auth && std::string(e.what()).rfind("no AWS credentials found", 0) == 0)
      return {};
    throw;
  }
  auto token = cache_.get(key, [&] {
    auto ctx = options_.chain.context;
    ecr::EcrClient client(aws::aws_http_client(ctx), credentials_, host->region,
                          options_.api_endpoint, ctx.env);
    return client.get_authorization_token(host->account);
  });
  AuthConfig a;
  a.username = token.username;
  a.password = token.password;
  return a;
}

// ECR Public serves anyone anonymously (with lower rate limits); a token is worth
// having, not needing: without AWS credentials, or with ones that may not get a
// token (no ecr-public:GetAuthorizationToken or sts:GetServiceBearerToken — common
// for CI roles that only push to a private registry), pulls go anonymous, as
// docker's do when the credential helper fails. A push then meets the registry's
// own refusal.
AuthConfig EcrKeychain::resolve_public(const std::string &registry) const {
  std::string key;
  try {
    key = "public|" + cache_key(registry);
  } catch (const Error &e) {
    if (e.code() == Errc::auth || e.code() == Errc::config) return {};
    throw;
  }
  try {
    auto token = cache_.get(key, [&] {
      auto ctx = options_.chain.context;
      ecr::EcrPublicClient client(aws::aws_http_client(ctx), credentials_, {}, ctx.env);
      return client.get_authorization_token();
    });
    AuthConfig a;
    a.username = token.username;
    a.password = token.password;
    return a;
  } catch (const Error &e) {
    if (e.code() == Errc::auth || e.code() == Errc::denied) return {};
    throw;
  }
}

void EcrKeychain::invalidate(const std::string &registry) const {
  if (ecr::is_public_registry_host(registry)) {
    try {
      cache_.invalidate("public|" + cache_key(registry));
    } catch (const Error &) {
      // Nothing cached for an identity we cannot resolve.
    }
    return;
  }
  if (!ecr::parse_registry_host(registry)) return;
  try {
    cache_.invalidate(cache_key(registry));
  } catch (const Error &) {
    // Nothing cached for an identity we cannot resolve.
  }
}

} // namespace berth::registry
