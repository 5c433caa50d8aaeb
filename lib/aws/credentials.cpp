// The default chain and region look-up.
#include <berth/aws_credentials.hpp>
#include <berth/error.hpp>

#include "aws/shared_config.hpp"

#include <cstdlib>

namespace berth::aws {

EnvFn system_env() {
  return [](const std::string &name) -> std::optional<std::string> {
    const char *v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

std::string default_region(const ProviderContext &ctx, const std::string &profile) {
  for (const char *v : {"AWS_REGION", "AWS_DEFAULT_REGION"})
    if (auto r = ctx.env(v); r && !r->empty()) return *r;
  try {
    auto config = load_shared_config(ctx.env);
    if (auto p = config.profile(profile.empty() ? active_profile_name(ctx.env) : profile))
      if (auto it = p->find("region"); it != p->end()) return it->second;
  } catch (const Error &) {
    // A malformed config file is reported by the provider that needs it.
  }
  return {};
}

ProviderPtr default_chain(const ChainOptions &options) {
  const auto &ctx = options.context;
  auto env = [&](const char *name) { return ctx.env(name).value_or(""); };
  AssumeRoleParams role = options.role;
  if (role.role_arn.empty()) role.role_arn = env("AWS_ROLE_ARN");
  if (role.session_name.empty()) role.session_name = env("AWS_ROLE_SESSION_NAME");

  ProviderPtr web_identity;
  if (auto token_file = env("AWS_WEB_IDENTITY_TOKEN_FILE");
      !token_file.empty() && !role.role_arn.empty()) {
    web_identity = web_identity_provider(role, token_file, ctx);
  } else if (!env("ACTIONS_ID_TOKEN_REQUEST_URL").empty() &&
             !env("ACTIONS_ID_TOKEN_REQUEST_TOKEN").empty() && !role.role_arn.empty()) {
    web_identity = github_oidc_provider(role, ctx);
  }
  const bool explicit_role = !options.role.role_arn.empty();
  std::vector<ProviderPtr> chain;
  // A role the caller asked for is assumed with the web identity whatever keys the
  // environment holds (configure-aws-credentials does the same); otherwise keys in
  // the environment come first, as in the SDKs.
  if (web_identity && explicit_role) chain.push_back(web_identity);
  // An explicitly chosen profile negates keys in the environment, as `aws --profile`
  // does (botocore drops its environment provider); AWS_PROFILE alone does not.
  if (options.profile.empty()) chain.push_back(env_provider(ctx));
  if (web_identity && !explicit_role) chain.push_back(web_identity);
  chain.push_back(profile_provider(options.profile, ctx));
  chain.push_back(ecs_provider(ctx));
  chain.push_back(imds_provider(ctx));
  ProviderPtr result = chain_provider(std::move(chain));
  // An explicitly requested role (not consumed by web identity) is assumed on top of
  // whatever the chain found, as configure-aws-credentials does with static keys.
  if (explicit_role && !web_identity) result = assume_role_provider(result, options.role, ctx);
  return caching_provider(result);
}

} // namespace berth::aws
