#include "ops/build/dockerfile/copy_glob.hpp"

#include <berth/error.hpp>

#include <optional>
#include <string>

namespace berth::ops::copy_detail {
namespace {

std::optional<bool> match_class(std::string_view p, std::size_t &i, unsigned char c) {
  bool negated = false, matched = false, first = true;
  if (i < p.size() && p[i] == '^') negated = true, ++i;
  auto one = [&](unsigned char &out) {
    if (i < p.size() && p[i] == '\\') ++i;
    if (i >= p.size()) return false;
    out = static_cast<unsigned char>(p[i++]);
    return true;
  };
  while (true) {
    if (i >= p.size()) return std::nullopt;
    if (p[i] == ']' && !first) {
      ++i;
      return matched != negated;
    }
    first = false;
    unsigned char lo = 0, hi = 0;
    if (!one(lo)) return std::nullopt;
    hi = lo;
    if (i + 1 < p.size() && p[i] == '-' && p[i + 1] != ']') {
      ++i;
      if (!one(hi) || hi < lo) return std::nullopt;
    }
    if (lo <= c && c <= hi) matched = true;
  }
}

bool glob_match_at(std::string_view pat, std::size_t p, std::string_view name, std::size_t n) {
  const auto bad = [&] {
    return Error(Errc::invalid_argument, "syntax error in pattern " + std::string(pat));
  };
  while (p < pat.size()) {
    char c = pat[p];
    if (c == '*') {
      while (p < pat.size() && pat[p] == '*')
        ++p;
      for (std::size_t k = n;; ++k) {
        if (glob_match_at(pat, p, name, k)) return true;
        if (k >= name.size() || name[k] == '/') return false;
      }
    }
    if (n >= name.size()) return false;
    if (c == '?' || c == '[') {
      if (name[n] == '/') return false;
      if (c == '[') {
        std::size_t i = p + 1;
        auto m = match_class(pat, i, static_cast<unsigned char>(name[n]));
        if (!m) throw bad();
        if (!*m) return false;
        p = i, ++n;
        continue;
      }
      ++p, ++n;
      continue;
    }
    if (c == '\\') {
      if (++p >= pat.size()) throw bad();
      c = pat[p];
    }
    if (c != name[n]) return false;
    ++p, ++n;
  }
  return n == name.size();
}

} // namespace

bool glob_match(std::string_view pat, std::string_view name) {
  return glob_match_at(pat, 0, name, 0);
}

bool has_wildcards(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
      continue;
    }
    if (s[i] == '*' || s[i] == '?' || s[i] == '[') return true;
  }
  return false;
}

} // namespace berth::ops::copy_detail
