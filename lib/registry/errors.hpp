// Registry error replies ({"errors":[{"code","message","detail"}]}) and bare HTTP
// statuses become berth::Error with the matching code.
#pragma once

#include <berth/error.hpp>

#include "http/types.hpp"

#include <string_view>

namespace berth::registry {

// `what` says what was attempted, e.g. "GET manifest localhost:5000/app:1".
Error registry_error(const http::Response &resp, std::string_view what);

} // namespace berth::registry
