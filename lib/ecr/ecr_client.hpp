// The ECR control plane (AWS JSON 1.1, X-Amz-Target AmazonEC2ContainerRegistry_V20150921.<Op>).
// call() reaches every operation with a JSON body; the typed helpers cover what
// berth's own operations use. Pagination follows nextToken.
#pragma once

#include <berth/aws_credentials.hpp>

#include "core/json.hpp"
#include "http/client.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace berth::ecr {

struct AuthorizationToken {
  std::string username; // "AWS"
  std::string password;
  std::chrono::system_clock::time_point expires_at;
  std::string proxy_endpoint; // "https://<account>.dkr.ecr.<region>.amazonaws.com"
};

struct RepositoryInfo {
  std::string name, arn, uri, registry_id, tag_mutability, encryption_type, kms_key;
  // The WILDCARD filters of IMMUTABLE_WITH_EXCLUSION / MUTABLE_WITH_EXCLUSION.
  std::vector<std::string> mutability_exclusions;
  bool scan_on_push = false;
  bool immutable() const { return tag_mutability.rfind("IMMUTABLE", 0) == 0; }
};

struct CreateRepositoryParams {
  std::string name;
  bool scan_on_push = false;
  bool immutable = false;
  // Tags matching these WILDCARD filters stay mutable in an immutable repository
  // (IMMUTABLE_WITH_EXCLUSION).
  std::vector<std::string> mutability_exclusions;
  std::string encryption_type; // "" | "AES256" | "KMS"
  std::string kms_key;
};

class EcrClient {
public:
  // endpoint "" = resolved for the region (AWS_ENDPOINT_URL_ECR, FIPS, China, ...).
  EcrClient(std::shared_ptr<http::Client> http, aws::ProviderPtr credentials, std::string region,
            std::string endpoint = {}, aws::EnvFn env = aws::system_env());

  const std::string &region() const { return region_; }
  const std::string &endpoint() const { return endpoint_; }

  // Any operation: body is a JSON object, the reply body is returned as JSON text.
  std::string call(const std::string &operation, const std::string &body_json);
  // Calls an operation repeatedly with nextToken, handing each page's items (the
  // array named items_key) to fn.
  void paginate(const std::string &operation, const std::string &body_json, const char *items_key,
                const std::function<void(const core::json::Value &)> &fn);

  AuthorizationToken get_authorization_token(const std::string &registry_id = {});
  std::vector<RepositoryInfo> describe_repositories(const std::vector<std::string> &names = {});
  RepositoryInfo create_repository(const CreateRepositoryParams &params);
  // PutImageTagMutability: IMMUTABLE or MUTABLE, with exclusion filters the
  // _WITH_EXCLUSION variant.
  void put_tag_mutability(const std::string &repository, bool immutable,
                          const std::vector<std::string> &exclusions);
  void put_scan_on_push(const std::string &repository, bool scan_on_push);

private:
  std::shared_ptr<http::Client> http_;
  aws::ProviderPtr credentials_;
  std::string region_, endpoint_;
};

} // namespace berth::ecr
