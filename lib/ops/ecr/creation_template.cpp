// berth ecr ensure-creation-template: the settings ECR gives the repositories it
// creates itself (on push, for a pull-through cache, for replication).
#include <berth/ecr.hpp>
#include <berth/error.hpp>

#include "core/json.hpp"
#include "ecr/ecr_client.hpp"
#include "ops/ecr/session.hpp"
#include "ops/ecr/settings_text.hpp"

#include <set>

namespace berth {
namespace {

const std::set<std::string> kAppliedFor = {"REPLICATION", "PULL_THROUGH_CACHE", "CREATE_ON_PUSH"};

std::string mutability(const RepositoryCreationTemplate &t) {
  return std::string(t.immutable ? "IMMUTABLE" : "MUTABLE") +
         (t.mutability_exclusions.empty() ? "" : "_WITH_EXCLUSION");
}

// A policy's JSON as compact text, so that formatting never counts as a difference.
std::string canonical_json(const std::string &text) {
  if (text.empty()) return {};
  auto doc = core::json::parse(text, "lifecycle policy");
  core::json::StringWriter w;
  doc.Accept(w.writer);
  return w.str();
}

std::string template_request(const RepositoryCreationTemplate &t) {
  core::json::StringWriter w;
  auto &j = w.writer;
  j.StartObject();
  w.member("prefix", t.prefix);
  if (!t.description.empty()) w.member("description", t.description);
  j.Key("appliedFor");
  j.StartArray();
  for (const auto &a : t.applied_for)
    w.string(a);
  j.EndArray();
  w.member("imageTagMutability", mutability(t));
  if (!t.mutability_exclusions.empty()) {
    j.Key("imageTagMutabilityExclusionFilters");
    j.StartArray();
    for (const auto &f : t.mutability_exclusions) {
      j.StartObject();
      w.member("filterType", "WILDCARD");
      w.member("filter", f);
      j.EndObject();
    }
    j.EndArray();
  }
  if (!t.encryption.empty()) {
    j.Key("encryptionConfiguration");
    j.StartObject();
    w.member("encryptionType", t.encryption);
    if (!t.kms_key.empty()) w.member("kmsKey", t.kms_key);
    j.EndObject();
  }
  if (!t.lifecycle_policy.empty()) w.member("lifecyclePolicy", canonical_json(t.lifecycle_policy));
  j.EndObject();
  return w.str();
}

void check(const RepositoryCreationTemplate &t) {
  if (t.prefix.empty())
    throw Error(Errc::invalid_argument, "a creation template needs a prefix (or ROOT)");
  if (t.applied_for.empty())
    throw Error(
        Errc::invalid_argument,
        "a creation template applies for REPLICATION, PULL_THROUGH_CACHE or CREATE_ON_PUSH");
  for (const auto &a : t.applied_for)
    if (!kAppliedFor.count(a))
      throw Error(Errc::invalid_argument,
                  "appliedFor is REPLICATION, PULL_THROUGH_CACHE or CREATE_ON_PUSH, not '" + a +
                      "'");
  if (!t.encryption.empty() && t.encryption != "AES256" && t.encryption != "KMS")
    throw Error(Errc::invalid_argument, "encryption must be AES256 or KMS");
  if (!t.lifecycle_policy.empty()) validate_lifecycle_policy(t.lifecycle_policy);
}

std::vector<std::string> strings_of(const core::json::Value *arr, const char *member = nullptr) {
  std::vector<std::string> out;
  if (!arr || !arr->IsArray()) return out;
  for (const auto &v : arr->GetArray()) {
    if (member && v.IsObject())
      out.push_back(core::json::get_string(v, member));
    else if (v.IsString())
      out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

} // namespace

EnsureRepositoryResult ecr_ensure_creation_template(const AwsOptions &options,
                                                    const RepositoryCreationTemplate &want,
                                                    bool apply) {
  check(want);
  auto client = ops::ecr_client(options);
  EnsureRepositoryResult r;
  r.uri = want.prefix;
  core::json::Document found;
  const core::json::Value *have = nullptr;
  try {
    core::json::StringWriter w;
    w.writer.StartObject();
    w.writer.Key("prefixes");
    w.writer.StartArray();
    w.string(want.prefix);
    w.writer.EndArray();
    w.writer.EndObject();
    found = core::json::parse(client.call("DescribeRepositoryCreationTemplates", w.str()),
                              "ecr:DescribeRepositoryCreationTemplates reply");
    const auto *list = core::json::find(found, "repositoryCreationTemplates");
    if (list && list->IsArray())
      for (const auto &t : list->GetArray())
        if (core::json::get_string(t, "prefix") == want.prefix) have = &t;
  } catch (const Error &e) {
    if (e.code() != Errc::not_found) throw;
  }
  if (!have) {
    client.call("CreateRepositoryCreationTemplate", template_request(want));
    r.created = true;
    return r;
  }
  auto differs = [&](const std::string &what, const std::string &got, const std::string &wanted) {
    if (got != wanted) r.differences.push_back(what + ": " + got + " (wanted " + wanted + ")");
  };
  differs("appliedFor", ops::set_text(strings_of(core::json::find(*have, "appliedFor"))),
          ops::set_text(want.applied_for));
  differs("imageTagMutability", core::json::get_string(*have, "imageTagMutability", "MUTABLE"),
          mutability(want));
  differs("imageTagMutabilityExclusionFilters",
          ops::set_text(
              strings_of(core::json::find(*have, "imageTagMutabilityExclusionFilters"), "filter")),
          ops::set_text(want.mutability_exclusions));
  if (!want.encryption.empty()) {
    const auto *enc = core::json::find(*have, "encryptionConfiguration");
    differs("encryptionType", enc ? core::json::get_string(*enc, "encryptionType") : "",
            want.encryption);
  }
  if (!want.lifecycle_policy.empty())
    differs("lifecyclePolicy", canonical_json(core::json::get_string(*have, "lifecyclePolicy")),
            canonical_json(want.lifecycle_policy));
  if (!want.description.empty())
    differs("description", core::json::get_string(*have, "description"), want.description);
  if (apply && !r.differences.empty()) {
    client.call("UpdateRepositoryCreationTemplate", template_request(want));
    r.updated = true;
  }
  return r;
}

} // namespace berth
