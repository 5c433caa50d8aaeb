// Keychains: where registry credentials come from. DockerKeychain reads the files
// docker, podman, skopeo and crane share (config.json / auth.json) and runs the
// credential helpers they name, with docker's precedence rules, so a `docker login`
// or `podman login` done earlier just works.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace berth::registry {

// What a registry login gives. At most one form is normally set; the HTTP layer
// prefers registry_token, then identity_token, then username/password.
struct AuthConfig {
  std::string username, password;
  std::string
      identity_token; // OAuth2 refresh token (docker "identitytoken"; helper Username "<token>")
  std::string registry_token; // bearer token to send as-is ("registrytoken")

  bool anonymous() const {
    return username.empty() && password.empty() && identity_token.empty() && registry_token.empty();
  }
};

class Keychain {
public:
  virtual ~Keychain() = default;
  // registry: host[:port] as in a reference ("docker.io", "localhost:5000"); a URL
  // form ("https://host/v1/") and docker.io's aliases are accepted too. Returns
  // anonymous when nothing is configured. Throws Error(config) for a malformed config
  // file (the message names the file and the JSON error), Error(auth) when a
  // configured helper fails for a reason other than "not found". No message ever
  // carries a secret. Implementations are stateless and safe to share across threads.
  virtual AuthConfig resolve(const std::string &registry) const = 0;
  // The registry refused what resolve() gave (401, or ECR's "token expired" 403):
  // keychains that cache short-lived credentials drop them here.
  virtual void invalidate(const std::string &registry) const { (void)registry; }
};

struct DockerKeychainOptions {
  // Files read in order; the first that yields credentials for the registry wins, and
  // missing files are skipped. When empty, default_auth_files() at each resolve().
  std::vector<std::string> files;
};

// Per file, docker's order: credHelpers[registry] if present, else credsStore if set
// (falling back to auths when the store has nothing), else auths. Keys are matched
// exactly first, then after normalisation (scheme and path stripped, lower-cased, and
// docker.io / index.docker.io / registry-1.docker.io / "https://index.docker.io/v1/"
// all meaning Docker Hub). Files are read on every resolve(), so a login made while
// the program runs is seen.
class DockerKeychain final : public Keychain {
public:
  explicit DockerKeychain(DockerKeychainOptions options = {});
  AuthConfig resolve(const std::string &registry) const override;

private:
  DockerKeychainOptions options_;
};

// Fixed credentials (--creds, --src-creds) for one registry, or for any when
// registry is "".
// docker's config.json: $DOCKER_CONFIG/config.json, else ~/.docker/config.json (the
// home from $HOME, else the password database); "" when there is no home at all.
std::string docker_config_json();

// "https://Index.Docker.io/v1/" -> "docker.io": a config key or host as a registry
// name (scheme and path stripped, lower case, Docker Hub's aliases as one).
std::string normalize_registry(std::string_view key);
// The key docker itself writes for a registry ("https://index.docker.io/v1/" for Hub).
std::string docker_server_key(const std::string &registry);

class StaticKeychain final : public Keychain {
public:
  StaticKeychain(std::string registry, AuthConfig auth);
  AuthConfig resolve(const std::string &registry) const override;

private:
  std::string registry_; // normalised; "" = any
  AuthConfig auth_;
};

// Asks each keychain in turn; the first non-anonymous answer wins. An error from a
// keychain stops the search (a broken config must not silently fall through).
class ChainKeychain final : public Keychain {
public:
  // Throws Error(invalid_argument) for a null entry.
  explicit ChainKeychain(std::vector<std::shared_ptr<const Keychain>> keychains);
  AuthConfig resolve(const std::string &registry) const override;
  void invalidate(const std::string &registry) const override;

private:
  std::vector<std::shared_ptr<const Keychain>> keychains_;
};

// $REGISTRY_AUTH_FILE (if set), then $DOCKER_CONFIG/config.json or else
// ~/.docker/config.json, then ${XDG_RUNTIME_DIR}/containers/auth.json (if set).
std::vector<std::string> default_auth_files();

// DockerKeychain with default files.
std::shared_ptr<const Keychain> default_keychain();

// "user:pass" (as in --src-creds); the password may contain ':' and may be empty.
// Throws Error(invalid_argument) when there is no ':' or the user is empty; the
// message never quotes the input.
AuthConfig parse_user_pass(std::string_view s);

} // namespace berth::registry
