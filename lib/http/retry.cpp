#include "http/retry.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <iomanip>
#include <sstream>

namespace berth::http {

bool retryable_status(int status) noexcept {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
         status == 504;
}

std::optional<std::chrono::milliseconds>
parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  long long seconds = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && p == value.data() + value.size())
    return seconds < 0 ? std::nullopt : std::optional(std::chrono::milliseconds(seconds * 1000));
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  std::istringstream in{std::string(value)};
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S GMT");
  if (in.fail()) return std::nullopt;
  auto when = std::chrono::system_clock::from_time_t(timegm(&tm));
  auto delta = std::chrono::duration_cast<std::chrono::milliseconds>(when - now);
  return std::max(delta, std::chrono::milliseconds(0));
}

std::chrono::milliseconds backoff_delay(const RetryPolicy &policy, int attempt,
                                        std::optional<std::chrono::milliseconds> retry_after,
                                        std::mt19937_64 &rng) {
  if (retry_after) return std::min(*retry_after, policy.max_delay);
  auto shift = std::clamp(attempt - 1, 0, 30);
  auto ceiling =
      std::min<long long>(policy.max_delay.count(), policy.base_delay.count() * (1LL << shift));
  std::uniform_int_distribution<long long> dist(0, std::max<long long>(ceiling, 0));
  return std::chrono::milliseconds(dist(rng));
}

} // namespace berth::http
