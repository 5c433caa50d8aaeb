#include "dockerfile/ignore.hpp"

#include "core/quoted.hpp"
#include "dockerfile/text.hpp"

#include <algorithm>

namespace berth::dockerfile {

namespace {

using Token = IgnoreMatcher::Token;
using Pattern = IgnoreMatcher::Pattern;

[[noreturn]] void bad(std::string_view pattern) {
  throw Error(Errc::invalid_argument,
              "syntax error in .dockerignore pattern " + core::quoted(pattern));
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (;;) {
    auto at = s.find(sep, pos);
    out.emplace_back(s.substr(pos, at == std::string_view::npos ? s.npos : at - pos));
    if (at == std::string_view::npos) return out;
    pos = at + 1;
  }
}

// A bracket expression from just after "[": filepath.Match's syntax (^ negates, a-b
// ranges, \ escapes). Moves pos past the "]".
Token parse_class(std::string_view p, std::size_t &pos) {
  Token t{Token::cls, {}, false, {}};
  if (pos < p.size() && p[pos] == '^') t.negated = true, ++pos;
  auto one = [&]() -> char32_t {
    if (pos >= p.size() || p[pos] == '-' || p[pos] == ']') bad(p);
    if (p[pos] == '\\') {
      ++pos;
      if (pos >= p.size()) bad(p);
    }
    const Rune r = decode_rune(p, pos);
    pos += r.size;
    return r.value;
  };
  do {
    const char32_t lo = one();
    char32_t hi = lo;
    if (pos < p.size() && p[pos] == '-') {
      ++pos;
      hi = one();
      if (hi < lo) bad(p);
    }
    t.ranges.emplace_back(lo, hi);
  } while (pos < p.size() && p[pos] != ']');
  if (pos >= p.size()) bad(p);
  ++pos;
  return t;
}

// patternmatcher's compile: the match type, and the tokens of its regular expression.
void compile(Pattern &pat) {
  const std::string_view p = pat.cleaned;
  Pattern::Match type = Pattern::exact;
  for (std::size_t pos = 0, i = 0; pos < p.size(); ++i) {
    const char c = p[pos];
    if (c == '*' && pos + 1 < p.size() && p[pos + 1] == '*') {
      pos += 2;
      if (pos < p.size() && p[pos] == '/') ++pos;
      if (pos >= p.size()) {
        if (type == Pattern::exact) {
          type = Pattern::prefix;
        } else {
          pat.tokens.push_back({Token::rest, {}, false, {}});
          type = Pattern::regex;
        }
      } else {
        pat.tokens.push_back({Token::any_dirs, {}, false, {}});
        type = Pattern::regex;
      }
      if (i == 0) type = Pattern::suffix;
    } else if (c == '*' || c == '?') {
      pat.tokens.push_back({c == '*' ? Token::star : Token::any, {}, false, {}});
      type = Pattern::regex, ++pos;
    } else if (c == '[') {
      ++pos;
      pat.tokens.push_back(parse_class(p, pos));
      type = Pattern::regex;
    } else {
      if (c == '\\') {
        if (++pos >= p.size()) bad(p);
        type = Pattern::regex;
      }
      const Rune r = decode_rune(p, pos);
      pat.tokens.push_back({Token::literal, std::string(p.substr(pos, r.size)), false, {}});
      pos += r.size;
    }
  }
  pat.type = type;
}

bool class_matches(const Token &t, char32_t c) {
  bool in = false;
  for (const auto &[lo, hi] : t.ranges)
    in = in || (c >= lo && c <= hi);
  return in != t.negated;
}

// The whole path against the tokens (the regular expression is anchored at both
// ends). reach[i]: the tokens so far can end at byte i.
bool regex_match(const std::vector<Token> &toks, std::string_view s) {
  std::vector<char> reach(s.size() + 1, 0), next(s.size() + 1, 0);
  reach[0] = 1;
  for (const Token &t : toks) {
    std::fill(next.begin(), next.end(), 0);
    for (std::size_t i = 0; i <= s.size(); ++i) {
      if (!reach[i]) continue;
      if (t.kind == Token::literal || t.kind == Token::any || t.kind == Token::cls) {
        if (i >= s.size()) continue;
        const Rune r = decode_rune(s, i);
        bool ok = t.kind == Token::literal ? s.substr(i, r.size) == t.text
                  : t.kind == Token::any   ? r.value != '/'
                                           : class_matches(t, r.value);
        if (ok) next[i + r.size] = 1;
        continue;
      }
      // star: [^/]*  rest: .*  any_dirs: (.*/)?  -- "." does not match a newline
      next[i] = 1;
      for (std::size_t j = i; j < s.size();) {
        const char c = s[j];
        if (t.kind == Token::star ? c == '/' : c == '\n') break;
        j += decode_rune(s, j).size;
        if (t.kind != Token::any_dirs || c == '/') next[j] = 1;
      }
    }
    std::swap(reach, next);
  }
  return reach[s.size()] != 0;
}

bool pattern_matches(const Pattern &p, std::string_view path) {
  switch (p.type) {
  case Pattern::exact: return path == p.cleaned;
  case Pattern::prefix:
    return path.substr(0, p.cleaned.size() - 2) ==
           std::string_view(p.cleaned).substr(0, p.cleaned.size() - 2);
  case Pattern::suffix: {
    const std::string_view suffix = std::string_view(p.cleaned).substr(2);
    if (path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix)
      return true;
    return !suffix.empty() && suffix[0] == '/' && path == suffix.substr(1);
  }
  case Pattern::regex: return regex_match(p.tokens, path);
  }
  return false;
}

std::string dir_of(std::string_view path) {
  auto at = path.rfind('/');
  if (at == std::string_view::npos) return ".";
  return clean_path(path.substr(0, at + 1));
}

} // namespace

std::string clean_path(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path[0] == '/';
  std::vector<std::string> parts;
  for (auto &e : split(path, '/')) {
    if (e.empty() || e == ".") continue;
    if (e == "..") {
      if (!parts.empty() && parts.back() != "..")
        parts.pop_back();
      else if (!rooted)
        parts.push_back(e);
      continue;
    }
    parts.push_back(e);
  }
  std::string out = rooted ? "/" : "";
  for (std::size_t i = 0; i < parts.size(); ++i)
    out += (i ? "/" : "") + parts[i];
  return out.empty() ? "." : out;
}

std::vector<std::string> read_ignore_patterns(std::string_view text) {
  std::vector<std::string> out;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  for (std::string_view line : split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1); // bufio.ScanLines
    if (!line.empty() && line[0] == '#') continue;
    std::string_view p = trim_space(line);
    if (p.empty()) continue;
    const bool invert = p[0] == '!';
    if (invert) p = trim_space(p.substr(1));
    std::string cleaned;
    if (!p.empty()) {
      cleaned = clean_path(p);
      if (cleaned.size() > 1 && cleaned[0] == '/') cleaned.erase(0, 1);
    }
    out.push_back(invert ? "!" + cleaned : cleaned);
  }
  return out;
}

IgnoreMatcher::IgnoreMatcher(const std::vector<std::string> &patterns) {
  for (const auto &raw : patterns) {
    std::string_view t = trim_space(raw);
    if (t.empty()) continue;
    std::string p = clean_path(t);
    Pattern pat;
    if (p[0] == '!') {
      if (p.size() == 1) throw Error(Errc::invalid_argument, "illegal exclusion pattern: \"!\"");
      pat.exclusion = true, exceptions_ = true;
      p.erase(0, 1);
    }
    pat.cleaned = p;
    pat.dirs = split(p, '/');
    compile(pat);
    patterns_.push_back(std::move(pat));
  }
}

bool IgnoreMatcher::matches(std::string_view raw) const {
  const std::string file = clean_path(raw);
  if (file == ".") return false;
  const std::string parent = dir_of(file);
  const auto parent_dirs = split(parent, '/');
  bool matched = false;
  for (const auto &p : patterns_) {
    if (p.exclusion != matched) continue;
    bool m = pattern_matches(p, file);
    if (!m && parent != ".") {
      std::string prefix;
      for (std::size_t i = 0; i < parent_dirs.size() && !m; ++i) {
        prefix += (i ? "/" : "") + parent_dirs[i];
        m = pattern_matches(p, prefix);
      }
    }
    if (m) matched = !p.exclusion;
  }
  return matched;
}

bool IgnoreMatcher::may_contain_exceptions(std::string_view raw) const {
  const std::string dir = clean_path(raw);
  const auto dirs = dir == "." ? std::vector<std::string>{} : split(dir, '/');
  for (const auto &p : patterns_) {
    if (!p.exclusion) continue;
    bool possible = true;
    for (std::size_t k = 0; k < p.dirs.size() && k < dirs.size() && possible; ++k) {
      if (p.dirs[k].find("**") != std::string::npos) break; // any depth: keep walking
      Pattern one;
      one.cleaned = p.dirs[k];
      try {
        compile(one);
      } catch (const Error &) {
        break;
      }
      possible = pattern_matches(one, dirs[k]);
    }
    if (possible) return true;
  }
  return false;
}

std::string choose_ignore_file(std::string_view dockerfile,
                               const std::vector<std::string> &present) {
  const std::string beside = std::string(dockerfile) + ".dockerignore";
  auto has = [&](const std::string &n) {
    return std::find(present.begin(), present.end(), n) != present.end();
  };
  if (!dockerfile.empty() && has(beside)) return beside;
  if (has(".dockerignore")) return ".dockerignore";
  return "";
}

} // namespace berth::dockerfile
