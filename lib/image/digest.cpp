#include <berth/digest.hpp>
#include <berth/error.hpp>

#include "core/crypto.hpp"
#include "core/quoted.hpp"

#include <algorithm>

namespace berth::image {
namespace {

using core::quoted;

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// algorithm ::= component (separator component)*; component ::= [a-z0-9]+;
// separator ::= [+._-]
bool is_algorithm(std::string_view a) {
  if (a.empty() || !is_lower_alnum(a.front()) || !is_lower_alnum(a.back())) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (is_lower_alnum(c)) continue;
    if (c != '+' && c != '.' && c != '_' && c != '-') return false;
    if (!is_lower_alnum(a[i + 1])) return false; // two separators in a row
  }
  return true;
}

// encoded ::= [a-zA-Z0-9=_-]+
bool is_encoded(std::string_view e) {
  return !e.empty() && std::all_of(e.begin(), e.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '=' ||
           c == '_' || c == '-';
  });
}

std::size_t registered_length(std::string_view algorithm) {
  if (algorithm == "sha256") return 64;
  if (algorithm == "sha512") return 128;
  return 0;
}

enum class Verdict { ok, malformed, unsupported };

Verdict check(std::string_view s, std::string *why) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos) {
    *why = "missing ':' between algorithm and encoded part";
    return Verdict::malformed;
  }
  auto algorithm = s.substr(0, colon);
  auto encoded = s.substr(colon + 1);
  if (!is_algorithm(algorithm)) {
    *why = "malformed algorithm";
    return Verdict::malformed;
  }
  if (!is_encoded(encoded)) {
    *why = "malformed encoded part";
    return Verdict::malformed;
  }
  auto len = registered_length(algorithm);
  if (len == 0) {
    *why = "unsupported algorithm \"" + std::string(algorithm) + "\" (sha256 and sha512 are)";
    return Verdict::unsupported;
  }
  if (encoded.size() != len || !is_lower_hex(encoded)) {
    *why = std::string(algorithm) + " needs " + std::to_string(len) + " lower-case hex digits";
    return Verdict::malformed;
  }
  return Verdict::ok;
}

} // namespace

Digest Digest::parse(std::string_view s) {
  std::string why;
  switch (check(s, &why)) {
  case Verdict::ok: break;
  case Verdict::malformed:
    throw Error(Errc::invalid_argument, "invalid digest " + quoted(s) + ": " + why);
  case Verdict::unsupported:
    throw Error(Errc::unsupported, "invalid digest " + quoted(s) + ": " + why);
  }
  auto colon = s.find(':');
  return Digest(std::string(s.substr(0, colon)), std::string(s.substr(colon + 1)));
}

bool Digest::valid(std::string_view s) noexcept {
  try {
    std::string why;
    return check(s, &why) == Verdict::ok;
  } catch (...) { // only std::bad_alloc from building the reason
    return false;
  }
}

Digest Digest::sha256_of(std::string_view data) {
  return Digest("sha256", core::sha256_hex(data));
}

Digest Digest::from_sha256_hex(std::string hex) {
  if (hex.size() != 64 || !is_lower_hex(hex))
    throw Error(Errc::invalid_argument,
                "invalid sha256 hex " + quoted(hex) + ": needs 64 lower-case hex digits");
  return Digest("sha256", std::move(hex));
}

std::string Digest::str() const {
  return empty() ? std::string() : algorithm_ + ":" + hex_;
}

} // namespace berth::image
