// Amazon ECR Public's API: AWS JSON 1.1 with X-Amz-Target
// "SpencerFrontendService.<Op>", signing name "ecr-public", served in us-east-1 only
// (api.ecr-public.us-east-1.amazonaws.com, or AWS_ENDPOINT_URL_ECR_PUBLIC). berth
// needs its GetAuthorizationToken: the password for public.ecr.aws, whose registry
// then trades it (Basic AWS:<password>) for a Bearer token.
#pragma once

#include <berth/aws_credentials.hpp>

#include "ecr/ecr_client.hpp"
#include "http/client.hpp"

#include <memory>
#include <string>

namespace berth::ecr {

class EcrPublicClient {
public:
  // endpoint "" = AWS_ENDPOINT_URL_ECR_PUBLIC / AWS_ENDPOINT_URL / the us-east-1 one.
  EcrPublicClient(std::shared_ptr<http::Client> http, aws::ProviderPtr credentials,
                  std::string endpoint = {}, aws::EnvFn env = aws::system_env());

  const std::string &endpoint() const { return endpoint_; }
  std::string call(const std::string &operation, const std::string &body_json);
  AuthorizationToken get_authorization_token();

private:
  std::shared_ptr<http::Client> http_;
  aws::ProviderPtr credentials_;
  std::string endpoint_;
};

} // namespace berth::ecr
