// berth ecr ensure-pull-through-cache: an ECR repository prefix that caches an
// upstream registry (ECR fetches an image the first time someone pulls it there).
#include <berth/ecr.hpp>
#include <berth/error.hpp>

#include "core/json.hpp"
#include "ecr/ecr_client.hpp"
#include "ecr/registry_host.hpp"
#include "ops/ecr/session.hpp"

namespace berth {
namespace {

std::string rule_request(const PullThroughCacheRule &r, bool with_upstream) {
  core::json::StringWriter w;
  w.writer.StartObject();
  w.member("ecrRepositoryPrefix", r.prefix);
  if (with_upstream) w.member("upstreamRegistryUrl", r.upstream_url);
  if (!r.credential_arn.empty()) w.member("credentialArn", r.credential_arn);
  w.writer.EndObject();
  return w.str();
}

// "<account>.dkr.ecr.<region>.<suffix>/<prefix>" from a rule's registryId.
std::string mirror_of(const ecr::EcrClient &client, const core::json::Value &rule,
                      const std::string &prefix) {
  auto account = core::json::get_string(rule, "registryId");
  if (account.empty()) return prefix;
  return ecr::registry_host(account, client.region()) + "/" + prefix;
}

void check(const PullThroughCacheRule &r) {
  if (r.prefix.empty() || r.prefix.size() > 30)
    throw Error(Errc::invalid_argument, "a pull-through cache prefix has 2..30 characters");
  for (char c : r.prefix)
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
          c == '/'))
      throw Error(Errc::invalid_argument,
                  "a pull-through cache prefix holds a-z, 0-9, '-', '_', '.' and '/', not '" +
                      r.prefix + "'");
  if (r.upstream_url.empty())
    throw Error(Errc::invalid_argument, "a pull-through cache rule needs an upstream registry URL");
}

} // namespace

EnsureRepositoryResult ecr_ensure_pull_through_cache(const AwsOptions &options,
                                                     const PullThroughCacheRule &want, bool apply) {
  check(want);
  auto client = ops::ecr_client(options);
  EnsureRepositoryResult r;
  core::json::Document found;
  bool exists = false;
  try {
    core::json::StringWriter w;
    w.writer.StartObject();
    w.writer.Key("ecrRepositoryPrefixes");
    w.writer.StartArray();
    w.string(want.prefix);
    w.writer.EndArray();
    w.writer.EndObject();
    found = core::json::parse(client.call("DescribePullThroughCacheRules", w.str()),
                              "ecr:DescribePullThroughCacheRules reply");
    const auto *rules = core::json::find(found, "pullThroughCacheRules");
    exists = rules && rules->IsArray() && !rules->Empty();
  } catch (const Error &e) {
    if (e.code() != Errc::not_found) throw;
  }
  if (!exists) {
    auto made =
        core::json::parse(client.call("CreatePullThroughCacheRule", rule_request(want, true)),
                          "ecr:CreatePullThroughCacheRule reply");
    r.created = true;
    r.uri = mirror_of(client, made, want.prefix);
    return r;
  }
  const auto &have = found["pullThroughCacheRules"][0];
  r.uri = mirror_of(client, have, want.prefix);
  auto upstream = core::json::get_string(have, "upstreamRegistryUrl");
  if (upstream != want.upstream_url)
    r.differences.push_back("upstreamRegistryUrl: " + upstream + " (wanted " + want.upstream_url +
                            "; a rule's upstream cannot change: delete the rule first)");
  auto arn = core::json::get_string(have, "credentialArn");
  if (arn != want.credential_arn) {
    r.differences.push_back("credentialArn: " + (arn.empty() ? "none" : arn) + " (wanted " +
                            (want.credential_arn.empty() ? "none" : want.credential_arn) + ")");
    if (apply && !want.credential_arn.empty()) {
      client.call("UpdatePullThroughCacheRule", rule_request(want, false));
      r.updated = true;
    }
  }
  return r;
}

} // namespace berth
