#include "ops/transfer/registry_access.hpp"

#include <berth/error.hpp>

#include "http/client.hpp"
#include "registry/ecr_keychain.hpp"
#include "registry/keychain.hpp"

namespace berth::ops {

std::shared_ptr<registry::Registry> connect(const std::string &host, const RegistryAccess &access) {
  http::ClientOptions hopts;
  hopts.ca_bundle = access.ca_bundle;
  hopts.insecure = access.insecure;
  hopts.stall_timeout = access.stall_timeout;
  if (access.timeout.count() > 0)
    hopts.deadline = std::chrono::steady_clock::now() + access.timeout;
  auto http = std::make_shared<http::Client>(hopts);
  // Credentials given for a location (--creds, --src-creds, --dest-creds) answer for
  // its registry only; any other host (a mirror, another destination) gets none of
  // them, even if a caller hands this access to a connection there.
  std::shared_ptr<const registry::Keychain> keychain;
  if (!access.creds.empty())
    keychain =
        std::make_shared<registry::StaticKeychain>(host, registry::parse_user_pass(access.creds));
  else if (!access.auth_file.empty())
    keychain = std::make_shared<registry::ChainKeychain>(
        std::vector<std::shared_ptr<const registry::Keychain>>{
            std::make_shared<registry::EcrKeychain>(),
            std::make_shared<registry::DockerKeychain>(
                registry::DockerKeychainOptions{{access.auth_file}})});
  else
    keychain = registry::default_keychain();
  registry::RegistryOptions ropts;
  ropts.plain_http = access.plain_http;
  if (access.chunk_size > 0) ropts.patch_size = access.chunk_size;
  return std::make_shared<registry::Registry>(host, std::move(http), std::move(keychain), ropts);
}

void check_creds_scope(const std::vector<Location> &locs, const RegistryAccess &access,
                       const char *role) {
  if (access.creds.empty()) return;
  std::string host;
  for (const auto &l : locs) {
    if (l.kind != Location::Kind::registry) continue;
    if (host.empty()) host = l.ref.registry_host();
    if (l.ref.registry_host() != host)
      throw Error(Errc::invalid_argument,
                  std::string(role) + " credentials (USER:PASS) are for one registry, and the " +
                      role + "s are on " + host + " and " + l.ref.registry_host() +
                      ": give each registry its own login (docker config.json, berth ecr login)");
  }
}

std::unique_ptr<ImageSource> open_source(const Location &loc, const RegistryAccess &access) {
  switch (loc.kind) {
  case Location::Kind::registry: return open_registry_source(loc, access);
  case Location::Kind::oci_layout: return open_layout_source(loc);
  case Location::Kind::oci_archive:
  case Location::Kind::docker_archive: return open_archive_source(loc);
  }
  throw Error(Errc::internal, "unknown location kind");
}

std::unique_ptr<ImageDestination> open_destination(const Location &loc,
                                                   const RegistryAccess &access) {
  switch (loc.kind) {
  case Location::Kind::registry: return open_registry_destination(loc, access);
  case Location::Kind::oci_layout: return open_layout_destination(loc);
  case Location::Kind::oci_archive:
  case Location::Kind::docker_archive: return open_archive_destination(loc);
  }
  throw Error(Errc::internal, "unknown location kind");
}

} // namespace berth::ops
