#include "registry/ecr_keychain.hpp"

#include "aws/aws_client.hpp"
#include "ecr/ecr_client.hpp"
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

void EcrKeychain::invalidate(const std::string &registry) const {
  if (!ecr::parse_registry_host(registry)) return;
  try {
    cache_.invalidate(cache_key(registry));
  } catch (const Error &) {
    // Nothing cached for an identity we cannot resolve.
  }
}

} // namespace berth::registry
