#include "ecr/ecr_public_client.hpp"

#include "aws/aws_client.hpp"
#include "aws/endpoints.hpp"
#include "ecr/ecr_replies.hpp"
#include "ecr/registry_host.hpp"

#include <berth/error.hpp>

namespace berth::ecr {

EcrPublicClient::EcrPublicClient(std::shared_ptr<http::Client> http, aws::ProviderPtr credentials,
                                 std::string endpoint, aws::EnvFn env)
    : http_(std::move(http)), credentials_(std::move(credentials)),
      endpoint_(endpoint.empty() ? aws::resolve_endpoint("ecr-public", kPublicRegion, {}, env)
                                 : std::move(endpoint)) {}

std::string EcrPublicClient::call(const std::string &operation, const std::string &body_json) {
  return aws::json_rpc(*http_, credentials_.get(), "ecr-public", kPublicRegion, endpoint_,
                       "SpencerFrontendService", operation, body_json);
}

AuthorizationToken EcrPublicClient::get_authorization_token() {
  auto t = parse_public_authorization_token(call("GetAuthorizationToken", "{}"));
  if (t.proxy_endpoint.empty()) t.proxy_endpoint = "https://public.ecr.aws";
  return t;
}

} // namespace berth::ecr
