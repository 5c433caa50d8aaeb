// Shared-config profiles: static keys, credential_process, web_identity_token_file,
// and role_arn with source_profile (chains, with cycle detection) or
// credential_source.
#include <berth/aws_credentials.hpp>
#include <berth/error.hpp>

#include "aws/shared_config.hpp"

#include <set>

namespace berth::aws {
namespace {

std::string get(const Profile &p, const std::string &key) {
  auto it = p.find(key);
  return it == p.end() ? std::string() : it->second;
}

AssumeRoleParams role_params(const Profile &p) {
  AssumeRoleParams r;
  r.role_arn = get(p, "role_arn");
  r.session_name = get(p, "role_session_name");
  r.external_id = get(p, "external_id");
  if (auto d = get(p, "duration_seconds"); !d.empty()) {
    try {
      r.duration = std::chrono::seconds(std::stoll(d));
    } catch (const std::exception &) {
      throw Error(Errc::config, "duration_seconds must be a number of seconds");
    }
  }
  return r;
}

class ProfileProvider final : public CredentialsProvider {
public:
  ProfileProvider(std::string profile, ProviderContext ctx)
      : profile_(std::move(profile)), ctx_(std::move(ctx)) {}

  ResolvedCredentials resolve() override {
    auto config = load_shared_config(ctx_.env);
    std::string name = profile_.empty() ? active_profile_name(ctx_.env) : profile_;
    std::set<std::string> visited;
    return build(config, name, visited, false)->resolve();
  }
  std::string name() const override { return "profile"; }

private:
  // Turns a profile into the provider that serves it, following source_profile.
  // is_source: reached through source_profile.
  ProviderPtr build(const SharedConfig &config, const std::string &name,
                    std::set<std::string> &visited, bool is_source) {
    // Only an implicit "default" may be absent or empty ("no profile here, try the
    // next provider"). A profile the user named (AWS_PROFILE, --profile,
    // source_profile) that is missing or has no credentials is a mistake to report:
    // falling through would quietly use the container's or instance's role instead
    // (botocore raises ProfileNotFound).
    const Errc absent = is_source || name != "default" ? Errc::config : Errc::not_found;
    auto p = config.profile(name);
    if (!p)
      throw Error(absent, "profile '" + name + "': not found in " + config.config_path + " or " +
                              config.credentials_path);
    if (!visited.insert(name).second)
      throw Error(Errc::config, "profile '" + name + "': source_profile chain has a cycle");
    const std::string label = "profile '" + name + "'";
    auto role = role_params(*p);
    bool has_keys =
        !get(*p, "aws_access_key_id").empty() && !get(*p, "aws_secret_access_key").empty();
    auto static_keys = [&] {
      return static_provider({get(*p, "aws_access_key_id"), get(*p, "aws_secret_access_key"),
                              get(*p, "aws_session_token")});
    };
    ProviderContext ctx = ctx_;
    if (ctx.region.empty()) ctx.region = get(*p, "region");

    if (!role.role_arn.empty()) {
      if (auto token_file = get(*p, "web_identity_token_file"); !token_file.empty())
        return web_identity_provider(role, token_file, ctx);
      auto source_name = get(*p, "source_profile");
      auto credential_source = get(*p, "credential_source");
      if (!source_name.empty() && !credential_source.empty())
        throw Error(Errc::config, label + ": set source_profile or credential_source, not both");
      ProviderPtr source;
      if (!source_name.empty()) {
        // A profile that names itself as source uses its own static keys.
        source = source_name == name && has_keys ? static_keys()
                                                 : build(config, source_name, visited, true);
      } else if (credential_source == "Environment") {
        source = env_provider(ctx);
      } else if (credential_source == "EcsContainer") {
        source = ecs_provider(ctx);
      } else if (credential_source == "Ec2InstanceMetadata") {
        source = imds_provider(ctx);
      } else if (!credential_source.empty()) {
        throw Error(Errc::config, label + ": unknown credential_source '" + credential_source +
                                      "' (Environment, EcsContainer or Ec2InstanceMetadata)");
      } else {
        throw Error(Errc::config, label + ": role_arn needs source_profile, credential_source or "
                                          "web_identity_token_file");
      }
      return assume_role_provider(source, role, ctx);
    }
    if (has_keys) return static_keys();
    if (!get(*p, "aws_access_key_id").empty() || !get(*p, "aws_secret_access_key").empty())
      throw Error(Errc::config,
                  label + ": has only one of aws_access_key_id and aws_secret_access_key");
    if (auto cmd = get(*p, "credential_process"); !cmd.empty()) return process_provider(cmd, ctx);
    if (!get(*p, "sso_session").empty() || !get(*p, "sso_start_url").empty())
      throw Error(Errc::unsupported,
                  label + ": AWS SSO profiles are not supported; use 'aws sso login' and "
                          "a credential_process, or another profile");
    throw Error(absent, label + ": has no credentials");
  }

  std::string profile_;
  ProviderContext ctx_;
};

} // namespace

ProviderPtr profile_provider(std::string profile, const ProviderContext &ctx) {
  return std::make_shared<ProfileProvider>(std::move(profile), ctx);
}

} // namespace berth::aws
