#include "capi/guard.hpp"
#include "capi/json_args.hpp"

#include <berth/ecr.hpp>

#include "core/json.hpp"
#include "core/time.hpp"

using namespace berth;
using berth::capi::dup_for_caller;
using berth::capi::guard;
using berth::capi::require;
using berth::capi::str;

namespace berth::capi {

AwsOptions aws_options(const berth_aws_options *o) {
  AwsOptions a;
  if (!o) return a;
  check_version(o->version, 1, BERTH_AWS_OPTIONS_VERSION, "berth_aws_options");
  // STS takes 900..43200 seconds; 0 = 3600.
  if (o->role_duration_seconds != 0)
    check_range(o->role_duration_seconds, 900, 43200, "berth_aws_options.role_duration_seconds");
  a.region = str(o->region);
  a.profile = str(o->profile);
  a.role_arn = str(o->role_arn);
  a.role_session_name = str(o->role_session_name);
  a.external_id = str(o->external_id);
  if (o->role_duration_seconds > 0)
    a.role_duration = std::chrono::seconds(o->role_duration_seconds);
  a.ecr_endpoint = str(o->ecr_endpoint);
  a.ecr_public_endpoint = a.ecr_endpoint; // used for public.ecr.aws only
  a.sts_endpoint = str(o->sts_endpoint);
  a.ca_bundle = str(o->ca_bundle);
  return a;
}

} // namespace berth::capi

namespace {

template <typename Fn> std::string json_object(Fn &&fill) {
  core::json::StringWriter w;
  w.writer.StartObject();
  auto kv = [&](const char *k, const std::string &v) {
    w.writer.Key(k);
    w.writer.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  };
  fill(kv, w.writer);
  w.writer.EndObject();
  return w.str();
}

} // namespace

extern "C" {

BERTH_API int berth_aws_options_init(berth_aws_options *opts, uint32_t version) {
  return guard([&] {
    require(opts != nullptr, "opts is NULL");
    capi::check_version(version, 1, BERTH_AWS_OPTIONS_VERSION, "berth_aws_options");
    *opts = berth_aws_options BERTH_AWS_OPTIONS_INIT;
  });
}

BERTH_API int berth_aws_credentials(char **out_json, const berth_aws_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json != nullptr, "out_json is NULL");
    auto c = aws_credentials_provider(capi::aws_options(opts))->resolve();
    *out_json = dup_for_caller(json_object([&](auto &kv, auto &w) {
      w.Key("Version");
      w.Int(1);
      kv("AccessKeyId", c.credentials.access_key_id);
      kv("SecretAccessKey", c.credentials.secret_access_key);
      if (!c.credentials.session_token.empty()) kv("SessionToken", c.credentials.session_token);
      if (c.expiration) kv("Expiration", core::format_iso8601(*c.expiration));
      kv("Provider", c.provider);
    }));
  });
}

BERTH_API int berth_aws_caller_identity(char **out_json, const berth_aws_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json != nullptr, "out_json is NULL");
    auto id = aws_caller_identity(capi::aws_options(opts));
    *out_json = dup_for_caller(json_object([&](auto &kv, auto &) {
      kv("Account", id.account);
      kv("Arn", id.arn);
      kv("UserId", id.user_id);
    }));
  });
}

BERTH_API int berth_ecr_login(char **out_json, const char *registry,
                              const berth_aws_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json != nullptr, "out_json is NULL");
    auto l = ecr_login(capi::aws_options(opts), str(registry));
    *out_json = dup_for_caller(json_object([&](auto &kv, auto &w) {
      kv("registry", l.registry);
      kv("username", l.username);
      kv("password", l.password);
      w.Key("expiresAt");
      w.Int64(std::chrono::duration_cast<std::chrono::seconds>(l.expires_at.time_since_epoch())
                  .count());
    }));
  });
}

BERTH_API int berth_ecr_docker_login(char **out_json, const char *registry, const char *config_path,
                                     const berth_aws_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    auto path = ecr_docker_login(capi::aws_options(opts), str(registry), str(config_path));
    core::json::StringWriter w;
    w.writer.StartObject();
    w.member("path", path);
    w.writer.EndObject();
    capi::set_out(out_json, w.str());
  });
}

BERTH_API int berth_ecr_call(char **out_json, const char *operation, const char *json_body,
                             const berth_aws_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json != nullptr && operation != nullptr, "out_json and operation are required");
    if (json_body) capi::parse_json_argument(json_body, "json_body");
    *out_json =
        dup_for_caller(ecr_call(capi::aws_options(opts), operation, json_body ? json_body : "{}"));
  });
}

} // extern "C"
