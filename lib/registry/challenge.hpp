// WWW-Authenticate parsing (RFC 9110 section 11.6.1): several challenges in one
// header, parameters with quoted strings that may contain commas and escapes.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace berth::registry {

struct Challenge {
  std::string scheme;                        // lower-case: "basic", "bearer"
  std::map<std::string, std::string> params; // names lower-case: realm, service, scope
};

std::vector<Challenge> parse_challenges(std::string_view header);

} // namespace berth::registry
