// ISO 8601 / RFC 3339 timestamps as AWS writes them.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace berth::core {

// "2026-11-27T12:00:00Z", "2026-11-27T12:00:00.123Z", "2026-11-27T12:00:00+00:00".
// Throws Error(protocol) for anything else. Times before 1900 or after 2200 are
// clamped to those years (the clock cannot hold 0001 or 9999).
std::chrono::system_clock::time_point parse_iso8601(std::string_view s);

// "2026-11-27T12:00:00Z"
std::string format_iso8601(std::chrono::system_clock::time_point t);

} // namespace berth::core
