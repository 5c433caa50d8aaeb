// ECS (and EKS Pod Identity) container credentials.
#include <berth/aws_credentials.hpp>
#include <berth/error.hpp>

#include "aws/credentials_json.hpp"
#include "core/json.hpp"
#include "core/uri.hpp"
#include "http/client.hpp"

#include <fstream>
#include <sstream>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace berth::aws {
namespace {

// True for an IP address literal in 127.0.0.0/8 or ::1. A host *name* never counts:
// "127.0.0.1.nip.io" or "127.evil.test" resolve wherever their owner likes.
bool loopback_literal(const std::string &host) {
  unsigned char addr[16];
  if (::inet_pton(AF_INET, host.c_str(), addr) == 1) return addr[0] == 127;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    in6_addr a6{};
    return ::inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &a6) == 1 &&
           IN6_IS_ADDR_LOOPBACK(&a6);
  }
  return false;
}

// FULL_URI may only point at the container agent or loopback over plain HTTP, so a
// misconfigured variable cannot ship the authorization token elsewhere (botocore's
// rule: https, a loopback address, or one of the agents' addresses).
bool allowed_full_uri(const core::Url &u) {
  if (u.scheme == "https") return true;
  const auto &h = u.host;
  return h == "localhost" || loopback_literal(h) || h == "169.254.170.2" || h == "169.254.170.23" ||
         h == "[fd00:ec2::23]";
}

class EcsProvider final : public CredentialsProvider {
public:
  explicit EcsProvider(ProviderContext ctx) : ctx_(std::move(ctx)) {}

  ResolvedCredentials resolve() override {
    std::string url;
    if (auto rel = ctx_.env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); rel && !rel->empty()) {
      url = "http://169.254.170.2" + *rel;
    } else if (auto full = ctx_.env("AWS_CONTAINER_CREDENTIALS_FULL_URI"); full && !full->empty()) {
      auto u = core::parse_url(*full);
      if (!allowed_full_uri(u))
        throw Error(Errc::config, "ecs: AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or a "
                                  "loopback/ECS agent address");
      url = *full;
    } else {
      throw Error(Errc::not_found,
                  "ecs: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / FULL_URI not set");
    }
    http::Request req;
    req.url = url;
    std::string token;
    if (auto file = ctx_.env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); file && !file->empty()) {
      std::ifstream in(*file);
      if (!in)
        throw Error(Errc::config,
                    "ecs: cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + *file);
      std::ostringstream ss;
      ss << in.rdbuf();
      token = ss.str();
      while (!token.empty() && (token.back() == '\n' || token.back() == '\r'))
        token.pop_back();
    } else if (auto t = ctx_.env("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
      token = *t;
    }
    if (token.find_first_of("\r\n") != std::string::npos)
      throw Error(Errc::config, "ecs: the authorization token contains a line break");
    if (!token.empty()) req.headers.push_back({"Authorization", token});
    req.headers.push_back({"Accept", "application/json"});
    req.carries_secret = !token.empty();
    http::ClientOptions o;
    o.connect_timeout = std::chrono::milliseconds(2000);
    o.total_timeout = std::chrono::milliseconds(5000);
    o.retry.max_attempts = 3;
    http::Client client(o);
    auto resp = client.send(req);
    if (!resp.ok())
      throw Error(resp.status == 401 || resp.status == 403 ? Errc::auth : Errc::protocol,
                  "ecs: the credentials endpoint answered HTTP " + std::to_string(resp.status))
          .with_http_status(resp.status);
    auto doc = core::json::parse(resp.body, "ecs: credentials reply");
    return credentials_from_json(doc, "ecs");
  }
  std::string name() const override { return "ecs"; }

private:
  ProviderContext ctx_;
};

} // namespace

ProviderPtr ecs_provider(const ProviderContext &ctx) {
  return std::make_shared<EcsProvider>(ctx);
}

} // namespace berth::aws
