// One signed AWS API call: SigV4 with the credentials of a provider, retried with
// backoff on throttling and 5xx (as the SDKs do, including POSTs: these APIs are
// safe to repeat), errors turned into berth::Error by aws_error().
#pragma once

#include <berth/aws_credentials.hpp>

#include "http/client.hpp"

#include <string>

namespace berth::aws {

struct AwsCall {
  std::string service; // signing name: "ecr", "sts"
  std::string region;
  std::string url;
  std::string method = "POST";
  http::Headers headers;
  std::string body;
  std::string what; // for messages: "ecr:DescribeImages"
  int max_attempts = 5;
};

// credentials may be null for unsigned calls (AssumeRoleWithWebIdentity).
http::Response aws_call(http::Client &http, CredentialsProvider *credentials, const AwsCall &call);

// An AWS JSON 1.1 operation (ECR, ECR Public, ...): POST to the endpoint's root with
// X-Amz-Target "<target_prefix>.<operation>"; returns the reply body. service is the
// signing name; `what` in messages is "<service>:<operation>".
std::string json_rpc(http::Client &http, CredentialsProvider *credentials,
                     const std::string &service, const std::string &region,
                     const std::string &endpoint, const std::string &target_prefix,
                     const std::string &operation, const std::string &body_json);

// An HTTP client for AWS endpoints: AWS_CA_BUNDLE trusted, as the SDKs do.
std::shared_ptr<http::Client> aws_http_client(const ProviderContext &ctx);

} // namespace berth::aws
