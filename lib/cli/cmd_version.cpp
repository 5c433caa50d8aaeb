#include "cli/args.hpp"
#include "cli/commands.hpp"

#include <berth.h>

#include <cstdio>

namespace berth::cli {

int cmd_version(const std::vector<std::string> &argv) {
  Args args(argv, {}, {});
  if (args.help()) {
    std::fputs(find_command("version").usage, stdout);
    return kOk;
  }
  std::printf("berth %s (abi %u)\n", berth_version_string(), berth_abi_version());
  return kOk;
}

} // namespace berth::cli
