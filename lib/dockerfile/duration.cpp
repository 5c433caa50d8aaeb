#include "dockerfile/duration.hpp"

#include "core/quoted.hpp"

#include <berth/error.hpp>

#include <cstdint>
#include <limits>

namespace berth::dockerfile {

std::chrono::nanoseconds parse_go_duration(std::string_view s) {
  const std::string orig(s);
  auto invalid = [&]() -> std::chrono::nanoseconds {
    throw Error(Errc::invalid_argument, "time: invalid duration " + core::quoted(orig));
  };
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) neg = s[0] == '-', s.remove_prefix(1);
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return invalid();
  long double total = 0;
  while (!s.empty()) {
    std::size_t i = 0;
    long double v = 0;
    bool digits = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
      v = v * 10 + (s[i++] - '0'), digits = true;
    if (i < s.size() && s[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        v += (s[i++] - '0') * scale, scale /= 10, digits = true;
      }
    }
    if (!digits) return invalid();
    std::size_t u = i;
    while (u < s.size() && !(s[u] >= '0' && s[u] <= '9') && s[u] != '.')
      ++u;
    const std::string_view unit = s.substr(i, u - i);
    long double mul = 0;
    if (unit == "ns")
      mul = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")
      mul = 1e3L;
    else if (unit == "ms")
      mul = 1e6L;
    else if (unit == "s")
      mul = 1e9L;
    else if (unit == "m")
      mul = 60e9L;
    else if (unit == "h")
      mul = 3600e9L;
    else if (unit.empty())
      throw Error(Errc::invalid_argument, "time: missing unit in duration " + core::quoted(orig));
    else
      throw Error(Errc::invalid_argument, "time: unknown unit " + core::quoted(unit) +
                                              " in duration " + core::quoted(orig));
    total += v * mul;
    if (total > static_cast<long double>(std::numeric_limits<std::int64_t>::max()))
      return invalid();
    s.remove_prefix(u);
  }
  const auto ns = static_cast<std::int64_t>(total);
  return std::chrono::nanoseconds(neg ? -ns : ns);
}

std::optional<int> parse_go_int32(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) neg = s[0] == '-', s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
    if (v > 2147483648LL) return std::nullopt;
  }
  if (neg) v = -v;
  if (v > 2147483647LL || v < -2147483648LL) return std::nullopt;
  return static_cast<int>(v);
}

} // namespace berth::dockerfile
