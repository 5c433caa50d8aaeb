#include "capi/guard.hpp"

#include <berth/ecr.hpp>
#include <berth/tags.hpp>

#include "capi/json_args.hpp"
#include "core/json.hpp"
#include "core/time.hpp"

#include <cstdlib>

using namespace berth;
using berth::capi::dup_for_caller;
using berth::capi::guard;
using berth::capi::require;
using berth::capi::str;

namespace berth::capi {
AwsOptions aws_options(const berth_aws_options *o); // lib/capi/aws.cpp
}

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void string(Writer &w, const std::string &s) {
  w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
}

void key(Writer &w, const char *k) {
  w.Key(k);
}

// A request argument: a JSON object (NULL = {}).
core::json::Document request_object(const char *text, const char *what) {
  auto d = capi::parse_json_argument(text ? text : "{}", what);
  require(d.IsObject(), (std::string(what) + " must be a JSON object").c_str());
  return d;
}

// An optional member that must be an array of non-empty strings.
std::vector<std::string> strings_member(const core::json::Value &obj, const char *name) {
  std::vector<std::string> out;
  const auto *v = core::json::find(obj, name);
  if (!v) return out;
  auto message = std::string(name) + " must be an array of strings";
  require(v->IsArray(), message.c_str());
  for (const auto &f : v->GetArray()) {
    require(f.IsString() && f.GetStringLength() > 0, message.c_str());
    out.emplace_back(f.GetString(), f.GetStringLength());
  }
  return out;
}

} // namespace

extern "C" {

BERTH_API int berth_tags_compute(char **out_json, const char *request_json) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json != nullptr, "out_json is NULL");
    auto req = capi::parse_json_argument(request_json ? request_json : "{}", "tags request");
    require(req.IsObject(), "tags request must be a JSON object");
    TagOptions o;
    if (auto r = req.FindMember("rules"); r != req.MemberEnd()) {
      require(r->value.IsArray(), "rules must be an array of strings");
      for (const auto &v : r->value.GetArray()) {
        require(v.IsString(), "rules must be an array of strings");
        o.rules.emplace_back(v.GetString());
      }
    }
    o.latest = core::json::get_string(req, "latest", "auto");
    o.prefix = core::json::get_string(req, "prefix");
    o.suffix = core::json::get_string(req, "suffix");
    CiContext ctx;
    if (auto c = req.FindMember("context"); c != req.MemberEnd() && c->value.IsObject()) {
      const auto &v = c->value;
      ctx.event = core::json::get_string(v, "event");
      ctx.ref = core::json::get_string(v, "ref");
      ctx.sha = core::json::get_string(v, "sha");
      ctx.default_branch = core::json::get_string(v, "default_branch");
      ctx.repository = core::json::get_string(v, "repository");
      ctx.server_url = core::json::get_string(v, "server_url");
      if (auto t = v.FindMember("created"); t != v.MemberEnd() && t->value.IsInt64())
        ctx.created =
            std::chrono::system_clock::time_point(std::chrono::seconds(t->value.GetInt64()));
    } else {
      ctx = CiContext::from_github_env([](const std::string &k) {
        const char *e = std::getenv(k.c_str());
        return std::string(e ? e : "");
      });
    }
    *out_json = dup_for_caller(to_json(compute_tags(ctx, o)));
  });
}

BERTH_API int berth_ecr_ensure_repository(char **out_json, const char *name,
                                          const char *settings_json, int32_t apply,
                                          const berth_aws_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json != nullptr && name != nullptr, "out_json and name are required");
    auto s = request_object(settings_json, "repository settings");
    RepositorySettings rs;
    rs.scan_on_push = core::json::get_bool(s, "scanOnPush");
    rs.immutable = core::json::get_bool(s, "immutable");
    rs.mutability_exclusions = strings_member(s, "mutabilityExclusions");
    rs.encryption = core::json::get_string(s, "encryption");
    rs.kms_key = core::json::get_string(s, "kmsKey");
    *out_json = dup_for_caller(
        to_json(ecr_ensure_repository(capi::aws_options(opts), name, rs, apply != 0)));
  });
}

BERTH_API int berth_ecr_ensure_pull_through_cache(char **out_json, const char *rule_json,
                                                  int32_t apply, const berth_aws_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json != nullptr && rule_json != nullptr, "out_json and rule_json are required");
    auto s = request_object(rule_json, "pull-through cache rule");
    PullThroughCacheRule rule{core::json::get_string(s, "prefix"),
                              core::json::get_string(s, "upstreamUrl"),
                              core::json::get_string(s, "credentialArn")};
    *out_json = dup_for_caller(
        to_json(ecr_ensure_pull_through_cache(capi::aws_options(opts), rule, apply != 0)));
  });
}

BERTH_API int berth_ecr_ensure_creation_template(char **out_json, const char *template_json,
                                                 int32_t apply, const berth_aws_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json != nullptr && template_json != nullptr,
            "out_json and template_json are required");
    auto s = request_object(template_json, "creation template");
    RepositoryCreationTemplate t;
    t.prefix = core::json::get_string(s, "prefix");
    t.applied_for = strings_member(s, "appliedFor");
    t.immutable = core::json::get_bool(s, "immutable");
    t.mutability_exclusions = strings_member(s, "mutabilityExclusions");
    t.encryption = core::json::get_string(s, "encryption");
    t.kms_key = core::json::get_string(s, "kmsKey");
    t.lifecycle_policy = core::json::get_string(s, "lifecyclePolicy");
    t.description = core::json::get_string(s, "description");
    *out_json = dup_for_caller(
        to_json(ecr_ensure_creation_template(capi::aws_options(opts), t, apply != 0)));
  });
}

BERTH_API int berth_lifecycle_policy_shorthand(char **out_json, int32_t keep_last,
                                               int32_t expire_untagged_days) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json != nullptr, "out_json is NULL");
    *out_json = dup_for_caller(lifecycle_policy_from_shorthand(
        keep_last > 0 ? std::optional<int>(keep_last) : std::nullopt,
        expire_untagged_days > 0 ? std::optional<int>(expire_untagged_days) : std::nullopt));
  });
}

BERTH_API int berth_lifecycle_policy_with_build_cache(char **out_json, const char *policy_json,
                                                      int32_t days, const char *tag_prefix) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json != nullptr, "out_json is NULL");
    *out_json = dup_for_caller(lifecycle_policy_with_build_cache(
        str(policy_json), days, tag_prefix ? std::string(tag_prefix) : std::string("buildcache")));
  });
}

BERTH_API int berth_lifecycle_policy_validate(const char *policy_json) {
  return guard([&] {
    require(policy_json != nullptr, "policy_json is NULL");
    validate_lifecycle_policy(policy_json);
  });
}

BERTH_API int berth_ecr_lifecycle_preview(char **out_json, const char *repository,
                                          const char *policy_json, const berth_aws_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json != nullptr && repository != nullptr && policy_json != nullptr,
            "out_json, repository and policy_json are required");
    auto images = ecr_describe_images(capi::aws_options(opts), repository);
    auto expiring = lifecycle_preview(policy_json, images, std::chrono::system_clock::now());
    core::json::StringWriter out;
    auto &w = out.writer;
    w.StartObject();
    key(w, "images");
    w.StartArray();
    for (const auto &e : expiring) {
      w.StartObject();
      key(w, "digest");
      string(w, e.image.digest);
      key(w, "tags");
      w.StartArray();
      for (const auto &t : e.image.tags)
        string(w, t);
      w.EndArray();
      key(w, "pushedAt");
      string(w, core::format_iso8601(e.image.pushed_at));
      key(w, "rulePriority");
      w.Int(e.rule_priority);
      key(w, "unit");
      string(w, e.unit);
      w.EndObject();
    }
    w.EndArray();
    key(w, "total");
    w.Uint64(images.size());
    w.EndObject();
    *out_json = dup_for_caller(out.str());
  });
}

BERTH_API int berth_ecr_put_lifecycle_policy(const char *repository, const char *policy_json,
                                             const berth_aws_options *opts) {
  return guard([&] {
    require(repository != nullptr && policy_json != nullptr,
            "repository and policy_json are required");
    ecr_put_lifecycle_policy(capi::aws_options(opts), repository, policy_json);
  });
}

BERTH_API int berth_ecr_scan_gate(char **out_json, const char *repository, const char *image,
                                  const char *fail_on, int32_t max, int64_t timeout_seconds,
                                  const berth_aws_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json != nullptr && repository != nullptr && image != nullptr,
            "out_json, repository and image are required");
    ScanGateOptions g;
    if (fail_on) g.fail_on = fail_on;
    g.max = max;
    if (timeout_seconds > 0) g.timeout = std::chrono::seconds(timeout_seconds);
    auto r = ecr_scan_gate(capi::aws_options(opts), repository, image, g);
    *out_json = dup_for_caller(to_json(r));
    if (!r.passed)
      throw Error(Errc::gate_failed, std::to_string(r.counted) + " finding(s) at or above " +
                                         g.fail_on + " exceed the limit of " + std::to_string(max));
  });
}

} // extern "C"
