// berth login / logout for any registry, as docker login and skopeo login: the
// credentials checked against the registry, then written where docker, skopeo and berth
// read them (registry/docker_config.hpp: REGISTRY_AUTH_FILE when set, else docker's
// config.json), atomically and 0600. ECR registries need no stored password: berth
// gets a token from the AWS credentials when it connects (ecr_docker_login writes one
// for other tools).
#pragma once

#include <berth/copy.hpp>

#include <string>

namespace berth {

struct LoginOptions {
  RegistryAccess access;   // TLS and plain-HTTP settings for the check (creds ignored)
  std::string config_path; // "" = REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json,
                           // else ~/.docker/config.json
  bool verify = true;      // GET /v2/ with the credentials first
};

// Returns the file written. Error(auth) (Error(denied) for a 403) when the registry
// refuses the credentials (nothing is written), Error(invalid_argument) for an empty registry or username,
// Error(network)/Error(timeout) when it cannot be reached, Error(config) for a config
// file that is not JSON.
std::string registry_login(const std::string &registry, const std::string &username,
                           const std::string &password, const LoginOptions &options = {});

// Removes the registry's entries (every spelling of its key); false when there were
// none. Error(config) as above.
bool registry_logout(const std::string &registry, const std::string &config_path = {});

} // namespace berth
