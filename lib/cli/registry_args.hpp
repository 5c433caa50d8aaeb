// The options every registry-touching command shares, read into a RegistryAccess.
#pragma once

#include "cli/args.hpp"
#include "cli/options.hpp"

#include <berth/copy.hpp>

#include <string>

namespace berth::cli {

// creds_option ("--creds", "--src-creds", "--dest-creds") with its -file and -env forms
// (creds_value), --authfile, --plain-http, --insecure, --ca-bundle, --timeout (the whole
// operation) and --stall-timeout (a transfer moving under 1 KiB/s). Options the command
// does not declare are simply absent.
RegistryAccess registry_access(const Args &args, const std::string &creds_option = "--creds");

// USER:PASS from OPTION, OPTION-file FILE (the file's first line) or OPTION-env VAR, at
// most one of them; "" when none is given. A file that cannot be read, an unset
// variable or a value without a colon is Errc::auth naming the file or variable, never
// what it holds.
std::string creds_value(const Args &args, const std::string &option);

// The rows of those options: the credentials (OPTION USER:PASS, OPTION-file FILE,
// OPTION-env VAR; --creds and --src-creds also --authfile FILE) ...
const OptionTable &creds_options();
const OptionTable &src_creds_options();
const OptionTable &dest_creds_options();
// ... --plain-http, --insecure, --ca-bundle ...
const OptionTable &connection_options();
// ... and --timeout, --stall-timeout.
const OptionTable &timeout_options();

} // namespace berth::cli
