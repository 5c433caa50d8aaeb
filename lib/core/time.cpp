#include "core/time.hpp"

#include <berth/error.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace berth::core {

std::chrono::system_clock::time_point parse_iso8601(std::string_view s) {
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, consumed = 0;
  std::string str(s);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
                  &consumed) != 6)
    throw Error(Errc::protocol, "not an ISO 8601 timestamp: '" + str.substr(0, 40) + "'");
  // sscanf accepts unpadded and out-of-range fields; timegm would then roll
  // "2026-13-45T99:99:99Z" into some other date instead of refusing it.
  bool padded =
      consumed == 19 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':';
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18})
    padded =
        padded && s[static_cast<std::size_t>(i)] >= '0' && s[static_cast<std::size_t>(i)] <= '9';
  if (!padded || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
    throw Error(Errc::protocol, "not an ISO 8601 timestamp: '" + str.substr(0, 40) + "'");
  std::string_view rest = s.substr(static_cast<std::size_t>(consumed));
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9')
      rest.remove_prefix(1);
  }
  long offset = 0;
  if (rest == "Z" || rest == "z" || rest.empty()) {
  } else if ((rest.front() == '+' || rest.front() == '-') && rest.size() == 6 && rest[3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(std::string(rest.substr(1)).c_str(), "%2d:%2d", &oh, &om) != 2)
      throw Error(Errc::protocol, "bad timezone in timestamp '" + str.substr(0, 40) + "'");
    offset = (oh * 3600L + om * 60L) * (rest.front() == '+' ? 1 : -1);
  } else {
    throw Error(Errc::protocol, "bad timezone in timestamp '" + str.substr(0, 40) + "'");
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  // The clock counts nanoseconds in 64 bits (1678..2262): from_time_t beyond that
  // overflows. Credentials that "never" expire say 9999-12-31.
  constexpr std::time_t kYear1900 = -2208988800, kYear2200 = 7258118400;
  return std::chrono::system_clock::from_time_t(
      std::clamp<std::time_t>(timegm(&tm) - offset, kYear1900, kYear2200));
}

std::string format_iso8601(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

} // namespace berth::core
