// Registry authentication for one registry: learns the challenge from the first 401
// (or from GET /v2/ before a request with a body), then answers Basic challenges from the keychain
// and Bearer challenges with tokens from the registry's token service (anonymous,
// Basic-authenticated GET, or OAuth2 POST with an identity/refresh token). Tokens are cached per
// scope set until they expire. Thread-safe.
#pragma once

#include <berth/error.hpp>

#include "http/client.hpp"
#include "registry/challenge.hpp"
#include "registry/keychain.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::registry {

class Authenticator {
public:
  // registry: host[:port] (for the keychain); base_url: "https://host[:port]".
  Authenticator(std::string registry, std::string base_url, http::Client &http,
                std::shared_ptr<const Keychain> keychain);

  // The Authorization header value for a request needing these scopes
  // ("repository:NAME:pull[,push]"), or "" when the registry needs none or has not
  // said yet what it needs. ping_first: learn the challenge from GET /v2/ before
  // answering (for requests whose body should not be sent twice).
  std::string authorization(const std::vector<std::string> &scopes, bool ping_first = false);

  // Whether a challenge was learnt (from a 401 or the ping), or the registry showed it
  // needs none.
  bool challenge_known() const;
  // A 401 to a request sent before the challenge was known: learns it. False when the
  // reply names none (unauthorized() then asks GET /v2/).
  bool learn_challenge(const http::Response &resp);

  // After a 401: re-learns the challenge from it and forgets the cached token for
  // these scopes, so the next authorization() fetches a fresh one.
  void unauthorized(const http::Response &resp, const std::vector<std::string> &scopes);

  // The error for a 401 that survived re-authentication: the registry's reply plus
  // whose credentials it refused (or that none were configured), so the user knows
  // which login to fix. `what` names the request, as for registry_error().
  Error rejected(const http::Response &resp, std::string_view what);

private:
  struct Token {
    std::string value;
    std::chrono::steady_clock::time_point expires;
  };
  void ensure_challenge();
  void learn(const http::Response &resp);
  const AuthConfig &credentials();
  std::string credentials_hint();
  Token fetch_token(const std::vector<std::string> &scopes);

  std::string registry_, base_url_;
  http::Client &http_;
  std::shared_ptr<const Keychain> keychain_;
  mutable std::mutex mutex_;
  bool challenged_ = false;
  std::optional<Challenge> challenge_; // nullopt: the registry asks for nothing
  std::optional<AuthConfig> creds_;
  std::map<std::string, Token> tokens_;
};

} // namespace berth::registry
