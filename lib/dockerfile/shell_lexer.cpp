#include "dockerfile/shell_lexer.hpp"

#include "core/quoted.hpp"
#include "dockerfile/shell_pattern.hpp"
#include "dockerfile/text.hpp"

#include <cstddef>

namespace berth::dockerfile {

void EnvList::set(std::string_view key, std::string_view value) {
  for (auto &e : entries_)
    if (e.first == key) {
      e.second = std::string(value);
      return;
    }
  entries_.emplace_back(std::string(key), std::string(value));
}

void EnvList::erase(std::string_view key) {
  std::erase_if(entries_, [&](const auto &e) { return e.first == key; });
}

std::optional<std::string> EnvList::get(std::string_view key) const {
  for (const auto &e : entries_)
    if (e.first == key) return e.second;
  return std::nullopt;
}

EnvLookup EnvList::lookup() const {
  return [this](std::string_view key) { return get(key); };
}

EnvLookup empty_env() {
  return [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
}

namespace {

constexpr char32_t kEof = 0xFFFFFFFF;

// Word splitting as BuildKit's wordsStruct: unquoted white space ends a word, quoted
// text (and escaped characters) never does, an empty quoted word alone is no word.
struct Words {
  std::string buf;
  std::vector<std::string> words;
  bool in_word = false;

  void add_char(char32_t c, std::string_view bytes) {
    if (is_space(c)) {
      if (in_word && !buf.empty()) {
        words.push_back(std::move(buf));
        buf.clear();
        in_word = false;
      }
      return;
    }
    add_raw(bytes);
  }
  void add_raw(std::string_view bytes) {
    buf += bytes;
    in_word = true;
  }
  void add_string(std::string_view s) {
    for (std::size_t pos = 0; pos < s.size();) {
      const Rune r = decode_rune(s, pos);
      add_char(r.value, s.substr(pos, r.size));
      pos += r.size;
    }
  }
  std::vector<std::string> take() {
    if (!buf.empty()) words.push_back(std::move(buf));
    buf.clear();
    return std::move(words);
  }
};

class Lexer {
public:
  Lexer(std::string_view src, const LexOptions &o, const EnvLookup &env, LexResult &out)
      : src_(src), o_(o), env_(env), out_(out) {}

  void run() {
    auto [word, words] = process_stop_on(kEof, o_.raw_escapes);
    out_.word = std::move(word);
    out_.words = std::move(words);
  }

private:
  std::string_view src_;
  const LexOptions &o_;
  const EnvLookup &env_;
  LexResult &out_;
  std::size_t pos_ = 0;
  bool raw_escapes_ = false;

  char32_t peek() const { return pos_ < src_.size() ? decode_rune(src_, pos_).value : kEof; }
  // The next character and its bytes.
  char32_t next(std::string_view *bytes = nullptr) {
    if (pos_ >= src_.size()) {
      if (bytes) *bytes = {};
      return kEof;
    }
    const Rune r = decode_rune(src_, pos_);
    if (bytes) *bytes = src_.substr(pos_, r.size);
    pos_ += r.size;
    return r.value;
  }
  char32_t escape() const { return static_cast<unsigned char>(o_.escape); }

  [[noreturn]] static void error(const std::string &why) {
    throw Error(Errc::invalid_argument, why);
  }

  std::optional<std::string> get_env(const std::string &name) {
    auto v = env_ ? env_(name) : std::nullopt;
    (v ? out_.matched : out_.unmatched).insert(name);
    return v;
  }

  std::pair<std::string, std::vector<std::string>> process_stop_on(char32_t stop, bool raw);
  std::string single_quote();
  std::string double_quote();
  std::string dollar();
  std::string dollar_modifier(const std::string &name, char32_t ch, bool null_is_unset,
                              std::string chs);
  std::string dollar_replace(const std::string &name);
  std::string name();
  std::string possible_heredoc();
};

std::pair<std::string, std::vector<std::string>> Lexer::process_stop_on(char32_t stop, bool raw) {
  const bool saved = raw_escapes_;
  raw_escapes_ = raw;
  std::string result;
  Words words;
  while (peek() != kEof) {
    const char32_t ch = peek();
    if (stop != kEof && ch == stop) {
      next();
      raw_escapes_ = saved;
      return {result, words.take()};
    }
    const bool quote = !o_.skip_process_quotes && (ch == '\'' || ch == '"');
    if (ch == '$' || ch == '<' || quote) {
      std::string tmp = ch == '$'    ? dollar()
                        : ch == '<'  ? possible_heredoc()
                        : ch == '\'' ? single_quote()
                                     : double_quote();
      result += tmp;
      if (ch == '$')
        words.add_string(tmp);
      else
        words.add_raw(tmp);
      continue;
    }
    std::string_view bytes;
    char32_t c = next(&bytes);
    if (c == escape()) {
      if (raw_escapes_) {
        words.add_raw(bytes);
        result += bytes;
      }
      c = next(&bytes); // the escape escapes the next character, except at the end
      if (c == kEof) break;
      words.add_raw(bytes);
    } else {
      words.add_char(c, bytes);
    }
    result += bytes;
  }
  raw_escapes_ = saved;
  if (stop != kEof) {
    std::string s(1, static_cast<char>(stop));
    error("unexpected end of statement while looking for matching " + s);
  }
  return {result, words.take()};
}

std::string Lexer::single_quote() {
  std::string result;
  std::string_view bytes;
  next(&bytes);
  if (o_.raw_quotes) result += bytes;
  for (;;) {
    const char32_t c = next(&bytes);
    if (c == kEof) error("unexpected end of statement while looking for matching single-quote");
    result += bytes;
    if (c == '\'') {
      if (!o_.raw_quotes) result.pop_back();
      return result;
    }
  }
}

std::string Lexer::double_quote() {
  std::string result;
  std::string_view bytes;
  next(&bytes);
  if (o_.raw_quotes) result += bytes;
  for (;;) {
    const char32_t p = peek();
    if (p == kEof) error("unexpected end of statement while looking for matching double-quote");
    if (p == '"') {
      next(&bytes);
      if (o_.raw_quotes) result += bytes;
      return result;
    }
    if (p == '$') {
      result += dollar();
      continue;
    }
    const char32_t c = next(&bytes);
    if (c == escape()) {
      if (raw_escapes_) result += bytes;
      const char32_t after = peek();
      if (after == kEof) continue; // a trailing escape is dropped
      // Only ", $ and the escape itself are escaped; other escapes stay as written.
      if (after == '"' || after == '$' || after == escape()) next(&bytes);
    }
    result += bytes;
  }
}

std::string Lexer::name() {
  std::string n;
  while (peek() != kEof) {
    const char32_t c = peek();
    if (n.empty() && c >= '0' && c <= '9') {
      while (peek() >= '0' && peek() <= '9' && peek() != kEof)
        n += static_cast<char>(next());
      return n;
    }
    if (n.empty() && (c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' ||
                      c == '!' || c == '0')) {
      next();
      return std::string(1, static_cast<char>(c));
    }
    const bool word_char =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!word_char) break;
    n += static_cast<char>(next());
  }
  return n;
}

std::string Lexer::possible_heredoc() {
  next();
  if (peek() != '<') return "<";
  next();
  // Keep the blanks between << and the delimiter inside the word.
  std::string result = "<<";
  while (peek() == '\t' || peek() == '\r' || peek() == ' ')
    result += static_cast<char>(next());
  return result;
}

std::string Lexer::dollar() {
  next(); // $
  if (peek() != '{') {
    const std::string n = name();
    if (n.empty()) return "$";
    auto v = get_env(n);
    if (!v && o_.skip_unset_env) return "$" + n;
    return v.value_or("");
  }
  next(); // {
  const char32_t first = peek();
  if (first == kEof) error("syntax error: missing '}'");
  if (first == '{' || first == '}' || first == ':') error("syntax error: bad substitution");
  const std::string n = name();
  std::string_view bytes;
  const char32_t ch = next(&bytes);
  std::string chs(bytes);
  switch (ch) {
  case '}': {
    auto v = get_env(n);
    if (!v && o_.skip_unset_env) return "${" + n + "}";
    return v.value_or("");
  }
  case ':': {
    const char32_t op = next(&bytes);
    chs += bytes;
    return dollar_modifier(n, op, true, chs);
  }
  case '+':
  case '-':
  case '?':
  case '#':
  case '%': return dollar_modifier(n, ch, false, chs);
  case '/': return dollar_replace(n);
  default: error("unsupported modifier (" + core::quoted(chs) + ") in substitution");
  }
}

std::string Lexer::dollar_modifier(const std::string &n, char32_t ch, bool null_is_unset,
                                   std::string chs) {
  const bool raw = ch == '#' || ch == '%';
  if (null_is_unset && raw)
    error("unsupported modifier (" + core::quoted(chs) + ") in substitution");
  std::string word;
  try {
    word = process_stop_on('}', raw).first;
  } catch (const Error &) {
    if (peek() == kEof) error("syntax error: missing '}'");
    throw;
  }
  if (ch != '+' && ch != '-' && ch != '?' && !raw) // as BuildKit: checked after the word
    error("unsupported modifier (" + core::quoted(chs) + ") in substitution");
  auto v = get_env(n);
  if (!v && o_.skip_unset_env) return "${" + n + chs + word + "}";
  const bool empty = !v || (null_is_unset && v->empty());
  switch (ch) {
  case '-': return empty ? word : *v;
  case '+': return empty ? std::string() : word;
  case '?':
    if (!v) error(n + ": " + (word.empty() ? "is not allowed to be unset" : core::quoted(word)));
    if (empty) error(n + ": " + (word.empty() ? "is not allowed to be empty" : core::quoted(word)));
    return *v;
  default: {
    // # and % take the shortest match, ## and %% the longest.
    const bool greedy = !word.empty() && static_cast<unsigned char>(word[0]) == ch;
    if (greedy) word.erase(0, 1);
    return ch == '%' ? trim_suffix_pattern(word, v.value_or(""), greedy)
                     : trim_prefix_pattern(word, v.value_or(""), greedy);
  }
  }
}

std::string Lexer::dollar_replace(const std::string &n) {
  const bool all = peek() == '/';
  if (all) next();
  std::string pattern, replacement;
  try {
    pattern = process_stop_on('/', true).first;
  } catch (const Error &) {
    if (peek() == kEof) error("syntax error: missing '/' in ${}");
    throw;
  }
  try {
    replacement = process_stop_on('}', true).first;
  } catch (const Error &) {
    if (peek() == kEof) error("syntax error: missing '}'");
    throw;
  }
  auto v = get_env(n);
  if (!v && o_.skip_unset_env) return "${" + n + "/" + pattern + "/" + replacement + "}";
  return replace_pattern(pattern, v.value_or(""), replacement, all);
}

} // namespace

LexResult ShellLex::process(std::string_view word, const EnvLookup &env) const {
  LexResult out;
  try {
    Lexer(word, options, env, out).run();
  } catch (const Error &e) {
    throw Error(Errc::invalid_argument,
                "failed to process " + core::quoted(word) + ": " + e.what());
  }
  return out;
}

} // namespace berth::dockerfile
