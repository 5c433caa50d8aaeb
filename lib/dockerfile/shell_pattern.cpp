#include "dockerfile/shell_pattern.hpp"

#include "core/quoted.hpp"
#include "dockerfile/text.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace berth::dockerfile {

namespace {

struct Token {
  enum Kind { literal, any, star } kind;
  std::string text; // the literal's bytes (one character)
};

[[noreturn]] void bad_pattern(std::string_view pattern, const std::string &why) {
  throw Error(Errc::invalid_argument,
              "invalid pattern (" + core::quoted(pattern) + ") in substitution: " + why);
}

std::vector<Token> compile(std::string_view pattern) {
  std::vector<Token> out;
  for (std::size_t pos = 0; pos < pattern.size();) {
    const Rune r = decode_rune(pattern, pos);
    std::string_view text = pattern.substr(pos, r.size);
    pos += r.size;
    if (r.value == '*') {
      out.push_back({Token::star, {}});
      continue;
    }
    if (r.value == '?') {
      out.push_back({Token::any, {}});
      continue;
    }
    if (r.value == '\\') {
      // \} and \/ are the ${} delimiters escaped; the backslash is not in the pattern.
      if (pos < pattern.size() && (pattern[pos] == '}' || pattern[pos] == '/')) continue;
      if (pos >= pattern.size()) bad_pattern(pattern, "invalid escape at the end");
      const Rune e = decode_rune(pattern, pos);
      text = pattern.substr(pos, e.size);
      pos += e.size;
      if (e.value != '*' && e.value != '?' && e.value != '\\')
        bad_pattern(pattern, "invalid escape " + core::quoted(std::string("\\").append(text)));
    }
    out.push_back({Token::literal, std::string(text)});
  }
  return out;
}

struct Runes {
  std::vector<std::size_t> offset; // byte offset of each character, plus the end
  std::string_view s;
  explicit Runes(std::string_view text) : s(text) {
    for (std::size_t pos = 0; pos < text.size(); pos += decode_rune(text, pos).size)
      offset.push_back(pos);
    offset.push_back(text.size());
  }
  std::size_t count() const { return offset.size() - 1; }
  std::string_view at(std::size_t i) const {
    return s.substr(offset[i], offset[i + 1] - offset[i]);
  }
};

constexpr std::size_t kFail = static_cast<std::size_t>(-1);

// For each start (a character index), where the first match in Go's leftmost-first
// preference order ends, or kFail. Built from the last token back, one row at a time:
// a greedy * prefers the furthest end it can reach (it stops at a newline), a lazy
// one the nearest.
std::vector<std::size_t> match_ends(const std::vector<Token> &toks, const Runes &v, bool greedy) {
  const std::size_t n = v.count();
  std::vector<std::size_t> next(n + 1), cur(n + 1);
  for (std::size_t i = 0; i <= n; ++i)
    next[i] = i;
  for (std::size_t t = toks.size(); t-- > 0;) {
    const Token &tok = toks[t];
    if (tok.kind != Token::star) {
      for (std::size_t i = 0; i <= n; ++i) {
        bool ok = i < n && v.at(i) != "\n" && (tok.kind == Token::any || v.at(i) == tok.text);
        cur[i] = ok ? next[i + 1] : kFail;
      }
    } else if (greedy) {
      // Per newline-free segment, the furthest start of the rest that succeeds.
      std::size_t best = kFail;
      for (std::size_t i = n + 1; i-- > 0;) {
        if (i < n && v.at(i) == "\n") best = kFail;
        if (best == kFail && next[i] != kFail) best = i;
        cur[i] = best == kFail ? kFail : next[best];
      }
    } else {
      std::size_t nearest = kFail;
      for (std::size_t i = n + 1; i-- > 0;) {
        if (i < n && v.at(i) == "\n") nearest = kFail;
        if (next[i] != kFail) nearest = i;
        cur[i] = nearest == kFail ? kFail : next[nearest];
      }
    }
    std::swap(next, cur);
  }
  return next;
}

std::string reversed(std::string_view s) {
  Runes r(s);
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = r.count(); i-- > 0;)
    out += r.at(i);
  return out;
}

// Go's Regexp.Expand for a pattern without groups: $$, $0 / ${0} the match, any
// other well-formed $name empty, a malformed $ kept.
std::string expand_template(std::string_view tmpl, std::string_view match) {
  std::string out;
  auto name_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  for (std::size_t i = 0; i < tmpl.size();) {
    if (tmpl[i] != '$') {
      out += tmpl[i++];
      continue;
    }
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '$') {
      out += '$', i += 2;
      continue;
    }
    std::size_t j = i + 1;
    const bool brace = j < tmpl.size() && tmpl[j] == '{';
    if (brace) ++j;
    const std::size_t start = j;
    while (j < tmpl.size() && name_char(tmpl[j]))
      ++j;
    std::string_view name = tmpl.substr(start, j - start);
    bool ok = !name.empty() && (!brace || (j < tmpl.size() && tmpl[j] == '}'));
    if (!ok) {
      out += '$', ++i;
      continue;
    }
    if (brace) ++j;
    if (name == "0") out += match;
    i = j;
  }
  return out;
}

} // namespace

std::string trim_prefix_pattern(std::string_view pattern, std::string_view value, bool greedy) {
  const auto toks = compile(pattern);
  const Runes v(value);
  const auto ends = match_ends(toks, v, greedy);
  if (ends[0] == kFail) return std::string(value);
  return std::string(value.substr(v.offset[ends[0]]));
}

std::string trim_suffix_pattern(std::string_view pattern, std::string_view value, bool greedy) {
  auto toks = compile(pattern);
  std::reverse(toks.begin(), toks.end());
  const std::string rev = reversed(value);
  const Runes v(rev);
  const auto ends = match_ends(toks, v, greedy);
  if (ends[0] == kFail) return std::string(value);
  return reversed(std::string_view(rev).substr(v.offset[ends[0]]));
}

std::string replace_pattern(std::string_view pattern, std::string_view value,
                            std::string_view replacement, bool all) {
  const auto toks = compile(pattern);
  const Runes v(value);
  const auto ends = match_ends(toks, v, true);
  // The leftmost match starting at or after character `from`: {start, end} or none.
  auto find = [&](std::size_t from) -> std::pair<std::size_t, std::size_t> {
    for (std::size_t i = from; i <= v.count(); ++i)
      if (ends[i] != kFail) return {i, ends[i]};
    return {kFail, kFail};
  };
  if (!all) {
    auto [a, b] = find(0);
    if (a == kFail) return std::string(value);
    return std::string(value.substr(0, v.offset[a])) + std::string(replacement) +
           std::string(value.substr(v.offset[b]));
  }
  // Go's replaceAll loop: never a replacement for an empty match right after a match,
  // and always at least one character further.
  std::string out;
  std::size_t last_end = 0, search = 0;
  while (search <= v.count()) {
    auto [a, b] = find(search);
    if (a == kFail) break;
    out += value.substr(v.offset[last_end], v.offset[a] - v.offset[last_end]);
    if (b > last_end || a == 0)
      out += expand_template(replacement, value.substr(v.offset[a], v.offset[b] - v.offset[a]));
    last_end = b;
    search = search + 1 > b ? search + 1 : b;
  }
  out += value.substr(v.offset[last_end]);
  return out;
}

} // namespace berth::dockerfile
