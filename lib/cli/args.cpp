#include "cli/args.hpp"
#include "cli/suggest.hpp"

#include <algorithm>

#include <stdexcept>

namespace berth::cli {

Args::Args(const std::vector<std::string> &argv, const OptionTable &options) {
  std::set<std::string> value_options, flags;
  std::map<std::string, std::string> aliases;
  for (const auto &o : options) {
    (o.metavar ? value_options : flags).insert(o.name);
    if (o.alias) {
      (o.metavar ? value_options : flags).insert(o.alias);
      aliases[o.alias] = o.name;
    }
  }
  parse(argv, value_options, flags, aliases);
}

void Args::parse(const std::vector<std::string> &argv, const std::set<std::string> &value_options,
                 const std::set<std::string> &flags,
                 const std::map<std::string, std::string> &aliases) {
  auto canonical = [&](const std::string &name) {
    auto it = aliases.find(name);
    return it == aliases.end() ? name : it->second;
  };
  bool only_positional = false;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const auto &a = argv[i];
    if (only_positional || a.size() < 2 || a[0] != '-') {
      positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    if (a == "-h" || a == "--help") {
      help_ = true;
      continue;
    }
    std::string name = a, inline_value;
    bool has_inline = false;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      inline_value = a.substr(eq + 1);
      has_inline = true;
    }
    if (value_options.count(name)) {
      if (has_inline) {
        values_[canonical(name)].push_back(inline_value);
      } else {
        if (i + 1 >= argv.size()) throw UsageError{"option " + name + " needs a value"};
        values_[canonical(name)].push_back(argv[++i]);
      }
    } else if (flags.count(name) && !has_inline) {
      flags_.insert(canonical(name));
    } else if (flags.count(name)) {
      throw UsageError{"option " + name + " takes no value"};
    } else {
      std::vector<std::string> known(value_options.begin(), value_options.end());
      known.insert(known.end(), flags.begin(), flags.end());
      throw UsageError{"unknown option " + name + did_you_mean(name, known)};
    }
  }
}

std::optional<std::string> Args::value(const std::string &name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string Args::value_or(const std::string &name, const std::string &fallback) const {
  auto v = value(name);
  return v ? *v : fallback;
}

std::string Args::required(const std::string &name) const {
  auto v = value(name);
  if (!v) throw UsageError{"option " + name + " is required"};
  return *v;
}

const std::vector<std::string> &Args::values(const std::string &name) const {
  static const std::vector<std::string> none;
  auto it = values_.find(name);
  return it == values_.end() ? none : it->second;
}

std::vector<std::string> Args::list(const std::string &name) const {
  std::vector<std::string> out;
  for (const auto &v : values(name)) {
    std::size_t start = 0;
    while (start <= v.size()) {
      auto end = std::min(v.find(',', start), v.size());
      if (end == start) throw UsageError{name + " has an empty item in '" + v + "'"};
      out.push_back(v.substr(start, end - start));
      start = end + 1;
    }
  }
  return out;
}

std::map<std::string, std::string> Args::key_values(const std::string &name) const {
  std::map<std::string, std::string> out;
  for (const auto &kv : values(name)) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError{name + " needs KEY=VALUE, got '" + kv + "'"};
    out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return out;
}

std::optional<int> Args::integer(const std::string &name) const {
  auto v = value(name);
  if (!v) return std::nullopt;
  try {
    std::size_t used = 0;
    int n = std::stoi(*v, &used);
    if (used != v->size()) throw std::invalid_argument("junk");
    return n;
  } catch (const std::exception &) {
    throw UsageError{name + " needs a whole number, got '" + *v + "'"};
  }
}

double Args::number(const std::string &name, double fallback) const {
  auto v = value(name);
  if (!v) return fallback;
  try {
    std::size_t used = 0;
    double n = std::stod(*v, &used);
    if (used != v->size() || !(n >= 0)) throw std::invalid_argument("junk");
    return n;
  } catch (const std::exception &) {
    throw UsageError{name + " needs a number, got '" + *v + "'"};
  }
}

std::chrono::milliseconds Args::duration(const std::string &name,
                                         std::chrono::milliseconds fallback) const {
  auto v = value(name);
  if (!v) return fallback;
  try {
    std::size_t used = 0;
    long long n = std::stoll(*v, &used);
    std::string unit = v->substr(used);
    long long ms = unit == "ms"                  ? 1
                   : unit.empty() || unit == "s" ? 1000
                   : unit == "m"                 ? 60'000
                   : unit == "h"                 ? 3'600'000
                                                 : -1;
    // Up to a year: more is a typo, and would overflow clock arithmetic.
    if (ms < 0 || n < 0 || n > 366LL * 86'400'000 / ms) throw std::invalid_argument("unit");
    return std::chrono::milliseconds(n * ms);
  } catch (const std::exception &) {
    throw UsageError{name + " needs a duration such as 90s, 15m or 1h"};
  }
}

} // namespace berth::cli
