// .dockerignore: reading the patterns (moby/patternmatcher's ignorefile.ReadAll) and
// matching context paths against them (patternmatcher, with BuildKit's rule that a
// pattern matching a parent directory matches everything beneath it): comments,
// leading "/" and "./" cleaned, "**", "*", "?", "[...]", "!" exceptions, the last
// matching pattern wins.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::dockerfile {

// The patterns of a .dockerignore text: "#" lines and blank lines skipped, each
// pattern trimmed and cleaned (filepath.Clean, leading "/" removed), "!" kept in front.
std::vector<std::string> read_ignore_patterns(std::string_view text);

class IgnoreMatcher {
public:
  // Throws berth::Error (invalid_argument) for "!" alone or a malformed pattern
  // ("[", "a\\" at the end, "[b-a]").
  explicit IgnoreMatcher(const std::vector<std::string> &patterns);

  // True when the path (relative to the context, "/"-separated) is excluded: the last
  // pattern that matches it or one of its parent directories decides.
  bool matches(std::string_view path) const;

  // True when some "!" exception could re-include something beneath `dir`: a walker
  // must then descend into an excluded directory instead of skipping it.
  bool may_contain_exceptions(std::string_view dir) const;

  bool has_exceptions() const { return exceptions_; }

  // One compiled pattern (public for the implementation's helpers only).
  struct Token {
    enum Kind { literal, any, star, any_dirs, rest, cls } kind;
    std::string text;                                  // literal: one character's bytes
    bool negated = false;                              // cls: [^...]
    std::vector<std::pair<char32_t, char32_t>> ranges; // cls
  };
  struct Pattern {
    enum Match { exact, prefix, suffix, regex } type = exact;
    std::string cleaned; // without the "!"
    bool exclusion = false;
    std::vector<std::string> dirs;
    std::vector<Token> tokens;
  };

private:
  std::vector<Pattern> patterns_;
  bool exceptions_ = false;
};

// Which ignore file a build uses: "<dockerfile>.dockerignore" (beside the Dockerfile,
// named after it) when present, else ".dockerignore" at the context root, else "".
// `present` lists the candidate names that exist.
std::string choose_ignore_file(std::string_view dockerfile,
                               const std::vector<std::string> &present);

// Go's filepath.Clean for "/"-separated paths.
std::string clean_path(std::string_view path);

} // namespace berth::dockerfile
