// Builds the registry client for a host from the user's access options.
#pragma once

#include <berth/copy.hpp>

#include "ops/transfer/endpoints.hpp"
#include "registry/registry.hpp"

#include <memory>
#include <string>
#include <vector>

namespace berth::ops {

std::shared_ptr<registry::Registry> connect(const std::string &host, const RegistryAccess &access);

// Credentials in access (USER:PASS) belong to one registry: refuses (invalid_argument)
// when locs name registries on more than one host, instead of sending them to all.
void check_creds_scope(const std::vector<Location> &locs, const RegistryAccess &access,
                       const char *role);

std::unique_ptr<ImageSource> open_registry_source(const Location &loc,
                                                  const RegistryAccess &access);
std::unique_ptr<ImageDestination> open_registry_destination(const Location &loc,
                                                            const RegistryAccess &access);
std::unique_ptr<ImageSource> open_layout_source(const Location &loc);
std::unique_ptr<ImageDestination> open_layout_destination(const Location &loc);
// oci-archive and docker-archive (archive_endpoint.cpp).
std::unique_ptr<ImageSource> open_archive_source(const Location &loc);
std::unique_ptr<ImageDestination> open_archive_destination(const Location &loc);

} // namespace berth::ops
