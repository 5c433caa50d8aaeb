#include "core/uri.hpp"

#include <berth/error.hpp>

#include <array>

namespace berth::core {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

// Per-byte classes, computed at compile time.
enum : unsigned char {
  kUnreserved = 1, // RFC 3986 unreserved
  kWirePath = 2,   // may appear raw in a path on the wire
  kWireQuery = 4,  // may appear raw in a query on the wire
  kHexDigit = 8,   // 0-9 a-f A-F
  kUpperHex = 16,  // 0-9 A-F
  kUnreservedOrSlash = 32,
};

constexpr auto kClass = [] {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    bool digit = c >= '0' && c <= '9';
    bool upper = c >= 'A' && c <= 'Z';
    bool lower = c >= 'a' && c <= 'z';
    bool unreserved = digit || upper || lower || c == '-' || c == '.' || c == '_' || c == '~';
    // '%' is not raw: the encoder looks at what follows it.
    bool bad = c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' ||
               c == '^' || c == '`' || c == '{' || c == '|' || c == '}' || c == '#' || c == '%';
    bool upper_hex = digit || (c >= 'A' && c <= 'F');
    bool any_hex = upper_hex || (c >= 'a' && c <= 'f');
    t[static_cast<std::size_t>(c)] = static_cast<unsigned char>(
        (unreserved ? kUnreserved : 0) | (!bad && c != '?' ? kWirePath : 0) |
        (!bad ? kWireQuery : 0) | (any_hex ? kHexDigit : 0) | (upper_hex ? kUpperHex : 0) |
        (unreserved || c == '/' ? kUnreservedOrSlash : 0));
  }
  return t;
}();

unsigned char cls(char c) noexcept {
  return kClass[static_cast<unsigned char>(c)];
}

bool is_hex(char c) noexcept {
  return (cls(c) & kHexDigit) != 0;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

void append_escape(std::string &out, unsigned char c) {
  const char esc[3] = {'%', kHex[c >> 4], kHex[c & 0xf]};
  out.append(esc, 3);
}

char lower_char(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto &c : out)
    c = lower_char(c);
  return out;
}

bool iequals(std::string_view a, std::string_view lower_b) noexcept {
  if (a.size() != lower_b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower_char(a[i]) != lower_b[i]) return false;
  return true;
}

// A port without its leading zeros ("0443" -> "443", "000" -> "0"); empty when it is
// not a decimal number in 0..65535.
std::string_view port_number(std::string_view port) noexcept {
  if (port.empty()) return {};
  for (char c : port)
    if (c < '0' || c > '9') return {};
  while (port.size() > 1 && port.front() == '0')
    port.remove_prefix(1);
  if (port.size() > 5) return {};
  unsigned value = 0;
  for (char c : port)
    value = value * 10 + static_cast<unsigned>(c - '0');
  return value <= 65535 ? port : std::string_view{};
}

[[noreturn]] void bad_url(const char *what, std::string_view url) {
  throw Error(Errc::invalid_argument, std::string(what) + ": '" + std::string(url) + "'");
}

// Appends s to out, each run of bytes whose class has a bit of `keep` in one append;
// every other byte, at index j, is left to escape(j).
template <typename Escape>
void append_runs(std::string &out, std::string_view s, unsigned char keep, Escape escape) {
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = i;
    while (j < s.size() && (cls(s[j]) & keep))
      ++j;
    out.append(s.data() + i, j - i);
    if (j == s.size()) break;
    escape(j);
    i = j + 1;
  }
}

} // namespace

void uri_encode_append(std::string &out, std::string_view s, bool keep_slash) {
  append_runs(out, s, keep_slash ? kUnreservedOrSlash : kUnreserved,
              [&](std::size_t j) { append_escape(out, static_cast<unsigned char>(s[j])); });
}

std::string uri_encode(std::string_view s, bool keep_slash) {
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  uri_encode_append(out, s, keep_slash);
  return out;
}

void uri_decode_append(std::string &out, std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto pct = s.find('%', i);
    if (pct == std::string_view::npos) pct = s.size();
    out.append(s.data() + i, pct - i);
    if (pct == s.size()) break;
    if (pct + 2 < s.size() && is_hex(s[pct + 1]) && is_hex(s[pct + 2])) {
      out.push_back(static_cast<char>(hex_value(s[pct + 1]) * 16 + hex_value(s[pct + 2])));
      i = pct + 3;
    } else {
      out.push_back('%');
      i = pct + 1;
    }
  }
}

bool is_uri_encoded(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (cls(s[i]) & kUnreserved) continue;
    // An escape stays only when it is upper-case and of a byte that must be escaped.
    if (s[i] != '%' || i + 2 >= s.size() || !(cls(s[i + 1]) & kUpperHex) ||
        !(cls(s[i + 2]) & kUpperHex))
      return false;
    auto byte = static_cast<unsigned char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
    if (kClass[byte] & kUnreserved) return false;
    i += 2;
  }
  return true;
}

void wire_encode_append(std::string &out, std::string_view s, bool is_query) {
  append_runs(out, s, is_query ? kWireQuery : kWirePath, [&](std::size_t j) {
    auto c = static_cast<unsigned char>(s[j]);
    if (c == '%' && j + 2 < s.size() && is_hex(s[j + 1]) && is_hex(s[j + 2]))
      out.push_back('%'); // a valid escape stays
    else
      append_escape(out, c);
  });
}

UrlView parse_url_view(std::string_view url) {
  UrlView u;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) bad_url("URL has no scheme", url);
  u.scheme = url.substr(0, scheme_end);
  u.https = iequals(u.scheme, "https");
  if (!u.https && !iequals(u.scheme, "http")) bad_url("URL scheme must be http or https", url);
  auto rest = url.substr(scheme_end + 3);
  auto frag = rest.find('#');
  if (frag != std::string_view::npos) rest = rest.substr(0, frag);
  std::size_t auth_end = 0; // rest.find_first_of("/?"), without a search per byte
  while (auth_end < rest.size() && rest[auth_end] != '/' && rest[auth_end] != '?')
    ++auth_end;
  auto authority = rest.substr(0, auth_end);
  auto tail = rest.substr(auth_end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    u.userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
  }
  if (authority.empty()) bad_url("URL has no host", url);
  std::string_view port;
  bool has_port = false;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) bad_url("URL has an unterminated IPv6 literal", url);
    u.host = authority.substr(0, close + 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') bad_url("URL has junk after its IPv6 host", url);
      port = after.substr(1);
      has_port = true;
    }
  } else {
    auto colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      has_port = true;
    }
  }
  if (u.host.empty() || u.host == "[]") bad_url("URL has no host", url);
  if (has_port && !port.empty()) {
    // The port is kept as its number: "0443" is 443, as HTTP clients send it.
    u.port = port_number(port);
    if (u.port.empty()) bad_url("URL has an invalid port", url);
  }
  auto q = tail.find('?');
  u.path = tail.substr(0, q);
  if (q != std::string_view::npos) {
    u.has_query = true;
    u.query = tail.substr(q + 1);
  }
  return u;
}

Url parse_url(std::string_view url) {
  auto v = parse_url_view(url);
  Url u;
  u.scheme = v.https ? "https" : "http";
  u.userinfo = std::string(v.userinfo);
  u.host = lower(v.host);
  u.port = std::string(v.port);
  u.path = std::string(v.path);
  u.query = std::string(v.query);
  u.has_query = v.has_query;
  return u;
}

std::string Url::authority() const {
  std::string_view number = port;
  while (number.size() > 1 && number.front() == '0')
    number.remove_prefix(1);
  bool default_port = number.empty() || (scheme == "http" && number == "80") ||
                      (scheme == "https" && number == "443");
  return default_port ? host : host + ":" + std::string(number);
}

} // namespace berth::core
