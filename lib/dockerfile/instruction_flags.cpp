#include "dockerfile/instruction_flags.hpp"

#include "core/quoted.hpp"
#include "dockerfile/text.hpp"

#include <algorithm>

namespace berth::dockerfile {

namespace {

std::size_t levenshtein(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

} // namespace

std::optional<std::string> suggest(std::string_view value,
                                   const std::vector<std::string> &options) {
  if (value.size() > 64) return std::nullopt; // nothing that long is close to a keyword
  const std::string v = to_lower(value);
  std::optional<std::string> best;
  std::size_t min = 3;
  for (const auto &o : options) {
    const std::string lo = to_lower(o);
    if (lo == v) return std::nullopt;
    const std::size_t d = levenshtein(v, lo);
    if (d < min) min = d, best = o;
  }
  return best;
}

void Flags::parse() {
  for (const auto &a : args_) {
    if (a == "--") return;
    if (a.rfind("--", 0) != 0)
      throw Error(Errc::invalid_argument, "arg should start with -- : " + core::quoted(a));
    const auto eq = a.find('=');
    const std::string flag = a.substr(0, eq);
    const std::string name = flag.substr(2);
    const bool has_value = eq != std::string::npos;
    const std::string value = has_value ? a.substr(eq + 1) : std::string();
    auto it = defs_.find(name);
    if (it == defs_.end()) {
      std::vector<std::string> names;
      for (const auto &d : defs_)
        names.push_back(d.first);
      std::string msg = "unknown flag: " + core::quoted(flag);
      if (auto s = suggest(name, names)) msg += " (did you mean " + *s + "?)";
      throw Error(Errc::invalid_argument, msg);
    }
    Def &def = it->second;
    if (used_.count(name) && def.kind != Kind::strings)
      throw Error(Errc::invalid_argument, "duplicate flag specified: " + core::quoted(flag));
    used_[name] = true;
    if (def.kind == Kind::boolean) {
      if (has_value && value.empty())
        throw Error(Errc::invalid_argument, "missing a value on flag: " + core::quoted(flag));
      const std::string lo = to_lower(value);
      if (lo == "true" || lo.empty())
        def.value = "true";
      else if (lo == "false")
        def.value = "false";
      else
        throw Error(Errc::invalid_argument, "expecting boolean value for flag " +
                                                core::quoted(flag) +
                                                ", not: " + core::quoted(value));
      continue;
    }
    if (!has_value)
      throw Error(Errc::invalid_argument, "missing a value on flag: " + core::quoted(flag));
    if (def.kind == Kind::string)
      def.value = value;
    else
      def.values.push_back(value);
  }
}

} // namespace berth::dockerfile
