// berth_aws_probe: resolves AWS credentials through berth's default chain exactly as
// the CLI does, for tests/aws (pytest) to drive providers with real environments and
// loopback servers:
//
//   BERTH_AWS_PROBE=credentials | identity   (identity: then sts:GetCallerIdentity
//                                              signed with them; default credentials)
//   BERTH_AWS_PROBE_PROFILE, _ROLE_ARN, _EXTERNAL_ID, _REGION, _STS_ENDPOINT: AwsOptions
//
// Prints "PROBE key=value" lines: provider, access_key_id, whether there is a session
// token, the expiration, and a SHA-256 prefix of the secret (never the secret); or
// error_code and error on failure (exit status 0 either way: the lines are the answer).
#include <berth/ecr.hpp>
#include <berth/error.hpp>

#include "aws/aws_client.hpp"
#include "aws/sts.hpp"
#include "core/crypto.hpp"
#include "core/time.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace {

std::string env_or(const char *name) {
  const char *v = std::getenv(name);
  return v ? v : "";
}

void line(const char *key, const std::string &value) {
  std::printf("PROBE %s=%s\n", key, value.c_str());
}

} // namespace

int main() {
  std::string mode = env_or("BERTH_AWS_PROBE");
  if (mode.empty()) mode = "credentials";
  berth::AwsOptions o;
  o.profile = env_or("BERTH_AWS_PROBE_PROFILE");
  o.role_arn = env_or("BERTH_AWS_PROBE_ROLE_ARN");
  o.external_id = env_or("BERTH_AWS_PROBE_EXTERNAL_ID");
  o.region = env_or("BERTH_AWS_PROBE_REGION");
  o.sts_endpoint = env_or("BERTH_AWS_PROBE_STS_ENDPOINT");
  try {
    auto provider = berth::aws_credentials_provider(o);
    auto c = provider->resolve();
    line("provider", c.provider);
    line("access_key_id", c.credentials.access_key_id);
    line("session_token", c.credentials.session_token.empty() ? "no" : "yes");
    line("expiration", c.expiration ? berth::core::format_iso8601(*c.expiration) : "none");
    line("secret_sha256", berth::core::sha256_hex(c.credentials.secret_access_key).substr(0, 16));
    if (mode == "identity") {
      // With the same provider: a second resolve must come from its cache.
      berth::aws::ProviderContext ctx;
      auto region = o.region.empty() ? berth::aws::default_region(ctx, o.profile) : o.region;
      berth::aws::StsClient sts(berth::aws::aws_http_client(ctx),
                                region.empty() ? "us-east-1" : region, o.sts_endpoint, ctx.env);
      auto id = sts.get_caller_identity(*provider);
      line("account", id.account);
      line("arn", id.arn);
    }
  } catch (const berth::Error &e) {
    line("error_code", berth::errc_text(e.code()));
    line("error", e.what());
  } catch (const std::exception &e) {
    std::fprintf(stderr, "berth_aws_probe: %s\n", e.what());
    return 1;
  }
  std::fflush(stdout);
  return 0;
}
