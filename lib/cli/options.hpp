// Option tables: each command declares its options once, in its cmd_*.cpp, as
// rows of name, metavar and meaning. The parser (Args) and the help text are both
// made from the table, so an option cannot be parsed without being documented or
// documented without being parsed.
#pragma once

#include <string>
#include <vector>

namespace berth::cli {

struct Option {
  const char *name;            // "--format"
  const char *metavar;         // "oci|docker"; nullptr: a flag, which takes no value
  const char *help;            // one sentence or so; wrapped when formatted
  const char *alias = nullptr; // a short spelling ("-a"), parsed as name
};
using OptionTable = std::vector<Option>;

// a's rows, then b's.
OptionTable operator+(OptionTable a, const OptionTable &b);

// Options shown under a heading of their own ("AWS options (...)" -> "AWS options (...):").
struct OptionGroup {
  const char *heading;
  OptionTable options;
};

// A command's help: the synopsis and description are hand-written (ending in a
// newline); the options block is formatted from the table after a blank line, under
// the heading when there is one, then each further group after a blank line, and
// the epilogue after another.
struct CommandHelp {
  const char *text;
  OptionTable options;
  const char *heading = nullptr;
  const char *epilogue = nullptr; // ends in a newline
  std::vector<OptionGroup> more = {};

  // Every option shown, which is what the command parses.
  OptionTable all_options() const;
};

// The options block: "  --name METAVAR   meaning", meanings aligned in one column
// and wrapped at 90 columns; an option too wide for the column has its meaning on
// the next line. column: where meanings start, 0 to fit these options.
std::string format_options(const OptionTable &options, std::size_t column = 0);
std::string help_text(const CommandHelp &help);
// Prints help_text(help) on stdout.
void print_help(const CommandHelp &help);

// Output modes of the commands that report progress.
inline const OptionTable &output_mode_options() {
  static const OptionTable o = {
      {"--json", nullptr, "progress and result as JSON lines"},
      {"--quiet", nullptr, "print only the digest"},
  };
  return o;
}

} // namespace berth::cli
