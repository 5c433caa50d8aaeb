// The wrapper that runs a subcommand of `berth ecr` or `berth aws`, printing its
// help (defined beside its code) for --help and with usage errors, instead of the
// command's shared overview.
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/suggest.hpp"

#include "core/untrusted_text.hpp"

#include <cstdio>

namespace berth::cli {

int run_subcommand(const std::string &command, const std::vector<Subcommand> &subs,
                   const std::string &sub, const std::vector<std::string> &rest) {
  const Subcommand *found = nullptr;
  for (const auto &s : subs)
    if (sub == s.name) found = &s;
  if (!found) {
    std::vector<std::string> names;
    for (const auto &s : subs)
      names.emplace_back(s.name);
    throw UsageError{"unknown " + command + " command '" + sub + "'" + did_you_mean(sub, names)};
  }
  for (const auto &a : rest) {
    if (a == "--") break;
    if (a == "--help" || a == "-h") {
      print_help(*found->help);
      return kOk;
    }
  }
  try {
    Args args(rest, found->help->all_options());
    return found->run(args);
  } catch (const UsageError &e) {
    print_usage_error("berth " + command + " " + core::printable(sub), e.message, *found->help);
    return kUsage;
  }
}

} // namespace berth::cli
