// When and how long to wait before trying a request again: exponential backoff with
// full jitter (the AWS SDKs' strategy, which spreads a thundering herd), capped,
// and overridden by a server's Retry-After.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string_view>

namespace berth::http {

struct RetryPolicy {
  int max_attempts = 5; // total, including the first
  std::chrono::milliseconds base_delay{200};
  std::chrono::milliseconds max_delay{20000};
};

// Statuses worth retrying: 408, 429, 500, 502, 503, 504.
bool retryable_status(int status) noexcept;

// Retry-After as delta-seconds or an HTTP-date; nullopt when absent or unparsable.
std::optional<std::chrono::milliseconds>
parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now);

// The delay before attempt number `attempt` (1 = first retry): uniform in
// [0, min(max_delay, base * 2^(attempt-1))], or Retry-After when given (capped at
// max_delay).
std::chrono::milliseconds backoff_delay(const RetryPolicy &policy, int attempt,
                                        std::optional<std::chrono::milliseconds> retry_after,
                                        std::mt19937_64 &rng);

} // namespace berth::http
