#include "core/uri.hpp"

#include <berth/error.hpp>

#include <algorithm>
#include <cctype>

namespace berth::core {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

bool is_hex(char c) noexcept {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

void append_escape(std::string &out, unsigned char c) {
  out.push_back('%');
  out.push_back(kHex[c >> 4]);
  out.push_back(kHex[c & 0xf]);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A port without its leading zeros ("0443" -> "443", "000" -> "0"); empty when it is
// not a decimal number in 0..65535.
std::string_view port_number(std::string_view port) noexcept {
  if (port.empty()) return {};
  if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return {};
  while (port.size() > 1 && port.front() == '0')
    port.remove_prefix(1);
  if (port.size() > 5) return {};
  unsigned value = 0;
  for (char c : port)
    value = value * 10 + static_cast<unsigned>(c - '0');
  return value <= 65535 ? port : std::string_view{};
}

} // namespace

bool is_unreserved(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string uri_encode(std::string_view s, bool keep_slash) {
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  for (unsigned char c : s) {
    if (is_unreserved(c) || (keep_slash && c == '/'))
      out.push_back(static_cast<char>(c));
    else
      append_escape(out, c);
  }
  return out;
}

std::string uri_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && is_hex(s[i + 1]) && is_hex(s[i + 2])) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string wire_encode(std::string_view s, bool is_query) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '%') {
      if (i + 2 < s.size() && is_hex(s[i + 1]) && is_hex(s[i + 2]))
        out.push_back('%');
      else
        append_escape(out, c);
      continue;
    }
    bool bad = c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' ||
               c == '^' || c == '`' || c == '{' || c == '|' || c == '}' || c == '#' ||
               (!is_query && c == '?');
    if (bad)
      append_escape(out, c);
    else
      out.push_back(static_cast<char>(c));
  }
  return out;
}

Url parse_url(std::string_view url) {
  Url u;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    throw Error(Errc::invalid_argument, "URL has no scheme: '" + std::string(url) + "'");
  u.scheme = lower(url.substr(0, scheme_end));
  if (u.scheme != "http" && u.scheme != "https")
    throw Error(Errc::invalid_argument,
                "URL scheme must be http or https: '" + std::string(url) + "'");
  auto rest = url.substr(scheme_end + 3);
  auto frag = rest.find('#');
  if (frag != std::string_view::npos) rest = rest.substr(0, frag);
  auto auth_end = rest.find_first_of("/?");
  auto authority = rest.substr(0, auth_end);
  auto tail = auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    u.userinfo = std::string(authority.substr(0, at));
    authority = authority.substr(at + 1);
  }
  if (authority.empty())
    throw Error(Errc::invalid_argument, "URL has no host: '" + std::string(url) + "'");
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      throw Error(Errc::invalid_argument,
                  "URL has an unterminated IPv6 literal: '" + std::string(url) + "'");
    u.host = lower(authority.substr(0, close + 1));
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        throw Error(Errc::invalid_argument,
                    "URL has junk after its IPv6 host: '" + std::string(url) + "'");
      u.port = std::string(after.substr(1));
    }
  } else {
    auto colon = authority.rfind(':');
    u.host = lower(authority.substr(0, colon));
    if (colon != std::string_view::npos) u.port = std::string(authority.substr(colon + 1));
  }
  if (u.host.empty() || u.host == "[]")
    throw Error(Errc::invalid_argument, "URL has no host: '" + std::string(url) + "'");
  if (!u.port.empty()) {
    // The port is kept as its number: "0443" is 443, as HTTP clients send it.
    auto number = port_number(u.port);
    if (number.empty())
      throw Error(Errc::invalid_argument, "URL has an invalid port: '" + std::string(url) + "'");
    if (number.size() != u.port.size()) u.port = std::string(number);
  }
  auto q = tail.find('?');
  u.path = std::string(tail.substr(0, q));
  if (q != std::string_view::npos) {
    u.has_query = true;
    u.query = std::string(tail.substr(q + 1));
  }
  return u;
}

int Url::effective_port() const {
  if (!port.empty()) return std::stoi(port);
  return scheme == "https" ? 443 : 80;
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
