#include "cli/args.hpp"
#include "cli/commands.hpp"

#include <berth.h>

#include <cstdio>

namespace berth::cli {

const CommandHelp kVersionHelp = {"usage: berth version\n", {}};

int cmd_version(const std::vector<std::string> &argv) {
  Args args(argv, kVersionHelp.all_options());
  if (args.help()) {
    print_help(kVersionHelp);
    return kOk;
  }
  std::printf("berth %s (abi %u)\n", berth_version_string(), berth_abi_version());
  return kOk;
}

} // namespace berth::cli
