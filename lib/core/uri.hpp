// URL splitting and RFC 3986 percent-encoding, shared by SigV4, the HTTP transport
// and the registry client.
#pragma once

#include <string>
#include <string_view>

namespace berth::core {

struct Url {
  std::string scheme;   // lower-case "http" / "https"
  std::string userinfo; // without '@'; empty when none
  std::string host;     // lower-case; IPv6 literals keep their brackets
  std::string port;     // empty when absent
  std::string path;     // as given, possibly empty
  std::string query;    // without '?', as given
  bool has_query = false;

  // host[:port], with the scheme's default port left out (what Host: carries).
  std::string authority() const;
  int effective_port() const;
};

// Splits an absolute http(s) URL; throws berth::Error(invalid_argument) otherwise.
Url parse_url(std::string_view url);

// RFC 3986 unreserved: A-Z a-z 0-9 - . _ ~
bool is_unreserved(unsigned char c) noexcept;

// Encodes every byte but unreserved ones (and '/' when keep_slash) as %XX (upper hex).
std::string uri_encode(std::string_view s, bool keep_slash);

// Decodes %XX sequences; other bytes pass through. Malformed escapes pass through.
std::string uri_decode(std::string_view s);

// The wire form of a path or query: bytes that may not appear in a URL (space,
// controls, non-ASCII, and "<>\"^`{|}\\") become %XX; valid %XX escapes stay as they are.
std::string wire_encode(std::string_view s, bool is_query);

} // namespace berth::core
