#include "aws/sts.hpp"

#include "aws/aws_client.hpp"
#include "aws/endpoints.hpp"
#include "core/time.hpp"
#include "core/uri.hpp"
#include "core/xml.hpp"

#include <berth/error.hpp>

namespace berth::aws {
namespace {

std::string session_name_or_default(const std::string &name) {
  if (!name.empty()) return name;
  return "berth-" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
}

std::string role_form(const std::string &action, const AssumeRoleParams &role) {
  if (role.role_arn.empty()) throw Error(Errc::config, "no role ARN to assume");
  std::string f =
      "Action=" + action + "&Version=2011-06-15&RoleArn=" + core::uri_encode(role.role_arn, false) +
      "&RoleSessionName=" + core::uri_encode(session_name_or_default(role.session_name), false) +
      "&DurationSeconds=" + std::to_string(role.duration.count());
  if (!role.external_id.empty()) f += "&ExternalId=" + core::uri_encode(role.external_id, false);
  return f;
}

} // namespace

StsClient::StsClient(std::shared_ptr<http::Client> http, std::string region, std::string endpoint,
                     EnvFn env)
    : http_(std::move(http)), region_(region.empty() ? "us-east-1" : std::move(region)),
      endpoint_(endpoint.empty() ? resolve_endpoint("sts", region_, {}, env)
                                 : std::move(endpoint)) {}

std::string StsClient::post(CredentialsProvider *creds, const std::string &form,
                            const std::string &what) {
  AwsCall call;
  call.service = "sts";
  call.region = region_;
  call.url = endpoint_ + (endpoint_.back() == '/' ? "" : "/");
  call.body = form;
  call.what = what;
  call.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  return aws_call(*http_, creds, call).body;
}

ResolvedCredentials parse_sts_credentials(const std::string &xml, const std::string &provider) {
  auto doc = core::parse_xml(xml, "STS reply");
  const auto *c = doc->descendant("Credentials");
  if (!c) throw Error(Errc::protocol, provider + ": STS reply has no Credentials");
  ResolvedCredentials r;
  r.provider = provider;
  r.credentials.access_key_id = c->text_at("AccessKeyId").value_or("");
  r.credentials.secret_access_key = c->text_at("SecretAccessKey").value_or("");
  r.credentials.session_token = c->text_at("SessionToken").value_or("");
  if (r.credentials.access_key_id.empty() || r.credentials.secret_access_key.empty())
    throw Error(Errc::protocol, provider + ": STS reply lacks AccessKeyId or SecretAccessKey");
  if (auto exp = c->text_at("Expiration"); exp && !exp->empty())
    r.expiration = core::parse_iso8601(*exp);
  return r;
}

ResolvedCredentials StsClient::assume_role(CredentialsProvider &source,
                                           const AssumeRoleParams &role) {
  return parse_sts_credentials(post(&source, role_form("AssumeRole", role), "sts:AssumeRole"),
                               "assume role");
}

ResolvedCredentials StsClient::assume_role_with_web_identity(const AssumeRoleParams &role,
                                                             const std::string &token) {
  if (token.empty()) throw Error(Errc::auth, "web identity: the token is empty");
  auto form = role_form("AssumeRoleWithWebIdentity", role) +
              "&WebIdentityToken=" + core::uri_encode(token, false);
  return parse_sts_credentials(post(nullptr, form, "sts:AssumeRoleWithWebIdentity"),
                               "web identity");
}

CallerIdentity StsClient::get_caller_identity(CredentialsProvider &creds) {
  auto xml = post(&creds, "Action=GetCallerIdentity&Version=2011-06-15", "sts:GetCallerIdentity");
  auto doc = core::parse_xml(xml, "STS reply");
  const auto *r = doc->descendant("GetCallerIdentityResult");
  if (!r) throw Error(Errc::protocol, "sts:GetCallerIdentity reply has no result");
  return {r->text_at("Account").value_or(""), r->text_at("Arn").value_or(""),
          r->text_at("UserId").value_or("")};
}

} // namespace berth::aws
