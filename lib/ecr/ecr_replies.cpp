#include "ecr/ecr_replies.hpp"

#include "core/base64.hpp"

#include <berth/error.hpp>

#include <algorithm>

namespace berth::ecr {

std::chrono::system_clock::time_point time_from_epoch_seconds(double seconds) {
  constexpr double kYear2100 = 4102444800.0;
  seconds = std::clamp(seconds, 0.0, kYear2100);
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::duration<double>(seconds)));
}

namespace {

// One authorizationData object: its token decoded, its expiry and endpoint.
AuthorizationToken authorization_data(const core::json::Value &d, const char *what) {
  auto decoded = core::base64_decode(core::json::get_string(d, "authorizationToken"));
  if (!decoded) throw Error(Errc::protocol, std::string(what) + ": the token is not base64");
  auto colon = decoded->find(':');
  if (colon == std::string::npos)
    throw Error(Errc::protocol, std::string(what) + ": the token is not USER:PASSWORD");
  AuthorizationToken t;
  t.username = decoded->substr(0, colon);
  t.password = decoded->substr(colon + 1);
  t.proxy_endpoint = core::json::get_string(d, "proxyEndpoint");
  const auto *exp = core::json::find(d, "expiresAt");
  t.expires_at = time_from_epoch_seconds(exp && exp->IsNumber() ? exp->GetDouble() : 0);
  return t;
}

} // namespace

AuthorizationToken parse_authorization_token(std::string_view reply) {
  auto doc = core::json::parse(reply, "ecr:GetAuthorizationToken reply");
  const auto *data = core::json::find(doc, "authorizationData");
  if (!data || !data->IsArray() || data->Empty())
    throw Error(Errc::protocol, "ecr:GetAuthorizationToken reply has no authorizationData");
  return authorization_data((*data)[0], "ecr:GetAuthorizationToken");
}

AuthorizationToken parse_public_authorization_token(std::string_view reply) {
  auto doc = core::json::parse(reply, "ecr-public:GetAuthorizationToken reply");
  const auto *data = core::json::find(doc, "authorizationData");
  if (!data || !data->IsObject())
    throw Error(Errc::protocol, "ecr-public:GetAuthorizationToken reply has no authorizationData");
  return authorization_data(*data, "ecr-public:GetAuthorizationToken");
}

std::string parse_page(std::string_view reply, const std::string &what, const char *items_key,
                       const std::function<void(const core::json::Value &)> &fn) {
  auto doc = core::json::parse(reply, what.c_str());
  if (const auto *items = core::json::find(doc, items_key); items && items->IsArray())
    for (const auto &item : items->GetArray())
      fn(item);
  return core::json::get_string(doc, "nextToken");
}

RepositoryInfo parse_repository(const core::json::Value &v) {
  RepositoryInfo r;
  r.name = core::json::get_string(v, "repositoryName");
  r.arn = core::json::get_string(v, "repositoryArn");
  r.uri = core::json::get_string(v, "repositoryUri");
  r.registry_id = core::json::get_string(v, "registryId");
  r.tag_mutability = core::json::get_string(v, "imageTagMutability", "MUTABLE");
  if (const auto *f = core::json::find(v, "imageTagMutabilityExclusionFilters"); f && f->IsArray())
    for (const auto &e : f->GetArray())
      if (e.IsObject()) r.mutability_exclusions.push_back(core::json::get_string(e, "filter"));
  if (const auto *s = core::json::find(v, "imageScanningConfiguration"))
    r.scan_on_push = core::json::get_bool(*s, "scanOnPush");
  if (const auto *e = core::json::find(v, "encryptionConfiguration")) {
    r.encryption_type = core::json::get_string(*e, "encryptionType");
    r.kms_key = core::json::get_string(*e, "kmsKey");
  }
  return r;
}

RepositoryInfo parse_created_repository(std::string_view reply) {
  auto doc = core::json::parse(reply, "ecr:CreateRepository reply");
  const auto *repo = core::json::find(doc, "repository");
  if (!repo) throw Error(Errc::protocol, "ecr:CreateRepository reply has no repository");
  return parse_repository(*repo);
}

ImageInfo parse_image_detail(const core::json::Value &v) {
  ImageInfo img;
  img.digest = core::json::get_string(v, "imageDigest");
  if (const auto *tags = core::json::find(v, "imageTags"); tags && tags->IsArray())
    for (const auto &tag : tags->GetArray())
      if (tag.IsString()) img.tags.emplace_back(tag.GetString(), tag.GetStringLength());
  if (const auto *pushed = core::json::find(v, "imagePushedAt"); pushed && pushed->IsNumber())
    img.pushed_at = time_from_epoch_seconds(pushed->GetDouble());
  img.media_type = core::json::get_string(v, "imageManifestMediaType");
  return img;
}

ScanFindings scan_findings_of(const core::json::Value &doc) {
  ScanFindings f;
  if (const auto *status = core::json::find(doc, "imageScanStatus")) {
    f.status = core::json::get_string(*status, "status");
    f.description = core::json::get_string(*status, "description");
  }
  if (const auto *findings = core::json::find(doc, "imageScanFindings"))
    if (const auto *counts = core::json::find(*findings, "findingSeverityCounts");
        counts && counts->IsObject())
      for (const auto &m : counts->GetObject())
        if (m.value.IsInt() && m.value.GetInt() >= 0)
          f.counts[std::string(m.name.GetString(), m.name.GetStringLength())] = m.value.GetInt();
  return f;
}

} // namespace berth::ecr
