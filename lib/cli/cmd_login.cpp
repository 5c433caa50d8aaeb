// berth login | logout: credentials for any registry where docker, skopeo and berth
// read them; for an ECR registry without -u, the AWS credentials' token (as
// `berth ecr login`).
#include "cli/args.hpp"
#include "cli/aws_args.hpp"
#include "cli/commands.hpp"
#include "cli/registry_args.hpp"

#include <berth/ecr.hpp>
#include <berth/error.hpp>
#include <berth/login.hpp>

#include "core/untrusted_text.hpp"
#include "ecr/registry_host.hpp"

#include <cstdio>
#include <iostream>
#include <iterator>

namespace berth::cli {

const CommandHelp kRegistryLoginHelp = {
    "usage: berth login REGISTRY -u USER (--password-stdin | -p PASSWORD) [--config FILE]\n"
    "       berth login ECR_REGISTRY [AWS OPTIONS]\n"
    "\n"
    "Checks the credentials against REGISTRY (GET /v2/, as docker login does), then\n"
    "writes them where docker, skopeo and berth read them: $REGISTRY_AUTH_FILE when set,\n"
    "else $DOCKER_CONFIG/config.json, else ~/.docker/config.json (or --config FILE),\n"
    "atomically and 0600, every other entry kept. An ECR registry\n"
    "(ACCOUNT.dkr.ecr.REGION.amazonaws.com) needs no -u: its token comes from the AWS\n"
    "credentials (berth itself gets one whenever it connects; this writes one for other\n"
    "tools). Prefer --password-stdin: a -p password is visible to other processes.\n",
    OptionTable{
        {"--username", "USER", "the user name", "-u"},
        {"--password", "PASSWORD", "the password (visible in the process list)", "-p"},
        {"--password-stdin", nullptr, "read the password from stdin (one line)"},
        {"--config", "FILE", "the file to write"},
        {"--no-verify", nullptr, "write without checking with the registry"},
    } + connection_options(),
    nullptr,
    nullptr,
    {aws_option_group()}};

const CommandHelp kRegistryLogoutHelp = {
    "usage: berth logout REGISTRY [--config FILE]\n"
    "\n"
    "Removes REGISTRY's credentials from the file berth login writes (every spelling of\n"
    "its key). Exits 0 either way; says so when there were none.\n",
    OptionTable{{"--config", "FILE", "the file to edit"}}};

int cmd_login(const std::vector<std::string> &argv) {
  Args args(argv, kRegistryLoginHelp.all_options());
  if (args.help()) return print_help(kRegistryLoginHelp), kOk;
  if (args.positional().size() != 1) throw UsageError{"login needs REGISTRY"};
  const auto &registry = args.positional()[0];
  const auto config = args.value_or("--config", "");
  auto user = args.value("--username");
  if (!user) {
    if (!ecr::parse_registry_host(registry))
      throw UsageError{"login to " + registry + " needs -u USER (and --password-stdin)"};
    auto path = ecr_docker_login(aws_options_from(args), registry, config);
    std::fprintf(stderr, "Login Succeeded (%s written)\n", core::printable(path).c_str());
    return kOk;
  }
  std::string password;
  if (args.flag("--password-stdin")) {
    if (args.value("--password")) throw UsageError{"--password and --password-stdin: one of them"};
    password.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r'))
      password.pop_back(); // as docker: the line's end is not the password's
  } else if (auto p = args.value("--password")) {
    password = *p;
  } else {
    throw UsageError{"login needs --password-stdin (or -p PASSWORD)"};
  }
  if (password.empty()) throw UsageError{"the password is empty"};
  LoginOptions o;
  o.config_path = config;
  o.verify = !args.flag("--no-verify");
  o.access = registry_access(args, "");
  auto path = registry_login(registry, *user, password, o);
  std::fprintf(stderr, "Login Succeeded (%s written)\n", core::printable(path).c_str());
  return kOk;
}

int cmd_logout(const std::vector<std::string> &argv) {
  Args args(argv, kRegistryLogoutHelp.all_options());
  if (args.help()) return print_help(kRegistryLogoutHelp), kOk;
  if (args.positional().size() != 1) throw UsageError{"logout needs REGISTRY"};
  const auto &registry = args.positional()[0];
  if (registry_logout(registry, args.value_or("--config", "")))
    std::fprintf(stderr, "Removed login credentials for %s\n", core::printable(registry).c_str());
  else
    std::fprintf(stderr, "Not logged in to %s\n", core::printable(registry).c_str());
  return kOk;
}

} // namespace berth::cli
