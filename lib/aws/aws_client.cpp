#include "aws/aws_client.hpp"

#include "aws/aws_error.hpp"
#include "http/retry.hpp"

#include <berth/cancel.hpp>
#include <berth/error.hpp>

#include <random>
#include <thread>

namespace berth::aws {

http::Response aws_call(http::Client &http, CredentialsProvider *credentials, const AwsCall &call) {
  static const Signer signer;
  std::mt19937_64 rng{std::random_device{}()};
  http::RetryPolicy policy;
  for (int attempt = 1;; ++attempt) {
    http::Request req;
    req.method = call.method;
    req.url = call.url;
    req.headers = call.headers;
    req.idempotent = true;
    http::StringSource body(call.body);
    if (!call.body.empty() || call.method == "POST") req.body = &body;
    if (credentials) {
      auto creds = credentials->resolve();
      SigningOptions o;
      o.region = call.region;
      o.service = call.service;
      o.credentials = creds.credentials;
      SignableRequest sr{call.method, call.url, {}, call.body};
      for (const auto &h : call.headers)
        sr.headers.push_back({h.name, h.value});
      auto signed_req = signer.sign(sr, o);
      req.headers.clear();
      for (const auto &h : signed_req.headers)
        if (h.name != "Host") req.headers.push_back({h.name, h.value});
    }
    // One attempt per turn of this loop, which retries and signs each attempt afresh;
    // the client's own retries would multiply with these (5 x 5 attempts).
    http::Response resp;
    try {
      resp = http.send_once(req);
    } catch (const Error &e) {
      bool transient = e.code() == Errc::network || e.code() == Errc::timeout;
      if (!transient || attempt >= call.max_attempts) throw;
      sleep_unless_cancelled(http::backoff_delay(policy, attempt, std::nullopt, rng));
      continue;
    }
    if (resp.ok()) return resp;
    auto err = aws_error(resp, call.what);
    bool retry = err.code() == Errc::throttled || resp.status >= 500;
    if (!retry || attempt >= call.max_attempts) throw err;
    sleep_unless_cancelled(http::backoff_delay(policy, attempt, std::nullopt, rng));
  }
}

std::shared_ptr<http::Client> aws_http_client(const ProviderContext &ctx) {
  http::ClientOptions o;
  o.ca_bundle = ctx.ca_bundle;
  if (o.ca_bundle.empty())
    if (auto b = ctx.env("AWS_CA_BUNDLE")) o.ca_bundle = *b;
  o.connect_timeout = std::chrono::milliseconds(10000);
  return std::make_shared<http::Client>(o);
}

std::string json_rpc(http::Client &http, CredentialsProvider *credentials,
                     const std::string &service, const std::string &region,
                     const std::string &endpoint, const std::string &target_prefix,
                     const std::string &operation, const std::string &body_json) {
  AwsCall c;
  c.service = service;
  c.region = region;
  c.url = endpoint + (!endpoint.empty() && endpoint.back() == '/' ? "" : "/");
  c.body = body_json.empty() ? "{}" : body_json;
  c.what = service + ":" + operation;
  c.headers = {{"Content-Type", "application/x-amz-json-1.1"},
               {"X-Amz-Target", target_prefix + "." + operation}};
  return aws_call(http, credentials, c).body;
}

} // namespace berth::aws
