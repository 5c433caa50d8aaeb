// Builds the registry client for a host from the user's access options.
#pragma once

#include <berth/copy.hpp>

#include "ops/endpoints.hpp"
#include "registry/registry.hpp"

#include <memory>
#include <string>

namespace berth::ops {

std::shared_ptr<registry::Registry> connect(const std::string &host, const RegistryAccess &access);

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
