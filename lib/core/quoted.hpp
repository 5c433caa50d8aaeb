// Names and inputs inside error messages, quoted.
#pragma once

#include <string>
#include <string_view>

namespace berth::core {

// The input inside double quotes, cut to 100 bytes, with control and non-ASCII bytes
// escaped so a message never carries a raw newline or a broken UTF-8 sequence.
std::string quoted(std::string_view s);

// The name inside single quotes, as it is.
std::string single_quoted(std::string_view s);

} // namespace berth::core
