// .dockerignore reading and matching against moby/patternmatcher (ignorefile.ReadAll,
// PatternMatcher.MatchesOrParentMatches): every expectation in the table was produced
// by running those Go packages on the same patterns and paths.
#include <doctest/doctest.h>

#include "dockerfile/ignore.hpp"

#include <berth/error.hpp>

#include <string>
#include <tuple>
#include <vector>

using namespace berth;
using namespace berth::dockerfile;

namespace {

struct Case {
  const char *file;
  std::vector<std::string> patterns;
  std::vector<std::pair<const char *, bool>> paths;
};

const std::vector<Case> kCases = {
    {"# comment\n  \n/node_modules\n./build/\n*.log\n!keep.log\n",
     {"node_modules", "build", "*.log", "!keep.log"},
     {{"node_modules", true},
      {"node_modules/x/y", true},
      {"build", true},
      {"build/a", true},
      {"a.log", true},
      {"keep.log", false},
      {"d/a.log", false},
      {"src/main.c", false}}},
    {"**\n!src\n", {"**", "!src"}, {{"a", true}, {"src", false}, {"src/x", false}, {"srcx", true}}},
    {"docs\n!docs/README.md\n",
     {"docs", "!docs/README.md"},
     {{"docs", true}, {"docs/README.md", false}, {"docs/other.md", true}}},
    {"**/*.txt\n",
     {"**/*.txt"},
     {{"a.txt", true}, {"a.txt2", false}, {"d/a.txt", true}, {"d/e/a.txt", true}}},
    {"a[b-d]e\na[^x]f\nq?z\n",
     {"a[b-d]e", "a[^x]f", "q?z"},
     {{"ace", true}, {"aae", false}, {"ayf", true}, {"axf", false}, {"q1z", true}, {"q/z", false}}},
    {"**/foo\n",
     {"**/foo"},
     {{"foo", true}, {"x/foo", true}, {"x/foo/bar", true}, {"xfoo", false}}},
    {"**foo\n", {"**foo"}, {{"xfoo", true}, {"d/xfoo", true}, {"foo", true}}},
    {"dir/**\n", {"dir/**"}, {{"dir", false}, {"dir/a", true}, {"dir/a/b", true}}},
    {"a\\*b\n", {"a\\*b"}, {{"a*b", true}, {"axb", false}}},
    {"*\n!*.go\n", {"*", "!*.go"}, {{"main.go", false}, {"readme", true}, {"x/y.go", true}}},
    {"../x\n/../y\n", {"../x", "y"}, {{"x", false}, {"y", true}}},
    {"a(b)c/def\n", {"a(b)c/def"}, {{"a(b)c/def", true}, {"a(b)c/xyz", false}}},
};

} // namespace

TEST_CASE("dockerignore: patterns read and paths matched as moby/patternmatcher does") {
  for (const auto &c : kCases) {
    CAPTURE(c.file);
    const auto patterns = read_ignore_patterns(c.file);
    CHECK(patterns == c.patterns);
    const IgnoreMatcher m(patterns);
    for (const auto &row : c.paths) {
      // Named copies: clang 14 cannot capture structured bindings (CAPTURE is a lambda).
      const auto &path = row.first;
      CAPTURE(path);
      CHECK(m.matches(path) == row.second);
    }
  }
}

TEST_CASE("dockerignore: patternmatcher's TestMatches rows") {
  const std::vector<std::tuple<const char *, const char *, bool>> rows = {
      {"**", "file", true},
      {"**", "dir/file", true},
      {"**/", "file", true},
      {"dir/**", "dir/dir2/file", true},
      {"**/dir2/*", "dir/dir2/file", true},
      {"**/file*.txt", "dir/dir/file.txt", true},
      {"**/**/*.txt2", "dir/dir/file.txt", false},
      {"a**/*.txt", "a/dir/file.txt", true},
      {"a/*.txt", "a/dir/file.txt", false},
      {"a[b-d]e", "ae", false},
      {".*", ".foo", true},
      {".*", "foo", false},
      {"abc.def", "abcZdef", false},
      {"abc?def", "abcZdef", true},
      {"abc?def", "abcdef", false},
      {"a\\\\", "a\\", true},
      {"**/foo/bar", "dir/dir2/foo/bar", true},
      {"abc/**", "abc", false},
      {"**/.foo", "bar.foo", false},
      {"a.|)$(}+{bc", "a.|)$(}+{bc", true},
      {"dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true}};
  for (const auto &row : rows) {
    const std::string pattern = std::get<0>(row), path = std::get<1>(row);
    CAPTURE(pattern);
    CAPTURE(path);
    CHECK(IgnoreMatcher(std::vector<std::string>{pattern}).matches(path) == std::get<2>(row));
  }
  CHECK_FALSE(IgnoreMatcher({"*.go"}).matches("."));
  CHECK_FALSE(IgnoreMatcher({}).matches("any/path"));
}

TEST_CASE("dockerignore: malformed patterns and a lone ! are refused") {
  CHECK_THROWS_AS(IgnoreMatcher({"["}), Error);
  CHECK_THROWS_AS(IgnoreMatcher({"!"}), Error);
  CHECK_THROWS_AS(IgnoreMatcher({"a\\"}), Error);
  CHECK_THROWS_AS(IgnoreMatcher({"[b-a]"}), Error);
  CHECK(read_ignore_patterns("!\n") == std::vector<std::string>{"!"});
  CHECK(read_ignore_patterns("\xEF\xBB\xBF"
                             "a\r\n# x\n ! b \n") == std::vector<std::string>{"a", "!b"});
}

TEST_CASE("dockerignore: excluded directories with exceptions beneath are still walked") {
  const IgnoreMatcher m(read_ignore_patterns("vendor\n!vendor/keep/**\nbuild\n"));
  CHECK(m.has_exceptions());
  CHECK(m.matches("vendor/x"));
  CHECK_FALSE(m.matches("vendor/keep/a.go"));
  CHECK(m.may_contain_exceptions("vendor"));
  CHECK(m.may_contain_exceptions("vendor/keep"));
  CHECK_FALSE(m.may_contain_exceptions("build"));
  CHECK_FALSE(m.may_contain_exceptions("vendor/other"));
  const IgnoreMatcher deep(read_ignore_patterns("*\n!**/keep.txt\n"));
  CHECK(deep.may_contain_exceptions("any/dir"));
  CHECK_FALSE(IgnoreMatcher({"a"}).may_contain_exceptions("a"));
}

TEST_CASE("dockerignore: <Dockerfile>.dockerignore beside the Dockerfile wins") {
  CHECK(choose_ignore_file("Dockerfile", {".dockerignore", "Dockerfile.dockerignore"}) ==
        "Dockerfile.dockerignore");
  CHECK(choose_ignore_file("build/app.Dockerfile", {".dockerignore"}) == ".dockerignore");
  CHECK(choose_ignore_file("build/app.Dockerfile",
                           {"build/app.Dockerfile.dockerignore", ".dockerignore"}) ==
        "build/app.Dockerfile.dockerignore");
  CHECK(choose_ignore_file("Dockerfile", {}).empty());
  CHECK(clean_path("./a//b/../c/") == "a/c");
  CHECK(clean_path("/../x") == "/x");
  CHECK(clean_path("") == ".");
}
