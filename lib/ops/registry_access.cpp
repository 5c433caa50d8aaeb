#include "ops/registry_access.hpp"

#include <berth/error.hpp>

#include "http/client.hpp"
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
  std::shared_ptr<const registry::Keychain> keychain =
      access.creds.empty()
          ? registry::default_keychain()
          : std::make_shared<registry::StaticKeychain>("", registry::parse_user_pass(access.creds));
  registry::RegistryOptions ropts;
  ropts.plain_http = access.plain_http;
  if (access.chunk_size > 0) ropts.patch_size = access.chunk_size;
  return std::make_shared<registry::Registry>(host, std::move(http), std::move(keychain), ropts);
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
