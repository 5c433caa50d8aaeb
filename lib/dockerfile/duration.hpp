// Go's time.ParseDuration ("1h30m", "5s", "1.5ms", "0") and strconv.ParseInt(s, 10, 32),
// for HEALTHCHECK's flags.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace berth::dockerfile {

// Throws berth::Error (invalid_argument) on a malformed or overflowing duration.
std::chrono::nanoseconds parse_go_duration(std::string_view s);

std::optional<int> parse_go_int32(std::string_view s);

} // namespace berth::dockerfile
