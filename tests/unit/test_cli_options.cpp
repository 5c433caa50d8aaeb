// Option tables (cli/options): the parser a table makes accepts exactly the
// options the help made from it lists, each as a value option or a flag as the
// help shows it; the help's columns and wrapping.
#include <doctest/doctest.h>

#include "cli/args.hpp"
#include "cli/options.hpp"

#include <sstream>
#include <string>
#include <vector>

using berth::cli::Args;
using berth::cli::CommandHelp;
using berth::cli::format_options;
using berth::cli::help_text;
using berth::cli::OptionTable;
using berth::cli::UsageError;

namespace {

const OptionTable kTable = {
    {"--format", "oci|docker", "the media types"},
    {"--jobs", "N", "parallel blob transfers (default 4)"},
    {"--annotation", "KEY=VALUE", "an annotation (repeatable)", "-a"},
    {"--quiet", nullptr, "print only the digest"},
    {"--a-very-long-option-name", "WITH_A_LONG_METAVAR",
     "a meaning long enough to need wrapping, because it goes on and on past the ninety "
     "columns the help is wrapped at, and then some more words"},
};

std::vector<std::string> lines(const std::string &s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

// The usage error the arguments give, or "" when they parse.
std::string usage_error(const std::vector<std::string> &argv, const OptionTable &table) {
  try {
    Args args(argv, table);
    return "";
  } catch (const UsageError &e) {
    return e.message;
  }
}

} // namespace

TEST_CASE("an option table's parser takes its value options and flags, and nothing else") {
  for (const auto &o : kTable) {
    CAPTURE(o.name);
    if (o.metavar) {
      Args args({o.name, "v", "pos"}, kTable);
      CHECK(args.value(o.name) == "v");
      CHECK(args.positional() == std::vector<std::string>{"pos"});
      CHECK(Args({std::string(o.name) + "=w"}, kTable).value(o.name) == "w");
      CHECK(usage_error({o.name}, kTable) == std::string("option ") + o.name + " needs a value");
    } else {
      Args args({o.name, "pos"}, kTable);
      CHECK(args.flag(o.name));
      CHECK(args.positional() == std::vector<std::string>{"pos"});
      CHECK(usage_error({std::string(o.name) + "=x"}, kTable) ==
            std::string("option ") + o.name + " takes no value");
    }
  }
  CHECK(usage_error({"--nope"}, kTable) == "unknown option --nope");
  CHECK(usage_error({"-q"}, kTable) == "unknown option -q");
  CHECK(Args({"--help"}, kTable).help());
}

TEST_CASE("an alias is read as its option") {
  Args args({"-a", "k=v", "--annotation", "k2=v2"}, kTable);
  CHECK(args.values("--annotation") == std::vector<std::string>{"k=v", "k2=v2"});
  CHECK(args.values("-a").empty());
  CHECK(usage_error({"-a"}, kTable) == "option -a needs a value");
}

TEST_CASE("the help lists every option of the table, with its metavar, aligned and wrapped") {
  CommandHelp help{"usage: berth thing [OPTIONS] REF\n\nDoes the thing.\n", kTable};
  auto text = help_text(help);
  CHECK(text.rfind("usage: berth thing [OPTIONS] REF\n\nDoes the thing.\n\n  --format", 0) == 0);
  auto ls = lines(format_options(kTable));
  for (const auto &l : ls) {
    CAPTURE(l);
    CHECK(l.size() <= 90);
  }
  // Every row's name and metavar, as the completions and users read them.
  for (const auto &o : kTable) {
    std::string left = std::string(o.alias ? std::string(o.alias) + ", " : "") + o.name +
                       (o.metavar ? std::string(" ") + o.metavar : "");
    CAPTURE(left);
    auto at = text.find("\n  " + left);
    REQUIRE(at != std::string::npos);
    CHECK((text[at + 3 + left.size()] == ' ' || text[at + 3 + left.size()] == '\n'));
  }
  // Meanings start in one column: the widest left column that fits, plus two spaces.
  const std::size_t column = std::string("  -a, --annotation KEY=VALUE  ").size();
  CHECK(ls[0] == "  --format oci|docker" + std::string(column - 21, ' ') + "the media types");
  CHECK(ls[1].find("parallel") == column);
  CHECK(ls[2].find("an annotation") == column);
  // Too wide for the column: the meaning starts on the next line, and wraps there.
  CHECK(ls[4] == "  --a-very-long-option-name WITH_A_LONG_METAVAR");
  REQUIRE(ls.size() >= 7);
  CHECK(ls[5].find_first_not_of(' ') == column);
  CHECK(ls[6].find_first_not_of(' ') == column);
}

TEST_CASE("the heading and the epilogue frame the options; no table, no block") {
  CommandHelp help{"usage: berth x\n",
                   {{"--region", "R", "the region"}},
                   "AWS options",
                   "Run 'berth x SUB --help'.\n"};
  CHECK(help_text(help) ==
        "usage: berth x\n\nAWS options:\n  --region R  the region\n\nRun 'berth x SUB --help'.\n");
  CHECK(help_text(CommandHelp{"usage: berth version\n", {}}) == "usage: berth version\n");
}

TEST_CASE("further groups: under their headings, in the same column, and parsed too") {
  CommandHelp help{"usage: berth x sub\n",
                   {{"--apply", nullptr, "do it"}},
                   nullptr,
                   nullptr,
                   {{"AWS options", {{"--endpoint-url", "URL", "the endpoint"}}}}};
  CHECK(help_text(help) == "usage: berth x sub\n\n"
                           "  --apply             do it\n\n"
                           "AWS options:\n"
                           "  --endpoint-url URL  the endpoint\n");
  Args args({"--apply", "--endpoint-url", "u"}, help.all_options());
  CHECK(args.flag("--apply"));
  CHECK(args.value("--endpoint-url") == "u");
}
