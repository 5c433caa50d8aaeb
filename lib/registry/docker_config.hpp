// Writing logins where docker, skopeo and berth read them: docker's config.json
// ($DOCKER_CONFIG/config.json, else ~/.docker/config.json), or REGISTRY_AUTH_FILE when
// set (skopeo and podman write there). Read-modify-write under the directory's lock,
// the file replaced atomically and 0600 (it holds passwords), every other member kept.
#pragma once

#include <string>

namespace berth::registry {

// docker's config.json; Error(config) when neither DOCKER_CONFIG nor HOME is set.
std::string docker_config_file();
// Where `berth login` writes: REGISTRY_AUTH_FILE when set, else docker_config_file().
std::string default_login_file();

// auths[<docker's key for registry>] = {"auth": base64(user:pass)}, replacing any
// entry for that registry (under an older spelling of its key too).
void write_login(const std::string &path, const std::string &registry, const std::string &user,
                 const std::string &password);

// Removes every auths entry for registry; false when there was none (nothing written).
bool remove_login(const std::string &path, const std::string &registry);

} // namespace berth::registry
