// Usage errors that help: "did you mean ...?" for a mistyped command or option, as git
// and cargo offer (the closest known name within a small edit distance), and a short
// message instead of a whole help text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::cli {

// The candidate closest to `typed` (optimal string alignment distance: insertions,
// deletions, substitutions and swaps of neighbours), when it is at most 2 edits away
// and no farther than a third of the longer name; "" when none is that close.
std::string closest(std::string_view typed, const std::vector<std::string> &candidates);

// "; did you mean 'X'?" or "".
std::string did_you_mean(std::string_view typed, const std::vector<std::string> &candidates);

struct CommandHelp;
// A usage error as a few lines that stay on screen: "WHO: message", the command's
// synopsis (its help's first paragraph) and "see 'WHO --help'" for the rest.
void print_usage_error(const std::string &who, const std::string &message, const CommandHelp &help);

} // namespace berth::cli
