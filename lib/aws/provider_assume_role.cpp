// AssumeRole on top of any source of credentials.
#include <berth/aws_credentials.hpp>
#include <berth/error.hpp>

#include "aws/aws_client.hpp"
#include "aws/sts.hpp"

namespace berth::aws {
namespace {

class AssumeRoleProvider final : public CredentialsProvider {
public:
  AssumeRoleProvider(ProviderPtr source, AssumeRoleParams role, ProviderContext ctx)
      : source_(std::move(source)), role_(std::move(role)), ctx_(std::move(ctx)) {}

  ResolvedCredentials resolve() override {
    try {
      std::string region = ctx_.region.empty() ? default_region(ctx_) : ctx_.region;
      StsClient sts(aws_http_client(ctx_), region.empty() ? "us-east-1" : region, ctx_.sts_endpoint,
                    ctx_.env);
      return sts.assume_role(*source_, role_);
    } catch (const Error &e) {
      // The role is configured: a source that has no credentials (credential_source =
      // Environment without keys) must stop the chain, not let it try the next one.
      Errc code = e.code() == Errc::not_found ? Errc::config : e.code();
      Error wrapped(code, "assume role " + role_.role_arn + ": " + e.what());
      wrapped.with_http_status(e.http_status())
          .with_aws_code(e.aws_code())
          .with_request_id(e.request_id());
      throw wrapped;
    }
  }
  std::string name() const override { return "assume role"; }

private:
  ProviderPtr source_;
  AssumeRoleParams role_;
  ProviderContext ctx_;
};

} // namespace

ProviderPtr assume_role_provider(ProviderPtr source, AssumeRoleParams role,
                                 const ProviderContext &ctx) {
  return std::make_shared<AssumeRoleProvider>(std::move(source), std::move(role), ctx);
}

} // namespace berth::aws
