// The AWS side of every ECR operation: credentials, region and clients from the
// user's AwsOptions (ops/ecr/session.hpp), and the calls that need nothing more.
#include <berth/ecr.hpp>
#include <berth/error.hpp>

#include "aws/aws_client.hpp"
#include "aws/sts.hpp"
#include "core/base64.hpp"
#include "core/file.hpp"
#include "core/json.hpp"
#include "ecr/ecr_client.hpp"
#include "ecr/ecr_public_client.hpp"
#include "ecr/registry_host.hpp"
#include "ops/ecr/session.hpp"

#include <cstdlib>
#include <filesystem>

namespace berth {
namespace ops {

aws::ProviderContext context_for(const AwsOptions &o) {
  aws::ProviderContext ctx;
  ctx.region = o.region;
  ctx.sts_endpoint = o.sts_endpoint;
  ctx.ca_bundle = o.ca_bundle;
  return ctx;
}

std::string region_for(const AwsOptions &o, const std::optional<ecr::EcrHost> &host) {
  if (!o.region.empty()) return o.region;
  if (host) return host->region;
  auto r = aws::default_region(context_for(o), o.profile);
  if (r.empty())
    throw Error(Errc::config,
                "no AWS region: set AWS_REGION, pass --region or name an ECR registry");
  return r;
}

} // namespace ops

using ops::context_for;
using ops::region_for;

aws::ProviderPtr aws_credentials_provider(const AwsOptions &o) {
  aws::ChainOptions c;
  c.context = context_for(o);
  c.profile = o.profile;
  c.role.role_arn = o.role_arn;
  c.role.session_name = o.role_session_name;
  c.role.external_id = o.external_id;
  c.role.duration = o.role_duration;
  return aws::default_chain(c);
}

CallerIdentity aws_caller_identity(const AwsOptions &o) {
  auto ctx = context_for(o);
  auto creds = aws_credentials_provider(o);
  aws::StsClient sts(aws::aws_http_client(ctx), region_for(o, std::nullopt), o.sts_endpoint,
                     ctx.env);
  auto id = sts.get_caller_identity(*creds);
  return {id.account, id.arn, id.user_id};
}

std::string ecr_call(const AwsOptions &o, const std::string &operation,
                     const std::string &json_body) {
  return ops::ecr_client(o).call(operation, json_body);
}

namespace ops {

ecr::EcrClient ecr_client(const AwsOptions &o, const std::string &region_hint) {
  auto ctx = context_for(o);
  std::string region =
      o.region.empty() && !region_hint.empty() ? region_hint : region_for(o, std::nullopt);
  return ecr::EcrClient(aws::aws_http_client(ctx), aws_credentials_provider(o), region,
                        o.ecr_endpoint, ctx.env);
}

} // namespace ops

} // namespace berth
