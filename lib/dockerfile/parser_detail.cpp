#include "dockerfile/parser_detail.hpp"

#include "core/quoted.hpp"
#include "dockerfile/json_array.hpp"
#include "dockerfile/text.hpp"

#include <cstdio>

namespace berth::dockerfile::detail {

namespace {

// The `[\t\v\f\r ]+` split of BuildKit's reWhitespace; at most `limit` parts (0: all).
std::vector<std::string> split_blanks(std::string_view s, std::size_t limit) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (;;) {
    if (limit && out.size() + 1 == limit) {
      out.emplace_back(s.substr(pos));
      return out;
    }
    std::size_t b = pos;
    while (b < s.size() && !is_blank(s[b]))
      ++b;
    out.emplace_back(s.substr(pos, b - pos));
    if (b >= s.size()) return out;
    while (b < s.size() && is_blank(s[b]))
      ++b;
    pos = b;
  }
}

// Go's unicode.IsSpace(rune(byte)): the flag and HEALTHCHECK scanners look at bytes.
bool byte_space(char c) {
  return is_space(static_cast<unsigned char>(c));
}

void set_json(Node &n, std::string_view rest, bool *ok) {
  const auto arr = parse_json_array(trim_left_space(rest));
  *ok = false;
  if (arr.status == JsonArrayStatus::not_strings)
    throw Error(Errc::invalid_argument,
                "when using JSON array syntax, arrays must be comprised of strings only");
  if (arr.status != JsonArrayStatus::strings) return;
  n.args = arr.values;
  n.json = true;
  *ok = true;
}

void maybe_json(Node &n, std::string_view rest) {
  if (rest.empty()) return;
  bool ok = false;
  set_json(n, rest, &ok);
  if (!ok) n.args = {std::string(rest)};
}

void maybe_json_to_list(Node &n, std::string_view rest) {
  bool ok = false;
  set_json(n, rest, &ok);
  if (!ok && !rest.empty()) n.args = split_blanks(rest, 0);
}

void name_val(Node &n, std::string_view rest, char escape, const char *key) {
  const auto words = parse_words(rest, escape);
  if (words.empty()) return;
  if (words[0].find('=') == std::string::npos) {
    auto parts = split_blanks(rest, 2);
    if (parts.size() < 2)
      throw Error(Errc::invalid_argument, std::string(key) + " must have two arguments");
    n.args = {parts[0], parts[1], ""};
    return;
  }
  for (const auto &w : words) {
    auto eq = w.find('=');
    if (eq == std::string::npos)
      throw Error(Errc::invalid_argument, "Syntax error - can't find = in " + core::quoted(w) +
                                              ". Must be of the form: name=value");
    n.args.push_back(w.substr(0, eq));
    n.args.push_back(w.substr(eq + 1));
    n.args.push_back("=");
  }
}

void health(Node &n, std::string_view rest) {
  std::size_t sep = 0;
  while (sep < rest.size() && !byte_space(rest[sep]))
    ++sep;
  std::size_t next = sep;
  while (next < rest.size() && byte_space(rest[next]))
    ++next;
  if (sep == 0) return;
  Node cmd;
  maybe_json(cmd, rest.substr(next));
  n.args.emplace_back(rest.substr(0, sep));
  n.args.insert(n.args.end(), cmd.args.begin(), cmd.args.end());
  n.json = cmd.json;
}

} // namespace

std::pair<std::vector<std::string>, std::string_view> extract_flags(std::string_view line,
                                                                    char escape) {
  enum { in_spaces, in_word, in_quote } phase = in_spaces;
  std::vector<std::string> words;
  std::string word;
  char quote = 0;
  bool blank_ok = false;
  for (std::size_t pos = 0; pos <= line.size(); ++pos) {
    const char ch = pos < line.size() ? line[pos] : '\0';
    if (phase == in_spaces) {
      if (pos == line.size()) break;
      if (byte_space(ch)) continue;
      // Only words starting with "--" are flags.
      if (ch != '-' || pos + 1 == line.size() || line[pos + 1] != '-')
        return {words, line.substr(pos)};
      phase = in_word;
    }
    if (pos == line.size()) {
      if (word != "--" && (blank_ok || !word.empty())) words.push_back(word);
      break;
    }
    char c = ch;
    if (phase == in_word) {
      if (byte_space(c)) {
        phase = in_spaces;
        if (word == "--") return {words, line.substr(pos)};
        if (blank_ok || !word.empty()) words.push_back(word);
        word.clear();
        blank_ok = false;
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c, blank_ok = true, phase = in_quote;
        continue;
      }
    } else if (c == quote) {
      phase = in_word;
      continue;
    }
    if (c == escape) {
      if (pos + 1 == line.size()) {
        if (phase == in_quote) phase = in_word;
        continue; // an escape at the end is dropped
      }
      c = line[++pos];
    }
    word += c;
  }
  return {words, std::string_view()};
}

std::vector<std::string> parse_words(std::string_view rest, char escape) {
  enum { in_spaces, in_word, in_quote } phase = in_spaces;
  std::vector<std::string> words;
  std::string word;
  char32_t quote = 0;
  bool blank_ok = false;
  Rune r{0, 0};
  for (std::size_t pos = 0; pos <= rest.size(); pos += r.size) {
    if (pos != rest.size()) r = decode_rune(rest, pos);
    if (phase == in_spaces) {
      if (pos == rest.size()) break;
      if (is_space(r.value)) continue;
      phase = in_word;
    }
    if (pos == rest.size()) {
      if (blank_ok || !word.empty()) words.push_back(word);
      break;
    }
    if (phase == in_word) {
      if (is_space(r.value)) {
        phase = in_spaces;
        if (blank_ok || !word.empty()) words.push_back(word);
        word.clear();
        blank_ok = false;
        continue;
      }
      if (r.value == '\'' || r.value == '"') quote = r.value, blank_ok = true, phase = in_quote;
      if (r.value == static_cast<unsigned char>(escape)) {
        if (pos + r.size == rest.size()) continue; // an escape at the end is dropped
        // An escape and what it escapes stay in the word, even a quote.
        word += rest.substr(pos, r.size);
        pos += r.size;
        r = decode_rune(rest, pos);
      }
      word += rest.substr(pos, r.size);
      continue;
    }
    if (r.value == quote) phase = in_word;
    if (r.value == static_cast<unsigned char>(escape) && quote != '\'') {
      if (pos + r.size == rest.size()) {
        phase = in_word;
        continue;
      }
      word += rest.substr(pos, r.size);
      pos += r.size;
      r = decode_rune(rest, pos);
    }
    word += rest.substr(pos, r.size);
  }
  return words;
}

Node node_from_line(std::string_view line, char escape, int depth) {
  Node n;
  n.original = std::string(line);
  const auto parts = split_blanks(trim_space(line), 2);
  n.name = parts[0];
  n.keyword = to_lower(n.name);
  std::string_view rest;
  if (parts.size() == 2) {
    auto [flags, after] = extract_flags(parts[1], escape);
    n.flags = std::move(flags);
    rest = trim_space(after);
  }
  const std::string &k = n.keyword;
  if (k == "add" || k == "copy" || k == "volume") {
    maybe_json_to_list(n, rest);
  } else if (k == "cmd" || k == "entrypoint" || k == "run" || k == "shell") {
    maybe_json(n, rest);
  } else if (k == "env" || k == "label") {
    name_val(n, rest, escape, k == "env" ? "ENV" : "LABEL");
  } else if (k == "arg") {
    n.args = parse_words(rest, escape);
  } else if (k == "expose" || k == "from") {
    if (!rest.empty()) n.args = split_blanks(rest, 0);
  } else if (k == "healthcheck") {
    health(n, rest);
  } else if (k == "maintainer" || k == "stopsignal" || k == "user" || k == "workdir") {
    if (!rest.empty()) n.args = {std::string(rest)};
  } else if (k == "onbuild") {
    if (!rest.empty() && depth > 0) {
      n.sub.push_back(node_from_line(rest, escape, depth - 1));
      const Node &child = n.sub[0];
      n.args.push_back(child.name);
      n.args.insert(n.args.end(), child.args.begin(), child.args.end());
    }
  }
  // Unknown instructions keep no arguments; instructions.cpp reports them.
  return n;
}

} // namespace berth::dockerfile::detail

namespace berth::dockerfile {

namespace {


} // namespace

std::string dump(const Node &node) {
  std::string out = node.keyword;
  if (!node.flags.empty()) {
    out += " [";
    for (std::size_t i = 0; i < node.flags.size(); ++i)
      out.append(i ? " " : "").append(go_quote(node.flags[i]));
    out += "]";
  }
  // append() rather than "x" + std::string: GCC 12 at -O3 warns (-Wrestrict) falsely
  // on the temporary that operator+ builds here.
  if (!node.sub.empty()) return out.append(" (").append(dump(node.sub[0])).append(")");
  for (const auto &a : node.args)
    out.append(" ").append(go_quote(a));
  return out;
}

} // namespace berth::dockerfile
