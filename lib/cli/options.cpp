#include "cli/options.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace berth::cli {

namespace {

constexpr std::size_t kWidth = 90;     // wrap meanings here
constexpr std::size_t kMaxColumn = 32; // meanings start at most this far in

std::string left_column(const Option &o) {
  std::string s = "  ";
  if (o.alias) s += std::string(o.alias) + ", ";
  s += o.name;
  if (o.metavar) s += std::string(" ") + o.metavar;
  return s;
}

// The words of text, greedily filled into lines of at most room characters (a longer
// word has a line to itself).
std::vector<std::string> wrap(const std::string &text, std::size_t room) {
  std::vector<std::string> lines;
  std::string line;
  std::size_t i = 0;
  while (i < text.size()) {
    auto end = text.find(' ', i);
    if (end == std::string::npos) end = text.size();
    std::string word = text.substr(i, end - i);
    i = end + 1;
    if (word.empty()) continue;
    if (!line.empty() && line.size() + 1 + word.size() > room) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

// The column meanings start in: after the widest left column that fits under
// kMaxColumn (a wider one has its meaning on the next line).
std::size_t meaning_column(const OptionTable &options) {
  std::size_t column = 0;
  for (const auto &o : options)
    if (auto width = left_column(o).size() + 2; width <= kMaxColumn)
      column = std::max(column, width);
  return column == 0 ? kMaxColumn : column;
}

} // namespace

OptionTable operator+(OptionTable a, const OptionTable &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

OptionTable CommandHelp::all_options() const {
  auto all = options;
  for (const auto &g : more)
    all = all + g.options;
  return all;
}

std::string format_options(const OptionTable &options, std::size_t column) {
  if (column == 0) column = meaning_column(options);
  std::string out;
  for (const auto &o : options) {
    auto left = left_column(o);
    auto lines = wrap(o.help ? o.help : "", kWidth - column);
    out += left;
    if (left.size() + 2 > column) {
      out += "\n";
      left.clear();
    }
    for (std::size_t i = 0; i < lines.size(); ++i) {
      out += std::string(column - (i == 0 ? left.size() : 0), ' ') + lines[i] + "\n";
    }
    if (lines.empty() && !left.empty()) out += "\n";
  }
  return out;
}

std::string help_text(const CommandHelp &help) {
  // One column for all the groups.
  auto column = meaning_column(help.all_options());
  std::string out = help.text;
  if (!help.options.empty()) {
    out += "\n";
    if (help.heading) out += std::string(help.heading) + ":\n";
    out += format_options(help.options, column);
  }
  for (const auto &g : help.more) {
    out += "\n";
    if (g.heading) out += std::string(g.heading) + ":\n";
    out += format_options(g.options, column);
  }
  if (help.epilogue) out += std::string("\n") + help.epilogue;
  return out;
}

void print_help(const CommandHelp &help) {
  std::fputs(help_text(help).c_str(), stdout);
}

} // namespace berth::cli
