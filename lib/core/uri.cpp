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
    bool digits =
        u.port.size() <= 5 && std::all_of(u.port.begin(), u.port.end(),
                                          [](unsigned char c) { return std::isdigit(c) != 0; });
    if (!digits || std::stoi(u.port) > 65535)
      throw Error(Errc::invalid_argument, "URL has an invalid port: '" + std::string(url) + "'");
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
  bool default_port =
      port.empty() || (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
  return default_port ? host : host + ":" + port;
}

} // namespace berth::core
