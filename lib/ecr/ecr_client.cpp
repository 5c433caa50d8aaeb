#include "ecr/ecr_client.hpp"

#include "aws/aws_client.hpp"
#include "aws/endpoints.hpp"
#include "ecr/ecr_replies.hpp"

#include <berth/error.hpp>

namespace berth::ecr {

EcrClient::EcrClient(std::shared_ptr<http::Client> http, aws::ProviderPtr credentials,
                     std::string region, std::string endpoint, aws::EnvFn env)
    : http_(std::move(http)), credentials_(std::move(credentials)), region_(std::move(region)),
      endpoint_(endpoint.empty() ? aws::resolve_endpoint("ecr", region_, {}, env)
                                 : std::move(endpoint)) {
  if (region_.empty())
    throw Error(Errc::config, "ecr: no region (set AWS_REGION or pass --region)");
}

std::string EcrClient::call(const std::string &operation, const std::string &body_json) {
  // An empty name would still be sent (X-Amz-Target "...V20150921.") and come back
  // as a bare HTTP 404.
  if (operation.empty()) throw Error(Errc::invalid_argument, "ecr: no operation name");
  for (char c : operation)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      throw Error(Errc::invalid_argument, "ecr: invalid operation name '" + operation + "'");
  return aws::json_rpc(*http_, credentials_.get(), "ecr", region_, endpoint_,
                       "AmazonEC2ContainerRegistry_V20150921", operation, body_json);
}

void EcrClient::paginate(const std::string &operation, const std::string &body_json,
                         const char *items_key,
                         const std::function<void(const core::json::Value &)> &fn) {
  std::string token;
  for (int page = 0; page < 10000; ++page) {
    auto req = core::json::parse(body_json.empty() ? "{}" : body_json, "request");
    if (!token.empty())
      req.AddMember("nextToken", rapidjson::Value(token.c_str(), req.GetAllocator()),
                    req.GetAllocator());
    core::json::StringWriter w;
    req.Accept(w.writer);
    token = parse_page(call(operation, w.str()), "ecr:" + operation + " reply", items_key, fn);
    if (token.empty()) return;
  }
  throw Error(Errc::protocol, "ecr:" + operation + " kept returning nextToken");
}

AuthorizationToken EcrClient::get_authorization_token(const std::string &registry_id) {
  core::json::StringWriter w;
  w.writer.StartObject();
  if (!registry_id.empty()) {
    w.writer.Key("registryIds");
    w.writer.StartArray();
    w.string(registry_id);
    w.writer.EndArray();
  }
  w.writer.EndObject();
  return parse_authorization_token(call("GetAuthorizationToken", w.str()));
}

std::vector<RepositoryInfo>
EcrClient::describe_repositories(const std::vector<std::string> &names) {
  core::json::StringWriter w;
  w.writer.StartObject();
  if (!names.empty()) {
    w.writer.Key("repositoryNames");
    w.writer.StartArray();
    for (const auto &n : names)
      w.string(n);
    w.writer.EndArray();
  }
  w.writer.EndObject();
  std::vector<RepositoryInfo> out;
  paginate("DescribeRepositories", w.str(), "repositories",
           [&](const core::json::Value &v) { out.push_back(parse_repository(v)); });
  return out;
}

namespace {

// imageTagMutability and its exclusion filters, as CreateRepository and
// PutImageTagMutability both take them.
void write_mutability(core::json::StringWriter &w, bool immutable,
                      const std::vector<std::string> &exclusions) {
  std::string m = immutable ? "IMMUTABLE" : "MUTABLE";
  if (!exclusions.empty()) m += "_WITH_EXCLUSION";
  w.member("imageTagMutability", m);
  if (exclusions.empty()) return;
  w.writer.Key("imageTagMutabilityExclusionFilters");
  w.writer.StartArray();
  for (const auto &f : exclusions) {
    w.writer.StartObject();
    w.member("filterType", "WILDCARD");
    w.member("filter", f);
    w.writer.EndObject();
  }
  w.writer.EndArray();
}

void write_scan_on_push(core::json::StringWriter &w, bool scan_on_push) {
  w.writer.Key("imageScanningConfiguration");
  w.writer.StartObject();
  w.writer.Key("scanOnPush");
  w.writer.Bool(scan_on_push);
  w.writer.EndObject();
}

} // namespace

RepositoryInfo EcrClient::create_repository(const CreateRepositoryParams &p) {
  core::json::StringWriter w;
  w.writer.StartObject();
  w.member("repositoryName", p.name);
  write_mutability(w, p.immutable, p.mutability_exclusions);
  write_scan_on_push(w, p.scan_on_push);
  if (!p.encryption_type.empty()) {
    if (p.encryption_type != "AES256" && p.encryption_type != "KMS")
      throw Error(Errc::invalid_argument, "encryption must be AES256 or KMS");
    w.writer.Key("encryptionConfiguration");
    w.writer.StartObject();
    w.member("encryptionType", p.encryption_type);
    if (!p.kms_key.empty()) w.member("kmsKey", p.kms_key);
    w.writer.EndObject();
  }
  w.writer.EndObject();
  return parse_created_repository(call("CreateRepository", w.str()));
}

void EcrClient::put_tag_mutability(const std::string &repository, bool immutable,
                                   const std::vector<std::string> &exclusions) {
  core::json::StringWriter w;
  w.writer.StartObject();
  w.member("repositoryName", repository);
  write_mutability(w, immutable, exclusions);
  w.writer.EndObject();
  call("PutImageTagMutability", w.str());
}

void EcrClient::put_scan_on_push(const std::string &repository, bool scan_on_push) {
  core::json::StringWriter w;
  w.writer.StartObject();
  w.member("repositoryName", repository);
  write_scan_on_push(w, scan_on_push);
  w.writer.EndObject();
  call("PutImageScanningConfiguration", w.str());
}

} // namespace berth::ecr
