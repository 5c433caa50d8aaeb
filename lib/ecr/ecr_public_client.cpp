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
  aws::AwsCall c;
  c.service = "ecr-public";
  c.region = kPublicRegion;
  c.url = endpoint_ + (endpoint_.back() == '/' ? "" : "/");
  c.body = body_json.empty() ? "{}" : body_json;
  c.what = "ecr-public:" + operation;
  c.headers = {{"Content-Type", "application/x-amz-json-1.1"},
               {"X-Amz-Target", "SpencerFrontendService." + operation}};
  return aws::aws_call(*http_, credentials_.get(), c).body;
}

AuthorizationToken EcrPublicClient::get_authorization_token() {
  auto t = parse_public_authorization_token(call("GetAuthorizationToken", "{}"));
  if (t.proxy_endpoint.empty()) t.proxy_endpoint = "https://public.ecr.aws";
  return t;
}

} // namespace berth::ecr
