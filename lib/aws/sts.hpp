// AWS STS over the query protocol: AssumeRole, AssumeRoleWithWebIdentity,
// GetCallerIdentity. Replies are XML, read with expat.
#pragma once

#include <berth/aws_credentials.hpp>

#include "http/client.hpp"

#include <memory>
#include <string>

namespace berth::aws {

struct CallerIdentity {
  std::string account, arn, user_id;
};

class StsClient {
public:
  // endpoint "" = resolved for the region (AWS_ENDPOINT_URL_STS, ...).
  StsClient(std::shared_ptr<http::Client> http, std::string region, std::string endpoint,
            EnvFn env);

  ResolvedCredentials assume_role(CredentialsProvider &source, const AssumeRoleParams &role);
  // Unsigned: the web identity token is the proof.
  ResolvedCredentials assume_role_with_web_identity(const AssumeRoleParams &role,
                                                    const std::string &token);
  CallerIdentity get_caller_identity(CredentialsProvider &creds);

private:
  std::string post(CredentialsProvider *creds, const std::string &form, const std::string &what);
  std::shared_ptr<http::Client> http_;
  std::string region_, endpoint_;
};

// Parses the <Credentials> of an AssumeRole* reply.
ResolvedCredentials parse_sts_credentials(const std::string &xml, const std::string &provider);

} // namespace berth::aws
