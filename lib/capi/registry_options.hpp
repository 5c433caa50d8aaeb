// berth_registry_options -> RegistryAccess (and mirrors), for every C ABI call that
// reaches a registry.
#pragma once

#include <berth.h>
#include <berth/copy.hpp>

#include <string>
#include <vector>

namespace berth::capi {

struct RegistrySide {
  RegistryAccess access;
  std::vector<std::string> mirrors;
};

// NULL means the defaults. `field` names the pointer in errors
// ("berth_copy_options.dst"); a side that only writes refuses mirrors
// (reads_images false). timeout_ms: the calling struct's whole-operation limit.
RegistrySide to_registry_side(const berth_registry_options *opts, const char *field,
                              bool reads_images, int64_t timeout_ms);

// The whole-operation limit every options struct carries, checked the same way.
void check_timeout(int64_t timeout_ms, const char *field);

} // namespace berth::capi
