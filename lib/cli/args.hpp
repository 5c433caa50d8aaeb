// A small command-line parser: long options with values (--name VALUE or
// --name=VALUE), repeatable options, flags and positional arguments, with usage
// errors that name the offending argument.
#pragma once

#include "cli/options.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace berth::cli {

// Thrown for a usage error; main() prints it with the command's help and exits 2.
struct UsageError {
  std::string message;
};

class Args {
public:
  // The options of a command's table (options.hpp), so that what is parsed is what
  // its help lists: rows with a metavar take a value, the others are flags, an alias
  // is read as its option's name. Anything else starting with "-" is an error.
  Args(const std::vector<std::string> &argv, const OptionTable &options);

  bool flag(const std::string &name) const { return flags_.count(name) != 0; }
  std::optional<std::string> value(const std::string &name) const;
  std::string value_or(const std::string &name, const std::string &fallback) const;
  std::string required(const std::string &name) const;
  const std::vector<std::string> &values(const std::string &name) const;
  // A repeatable option whose values may also be comma-separated ("a,b" "c" -> a b c);
  // an empty item is a UsageError naming the option.
  std::vector<std::string> list(const std::string &name) const;
  // A repeatable KEY=VALUE option as a map (a later KEY wins).
  std::map<std::string, std::string> key_values(const std::string &name) const;
  const std::vector<std::string> &positional() const { return positional_; }
  // A whole number, or nullopt when the option is absent.
  std::optional<int> integer(const std::string &name) const;
  // A number (fractions allowed), or fallback when absent.
  double number(const std::string &name, double fallback) const;
  // "90s", "15m", "1h", "500ms" or plain seconds; fallback when absent.
  std::chrono::milliseconds duration(const std::string &name,
                                     std::chrono::milliseconds fallback) const;
  bool help() const { return help_; }

private:
  void parse(const std::vector<std::string> &argv, const std::set<std::string> &value_options,
             const std::set<std::string> &flags, const std::map<std::string, std::string> &aliases);
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

} // namespace berth::cli
