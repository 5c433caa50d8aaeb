// AWS credential providers, chained in the AWS CLI's order and cached.
//
// Each provider throws berth::Error whose message starts with the provider's name
// ("web identity: AccessDenied: ..."); none ever puts a secret in a message.
#pragma once

#include <berth/sigv4.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace berth::aws {

struct ResolvedCredentials {
  Credentials credentials;
  std::optional<std::chrono::system_clock::time_point> expiration; // nullopt: never expires
  std::string provider;                                            // who supplied them
};

// Environment look-up, injectable for tests.
using EnvFn = std::function<std::optional<std::string>(const std::string &)>;
EnvFn system_env();

class CredentialsProvider {
public:
  virtual ~CredentialsProvider() = default;
  virtual ResolvedCredentials resolve() = 0;
  virtual std::string name() const = 0;
};

using ProviderPtr = std::shared_ptr<CredentialsProvider>;

// Where providers that call AWS (STS, ECS, IMDS) send their requests.
struct ProviderContext {
  EnvFn env = system_env();
  std::string region;        // for STS; "" = from the environment/profile, else us-east-1
  std::string sts_endpoint;  // override; "" = AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL / regional
  std::string imds_endpoint; // override; "" = AWS_EC2_METADATA_SERVICE_ENDPOINT or 169.254.169.254
  std::string ca_bundle;     // "" = AWS_CA_BUNDLE
  std::chrono::milliseconds imds_timeout{1000};
};

struct AssumeRoleParams {
  std::string role_arn;
  std::string session_name; // "" = "berth-<unix time>"
  std::string external_id;
  std::chrono::seconds duration{3600};
};

ProviderPtr static_provider(Credentials creds);
ProviderPtr env_provider(const ProviderContext &ctx = {});
// A named profile of the shared config/credentials files (AWS_PROFILE or "default"
// when profile is ""): static keys, role_arn with source_profile or
// credential_source, web_identity_token_file, credential_process.
ProviderPtr profile_provider(std::string profile, const ProviderContext &ctx = {});
ProviderPtr process_provider(std::string command, const ProviderContext &ctx = {});
// AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME), or explicit.
ProviderPtr web_identity_provider(AssumeRoleParams role, std::string token_file,
                                  const ProviderContext &ctx = {});
// GitHub Actions OIDC: requests a token for audience "sts.amazonaws.com" from
// ACTIONS_ID_TOKEN_REQUEST_URL with ACTIONS_ID_TOKEN_REQUEST_TOKEN, then
// AssumeRoleWithWebIdentity — what aws-actions/configure-aws-credentials does.
ProviderPtr github_oidc_provider(AssumeRoleParams role, const ProviderContext &ctx = {},
                                 std::string audience = "sts.amazonaws.com");
ProviderPtr assume_role_provider(ProviderPtr source, AssumeRoleParams role,
                                 const ProviderContext &ctx = {});
ProviderPtr ecs_provider(const ProviderContext &ctx = {});
ProviderPtr imds_provider(const ProviderContext &ctx = {});
// Tries each in order; the error lists why each one failed.
ProviderPtr chain_provider(std::vector<ProviderPtr> providers);
// Caches, refreshing five minutes before expiry; one refresh in flight; thread-safe.
ProviderPtr caching_provider(ProviderPtr inner,
                             std::chrono::seconds refresh_margin = std::chrono::minutes(5));

struct ChainOptions {
  ProviderContext context;
  std::string profile;   // "" = AWS_PROFILE or "default"
  AssumeRoleParams role; // role_arn set: assume it (GitHub OIDC when available)
};
// The default chain, in the AWS CLI's order: environment, web identity (env), GitHub
// Actions OIDC (when its variables and a role ARN are set), profile, ECS, IMDSv2 —
// wrapped in a cache. With options.role.role_arn set and no web identity, the role
// is assumed on top of whatever the chain found.
ProviderPtr default_chain(const ChainOptions &options = {});

// Region from AWS_REGION, AWS_DEFAULT_REGION, then the profile's region; "" if none.
std::string default_region(const ProviderContext &ctx = {}, const std::string &profile = {});

} // namespace berth::aws
