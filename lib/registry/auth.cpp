#include "registry/auth.hpp"

#include "core/base64.hpp"
#include "core/json.hpp"
#include "core/uri.hpp"
#include "registry/errors.hpp"

#include <berth/error.hpp>

#include <cctype>

namespace berth::registry {
namespace {

std::string join(const std::vector<std::string> &v, char sep) {
  std::string out;
  for (const auto &s : v) {
    if (!out.empty()) out.push_back(sep);
    out += s;
  }
  return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

// A token lives this much shorter than the service says, so a request never leaves
// with a token that expires in flight.
constexpr auto kExpiryMargin = std::chrono::seconds(10);

} // namespace

Authenticator::Authenticator(std::string registry, std::string base_url, http::Client &http,
                             std::shared_ptr<const Keychain> keychain)
    : registry_(std::move(registry)), base_url_(std::move(base_url)), http_(http),
      keychain_(std::move(keychain)) {}

void Authenticator::learn(const http::Response &resp) {
  challenged_ = true;
  challenge_.reset();
  if (resp.status != 401) return;
  auto header = resp.header("WWW-Authenticate");
  if (!header) return;
  auto all = parse_challenges(*header);
  for (const auto &c : all)
    if (c.scheme == "bearer") challenge_ = c;
  if (!challenge_)
    for (const auto &c : all)
      if (c.scheme == "basic") challenge_ = c;
}

bool Authenticator::challenge_known() const {
  std::lock_guard g(mutex_);
  return challenged_;
}

bool Authenticator::learn_challenge(const http::Response &resp) {
  std::lock_guard g(mutex_);
  if (resp.status != 401 || !resp.header("WWW-Authenticate")) return false;
  learn(resp);
  return true;
}

void Authenticator::ensure_challenge() {
  if (challenged_) return;
  http::Request ping;
  ping.method = "GET";
  ping.url = base_url_ + "/v2/";
  auto resp = http_.send(ping);
  if (resp.status != 200 && resp.status != 401)
    throw registry_error(resp, "GET " + base_url_ + "/v2/ (registry ping)");
  learn(resp);
}

const AuthConfig &Authenticator::credentials() {
  if (!creds_) creds_ = keychain_ ? keychain_->resolve(registry_) : AuthConfig{};
  return *creds_;
}

std::string Authenticator::credentials_hint() {
  const auto &c = credentials();
  if (c.anonymous())
    return " (no credentials configured for " + registry_ + ": give them with 'berth login " +
           registry_ +
           " -u USER --password-stdin', or --creds (--src-creds, --dest-creds) USER:PASS)";
  if (c.username.empty()) return " (the token configured for " + registry_ + " was rejected)";
  return " (credentials of user '" + c.username + "' were rejected)";
}

Error Authenticator::rejected(const http::Response &resp, std::string_view what) {
  auto e = registry_error(resp, what);
  std::lock_guard g(mutex_);
  std::string hint = credentials_hint();
  // A Bearer 401 naming insufficient_scope means the token service accepted the
  // credentials but granted less than the request needs.
  if (auto header = resp.header("WWW-Authenticate")) {
    for (const auto &c : parse_challenges(*header)) {
      auto err = c.params.find("error");
      if (c.scheme != "bearer" || err == c.params.end() || err->second != "insufficient_scope")
        continue;
      const auto &creds = credentials();
      auto scope = c.params.count("scope") ? c.params.at("scope") : std::string("this request");
      hint = " (" + (creds.anonymous() ? "anonymous access" : "user '" + creds.username + "'") +
             " is not granted " + scope + ")";
    }
  }
  // HEAD replies carry no error body; the status alone says nothing to most users.
  std::string text = e.what();
  if (resp.body.empty()) text += " Unauthorized";
  return Error(Errc::auth, text + hint).with_http_status(401);
}

Authenticator::Token Authenticator::fetch_token(const std::vector<std::string> &scopes) {
  const auto &creds = credentials();
  if (!creds.registry_token.empty())
    return {creds.registry_token, std::chrono::steady_clock::time_point::max()};
  auto realm = challenge_->params.count("realm") ? challenge_->params.at("realm") : "";
  if (realm.empty())
    throw Error(Errc::protocol, registry_ + " sent a Bearer challenge without a realm");
  std::string service = challenge_->params.count("service") ? challenge_->params.at("service") : "";
  // Credentials (Basic or a refresh token) go to the realm: never in clear text when
  // the registry itself was reached over TLS. A plain-http registry is the user's
  // choice (loopback or --plain-http) and its realm may be plain http too.
  if (starts_with_ci(base_url_, "https://") && !starts_with_ci(realm, "https://"))
    throw Error(Errc::unsafe, registry_ + " named a token realm that is not https (" +
                                  realm.substr(0, realm.find('?')) +
                                  "): refusing to send credentials over plain http");

  http::Request req;
  std::string form;
  std::unique_ptr<http::StringSource> body;
  if (!creds.identity_token.empty()) {
    // OAuth2 refresh-token grant, as docker does for identity tokens.
    req.method = "POST";
    req.url = realm;
    form = "grant_type=refresh_token&client_id=berth&refresh_token=" +
           core::uri_encode(creds.identity_token, false) +
           "&service=" + core::uri_encode(service, false);
    if (!scopes.empty()) form += "&scope=" + core::uri_encode(join(scopes, ' '), false);
    body = std::make_unique<http::StringSource>(form);
    req.body = body.get();
    req.idempotent = true;
    req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  } else {
    req.method = "GET";
    req.url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
    req.url += "service=" + core::uri_encode(service, false);
    for (const auto &s : scopes)
      req.url += "&scope=" + core::uri_encode(s, false);
    if (!creds.username.empty())
      req.headers.push_back(
          {"Authorization", "Basic " + core::base64_encode(creds.username + ":" + creds.password)});
  }
  // A refresh token in the body, or Basic credentials: never replayed to another
  // origin or over plain http by a redirect (http::Request::carries_secret).
  req.carries_secret = !creds.anonymous();
  auto resp = http_.send(std::move(req));
  if (!resp.ok()) {
    auto e = registry_error(resp, "token request to " + realm.substr(0, realm.find('?')));
    if (resp.status == 401 || resp.status == 403)
      throw Error(Errc::auth, std::string(e.what()) + credentials_hint())
          .with_http_status(resp.status);
    throw e;
  }
  auto doc = core::json::parse(resp.body, "token service reply");
  auto token = core::json::get_string(doc, "token");
  if (token.empty()) token = core::json::get_string(doc, "access_token");
  if (token.empty())
    throw Error(Errc::protocol, "token service reply from " + realm + " has no token");
  auto expires_in = core::json::get_int(doc, "expires_in", 60);
  if (expires_in < 60) expires_in = 60; // the spec's minimum lifetime
  // A huge lifetime would overflow the clock; a day is longer than any registry grants.
  if (expires_in > 86400) expires_in = 86400;
  return {token,
          std::chrono::steady_clock::now() + std::chrono::seconds(expires_in) - kExpiryMargin};
}

std::string Authenticator::authorization(const std::vector<std::string> &scopes, bool ping_first) {
  std::lock_guard g(mutex_);
  // Until a reply says what the registry wants, requests go out bare: a registry
  // that needs no credentials answers at once, one that does answers 401 with the
  // challenge (Registry::send learns it and retries), so neither pays a GET /v2/
  // round trip first. containerd works the same way. A request with a body pings
  // instead, so that a large upload is never sent only to be refused.
  if (!challenged_ && !ping_first) return "";
  ensure_challenge();
  if (!challenge_) return "";
  if (challenge_->scheme == "basic") {
    const auto &c = credentials();
    if (c.username.empty() && c.password.empty()) return "";
    return "Basic " + core::base64_encode(c.username + ":" + c.password);
  }
  if (challenge_->scheme != "bearer")
    throw Error(Errc::unsupported,
                registry_ + " asks for unsupported authentication '" + challenge_->scheme + "'");
  auto key = join(scopes, ' ');
  auto it = tokens_.find(key);
  if (it != tokens_.end() && std::chrono::steady_clock::now() < it->second.expires)
    return "Bearer " + it->second.value;
  auto token = fetch_token(scopes);
  tokens_[key] = token;
  return "Bearer " + token.value;
}

void Authenticator::unauthorized(const http::Response &resp,
                                 const std::vector<std::string> &scopes) {
  std::lock_guard g(mutex_);
  // A 401 may name a new realm or scheme; a 403 (expired ECR token) says nothing
  // about the challenge and must not erase it.
  if (resp.status == 401 && resp.header("WWW-Authenticate")) learn(resp);
  // A bare request refused without a challenge: ask GET /v2/, as before the first
  // request, in case the registry only names its challenge there.
  if (!challenged_) ensure_challenge();
  tokens_.erase(join(scopes, ' '));
  // Short-lived credentials (ECR tokens) are fetched anew on the retry.
  creds_.reset();
  if (keychain_) keychain_->invalidate(registry_);
}

} // namespace berth::registry
