// The parser's line-level pieces (BuildKit's split_command.go and line_parsers.go):
// one logical line -> a Node. Internal to lib/dockerfile; exposed for tests.
#pragma once

#include "dockerfile/parser.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace berth::dockerfile::detail {

// The leading --flags of an instruction's arguments (quotes and escapes removed; "--"
// ends them) and the rest of the line.
std::pair<std::vector<std::string>, std::string_view> extract_flags(std::string_view line,
                                                                    char escape);

// Words split at unquoted white space, quotes and escapes kept (ENV, LABEL, ARG).
std::vector<std::string> parse_words(std::string_view rest, char escape);

// One instruction line (continuations joined) -> Node, without line numbers, comments
// or heredocs. `depth` bounds nested ONBUILD. Throws berth::Error without location.
Node node_from_line(std::string_view line, char escape, int depth);

} // namespace berth::dockerfile::detail
