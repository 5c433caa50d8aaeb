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
  std::string port;     // its number ("0443" is kept as "443"); empty when absent
  std::string path;     // as given, possibly empty
  std::string query;    // without '?', as given
  bool has_query = false;

  // host[:port], with the scheme's default port left out (what Host: carries).
  std::string authority() const;
};

// Splits an absolute http(s) URL; throws berth::Error(invalid_argument) otherwise.
Url parse_url(std::string_view url);

// The same split as parse_url, as views into `url` (for paths that must not
// allocate): scheme and host as written, not lower-cased; port as its number, i.e.
// without leading zeros. Throws what parse_url throws.
struct UrlView {
  std::string_view scheme, userinfo, host, port, path, query;
  bool has_query = false;
  bool https = false; // the scheme is https (in any case); otherwise http
};
UrlView parse_url_view(std::string_view url);

// Encodes every byte but unreserved ones (and '/' when keep_slash) as %XX (upper hex).
std::string uri_encode(std::string_view s, bool keep_slash);
void uri_encode_append(std::string &out, std::string_view s, bool keep_slash);

// Appends s with its %XX sequences decoded; other bytes, and malformed escapes, pass
// through.
void uri_decode_append(std::string &out, std::string_view s);

// True when s is already in the form uri_encode(<s decoded>, false) gives, i.e.
// only unreserved bytes and upper-hex escapes of bytes that are not unreserved.
bool is_uri_encoded(std::string_view s) noexcept;

// Appends the wire form of a path or query: bytes that may not appear in a URL (space,
// controls, non-ASCII, and "<>\"^`{|}\\") become %XX; valid %XX escapes stay as they are.
void wire_encode_append(std::string &out, std::string_view s, bool is_query);

} // namespace berth::core
