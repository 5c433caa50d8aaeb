// BuildKit's shell lexer (frontend/dockerfile/shell): quote removal, escapes and
// variable expansion in Dockerfile words, and word splitting after expansion.
// Supported forms: $VAR ${VAR} ${VAR:-w} ${VAR-w} ${VAR:+w} ${VAR+w} ${VAR:?msg}
// ${VAR?msg} ${VAR#p} ${VAR##p} ${VAR%p} ${VAR%%p} ${VAR/p/r} ${VAR//p/r}, where the
// patterns take * and ? (no [...], as in BuildKit). Errors are berth::Error
// (invalid_argument) with the input quoted.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::dockerfile {

// Where the lexer looks variables up: the value, or nullopt when unset (set but empty
// is not unset: ${a-b} and ${a:-b} differ on it).
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// An ordered environment (a stage's ENV and ARG values), later entries replacing
// earlier ones of the same name.
class EnvList {
public:
  void set(std::string_view key, std::string_view value);
  void erase(std::string_view key);
  std::optional<std::string> get(std::string_view key) const;
  const std::vector<std::pair<std::string, std::string>> &entries() const { return entries_; }
  EnvLookup lookup() const;

private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

struct LexOptions {
  char escape = '\\';               // '\\' or '`' (the escape parser directive)
  bool raw_quotes = false;          // keep quote characters in the result
  bool raw_escapes = false;         // keep escape characters in the result
  bool skip_process_quotes = false; // quotes are ordinary characters
  bool skip_unset_env = false;      // leave $VAR of unset variables as written
};

struct LexResult {
  std::string word;                // ProcessWord: the expanded text, spaces kept
  std::vector<std::string> words;  // ProcessWords: split at unquoted white space
  std::set<std::string> matched;   // variables looked up and set
  std::set<std::string> unmatched; // variables looked up and unset
};

// Lexes one word (or a line of words) at a time; holds no state between calls.
class ShellLex {
public:
  explicit ShellLex(char escape = '\\') { options.escape = escape; }
  LexOptions options;

  LexResult process(std::string_view word, const EnvLookup &env) const;
  std::string process_word(std::string_view word, const EnvLookup &env) const {
    return process(word, env).word;
  }
  std::vector<std::string> process_words(std::string_view word, const EnvLookup &env) const {
    return process(word, env).words;
  }
};

// An EnvLookup that finds nothing.
EnvLookup empty_env();

} // namespace berth::dockerfile
