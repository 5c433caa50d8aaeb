// Base64 (RFC 4648, standard alphabet) over OpenSSL's EVP encoder.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth::core {

std::string base64_encode(std::string_view data);
// nullopt for malformed input (bad characters or length).
std::optional<std::string> base64_decode(std::string_view text);

} // namespace berth::core
