#include <berth/error.hpp>
#include <berth/login.hpp>

#include "ops/transfer/registry_access.hpp"
#include "registry/docker_config.hpp"
#include "registry/errors.hpp"
#include "registry/keychain.hpp"

namespace berth {

std::string registry_login(const std::string &registry, const std::string &username,
                           const std::string &password, const LoginOptions &options) {
  const auto host = registry::normalize_registry(registry);
  if (host.empty()) throw Error(Errc::invalid_argument, "login needs a registry");
  if (username.empty()) throw Error(Errc::invalid_argument, "login needs a username");
  if (username.find(':') != std::string::npos)
    throw Error(Errc::invalid_argument, "a username cannot hold ':'");
  if (options.verify) {
    // docker login's check: the registry's /v2/ with these credentials (a token
    // registry exchanges them for a token first). Hub's API is registry-1.docker.io.
    auto access = options.access;
    access.creds = username + ":" + password;
    auto reg = ops::connect(host == "docker.io" ? "registry-1.docker.io" : host, access);
    http::Request req;
    req.method = "GET";
    req.url = reg->base_url() + "/v2/";
    // A 401 after the credentials were tried is thrown by send() itself, naming the
    // user whose credentials were rejected; a 403 or other failure comes back here.
    auto resp = reg->send(req, {});
    if (!resp.ok()) throw registry::registry_error(resp, "GET /v2/ of " + host);
  }
  const auto path =
      options.config_path.empty() ? registry::default_login_file() : options.config_path;
  registry::write_login(path, host, username, password);
  return path;
}

bool registry_logout(const std::string &registry, const std::string &config_path) {
  const auto path = config_path.empty() ? registry::default_login_file() : config_path;
  return registry::remove_login(path, registry);
}

} // namespace berth
