// EC2 instance metadata, IMDSv2 only: a session token from PUT /latest/api/token,
// then the role's credentials.
#include <berth/aws_credentials.hpp>
#include <berth/error.hpp>

#include "aws/credentials_json.hpp"
#include "core/json.hpp"
#include "http/client.hpp"

#include <algorithm>
#include <cctype>

namespace berth::aws {
namespace {

class ImdsProvider final : public CredentialsProvider {
public:
  explicit ImdsProvider(ProviderContext ctx) : ctx_(std::move(ctx)) {}

  ResolvedCredentials resolve() override {
    if (auto off = ctx_.env("AWS_EC2_METADATA_DISABLED")) {
      std::string v = *off;
      std::transform(v.begin(), v.end(), v.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (v == "true") throw Error(Errc::not_found, "imds: disabled by AWS_EC2_METADATA_DISABLED");
    }
    std::string base = ctx_.imds_endpoint;
    if (base.empty())
      if (auto e = ctx_.env("AWS_EC2_METADATA_SERVICE_ENDPOINT")) base = *e;
    if (base.empty()) base = "http://169.254.169.254";
    while (!base.empty() && base.back() == '/')
      base.pop_back();

    http::ClientOptions o;
    o.connect_timeout = ctx_.imds_timeout;
    o.total_timeout = ctx_.imds_timeout * 2;
    o.retry.max_attempts = 2;
    o.read_environment = false; // never via a proxy or a connect-to mapping
    http::Client client(o);

    http::Request put;
    put.method = "PUT";
    put.url = base + "/latest/api/token";
    put.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
    put.carries_secret = true; // what answers is a token: no redirect elsewhere for it
    http::Response tok;
    try {
      tok = client.send(put);
    } catch (const Error &e) {
      if (e.code() == Errc::cancelled) throw; // stopped, not absent: the chain ends here
      throw Error(Errc::not_found,
                  std::string("imds: no instance metadata service (") + e.what() + ")");
    }
    // Whatever answers at the metadata address without serving IMDSv2 is no
    // metadata service: the chain goes on.
    if (!tok.ok())
      throw Error(Errc::not_found,
                  "imds: token request answered HTTP " + std::to_string(tok.status));
    auto get = [&](const std::string &path) {
      http::Request r;
      r.url = base + path;
      r.headers = {{"X-aws-ec2-metadata-token", tok.body}};
      r.carries_secret = true; // the token is not in Authorization: no redirect strips it
      auto resp = client.send(r);
      if (!resp.ok())
        throw Error(Errc::auth,
                    "imds: GET " + path + " answered HTTP " + std::to_string(resp.status));
      return resp.body;
    };
    std::string role = get("/latest/meta-data/iam/security-credentials/");
    role = role.substr(0, role.find('\n'));
    if (role.empty()) throw Error(Errc::auth, "imds: the instance has no IAM role");
    auto doc = core::json::parse(get("/latest/meta-data/iam/security-credentials/" + role),
                                 "imds: credentials reply");
    if (auto code = core::json::get_string(doc, "Code", "Success"); code != "Success")
      throw Error(Errc::auth, "imds: credentials reply says " + code);
    return credentials_from_json(doc, "imds");
  }
  std::string name() const override { return "imds"; }

private:
  ProviderContext ctx_;
};

} // namespace

ProviderPtr imds_provider(const ProviderContext &ctx) {
  return std::make_shared<ImdsProvider>(ctx);
}

} // namespace berth::aws
