// Credentials for ECR registries, from the AWS credential chain: the keychain
// recognises ECR hosts from their name, calls GetAuthorizationToken in the host's
// region and answers with "AWS:<password>" Basic credentials — what
// amazon-ecr-credential-helper does, inside the library. ECR Public (public.ecr.aws)
// gets its token from the ecr-public API, and goes anonymous without one.
#pragma once

#include <berth/aws_credentials.hpp>

#include "ecr/token_cache.hpp"
#include "registry/keychain.hpp"

#include <map>
#include <memory>
#include <mutex>

namespace berth::registry {

struct EcrKeychainOptions {
  aws::ChainOptions chain;      // how to find AWS credentials
  aws::ProviderPtr credentials; // overrides chain when set
  std::string api_endpoint;     // "" = AWS_ENDPOINT_URL_ECR / regional endpoint
};

class EcrKeychain final : public Keychain {
public:
  explicit EcrKeychain(EcrKeychainOptions options = {});
  // Anonymous for hosts that are not ECR, and for ECR hosts when no AWS
  // credentials are configured at all (so another keychain may answer).
  AuthConfig resolve(const std::string &registry) const override;
  void invalidate(const std::string &registry) const override;

private:
  std::string cache_key(const std::string &registry) const;
  AuthConfig resolve_public(const std::string &registry) const;

  EcrKeychainOptions options_;
  mutable std::mutex mutex_;
  mutable aws::ProviderPtr credentials_;
  mutable ecr::TokenCache cache_;
};

} // namespace berth::registry
