// berth ecr ensure-repository: describe, create when missing, report (and on request
// apply) settings that differ.
#include <berth/ecr.hpp>
#include <berth/error.hpp>

#include "aws/aws_client.hpp"
#include "ecr/ecr_client.hpp"
#include "ops/ecr_session.hpp"

namespace berth {

EnsureRepositoryResult ecr_ensure_repository(const AwsOptions &options, const std::string &name,
                                             const RepositorySettings &want, bool apply) {
  auto client = ops::ecr_client(options);
  EnsureRepositoryResult r;
  std::vector<ecr::RepositoryInfo> found;
  try {
    found = client.describe_repositories({name});
  } catch (const Error &e) {
    if (e.code() != Errc::not_found) throw;
  }
  if (found.empty()) {
    ecr::CreateRepositoryParams p{name, want.scan_on_push, want.immutable, want.encryption,
                                  want.kms_key};
    auto info = client.create_repository(p);
    r.created = true;
    r.uri = info.uri;
    return r;
  }
  const auto &have = found.front();
  r.uri = have.uri;
  bool have_immutable = have.tag_mutability == "IMMUTABLE";
  auto b = [](bool v) { return std::string(v ? "true" : "false"); };
  if (have.scan_on_push != want.scan_on_push)
    r.differences.push_back("scanOnPush: " + b(have.scan_on_push) + " (wanted " +
                            b(want.scan_on_push) + ")");
  if (have_immutable != want.immutable)
    r.differences.push_back("imageTagMutability: " + have.tag_mutability + " (wanted " +
                            (want.immutable ? "IMMUTABLE" : "MUTABLE") + ")");
  if (!want.encryption.empty() && want.encryption != have.encryption_type)
    r.differences.push_back("encryptionType: " + have.encryption_type + " (wanted " +
                            want.encryption + "; encryption cannot change after creation)");
  if (want.encryption == "KMS" && !want.kms_key.empty() && have.kms_key != want.kms_key)
    r.differences.push_back("kmsKey: " + have.kms_key + " (wanted " + want.kms_key +
                            "; encryption cannot change after creation)");
  if (apply) {
    if (have.scan_on_push != want.scan_on_push) {
      client.call("PutImageScanningConfiguration",
                  "{\"repositoryName\":\"" + name +
                      "\",\"imageScanningConfiguration\":{\"scanOnPush\":" + b(want.scan_on_push) +
                      "}}");
      r.updated = true;
    }
    if (have_immutable != want.immutable) {
      client.call("PutImageTagMutability", "{\"repositoryName\":\"" + name +
                                               "\",\"imageTagMutability\":\"" +
                                               (want.immutable ? "IMMUTABLE" : "MUTABLE") + "\"}");
      r.updated = true;
    }
  }
  return r;
}

} // namespace berth
