// The Dockerfile parser (lib/dockerfile/parser) against BuildKit's parser: each
// expected dump and line range below is what BuildKit's parser.Parse and Node.Dump
// give for the same text (checked by running BuildKit's package), and the cases
// follow its testfiles (continueIndent, escape, escape-after-comment, json, flags,
// env, health, the heredoc tests).
#include <doctest/doctest.h>

#include "dockerfile/json_array.hpp"
#include "dockerfile/parser.hpp"
#include "dockerfile/parser_detail.hpp"

#include <berth/error.hpp>

#include <string>
#include <vector>

using namespace berth;
using namespace berth::dockerfile;

namespace {

std::vector<std::string> dumps(const ParseResult &r) {
  std::vector<std::string> out;
  for (const auto &n : r.nodes)
    out.push_back(dump(n));
  return out;
}

std::vector<std::string> dumps(const char *text) {
  return dumps(parse(text));
}

std::vector<std::pair<int, int>> lines(const ParseResult &r) {
  std::vector<std::pair<int, int>> out;
  for (const auto &n : r.nodes)
    out.emplace_back(n.start_line, n.end_line);
  return out;
}

std::string error_of(const char *text) {
  try {
    (void)parse(text);
  } catch (const Error &e) {
    CHECK(e.code() == Errc::invalid_argument);
    return e.what();
  }
  return "";
}

using V = std::vector<std::string>;
using L = std::vector<std::pair<int, int>>;

} // namespace

TEST_CASE("dockerfile parser: continuation lines keep their leading white space (continueIndent)") {
  const auto r = parse("FROM a\nRUN echo hello\\\n  world\\\n  goodnight  \\\n  moon\n"
                       "RUN echo hi \\\n \\\n world \\\n\\\n good\\\n\\\nnight\n");
  CHECK(dumps(r) == V{"from \"a\"", "run \"echo hello  world  goodnight    moon\"",
                      "run \"echo hi   world  goodnight\""});
  CHECK(lines(r) == L{{1, 1}, {2, 5}, {6, 12}});
  CHECK(r.nodes[1].original == "RUN echo hello  world  goodnight    moon");
}

TEST_CASE("dockerfile parser: comment and empty lines inside a continuation are skipped") {
  const auto r =
      parse("FROM a\nRUN echo hello \\\n# a comment\n\n# another\n\nmore stuff\nCMD x\n");
  CHECK(dumps(r) == V{"from \"a\"", "run \"echo hello more stuff\"", "cmd \"x\""});
  CHECK(lines(r) == L{{1, 1}, {2, 7}, {8, 8}});
  REQUIRE(r.warnings.size() == 1); // empty continuation lines are deprecated
  CHECK(r.warnings[0].message.find("Empty continuation line") != std::string::npos);
}

TEST_CASE("dockerfile parser: an escaped escape at the end does not continue the line") {
  CHECK(dumps("FROM a\nRUN echo a\\\\\nRUN b\n") ==
        V{"from \"a\"", "run \"echo a\\\\\\\\\"", "run \"b\""});
  CHECK(dumps("FROM alpine:3.5\n\nRUN something \\") ==
        V{"from \"alpine:3.5\"", "run \"something\""});
  CHECK(dumps("FROM a\nRUN echo hello  \\  \nworld\n") ==
        V{"from \"a\"", "run \"echo hello  world\""});
}

TEST_CASE("dockerfile parser: the escape directive switches to backtick") {
  const auto r = parse("# escape=`\n\nFROM image\nENV GOPATH `\n\\go\nRUN dir c:\\\n");
  CHECK(r.escape == '`');
  CHECK(dumps(r) == V{"from \"image\"", "env \"GOPATH\" \"\\\\go\" \"\"", "run \"dir c:\\\\\""});
  CHECK(lines(r) == L{{3, 3}, {4, 5}, {6, 6}});
  REQUIRE(r.directives.size() == 1);
  CHECK(r.directives[0].name == "escape");
  CHECK(r.directives[0].line == 1);
}

TEST_CASE("dockerfile parser: directives only before any comment or blank line") {
  const auto after_comment = parse("# Comment\n# escape = `\n\nFROM image\nENV GOPATH \\\n\\go\n");
  CHECK(after_comment.escape == '\\');
  CHECK(dumps(after_comment) == V{"from \"image\"", "env \"GOPATH\" \"\\\\go\" \"\""});
  CHECK(after_comment.nodes[0].comments == V{"Comment", "escape = `"});

  const auto after_blank =
      parse("\n# syntax=docker/dockerfile:1\n\nFROM a AS b\n\nRUN x \\\n  y\n\n  cmd z\n");
  CHECK(after_blank.directives.empty());
  CHECK(dumps(after_blank) == V{"from \"a\" \"AS\" \"b\"", "run \"x   y\"", "cmd \"z\""});
  CHECK(lines(after_blank) == L{{4, 4}, {6, 7}, {9, 9}});

  const auto all = parse(
      "# syntax = docker/dockerfile:1.7\n#check=skip=all\n# escape=\\\n# unknown=1\nFROM a\n");
  REQUIRE(all.directives.size() == 3);
  CHECK(all.directives[0].value == "docker/dockerfile:1.7");
  CHECK(all.directives[1].name == "check");
  CHECK(all.directives[1].value == "skip=all");
  CHECK(all.nodes[0].comments == V{"unknown=1"}); // an unknown key ends the directives
  CHECK(lines(all) == L{{5, 5}});
}

TEST_CASE("dockerfile parser: repeated or invalid directives are errors naming the line") {
  CHECK(error_of("# escape=`\n# escape=\\\nFROM a\n") ==
        "Dockerfile:2: only one escape parser directive can be used");
  CHECK(error_of("# escape=x\nFROM a\n").find("Dockerfile:1: invalid escape token") == 0);
  CHECK(error_of("# syntax=a\n#SYNTAX=b\nFROM a\n").find("only one syntax") != std::string::npos);
}

TEST_CASE("dockerfile parser: instruction names in any case, a BOM is skipped") {
  CHECK(dumps("\xEF\xBB\xBF"
              "from a\nrun echo\nCoPy a b\n") ==
        V{"from \"a\"", "run \"echo\"", "copy \"a\" \"b\""});
  CHECK(parse("CoPy a b\n").nodes[0].name == "CoPy");
}

TEST_CASE("dockerfile parser: JSON form only for a valid array of strings (json testfile)") {
  CHECK(dumps("FROM a\nCMD []\nCMD [\"a\",\"b\"]\nCMD [ \"a\", ]\nCMD ['a']\nCMD [\"a\"\n"
              "ENTRYPOINT [\"x\"] y\nRUN [\"\\u00e9\\t\"]\n") ==
        V{"from \"a\"", "cmd", "cmd \"a\" \"b\"", "cmd \"[ \\\"a\\\", ]\"", "cmd \"['a']\"",
          "cmd \"[\\\"a\\\"\"", "entrypoint \"[\\\"x\\\"] y\"", "run \"\xC3\xA9\\t\""});
  const auto r = parse("FROM a\nCMD [\"a\"]\nCMD [ \"a\", ]\nCMD [\t\"a\",\t\"b\"\t]\t\n");
  CHECK(r.nodes[1].json);
  CHECK_FALSE(r.nodes[2].json);
  CHECK(r.nodes[3].args == V{"a", "b"});
  CHECK(error_of("FROM a\nCMD [ \"echo\", [ \"nested json\" ] ]\n") ==
        "Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only");
  CHECK(error_of("FROM a\nRUN [1]\n").find("strings only") != std::string::npos);
  // Invalid JSON is the shell form, not an error.
  CHECK(dumps("FROM a\nCMD [\"a\", 1\n") == V{"from \"a\"", "cmd \"[\\\"a\\\", 1\""});
}

TEST_CASE("dockerfile parser: JSON arrays decode as Go's encoding/json") {
  auto arr =
      parse_json_array("[\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0000\", \"\\ud83d\\ude00\"]");
  REQUIRE(arr.status == JsonArrayStatus::strings);
  CHECK(arr.values[0] == std::string("\" \\ / \b \f \n \r \t \0", 17));
  CHECK(arr.values[1] == "\xF0\x9F\x98\x80");
  CHECK(parse_json_array("[\"\\ud800\"]").values[0] == "\xEF\xBF\xBD"); // lone surrogate
  CHECK(parse_json_array("[\"a\"] x").status == JsonArrayStatus::not_json);
  CHECK(parse_json_array("[\"a\",]").status == JsonArrayStatus::not_json);
  CHECK(parse_json_array("[{\"a\": [1, 2.5e3, true, null]}]").status ==
        JsonArrayStatus::not_strings);
  CHECK(parse_json_array("[01]").status == JsonArrayStatus::not_json);
  CHECK(parse_json_array(std::string(20000, '[')).status == JsonArrayStatus::not_json);
}

TEST_CASE("dockerfile parser: leading --flags, quotes removed, -- ends them (flags testfile)") {
  CHECK(dumps("FROM scratch\nCOPY --user=me --doit=true foo /tmp/\nCOPY --doit=true -- foo /tmp/\n"
              "CMD --doit [ \"a\", \"b\" ]\nCMD --doit -- [ ]\nCOPY \"--from=a b\" x y\n") ==
        V{"from \"scratch\"", "copy [\"--user=me\" \"--doit=true\"] \"foo\" \"/tmp/\"",
          "copy [\"--doit=true\"] \"foo\" \"/tmp/\"", "cmd [\"--doit\"] \"a\" \"b\"",
          "cmd [\"--doit\"]", "copy \"\\\"--from=a\" \"b\\\"\" \"x\" \"y\""});
  auto [flags, rest] =
      detail::extract_flags("--mount=type=cache,target=\"/a b\" --link src dst", '\\');
  CHECK(flags == V{"--mount=type=cache,target=/a b", "--link"});
  CHECK(rest == "src dst");
}

TEST_CASE("dockerfile parser: ENV and LABEL keep quotes for the lexer (env testfile)") {
  CHECK(dumps("FROM u\nENV name value more\nENV a=b c=\"d e\" f=g\\ h\nLABEL x=\"1 2\"\nENV "
              "name='a\\'b'\n") ==
        V{"from \"u\"", "env \"name\" \"value more\" \"\"",
          "env \"a\" \"b\" \"=\" \"c\" \"\\\"d e\\\"\" \"=\" \"f\" \"g\\\\ h\" \"=\"",
          "label \"x\" \"\\\"1 2\\\"\" \"=\"", "env \"name\" \"'a\\\\'b'\" \"=\""});
  CHECK(error_of("FROM u\nENV x\n") == "Dockerfile:2: ENV must have two arguments");
  CHECK(error_of("FROM u\nENV a=b c\n").find("Dockerfile:2: Syntax error - can't find = in") == 0);
  CHECK(detail::parse_words("a=\"b c\" d\\ e 'f\\'", '\\') == V{"a=\"b c\"", "d\\ e", "'f\\'"});
}

TEST_CASE("dockerfile parser: ONBUILD holds its trigger, HEALTHCHECK its type (health testfile)") {
  CHECK(dumps("FROM a\nONBUILD RUN [\"echo\", \"test\"]\nONBUILD COPY . /\n") ==
        V{"from \"a\"", "onbuild (run \"echo\" \"test\")", "onbuild (copy \".\" \"/\")"});
  const auto r = parse("FROM a\nONBUILD RUN [\"echo\", \"test\"]\n");
  REQUIRE(r.nodes[1].sub.size() == 1);
  CHECK(r.nodes[1].args == V{"RUN", "echo", "test"});
  CHECK(dumps("FROM a\nHEALTHCHECK --interval=5s --retries=3 \\\n  CMD /check --quiet\n"
              "HEALTHCHECK NONE\nHEALTHCHECK CMD [\"foo\"]\nHEALTHCHECK\nHEALTHCHECK CONNECT TCP "
              "7000\n") ==
        V{"from \"a\"",
          "healthcheck [\"--interval=5s\" \"--retries=3\"] \"CMD\" \"/check --quiet\"",
          "healthcheck \"NONE\"", "healthcheck \"CMD\" \"foo\"", "healthcheck",
          "healthcheck \"CONNECT\" \"TCP 7000\""});
}

TEST_CASE("dockerfile parser: heredocs on RUN and COPY, with lines, fd, chomp and quoting") {
  const auto r = parse("FROM a\nRUN <<EOF\necho $X\nEOF\nRUN <<-'EOT' bash\n\techo hi\n\tEOT\n"
                       "COPY <<A <<B /dest/\na1\nA\nb1\nB\nRUN 3<<\"Q\" cat\nq\nQ\n"
                       "RUN [\"<<EOF\"]\nUSER <<X\n");
  CHECK(lines(r) == L{{1, 1}, {2, 4}, {5, 7}, {8, 12}, {13, 15}, {16, 16}, {17, 17}});
  REQUIRE(r.nodes[1].heredocs.size() == 1);
  CHECK(r.nodes[1].heredocs[0].name == "EOF");
  CHECK(r.nodes[1].heredocs[0].content == "echo $X\n");
  CHECK(r.nodes[1].heredocs[0].expand);
  const auto &eot = r.nodes[2].heredocs.at(0);
  CHECK(eot.chomp);
  CHECK_FALSE(eot.expand);
  CHECK(eot.content == "\techo hi\n");
  CHECK(chomp_heredoc(eot.content) == "echo hi\n");
  REQUIRE(r.nodes[3].heredocs.size() == 2);
  CHECK(r.nodes[3].heredocs[1].content == "b1\n");
  CHECK(r.nodes[4].heredocs.at(0).fd == 3);
  CHECK_FALSE(r.nodes[4].heredocs.at(0).expand);
  CHECK(r.nodes[5].heredocs.empty()); // exec form: no heredoc
  CHECK(r.nodes[6].heredocs.empty()); // USER takes none
  CHECK(error_of("FROM a\nRUN <<EOF\necho\n") == "Dockerfile:2: unterminated heredoc \"EOF\"");
}

TEST_CASE("dockerfile parser: heredoc words (TestParseHeredocHelpers, parser_heredoc_test)") {
  for (const char *w : {"<<EOF", "<<'EOF'", "<<\"EOF\"", "<<-EOF", "<<-'EOF'", "<<-\"EOF\"",
                        "<<EO\"F\"", "<< EOF", "<<- EOF"}) {
    CAPTURE(w);
    auto h = parse_heredoc(w);
    REQUIRE(h);
    CHECK(h->name == "EOF");
  }
  for (const char *w : {"", "EOF", "<<", "<<-", "<EOF", "<<<EOF", "<<EOF sh"}) {
    CAPTURE(w);
    CHECK_FALSE(parse_heredoc(w));
  }
  for (const char *w : {"<<'EOF", "<<\"EOF", "<<EOF'", "<<EOF\""}) {
    CAPTURE(w);
    CHECK_THROWS_AS(parse_heredoc(w), Error);
  }
  CHECK(parse_heredoc("<<eo'f'")->expand == false);
  CHECK(parse_heredoc("<<eo\\'f")->name == "eo'f");
  CHECK(parse_heredoc("<<eo\\'f")->expand);
  CHECK(parse_heredoc("<<$EOF")->name == "$EOF");
  const auto r = parse("FROM a\nRUN <<X <<Y\nY\nX\nX\nY\n");
  CHECK(r.nodes[1].heredocs.at(0).content == "Y\n");
  CHECK(r.nodes[1].heredocs.at(1).content == "X\n");
}

TEST_CASE("dockerfile parser: unknown instructions parse (reported later), empty files do not") {
  CHECK(dumps("FROM a\nCOPPY x y\n") == V{"from \"a\"", "coppy"});
  CHECK(error_of("") == "Dockerfile: file with no instructions");
  CHECK(error_of("# only\n# comments\n\n").find("file with no instructions") != std::string::npos);
  CHECK(error_of(("FROM a\nRUN " + std::string(70000, 'x') + "\n").c_str()) ==
        "Dockerfile:2: dockerfile line greater than max allowed size of 65535");
}

TEST_CASE("dockerfile parser: error messages never carry raw control characters") {
  const std::string e = error_of("# escape=\x1b[2J\nFROM a\n");
  CHECK(e.find('\x1b') == std::string::npos);
  CHECK(parse("FROM a\nRUN <<\x1b\n\x1b\n", "ctx/Dockerfile").source == "ctx/Dockerfile");
}
