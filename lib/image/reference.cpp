// The grammar is distribution/reference's (reference.go, regexp.go, normalize.go),
// written out by hand so each failure can say what is wrong:
//
//   reference        := name [ ":" tag ] [ "@" digest ]
//   name             := [ domain "/" ] path
//   domain           := host [ ":" port ]
//   host             := domain-component ( "." domain-component )* | "[" IPv6 "]"
//   domain-component := [A-Za-z0-9] | [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]
//   path             := path-component ( "/" path-component )*
//   path-component   := [a-z0-9]+ ( separator [a-z0-9]+ )*
//   separator        := "." | "_" | "__" | "-"+
//   tag              := [A-Za-z0-9_][A-Za-z0-9._-]{0,127}
//
// The first component is a domain only if it holds '.' or ':' or is "localhost".
#include <berth/digest.hpp>
#include <berth/error.hpp>
#include <berth/reference.hpp>

#include "core/quoted.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

namespace berth::image {
namespace {

constexpr std::string_view kDefaultRegistry = "docker.io";
constexpr std::string_view kLegacyDefaultRegistry = "index.docker.io";
constexpr std::string_view kDockerHubHost = "registry-1.docker.io";
constexpr std::string_view kOfficialPrefix = "library/";
constexpr std::size_t kNameMax = 255;
constexpr std::size_t kTagMax = 128;

using core::quoted;

std::string show_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u > 0x20 && u < 0x7f) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 0xf];
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_alnum(char c) {
  return is_digit(c) || is_lower(c) || is_upper(c);
}
bool is_lower_alnum(char c) {
  return is_digit(c) || is_lower(c);
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto &c : out)
    if (is_upper(c)) c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Why `t` is not a valid tag, or "" when it is.
std::string tag_problem(std::string_view t) {
  if (t.empty()) return "empty tag";
  if (t.size() > kTagMax)
    return "tag is " + std::to_string(t.size()) + " characters long (at most " +
           std::to_string(kTagMax) + ")";
  if (!is_alnum(t.front()) && t.front() != '_')
    return "tag must start with a letter, digit or '_', not " + show_char(t.front());
  for (char c : t)
    if (!is_alnum(c) && c != '_' && c != '.' && c != '-')
      return "invalid character " + show_char(c) + " in tag";
  return {};
}

// Eight 16-bit groups, "::" at most once; no embedded IPv4 form (the reference grammar
// has no '.' inside brackets).
std::optional<std::array<std::uint16_t, 8>> parse_ipv6(std::string_view s) {
  auto groups_of = [](std::string_view part, std::array<std::uint16_t, 8> &g,
                      std::size_t &n) -> bool {
    if (part.empty()) return true;
    std::size_t start = 0;
    while (true) {
      auto end = part.find(':', start);
      auto group =
          part.substr(start, end == std::string_view::npos ? part.size() - start : end - start);
      if (group.empty() || group.size() > 4 || n == 8) return false;
      unsigned v = 0;
      for (char c : group) {
        if (!is_hex(c)) return false;
        v = v * 16 + static_cast<unsigned>(is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
      }
      g[n++] = static_cast<std::uint16_t>(v);
      if (end == std::string_view::npos) return true;
      start = end + 1;
    }
  };
  std::array<std::uint16_t, 8> head{}, tail{};
  std::size_t nh = 0, nt = 0;
  auto dc = s.find("::");
  if (dc == std::string_view::npos) {
    if (!groups_of(s, head, nh) || nh != 8) return std::nullopt;
    return head;
  }
  if (s.find("::", dc + 1) != std::string_view::npos) return std::nullopt;
  if (!groups_of(s.substr(0, dc), head, nh) || !groups_of(s.substr(dc + 2), tail, nt) ||
      nh + nt > 7)
    return std::nullopt;
  std::array<std::uint16_t, 8> out{};
  std::copy_n(head.begin(), nh, out.begin());
  std::copy_n(tail.begin(), nt, out.begin() + static_cast<std::ptrdiff_t>(8 - nt));
  return out;
}

bool is_ipv4_loopback(std::string_view s) {
  std::array<unsigned, 4> octets{};
  std::size_t n = 0, start = 0;
  while (true) {
    auto end = s.find('.', start);
    auto part = s.substr(start, end == std::string_view::npos ? s.size() - start : end - start);
    if (part.empty() || part.size() > 3 || n == 4) return false;
    unsigned v = 0;
    for (char c : part) {
      if (!is_digit(c)) return false;
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > 255) return false;
    octets[n++] = v;
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return n == 4 && octets[0] == 127;
}

std::string port_problem(std::string_view port) {
  if (port.empty()) return "empty port after ':' in registry";
  if (!std::all_of(port.begin(), port.end(), is_digit))
    return "registry port \"" + std::string(port) + "\" is not a number";
  auto value = port.size() > 5 ? 0 : std::stoul(std::string(port));
  if (value == 0 || value > 65535)
    return "registry port " + std::string(port) + " is out of range (1-65535)";
  return {};
}

// Why `d` is not a registry domain, or "" when it is.
std::string domain_problem(std::string_view d) {
  std::string_view host = d, port;
  bool has_port = false;
  if (d.front() == '[') {
    auto close = d.find(']');
    if (close == std::string_view::npos) return "unterminated '[' in registry IPv6 address";
    if (!parse_ipv6(d.substr(1, close - 1)))
      return "invalid IPv6 address " + std::string(d.substr(0, close + 1)) + " in registry";
    host = d.substr(0, close + 1);
    auto after = d.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return "unexpected " + show_char(after.front()) + " after registry IPv6 address";
      has_port = true;
      port = after.substr(1);
    }
  } else {
    auto colon = d.find(':');
    if (colon != std::string_view::npos) {
      host = d.substr(0, colon);
      port = d.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) return "empty registry host";
    std::size_t start = 0;
    while (true) {
      auto end = host.find('.', start);
      auto label =
          host.substr(start, end == std::string_view::npos ? host.size() - start : end - start);
      if (label.empty()) return "empty component in registry host \"" + std::string(host) + "\"";
      for (char c : label)
        if (!is_alnum(c) && c != '-')
          return "invalid character " + show_char(c) + " in registry host";
      if (label.front() == '-' || label.back() == '-')
        return "registry host component \"" + std::string(label) + "\" starts or ends with '-'";
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
  }
  if (has_port) return port_problem(port);
  return {};
}

// Why `path` is not a repository path, or "" when it is.
std::string path_problem(std::string_view path) {
  if (path.empty()) return "missing repository name";
  if (std::any_of(path.begin(), path.end(), is_upper))
    return "repository name \"" + std::string(path) + "\" must be lowercase";
  if (path.front() == '/') return "repository name starts with '/'";
  if (path.back() == '/') return "repository name ends with '/'";
  std::size_t start = 0;
  while (true) {
    auto end = path.find('/', start);
    auto comp =
        path.substr(start, end == std::string_view::npos ? path.size() - start : end - start);
    if (comp.empty()) return "empty path component (\"//\") in repository name";
    for (char c : comp)
      if (!is_lower_alnum(c) && c != '.' && c != '_' && c != '-')
        return "invalid character " + show_char(c) + " in repository name";
    if (!is_lower_alnum(comp.front()) || !is_lower_alnum(comp.back()))
      return "path component \"" + std::string(comp) +
             "\" must start and end with a letter or digit";
    for (std::size_t i = 0; i < comp.size();) {
      if (is_lower_alnum(comp[i])) {
        ++i;
        continue;
      }
      auto j = i;
      while (!is_lower_alnum(comp[j]))
        ++j; // ends on an alnum: the last char is one
      auto sep = comp.substr(i, j - i);
      bool dashes = std::all_of(sep.begin(), sep.end(), [](char c) { return c == '-'; });
      if (!(sep == "." || sep == "_" || sep == "__" || dashes))
        return "invalid separator \"" + std::string(sep) + "\" in path component \"" +
               std::string(comp) + "\"";
      i = j;
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return {};
}

bool is_docker_hub(std::string_view registry) {
  return registry == kDefaultRegistry || registry == kLegacyDefaultRegistry;
}

} // namespace

bool valid_tag(std::string_view t) noexcept {
  if (t.empty() || t.size() > kTagMax) return false;
  if (!is_alnum(t.front()) && t.front() != '_') return false;
  return std::all_of(t.begin(), t.end(),
                     [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; });
}

Reference Reference::parse(std::string_view s) {
  auto fail = [s](const std::string &why) {
    return Error(Errc::invalid_argument, "invalid image reference " + quoted(s) + ": " + why);
  };
  if (s.empty()) throw fail("empty reference");
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) throw fail("contains whitespace or a control character");
    if (u >= 0x80) throw fail("contains a non-ASCII character");
  }
  // distribution refuses a bare image ID, which would otherwise be a valid name.
  if (s.size() == 64 &&
      std::all_of(s.begin(), s.end(), [](char c) { return is_lower_alnum(c) && is_hex(c); }))
    throw fail("a 64-digit hex string is an image ID, not a repository name");

  // '@' and ':' cannot occur in a path, so the digest starts at the first '@' and the
  // tag at the first ':' after the last '/' (a port's ':' precedes the first '/').
  std::string_view name = s, tag, digest;
  bool has_tag = false, has_digest = false;
  if (auto at = name.find('@'); at != std::string_view::npos) {
    digest = name.substr(at + 1);
    name = name.substr(0, at);
    has_digest = true;
  }
  auto last_slash = name.rfind('/');
  auto colon = name.find(':', last_slash == std::string_view::npos ? 0 : last_slash + 1);
  if (colon != std::string_view::npos) {
    tag = name.substr(colon + 1);
    name = name.substr(0, colon);
    has_tag = true;
  }
  if (name.empty()) throw fail("missing repository name");

  Reference ref;
  std::string_view path = name;
  if (auto slash = name.find('/'); slash != std::string_view::npos) {
    auto first = name.substr(0, slash);
    if (first.find_first_of(".:") != std::string_view::npos || first == "localhost") {
      if (auto why = domain_problem(first); !why.empty()) throw fail(why);
      ref.registry = lower(first);
      path = name.substr(slash + 1);
    }
  }
  if (ref.registry.empty() || ref.registry == kLegacyDefaultRegistry)
    ref.registry = kDefaultRegistry;
  if (auto why = path_problem(path); !why.empty()) throw fail(why);
  ref.repository = path;
  if (ref.registry == kDefaultRegistry && path.find('/') == std::string_view::npos)
    ref.repository.insert(0, kOfficialPrefix);
  if (auto len = ref.registry.size() + 1 + ref.repository.size(); len > kNameMax)
    throw fail("repository name is " + std::to_string(len) +
               " characters long with its registry (at most " + std::to_string(kNameMax) + ")");

  if (has_tag) {
    if (auto why = tag_problem(tag); !why.empty()) throw fail(why);
    ref.tag = tag;
  }
  if (has_digest) {
    if (digest.empty()) throw fail("empty digest after '@'");
    try {
      ref.digest = Digest::parse(digest).str();
    } catch (const Error &e) {
      throw fail(e.what());
    }
  }
  return ref;
}

std::string Reference::registry_host() const {
  return is_docker_hub(registry) ? std::string(kDockerHubHost) : registry;
}

std::string Reference::identifier() const {
  if (!digest.empty()) return digest;
  if (!tag.empty()) return tag;
  return "latest";
}

std::string Reference::context() const {
  return registry + "/" + repository;
}

std::string Reference::str() const {
  std::string out = context();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

Reference Reference::with_tag(std::string t) const {
  if (auto why = tag_problem(t); !why.empty())
    throw Error(Errc::invalid_argument, "invalid tag " + quoted(t) + ": " + why);
  Reference out = *this;
  out.tag = std::move(t);
  return out;
}

Reference Reference::with_digest(std::string d) const {
  Reference out = *this;
  try {
    out.digest = Digest::parse(d).str();
  } catch (const Error &e) {
    throw Error(Errc::invalid_argument, e.what());
  }
  return out;
}

bool Reference::is_loopback() const {
  std::string_view r = registry;
  if (!r.empty() && r.front() == '[') {
    auto close = r.find(']');
    if (close == std::string_view::npos) return false;
    auto addr = parse_ipv6(r.substr(1, close - 1));
    return addr && *addr == std::array<std::uint16_t, 8>{0, 0, 0, 0, 0, 0, 0, 1};
  }
  auto host = r.substr(0, r.find(':'));
  return host == "localhost" || is_ipv4_loopback(host);
}

} // namespace berth::image
