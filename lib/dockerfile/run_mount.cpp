#include "dockerfile/run_mount.hpp"

#include "core/quoted.hpp"
#include "dockerfile/text.hpp"

#include <berth/error.hpp>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace berth::dockerfile {

namespace {

[[noreturn]] void bad(const std::string &why) {
  throw Error(Errc::invalid_argument, why);
}

// One CSV record (RFC 4180: "..." fields, "" inside them for a quote).
std::vector<std::string> csv_fields(std::string_view s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (;;) {
    std::string field;
    if (pos < s.size() && s[pos] == '"') {
      ++pos;
      for (;;) {
        if (pos >= s.size())
          bad("failed to parse csv mounts: extraneous or missing \" in quoted-field");
        if (s[pos] == '"') {
          if (pos + 1 < s.size() && s[pos + 1] == '"') {
            field += '"', pos += 2;
            continue;
          }
          ++pos;
          break;
        }
        field += s[pos++];
      }
      if (pos < s.size() && s[pos] != ',')
        bad("failed to parse csv mounts: extraneous or missing \" in quoted-field");
    } else {
      const std::size_t comma = s.find(',', pos);
      field = std::string(s.substr(pos, comma == std::string_view::npos ? s.npos : comma - pos));
      if (field.find('"') != std::string::npos)
        bad("failed to parse csv mounts: bare \" in non-quoted-field");
      pos = comma == std::string_view::npos ? s.size() : comma;
    }
    out.push_back(std::move(field));
    if (pos >= s.size()) return out;
    ++pos; // comma
  }
}

bool parse_bool(std::string_view key, std::string_view v) {
  // Go's strconv.ParseBool
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") return true;
  if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False")
    return false;
  bad("invalid value for " + std::string(key) + ": " + core::quoted(v));
}

std::uint64_t parse_uint(std::string_view v, int base, const char *what) {
  bool ok = !v.empty();
  std::uint64_t n = 0;
  for (char c : v) {
    const int d = c - '0';
    if (d < 0 || d >= base) ok = false;
    if (!ok) break;
    n = n * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
    if (n > 0xFFFFFFFFull) ok = false;
  }
  if (!ok) bad("invalid value " + core::quoted(v) + " for " + what);
  return n;
}

// docker/go-units RAMInBytes: "512", "64m", "1.5GiB" (binary multiples).
std::int64_t ram_in_bytes(std::string_view v) {
  std::size_t i = 0;
  while (i < v.size() && ((v[i] >= '0' && v[i] <= '9') || v[i] == '.'))
    ++i;
  const std::string num(v.substr(0, i));
  std::string_view unit = v.substr(i);
  if (!unit.empty() && unit[0] == ' ') unit.remove_prefix(1);
  char *end = nullptr;
  errno = 0;
  const double n = num.empty() || num[0] == '.' ? -1 : std::strtod(num.c_str(), &end);
  double mul = 1;
  if (!unit.empty()) {
    const std::string u = to_lower(unit.substr(0, 1));
    const std::string kinds = "kmgtp";
    const auto k = kinds.find(u);
    if (k != std::string::npos) {
      mul = std::pow(1024.0, static_cast<double>(k + 1));
      unit.remove_prefix(1);
    }
    if (!unit.empty() && (unit[0] == 'i' || unit[0] == 'I')) unit.remove_prefix(1);
    if (!unit.empty() && (unit[0] == 'b' || unit[0] == 'B')) unit.remove_prefix(1);
  }
  if (n < 0 || errno || (end && *end) || !unit.empty() || n * mul > 9.2e18)
    bad("invalid value for size: " + core::quoted(v));
  return static_cast<std::int64_t>(n * mul);
}

void set_field(Mount &m, const std::string &key, const std::string &field, std::string value,
               bool &ro_auto) {
  auto typed = [&](bool ok) {
    if (!ok) bad("unexpected key " + core::quoted(key) + " for mount type '" + m.type + "'");
  };
  if (key == "type") {
    const std::string t = to_lower(value);
    if (t != "bind" && t != "cache" && t != "tmpfs" && t != "secret" && t != "ssh")
      bad("unsupported mount type " + core::quoted(value));
    m.type = t;
  } else if (key == "from") {
    m.from = value;
  } else if (key == "source" || key == "src") {
    m.source = value;
  } else if (key == "target" || key == "dst" || key == "destination") {
    m.target = value;
  } else if (key == "readonly" || key == "ro") {
    m.read_only = parse_bool(key, value), ro_auto = false;
  } else if (key == "readwrite" || key == "rw") {
    m.read_only = !parse_bool(key, value), ro_auto = false;
  } else if (key == "required") {
    typed(m.type == "secret" || m.type == "ssh");
    m.required = parse_bool(key, value);
  } else if (key == "size") {
    typed(m.type == "tmpfs");
    m.size_limit = ram_in_bytes(value);
  } else if (key == "id") {
    m.cache_id = value;
  } else if (key == "sharing") {
    const std::string s = to_lower(value);
    if (s != "shared" && s != "private" && s != "locked")
      bad("unsupported sharing value " + core::quoted(value));
    m.sharing = s;
  } else if (key == "mode") {
    m.mode = parse_uint(value, 8, "mode");
  } else if (key == "uid") {
    m.uid = parse_uint(value, 10, "uid");
  } else if (key == "gid") {
    m.gid = parse_uint(value, 10, "gid");
  } else if (key == "env") {
    m.env = value;
  } else {
    bad("unexpected key " + core::quoted(key) + " in " + core::quoted(field));
  }
}

void check(Mount &m, bool ro_auto) {
  const bool file_info = m.type == "secret" || m.type == "ssh" || m.type == "cache";
  if (!file_info) {
    if (m.mode) bad("mode not allowed for \"" + m.type + "\" type mounts");
    if (m.uid) bad("uid not allowed for \"" + m.type + "\" type mounts");
    if (m.gid) bad("gid not allowed for \"" + m.type + "\" type mounts");
  }
  if (ro_auto) m.read_only = !(m.type == "cache" || m.type == "tmpfs");
  if (m.type == "secret") {
    if (!m.from.empty()) bad("secret mount should not have a from");
    if (!m.sharing.empty()) bad("secret mount should not define sharing");
    if (m.source.empty() && m.target.empty() && m.cache_id.empty())
      bad("invalid secret mount. one of source, target required");
    if (!m.source.empty() && !m.cache_id.empty()) bad("both source and id can't be set");
  }
  if (!m.sharing.empty() && m.type != "cache")
    bad("invalid cache sharing set for " + m.type + " mount");
}

} // namespace

Mount parse_mount(std::string_view spec,
                  const std::function<std::string(std::string_view)> *expander) {
  Mount m;
  bool ro_auto = true;
  for (const auto &field : csv_fields(spec)) {
    const auto eq = field.find('=');
    const std::string key = to_lower(field.substr(0, eq));
    if (eq == std::string::npos) {
      if (!expander) continue; // evaluated later, as BuildKit does
      if (key == "readonly" || key == "ro") {
        m.read_only = true, ro_auto = false;
      } else if (key == "readwrite" || key == "rw") {
        m.read_only = false, ro_auto = false;
      } else if (key == "required" && (m.type == "secret" || m.type == "ssh")) {
        m.required = true;
      } else if (key == "required") {
        bad("unexpected key 'required' for mount type '" + m.type + "'");
      } else {
        bad("invalid field " + core::quoted(field) + " must be a key=value pair");
      }
      continue;
    }
    std::string value = field.substr(eq + 1);
    if (expander) {
      value = (*expander)(value);
    } else if (key == "from") {
      const auto dollar = value.find('$');
      if (dollar != std::string::npos && dollar != value.size() - 1)
        bad("'from' doesn't support variable expansion, define alias stage instead");
    } else {
      continue;
    }
    set_field(m, key, field, std::move(value), ro_auto);
  }
  if (expander) check(m, ro_auto);
  return m;
}

} // namespace berth::dockerfile
