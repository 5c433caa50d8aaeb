// BuildKit's shell lexer (frontend/dockerfile/shell) as berth implements it. The table
// rows were checked against BuildKit's own ShellLex (ProcessWordWithMatches and
// ProcessWords, escape '\\') with the environment below.
#include <doctest/doctest.h>

#include "dockerfile/shell_lexer.hpp"
#include "dockerfile/shell_pattern.hpp"

#include <berth/error.hpp>

#include <set>
#include <string>
#include <vector>

using namespace berth;
using namespace berth::dockerfile;

namespace {

EnvList test_env() {
  EnvList e;
  for (auto [k, v] :
       std::vector<std::pair<const char *, const char *>>{{"PWD", "/home"},
                                                          {"BAR", "bar"},
                                                          {"EMPTY", ""},
                                                          {"SPACE", "a b  c"},
                                                          {"PATH", "/usr/local/bin:/usr/bin:/bin"},
                                                          {"FILE", "archive.tar.gz"},
                                                          {"X", "xxyxx"}})
    e.set(k, v);
  return e;
}

struct Row {
  const char *in;
  const char *word;
  bool error;
  std::vector<std::string> words;
  std::set<std::string> matched, unmatched;
};

const std::vector<Row> kRows = {
    {"hello", "hello", false, {"hello"}, {}, {}},
    {"he'll'o", "hello", false, {"hello"}, {}, {}},
    {"he\"ll\"o", "hello", false, {"hello"}, {}, {}},
    {"he\\'llo", "he'llo", false, {"he'llo"}, {}, {}},
    {"he\\\"llo", "he\"llo", false, {"he\"llo"}, {}, {}},
    {"'$PWD'", "$PWD", false, {"$PWD"}, {}, {}},
    {"\"$PWD\"", "/home", false, {"/home"}, {"PWD"}, {}},
    {"\\$PWD", "$PWD", false, {"$PWD"}, {}, {}},
    {"$PWD", "/home", false, {"/home"}, {"PWD"}, {}},
    {"${PWD}", "/home", false, {"/home"}, {"PWD"}, {}},
    {"x${PWD}y", "x/homey", false, {"x/homey"}, {"PWD"}, {}},
    {"$PWDx", "", false, {}, {}, {"PWDx"}},
    {"${PWD}x", "/homex", false, {"/homex"}, {"PWD"}, {}},
    {"$BAR$BAR", "barbar", false, {"barbar"}, {"BAR"}, {}},
    {"$", "$", false, {"$"}, {}, {}},
    {"$1", "", false, {}, {}, {"1"}},
    {"$12ab", "ab", false, {"ab"}, {}, {"12"}},
    {"$@", "", false, {}, {}, {"@"}},
    {"${UNSET}", "", false, {}, {}, {"UNSET"}},
    {"${UNSET:-def}", "def", false, {"def"}, {}, {"UNSET"}},
    {"${UNSET-def}", "def", false, {"def"}, {}, {"UNSET"}},
    {"${EMPTY:-def}", "def", false, {"def"}, {"EMPTY"}, {}},
    {"${EMPTY-def}", "", false, {}, {"EMPTY"}, {}},
    {"${BAR:-def}", "bar", false, {"bar"}, {"BAR"}, {}},
    {"${UNSET:+alt}", "", false, {}, {}, {"UNSET"}},
    {"${BAR:+alt}", "alt", false, {"alt"}, {"BAR"}, {}},
    {"${EMPTY:+alt}", "", false, {}, {"EMPTY"}, {}},
    {"${EMPTY+alt}", "alt", false, {"alt"}, {"EMPTY"}, {}},
    {"${BAR:-${PWD}}", "bar", false, {"bar"}, {"BAR", "PWD"}, {}},
    {"${UNSET:-${PWD}/x}", "/home/x", false, {"/home/x"}, {"PWD"}, {"UNSET"}},
    {"${UNSET:-'q'}", "q", false, {"q"}, {}, {"UNSET"}},
    {"${UNSET:-\"a b\"}", "a b", false, {"a", "b"}, {}, {"UNSET"}},
    {"${FILE#*.}", "tar.gz", false, {"tar.gz"}, {"FILE"}, {}},
    {"${FILE##*.}", "gz", false, {"gz"}, {"FILE"}, {}},
    {"${FILE%.*}", "archive.tar", false, {"archive.tar"}, {"FILE"}, {}},
    {"${FILE%%.*}", "archive", false, {"archive"}, {"FILE"}, {}},
    {"${FILE#archive}", ".tar.gz", false, {".tar.gz"}, {"FILE"}, {}},
    {"${FILE%gz}", "archive.tar.", false, {"archive.tar."}, {"FILE"}, {}},
    {"${FILE#x*}", "archive.tar.gz", false, {"archive.tar.gz"}, {"FILE"}, {}},
    {"${PATH#*:}", "/usr/bin:/bin", false, {"/usr/bin:/bin"}, {"PATH"}, {}},
    {"${PATH##*:}", "/bin", false, {"/bin"}, {"PATH"}, {}},
    {"${PATH%:*}", "/usr/local/bin:/usr/bin", false, {"/usr/local/bin:/usr/bin"}, {"PATH"}, {}},
    {"${PATH%%:*}", "/usr/local/bin", false, {"/usr/local/bin"}, {"PATH"}, {}},
    {"${X/x/z}", "zxyxx", false, {"zxyxx"}, {"X"}, {}},
    {"${X//x/z}", "zzyzz", false, {"zzyzz"}, {"X"}, {}},
    {"${X/x*/z}", "z", false, {"z"}, {"X"}, {}},
    {"${X//?/-}", "-----", false, {"-----"}, {"X"}, {}},
    {"${X/#x/}", "xxyxx", false, {"xxyxx"}, {"X"}, {}},
    {"${FILE/.tar/}", "archive.gz", false, {"archive.gz"}, {"FILE"}, {}},
    {"${X//y}", "", true, {}, {}, {}},
    {"${PATH//:/ }",
     "/usr/local/bin /usr/bin /bin",
     false,
     {"/usr/local/bin", "/usr/bin", "/bin"},
     {"PATH"},
     {}},
    {"${FILE#\\*}", "archive.tar.gz", false, {"archive.tar.gz"}, {"FILE"}, {}},
    {"${X#?}", "xyxx", false, {"xyxx"}, {"X"}, {}},
    {"${X%%x?}", "xxy", false, {"xxy"}, {"X"}, {}},
    {"\"${SPACE}\"", "a b  c", false, {"a b  c"}, {"SPACE"}, {}},
    {"'a\\b'", "a\\b", false, {"a\\b"}, {}, {}},
    {"\"a\\b\"", "a\\b", false, {"a\\b"}, {}, {}},
    {"\"a\\\"b\"", "a\"b", false, {"a\"b"}, {}, {}},
    {"\"a\\$b\"", "a$b", false, {"a$b"}, {}, {}},
    {"a\\ b", "a b", false, {"a b"}, {}, {}},
    {"\"\"", "", false, {}, {}, {}},
    {"''", "", false, {}, {}, {}},
    {"a\"\"b", "ab", false, {"ab"}, {}, {}},
    {"<<EOF", "<<EOF", false, {"<<EOF"}, {}, {}},
    {"<< EOF", "<< EOF", false, {"<< EOF"}, {}, {}},
    {"a<b", "a<b", false, {"a<b"}, {}, {}},
    {"${BAR:?oops}", "bar", false, {"bar"}, {"BAR"}, {}},
    {"${EMPTY:?}", "", true, {}, {"EMPTY"}, {}},
    {"${UNSET?}", "", true, {}, {}, {"UNSET"}},
    {"${UNSET:?must be set}", "", true, {}, {}, {"UNSET"}},
    {"${}", "", true, {}, {}, {}},
    {"${BAR", "", true, {}, {}, {}},
    {"${BAR:x}", "", true, {}, {"BAR"}, {}},
    {"${BAR:#x}", "", true, {}, {}, {}},
    {"'unterminated", "", true, {}, {}, {}},
    {"\"unterminated", "", true, {}, {}, {}},
    {"${BAR/x", "", true, {}, {}, {}},
};

} // namespace

TEST_CASE("dockerfile lexer: ProcessWord and ProcessWords agree with BuildKit's table") {
  const EnvList env = test_env();
  const ShellLex lex;
  for (const auto &row : kRows) {
    CAPTURE(row.in);
    if (row.error) {
      CHECK_THROWS_AS(lex.process(row.in, env.lookup()), Error);
      continue;
    }
    const LexResult r = lex.process(row.in, env.lookup());
    CHECK(r.word == row.word);
    CHECK(r.words == row.words);
    CHECK(r.matched == row.matched);
    CHECK(r.unmatched == row.unmatched);
  }
}

TEST_CASE("dockerfile lexer: word splitting happens after expansion (wordsTest)") {
  EnvList env;
  env.set("space", "abc  def");
  env.set("leading", "  ab c");
  env.set("trailing", "ab c   ");
  const ShellLex lex;
  auto words = [&](const char *s) { return lex.process_words(s, env.lookup()); };
  CHECK(words("hello${space}bye") == std::vector<std::string>{"helloabc", "defbye"});
  CHECK(words("hello\"${space}\"bye") == std::vector<std::string>{"helloabc  defbye"});
  CHECK(words("hello${leading}def") == std::vector<std::string>{"hello", "ab", "cdef"});
  CHECK(words("hello\"${leading}\" def") == std::vector<std::string>{"hello  ab c", "def"});
  CHECK(words("hello${trailing}d") == std::vector<std::string>{"helloab", "c", "d"});
  CHECK(words("hel\"lo${trailing}\"") == std::vector<std::string>{"helloab c   "});
  CHECK(words("hello there     ") == std::vector<std::string>{"hello", "there"});
  CHECK(words("hello\\ there") == std::vector<std::string>{"hello there"});
  CHECK(words("hello\\\" there") == std::vector<std::string>{"hello\"", "there"});
  CHECK(words("hello'\\\\there'") == std::vector<std::string>{"hello\\\\there"});
  CHECK(words("hello'$there'") == std::vector<std::string>{"hello$there"});
  CHECK_THROWS_AS(words("hello\" there"), Error);
}

TEST_CASE("dockerfile lexer: the backtick escape of '# escape=`'") {
  EnvList env;
  env.set("A", "a");
  const ShellLex lex('`');
  CHECK(lex.process_word("c:\\windows\\$A", env.lookup()) == "c:\\windows\\a");
  CHECK(lex.process_word("`$A", env.lookup()) == "$A");
  CHECK(lex.process_word("\"x`\"y\"", env.lookup()) == "x\"y");
  CHECK(lex.process_words("a` b c", env.lookup()) == std::vector<std::string>{"a b", "c"});
}

TEST_CASE("dockerfile lexer: raw quotes, raw escapes and unset variables kept (heredoc mode)") {
  ShellLex lex;
  lex.options.raw_quotes = true;
  lex.options.raw_escapes = true;
  lex.options.skip_unset_env = true;
  CHECK(lex.process_words("RUN <<'EOF' $X ${Y:-z} a\\ b", empty_env()) ==
        std::vector<std::string>{"RUN", "<<'EOF'", "$X", "${Y:-z}", "a\\ b"});
  ShellLex noquotes;
  noquotes.options.skip_process_quotes = true;
  EnvList env;
  env.set("A", "1");
  CHECK(noquotes.process_word("echo '$A' \"$A\"", env.lookup()) == "echo '1' \"1\"");
}

TEST_CASE("dockerfile lexer: ${VAR:?} errors carry the message, never raw control characters") {
  const ShellLex lex;
  try {
    (void)lex.process_word("${A:?\x1b[31mred}", empty_env());
    FAIL("expected an error");
  } catch (const Error &e) {
    const std::string what = e.what();
    CHECK(what.find('\x1b') == std::string::npos);
    CHECK(what.find("A: ") != std::string::npos);
    CHECK(e.code() == Errc::invalid_argument);
  }
}

TEST_CASE("dockerfile lexer: a prefix stays in ProcessWords before a ${VAR:-default}") {
  // BuildKit (ShellLex.ProcessWords) loses "hello" here because nested ${} processing
  // resets a shared buffer; berth keeps the text, as the shell would.
  const ShellLex lex;
  CHECK(lex.process_words("hello${x:-y} b", empty_env()) ==
        std::vector<std::string>{"helloy", "b"});
}

TEST_CASE("dockerfile lexer: patterns of # % and / follow Go's leftmost-first regexps") {
  CHECK(trim_prefix_pattern("*/", "a/b/c", false) == "b/c");
  CHECK(trim_prefix_pattern("*/", "a/b/c", true) == "c");
  CHECK(trim_suffix_pattern("/*", "a/b/c", false) == "a/b");
  CHECK(trim_suffix_pattern("/*", "a/b/c", true) == "a");
  CHECK(trim_prefix_pattern("\\*", "*x", false) == "x");
  CHECK(trim_prefix_pattern("*", "line1\nline2", true) == "\nline2"); // * stops at a newline
  CHECK(replace_pattern("", "ab", "x", true) == "xaxbx");
  CHECK(replace_pattern("?", "ab", "[$0]", true) == "[a][b]");
  CHECK(replace_pattern("b*", "abcb", "-", false) == "a-");
  CHECK_THROWS_AS(trim_prefix_pattern("\\q", "x", false), Error);
}
