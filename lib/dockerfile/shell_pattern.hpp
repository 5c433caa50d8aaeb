// The glob patterns of ${VAR#p} ${VAR%p} ${VAR/p/r}: * (any run), ? (one character),
// \* \? \\ literal, \} and \/ for the delimiters, as BuildKit turns them into Go
// regular expressions (leftmost-first; * and ? do not match a newline, as Go's "."
// does not). No [...] classes, as in BuildKit.
#pragma once

#include <string>
#include <string_view>

namespace berth::dockerfile {

// ${v#p} (shortest) and ${v##p} (longest, greedy).
std::string trim_prefix_pattern(std::string_view pattern, std::string_view value, bool greedy);
// ${v%p} and ${v%%p}.
std::string trim_suffix_pattern(std::string_view pattern, std::string_view value, bool greedy);
// ${v/p/r} (first match) and ${v//p/r} (all; the replacement expands $0 and $$ as Go's
// Regexp.ReplaceAllString does).
std::string replace_pattern(std::string_view pattern, std::string_view value,
                            std::string_view replacement, bool all);

} // namespace berth::dockerfile
