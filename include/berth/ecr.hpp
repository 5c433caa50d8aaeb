// AWS and ECR operations for callers of the library: credentials from the AWS chain,
// STS identity, ECR registry logins and any ECR API call.
#pragma once

#include <berth/aws_credentials.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace berth {

struct AwsOptions {
  std::string region;   // "" = AWS_REGION, AWS_DEFAULT_REGION, profile, registry host
  std::string profile;  // "" = AWS_PROFILE or "default"
  std::string role_arn; // assume this role (web identity / GitHub OIDC when available)
  std::string role_session_name;
  std::string external_id;
  std::chrono::seconds role_duration{3600};
  std::string ecr_endpoint; // "" = AWS_ENDPOINT_URL_ECR / AWS_ENDPOINT_URL / regional
  std::string sts_endpoint; // "" = AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL / regional
  std::string ca_bundle;    // "" = AWS_CA_BUNDLE
};

// The AWS credential chain built from the options (cached provider).
aws::ProviderPtr aws_credentials_provider(const AwsOptions &options);

struct CallerIdentity {
  std::string account, arn, user_id;
};
CallerIdentity aws_caller_identity(const AwsOptions &options);

struct EcrLogin {
  std::string registry; // "<account>.dkr.ecr.<region>.amazonaws.com"
  std::string username; // "AWS"
  std::string password;
  std::chrono::system_clock::time_point expires_at;
};

// GetAuthorizationToken. registry: an ECR host (its account and region are used),
// or "" for the caller's default registry in options.region.
EcrLogin ecr_login(const AwsOptions &options, const std::string &registry = {});

// Writes "auths[registry] = AWS:<password>" into the docker config.json
// ($DOCKER_CONFIG/config.json or ~/.docker/config.json, or config_path), atomically,
// keeping every other entry. Returns the file written.
std::string ecr_docker_login(const AwsOptions &options, const std::string &registry,
                             const std::string &config_path = {});

// Any ECR API operation with a JSON body; returns the JSON reply.
std::string ecr_call(const AwsOptions &options, const std::string &operation,
                     const std::string &json_body);

} // namespace berth
