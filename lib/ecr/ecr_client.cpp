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
  aws::AwsCall c;
  c.service = "ecr";
  c.region = region_;
  c.url = endpoint_ + (endpoint_.back() == '/' ? "" : "/");
  c.body = body_json.empty() ? "{}" : body_json;
  c.what = "ecr:" + operation;
  c.headers = {{"Content-Type", "application/x-amz-json-1.1"},
               {"X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921." + operation}};
  return aws::aws_call(*http_, credentials_.get(), c).body;
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
  std::string body = registry_id.empty() ? "{}" : "{\"registryIds\":[\"" + registry_id + "\"]}";
  return parse_authorization_token(call("GetAuthorizationToken", body));
}

std::vector<RepositoryInfo>
EcrClient::describe_repositories(const std::vector<std::string> &names) {
  core::json::StringWriter w;
  w.writer.StartObject();
  if (!names.empty()) {
    w.writer.Key("repositoryNames");
    w.writer.StartArray();
    for (const auto &n : names)
      w.writer.String(n.c_str(), static_cast<rapidjson::SizeType>(n.size()));
    w.writer.EndArray();
  }
  w.writer.EndObject();
  std::vector<RepositoryInfo> out;
  paginate("DescribeRepositories", w.str(), "repositories",
           [&](const core::json::Value &v) { out.push_back(parse_repository(v)); });
  return out;
}

RepositoryInfo EcrClient::create_repository(const CreateRepositoryParams &p) {
  core::json::StringWriter w;
  auto &j = w.writer;
  j.StartObject();
  j.Key("repositoryName");
  j.String(p.name.c_str(), static_cast<rapidjson::SizeType>(p.name.size()));
  j.Key("imageTagMutability");
  j.String(p.immutable ? "IMMUTABLE" : "MUTABLE");
  j.Key("imageScanningConfiguration");
  j.StartObject();
  j.Key("scanOnPush");
  j.Bool(p.scan_on_push);
  j.EndObject();
  if (!p.encryption_type.empty()) {
    if (p.encryption_type != "AES256" && p.encryption_type != "KMS")
      throw Error(Errc::invalid_argument, "encryption must be AES256 or KMS");
    j.Key("encryptionConfiguration");
    j.StartObject();
    j.Key("encryptionType");
    j.String(p.encryption_type.c_str(), static_cast<rapidjson::SizeType>(p.encryption_type.size()));
    if (!p.kms_key.empty()) {
      j.Key("kmsKey");
      j.String(p.kms_key.c_str(), static_cast<rapidjson::SizeType>(p.kms_key.size()));
    }
    j.EndObject();
  }
  j.EndObject();
  return parse_created_repository(call("CreateRepository", w.str()));
}

} // namespace berth::ecr
