// Static and environment credentials.
#include <berth/aws_credentials.hpp>
#include <berth/error.hpp>

namespace berth::aws {
namespace {

class StaticProvider final : public CredentialsProvider {
public:
  explicit StaticProvider(Credentials c) : creds_(std::move(c)) {}
  ResolvedCredentials resolve() override {
    if (creds_.access_key_id.empty() || creds_.secret_access_key.empty())
      throw Error(Errc::auth, "static: access key id or secret access key is empty");
    return {creds_, std::nullopt, "static"};
  }
  std::string name() const override { return "static"; }

private:
  Credentials creds_;
};

class EnvProvider final : public CredentialsProvider {
public:
  explicit EnvProvider(EnvFn env) : env_(std::move(env)) {}
  ResolvedCredentials resolve() override {
    auto id = env_("AWS_ACCESS_KEY_ID");
    auto secret = env_("AWS_SECRET_ACCESS_KEY");
    if (!secret || secret->empty()) secret = env_("AWS_SECRET_KEY"); // the older name
    if (!id || id->empty() || !secret || secret->empty())
      throw Error(Errc::not_found,
                  "environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set");
    auto token = env_("AWS_SESSION_TOKEN");
    return {{*id, *secret, token.value_or("")}, std::nullopt, "environment"};
  }
  std::string name() const override { return "environment"; }

private:
  EnvFn env_;
};

} // namespace

ProviderPtr static_provider(Credentials creds) {
  return std::make_shared<StaticProvider>(std::move(creds));
}
ProviderPtr env_provider(const ProviderContext &ctx) {
  return std::make_shared<EnvProvider>(ctx.env);
}

} // namespace berth::aws
