// AssumeRoleWithWebIdentity with a token from a file (EKS, generic OIDC) or from the
// GitHub Actions OIDC endpoint (what configure-aws-credentials does).
#include <berth/aws_credentials.hpp>
#include <berth/error.hpp>

#include "aws/aws_client.hpp"
#include "aws/sts.hpp"
#include "core/json.hpp"
#include "core/uri.hpp"
#include "http/client.hpp"

#include <fstream>
#include <sstream>

namespace berth::aws {
namespace {

std::string read_token_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(Errc::auth, "web identity: cannot read the token file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string t = ss.str();
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' '))
    t.pop_back();
  if (t.empty()) throw Error(Errc::auth, "web identity: the token file " + path + " is empty");
  return t;
}

std::string region_of(const ProviderContext &ctx) {
  if (!ctx.region.empty()) return ctx.region;
  auto r = default_region(ctx);
  return r.empty() ? "us-east-1" : r;
}

// Wraps STS errors so the message says which provider failed.
template <typename Fn> ResolvedCredentials labelled(const std::string &label, Fn &&fn) {
  try {
    return fn();
  } catch (const Error &e) {
    std::string what = e.what();
    if (what.rfind(label + ":", 0) == 0) throw;
    Error wrapped(e.code(), label + ": " + what);
    wrapped.with_http_status(e.http_status())
        .with_aws_code(e.aws_code())
        .with_request_id(e.request_id());
    throw wrapped;
  }
}

class WebIdentityProvider final : public CredentialsProvider {
public:
  WebIdentityProvider(AssumeRoleParams role, std::string token_file, ProviderContext ctx)
      : role_(std::move(role)), token_file_(std::move(token_file)), ctx_(std::move(ctx)) {}

  ResolvedCredentials resolve() override {
    return labelled("web identity", [&] {
      auto token = read_token_file(token_file_);
      StsClient sts(aws_http_client(ctx_), region_of(ctx_), ctx_.sts_endpoint, ctx_.env);
      return sts.assume_role_with_web_identity(role_, token);
    });
  }
  std::string name() const override { return "web identity"; }

private:
  AssumeRoleParams role_;
  std::string token_file_;
  ProviderContext ctx_;
};

class GithubOidcProvider final : public CredentialsProvider {
public:
  GithubOidcProvider(AssumeRoleParams role, ProviderContext ctx, std::string audience)
      : role_(std::move(role)), ctx_(std::move(ctx)), audience_(std::move(audience)) {
    if (role_.session_name.empty()) role_.session_name = "GitHubActions";
  }

  ResolvedCredentials resolve() override {
    return labelled("github oidc", [&] {
      auto url = ctx_.env("ACTIONS_ID_TOKEN_REQUEST_URL");
      auto bearer = ctx_.env("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
      if (!url || url->empty() || !bearer || bearer->empty())
        throw Error(Errc::auth,
                    "ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set "
                    "(does the workflow have 'permissions: id-token: write'?)");
      auto http = aws_http_client(ctx_);
      http::Request req;
      req.url = *url + (url->find('?') == std::string::npos ? "?" : "&") +
                "audience=" + core::uri_encode(audience_, false);
      req.headers = {{"Authorization", "Bearer " + *bearer}, {"Accept", "application/json"}};
      req.carries_secret = true;
      auto resp = http->send(req);
      if (!resp.ok())
        throw Error(resp.status == 401 || resp.status == 403 ? Errc::auth : Errc::protocol,
                    "the OIDC token request failed with HTTP " + std::to_string(resp.status))
            .with_http_status(resp.status);
      auto doc = core::json::parse(resp.body, "OIDC token reply");
      auto token = core::json::get_string(doc, "value");
      if (token.empty()) throw Error(Errc::protocol, "the OIDC token reply has no 'value'");
      StsClient sts(http, region_of(ctx_), ctx_.sts_endpoint, ctx_.env);
      return sts.assume_role_with_web_identity(role_, token);
    });
  }
  std::string name() const override { return "github oidc"; }

private:
  AssumeRoleParams role_;
  ProviderContext ctx_;
  std::string audience_;
};

} // namespace

ProviderPtr web_identity_provider(AssumeRoleParams role, std::string token_file,
                                  const ProviderContext &ctx) {
  return std::make_shared<WebIdentityProvider>(std::move(role), std::move(token_file), ctx);
}

ProviderPtr github_oidc_provider(AssumeRoleParams role, const ProviderContext &ctx,
                                 std::string audience) {
  return std::make_shared<GithubOidcProvider>(std::move(role), ctx, std::move(audience));
}

} // namespace berth::aws
