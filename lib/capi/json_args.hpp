// JSON documents a C caller passes in (requests, settings, argument arrays).
#pragma once

#include "core/json.hpp"

#include <berth/error.hpp>

#include <string_view>

namespace berth::capi {

// Parses JSON the caller passed: malformed text is the caller's invalid argument
// (BERTH_EINVAL), not a server's protocol error.
inline core::json::Document parse_json_argument(std::string_view text, const char *what) {
  try {
    return core::json::parse(text, what);
  } catch (const Error &e) {
    if (e.code() != Errc::protocol) throw;
    throw Error(Errc::invalid_argument, e.what());
  }
}

} // namespace berth::capi
