// Dockerfile text -> a list of instructions (BuildKit's frontend/dockerfile/parser):
// parser directives at the top (# syntax=, # escape=, # check=), comments, line
// continuations with the escape character (comment and empty lines inside a
// continuation skipped, as BuildKit does), instruction names in any case, --flags,
// the JSON (exec) form where it parses as a JSON array of strings and the shell form
// otherwise, heredocs (RUN/COPY/ADD, and under ONBUILD), each instruction's lines and
// original text. No expansion happens here (see instructions.hpp and shell_lexer.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::dockerfile {

struct Heredoc {
  std::string name;     // the delimiter, quotes removed
  std::uint64_t fd = 0; // 3<<EOF
  bool expand = true;   // false when any part of the delimiter was quoted
  bool chomp = false;   // <<-EOF: leading tabs are stripped (see chomp_heredoc)
  std::string content;  // the lines up to the delimiter, each with its newline
};

struct Node {
  std::string name;               // the instruction as written ("run", "RUN")
  std::string keyword;            // its lower-case form
  std::vector<std::string> flags; // "--from=x", quotes and escapes removed
  std::vector<std::string> args;  // as BuildKit's dispatch table splits them
  bool json = false;              // the arguments were a JSON array (exec form)
  std::vector<Heredoc> heredocs;
  std::string original;              // the instruction's text, continuations joined
  int start_line = 0;                // 1-based, first and last line of the instruction
  int end_line = 0;                  //   (heredoc bodies included)
  std::vector<std::string> comments; // the comment lines right above it
  std::vector<Node> sub;             // ONBUILD: the trigger instruction (one node)
};

struct Directive {
  std::string name; // "syntax", "escape" or "check", lower case
  std::string value;
  int line = 0;
};

struct ParseWarning {
  std::string message;
  int line = 0;
};

struct ParseResult {
  std::string source; // the name errors and warnings use ("Dockerfile")
  std::vector<Node> nodes;
  char escape = '\\';
  std::vector<Directive> directives;
  std::vector<ParseWarning> warnings; // empty continuation lines
};

// Parses a whole Dockerfile. Throws berth::Error (invalid_argument) with messages
// "<source>:<line>: ...": an invalid or repeated directive, an unterminated heredoc,
// a line over 64 KiB, a JSON array of non-strings, a file with no instructions.
ParseResult parse(std::string_view text, std::string_view source = "Dockerfile");

// A heredoc word such as "<<EOF", "<<-'EOF'", "3<<EOF"; nullopt when the word is not a
// heredoc. Throws on an unterminated quote ("<<'EOF").
std::optional<Heredoc> parse_heredoc(std::string_view word);

// <<- content: leading tabs removed from every line.
std::string chomp_heredoc(std::string_view content);

// BuildKit's parser dump, "(run \"echo hi\")", for tests and debugging.
std::string dump(const Node &node);

} // namespace berth::dockerfile
