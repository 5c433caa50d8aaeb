// BuildKit's BFlags: an instruction's --flags checked against the ones it takes, and
// Levenshtein suggestions ("did you mean ...?") for unknown names.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::dockerfile {

// The closest of `options` to `value` at edit distance below 3 (case-insensitive),
// nullopt when none is or when value is one of them.
std::optional<std::string> suggest(std::string_view value, const std::vector<std::string> &options);

class Flags {
public:
  explicit Flags(std::vector<std::string> args) : args_(std::move(args)) {}
  void add_bool(const std::string &name) { defs_[name] = {Kind::boolean, "false", {}}; }
  void add_string(const std::string &name, std::string def = {}) {
    defs_[name] = {Kind::string, std::move(def), {}};
  }
  void add_strings(const std::string &name) { defs_[name] = {Kind::strings, {}, {}}; }

  // Throws berth::Error (no location) on an unknown, duplicate or malformed flag.
  void parse();

  const std::string &str(const std::string &name) const { return defs_.at(name).value; }
  bool on(const std::string &name) const { return defs_.at(name).value == "true"; }
  const std::vector<std::string> &all(const std::string &name) const {
    return defs_.at(name).values;
  }
  bool used(const std::string &name) const { return used_.count(name) > 0; }
  std::vector<std::string> used_names() const {
    std::vector<std::string> out;
    for (const auto &u : used_)
      out.push_back(u.first);
    return out;
  }

private:
  enum class Kind { boolean, string, strings };
  struct Def {
    Kind kind;
    std::string value;
    std::vector<std::string> values;
  };
  std::vector<std::string> args_;
  std::map<std::string, Def> defs_;
  std::map<std::string, bool> used_;
};

} // namespace berth::dockerfile
