// The options every registry-touching command shares, read into a RegistryAccess.
#pragma once

#include "cli/args.hpp"
#include "cli/options.hpp"

#include <berth/copy.hpp>

#include <string>

namespace berth::cli {

// creds_option ("--creds", "--src-creds", "--dest-creds"), --plain-http, --insecure,
// --ca-bundle, --timeout (the whole operation) and --stall-timeout (a transfer moving
// under 1 KiB/s). Options the command does not declare are simply absent.
RegistryAccess registry_access(const Args &args, const std::string &creds_option = "--creds");

// The rows of those options: the credentials ...
inline constexpr Option kCredsOption = {
    "--creds", "USER:PASS",
    "registry credentials (else docker config.json, the ECR chain for ECR hosts)"};
inline constexpr Option kSrcCredsOption = {
    "--src-creds", "USER:PASS",
    "source credentials (else docker config.json, the ECR chain for ECR hosts)"};
inline constexpr Option kDestCredsOption = {"--dest-creds", "USER:PASS", "destination credentials"};
// ... --plain-http, --insecure, --ca-bundle ...
const OptionTable &connection_options();
// ... and --timeout, --stall-timeout.
const OptionTable &timeout_options();

} // namespace berth::cli
