#include "dockerfile/parser.hpp"

#include "core/quoted.hpp"
#include "dockerfile/json_array.hpp"
#include "dockerfile/parser_detail.hpp"
#include "dockerfile/shell_lexer.hpp"
#include "dockerfile/text.hpp"

#include <set>

namespace berth::dockerfile {

namespace {

constexpr std::size_t kMaxLine = 65535; // bufio.Scanner's limit in BuildKit
constexpr int kMaxOnbuildDepth = 4;     // deeper ONBUILD chains are refused later anyway

std::string_view trim_newline(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool is_comment(std::string_view raw) {
  auto t = trim_left_space(raw);
  return !t.empty() && t[0] == '#';
}

// The parser directives: only at the very top, each at most once.
struct Directives {
  std::string_view source;
  char escape = '\\';
  bool done = false;
  std::set<std::string> seen;
  std::vector<Directive> found;

  static bool regex_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
  }

  // `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` after "#" and leading white space.
  bool possible(std::string_view line, int lineno) {
    if (done) return false;
    if (line.empty() || line[0] != '#') return done = true, false;
    line = trim_left_space(line.substr(1));
    std::size_t i = 0;
    auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (i >= line.size() || !alpha(line[i])) return done = true, false;
    while (i < line.size() && (alpha(line[i]) || (line[i] >= '0' && line[i] <= '9')))
      ++i;
    const std::string name = to_lower(line.substr(0, i));
    while (i < line.size() && regex_space(line[i]))
      ++i;
    if (i >= line.size() || line[i] != '=') return done = true, false;
    ++i;
    while (i < line.size() && regex_space(line[i]))
      ++i;
    std::string_view value = line.substr(i);
    while (!value.empty() && regex_space(value.back()))
      value.remove_suffix(1);
    if (value.empty() || (name != "syntax" && name != "escape" && name != "check"))
      return done = true, false;
    if (!seen.insert(name).second)
      fail(source, lineno, "only one " + name + " parser directive can be used");
    if (name == "escape") {
      if (value != "`" && value != "\\")
        fail(source, lineno,
             "invalid escape token " + core::quoted(value) + " does not match ` or \\");
      escape = value[0];
    }
    found.push_back({name, std::string(value), lineno});
    return true;
  }
};

// Removes a trailing escape (and the blanks after it); false when the line ends the
// instruction. An escaped escape ("a\\") does not continue the line.
std::pair<std::string, bool> trim_continuation(std::string_view line, char escape) {
  std::string_view t = line;
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t'))
    t.remove_suffix(1);
  if (t.empty() || t.back() != escape) return {std::string(line), true};
  if (t.size() == 1) return {std::string(), false};
  if (t[t.size() - 2] == escape) return {std::string(line), true};
  return {std::string(t.substr(0, t.size() - 1)), false};
}

std::vector<Heredoc> heredocs_from_line(std::string_view line) {
  ShellLex lex('\\');
  lex.options.raw_quotes = true;
  lex.options.raw_escapes = true;
  lex.options.skip_unset_env = true;
  std::vector<std::string> words;
  try {
    words = lex.process_words(line, empty_env());
  } catch (const Error &) {
    return {}; // BuildKit ignores a line it cannot lex here
  }
  std::vector<Heredoc> docs;
  for (const auto &w : words)
    if (auto h = parse_heredoc(w)) docs.push_back(std::move(*h));
  return docs;
}

bool can_contain_heredoc(const Node &n) {
  const Node &target = (n.keyword == "onbuild" && !n.sub.empty()) ? n.sub[0] : n;
  const auto &k = target.keyword;
  return (k == "add" || k == "copy" || k == "run") && !target.json;
}

} // namespace

std::optional<Heredoc> parse_heredoc(std::string_view src) {
  std::size_t i = 0;
  while (i < src.size() && src[i] >= '0' && src[i] <= '9')
    ++i;
  const std::string_view digits = src.substr(0, i);
  if (src.substr(i, 2) != "<<") return std::nullopt;
  i += 2;
  const bool chomp = i < src.size() && src[i] == '-';
  if (chomp) ++i;
  while (i < src.size() && Directives::regex_space(src[i]))
    ++i;
  const std::string_view rest = src.substr(i);
  if (rest.empty() || rest.find('<') != std::string_view::npos) return std::nullopt;

  ShellLex lex('\\');
  lex.options.skip_unset_env = true;
  const auto words = lex.process_words(rest, empty_env());
  if (words.size() != 1) return std::nullopt;
  lex.options.raw_quotes = true;
  const auto raw = lex.process_words(rest, empty_env());
  if (raw.size() != words.size())
    throw Error(Errc::invalid_argument,
                "internal lexing of heredoc produced inconsistent results: " + core::quoted(rest));
  auto quotes = [](const std::string &s) {
    std::size_t n = 0;
    for (char c : s)
      n += (c == '\'' || c == '"');
    return n;
  };
  Heredoc h;
  h.name = words[0];
  h.chomp = chomp;
  h.expand = quotes(words[0]) == quotes(raw[0]);
  for (char c : digits) {
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    h.fd = h.fd > (UINT64_MAX - d) / 10 ? UINT64_MAX : h.fd * 10 + d; // Go saturates
  }
  return h;
}

std::string chomp_heredoc(std::string_view content) {
  std::string out;
  bool line_start = true;
  for (char c : content) {
    if (line_start && c == '\t') continue;
    line_start = c == '\n';
    out += c;
  }
  return out;
}

ParseResult parse(std::string_view text, std::string_view source) {
  ParseResult result;
  result.source = std::string(source);
  // Lines with their newline, as BuildKit's scanner keeps them.
  std::vector<std::string_view> lines;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t nl = text.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(pos, end - pos));
    if (end - pos - (nl == std::string_view::npos ? 0 : 1) > kMaxLine)
      fail(source, static_cast<int>(lines.size()),
           "dockerfile line greater than max allowed size of " + std::to_string(kMaxLine));
    pos = end;
  }
  if (!lines.empty() && lines[0].substr(0, 3) == "\xEF\xBB\xBF") lines[0].remove_prefix(3);

  Directives d;
  d.source = source;
  std::vector<std::string> comments;
  std::size_t li = 0;
  int current = 0;
  auto process_line = [&](std::string_view raw, bool strip, int lineno, bool *directive) {
    std::string_view token = trim_newline(raw);
    if (strip) token = trim_left_space(token);
    const bool is_directive = d.possible(token, lineno);
    if (directive) *directive = is_directive;
    return is_comment(token) ? std::string_view() : token;
  };

  while (li < lines.size()) {
    const std::string_view raw = lines[li++];
    if (is_comment(raw)) {
      const std::string c(trim_space(raw.substr(1)));
      if (c.empty())
        comments.clear();
      else
        comments.push_back(c);
    }
    bool directive = false;
    const std::string_view first = process_line(raw, true, current + 1, &directive);
    if (directive && !comments.empty()) comments.pop_back();
    ++current;
    const int start = current;
    auto [line, end_of_line] = trim_continuation(first, d.escape);
    if (end_of_line && line.empty()) continue;

    bool empty_continuation = false;
    while (!end_of_line && li < lines.size()) {
      const std::string_view next_raw = lines[li++];
      const std::string_view next = process_line(next_raw, false, current + 1, nullptr);
      ++current;
      if (is_comment(next_raw)) continue;
      if (trim_left_space(trim_newline(next)).empty()) {
        empty_continuation = true;
        continue;
      }
      auto [part, eol] = trim_continuation(next, d.escape);
      line += part;
      end_of_line = eol;
    }
    if (empty_continuation)
      result.warnings.push_back(
          {"Empty continuation line found in: " + core::quoted(line), current});

    Node node;
    try {
      node = detail::node_from_line(line, d.escape, kMaxOnbuildDepth);
    } catch (const Error &e) {
      fail(source, start, e.what());
    }
    node.comments = std::move(comments);
    comments.clear();
    if (can_contain_heredoc(node) && line.find("<<") != std::string::npos) {
      std::vector<Heredoc> docs;
      try {
        docs = heredocs_from_line(line);
      } catch (const Error &e) {
        fail(source, start, e.what());
      }
      for (auto &h : docs) {
        bool terminated = false;
        while (li < lines.size()) {
          const std::string_view body = lines[li++];
          ++current;
          std::string_view candidate = trim_newline(body);
          if (h.chomp)
            while (!candidate.empty() && candidate[0] == '\t')
              candidate.remove_prefix(1);
          if (candidate == h.name) {
            terminated = true;
            break;
          }
          h.content += body;
        }
        if (!terminated) fail(source, start, "unterminated heredoc " + core::quoted(h.name));
        node.heredocs.push_back(std::move(h));
      }
    }
    node.start_line = start;
    node.end_line = current;
    result.nodes.push_back(std::move(node));
  }
  if (result.nodes.empty()) fail(source, current, "file with no instructions");
  result.escape = d.escape;
  result.directives = std::move(d.found);
  return result;
}

} // namespace berth::dockerfile
