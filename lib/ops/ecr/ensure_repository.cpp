// berth ecr ensure-repository: describe, create when missing, report (and on request
// apply) settings that differ.
#include <berth/ecr.hpp>
#include <berth/error.hpp>

#include "aws/aws_client.hpp"
#include "core/json.hpp"
#include "ecr/ecr_client.hpp"
#include "ops/ecr/session.hpp"
#include "ops/ecr/settings_text.hpp"

namespace berth {
namespace {

std::optional<ecr::RepositoryInfo> describe(ecr::EcrClient &client, const std::string &name) {
  try {
    auto found = client.describe_repositories({name});
    if (!found.empty()) return found.front();
  } catch (const Error &e) {
    if (e.code() != Errc::not_found) throw;
  }
  return std::nullopt;
}

} // namespace

RepositorySettings ecr_repository_settings(const AwsOptions &options, const std::string &name) {
  auto client = ops::ecr_client(options);
  auto have = describe(client, name);
  if (!have) throw Error(Errc::not_found, "ecr: no repository named " + name);
  RepositorySettings s;
  s.scan_on_push = have->scan_on_push;
  s.immutable = have->immutable();
  s.mutability_exclusions = have->mutability_exclusions;
  s.encryption = have->encryption_type;
  s.kms_key = have->kms_key;
  return s;
}

EnsureRepositoryResult ecr_ensure_repository(const AwsOptions &options, const std::string &name,
                                             const RepositorySettings &want, bool apply) {
  auto client = ops::ecr_client(options);
  EnsureRepositoryResult r;
  auto have = describe(client, name);
  if (!have) {
    ecr::CreateRepositoryParams p{
        name,        want.scan_on_push, want.immutable, want.mutability_exclusions, want.encryption,
        want.kms_key};
    auto info = client.create_repository(p);
    r.created = true;
    r.uri = info.uri;
    return r;
  }
  r.uri = have->uri;
  auto b = [](bool v) { return std::string(v ? "true" : "false"); };
  const bool scan_differs = have->scan_on_push != want.scan_on_push;
  const auto have_filters = ops::set_text(have->mutability_exclusions);
  const auto want_filters = ops::set_text(want.mutability_exclusions);
  const bool mutability_differs =
      have->immutable() != want.immutable || have_filters != want_filters;
  if (scan_differs)
    r.differences.push_back("scanOnPush: " + b(have->scan_on_push) + " (wanted " +
                            b(want.scan_on_push) + ")");
  if (have->immutable() != want.immutable)
    r.differences.push_back("imageTagMutability: " + have->tag_mutability + " (wanted " +
                            (want.immutable ? "IMMUTABLE" : "MUTABLE") + ")");
  if (have_filters != want_filters)
    r.differences.push_back("imageTagMutabilityExclusionFilters: " + have_filters + " (wanted " +
                            want_filters + ")");
  if (!want.encryption.empty() && want.encryption != have->encryption_type)
    r.differences.push_back("encryptionType: " + have->encryption_type + " (wanted " +
                            want.encryption + "; encryption cannot change after creation)");
  if (want.encryption == "KMS" && !want.kms_key.empty() && have->kms_key != want.kms_key)
    r.differences.push_back("kmsKey: " + have->kms_key + " (wanted " + want.kms_key +
                            "; encryption cannot change after creation)");
  if (apply) {
    if (scan_differs) {
      client.put_scan_on_push(name, want.scan_on_push);
      r.updated = true;
    }
    if (mutability_differs) {
      client.put_tag_mutability(name, want.immutable, want.mutability_exclusions);
      r.updated = true;
    }
  }
  return r;
}

std::string to_json(const EnsureRepositoryResult &r) {
  core::json::StringWriter w;
  w.writer.StartObject();
  w.writer.Key("created");
  w.writer.Bool(r.created);
  w.member("uri", r.uri);
  w.writer.Key("differences");
  w.writer.StartArray();
  for (const auto &d : r.differences)
    w.string(d);
  w.writer.EndArray();
  w.writer.Key("updated");
  w.writer.Bool(r.updated);
  w.writer.EndObject();
  return w.str();
}

} // namespace berth
