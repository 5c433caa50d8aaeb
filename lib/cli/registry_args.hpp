// The options every registry-touching command shares, read into a RegistryAccess.
#pragma once

#include "cli/args.hpp"

#include <berth/copy.hpp>

#include <string>

namespace berth::cli {

// creds_option ("--creds", "--src-creds", "--dest-creds"), --plain-http, --insecure,
// --ca-bundle, --timeout (the whole operation) and --stall-timeout (a transfer moving
// under 1 KiB/s). Options the command does not declare are simply absent.
RegistryAccess registry_access(const Args &args, const std::string &creds_option = "--creds");

} // namespace berth::cli
