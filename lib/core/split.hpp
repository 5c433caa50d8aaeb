// Comma-separated option values ("linux/amd64,linux/arm64", "id=x,src=f", tag rules):
// the items as written, empty ones kept, so that each caller decides about blanks and
// empty items.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::core {

// The items of `s` between `sep`s: "" is one empty item, "a," is "a" and "".
std::vector<std::string> split(std::string_view s, char sep = ',');

// `s` without leading and trailing characters of `blanks`.
std::string trim(std::string_view s, std::string_view blanks = " \t");

} // namespace berth::core
