// The ECR token cache: one GetAuthorizationToken in flight per key, refresh before
// expiry on an injected clock, tokens that claim to be expired already, invalidate.
#include <doctest/doctest.h>

#include "ecr/token_cache.hpp"

#include <berth/error.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using berth::Errc;
using berth::Error;
using namespace berth::ecr;
using namespace std::chrono;

namespace {

// A clock the test moves by hand.
struct ManualClock {
  std::mutex m;
  system_clock::time_point now = system_clock::time_point(seconds(1795780800));
  system_clock::time_point operator()() {
    std::lock_guard g(m);
    return now;
  }
  void advance(system_clock::duration d) {
    std::lock_guard g(m);
    now += d;
  }
};

AuthorizationToken token(const std::string &password, system_clock::time_point expires) {
  AuthorizationToken t;
  t.username = "AWS";
  t.password = password;
  t.expires_at = expires;
  t.proxy_endpoint = "https://123456789012.dkr.ecr.us-east-1.amazonaws.com";
  return t;
}

} // namespace

TEST_CASE("ecr token cache: one fetch in flight per key across 8 threads") {
  TokenCache cache;
  std::atomic<int> calls{0};
  std::atomic<int> in_flight{0}, max_in_flight{0};
  auto fetch = [&] {
    int now = ++in_flight;
    int prev = max_in_flight.load();
    while (now > prev && !max_in_flight.compare_exchange_weak(prev, now)) {
    }
    std::this_thread::sleep_for(milliseconds(150));
    --in_flight;
    int n = ++calls;
    return token("pw-" + std::to_string(n), system_clock::now() + hours(12));
  };
  std::vector<std::string> got(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back(
        [&, i] { got[static_cast<std::size_t>(i)] = cache.get("reg|AKID", fetch).password; });
  for (auto &t : threads)
    t.join();
  CHECK(calls == 1);
  CHECK(max_in_flight == 1);
  for (const auto &g : got)
    CHECK(g == "pw-1");
}

TEST_CASE("ecr token cache: different keys fetch independently and in parallel") {
  TokenCache cache;
  std::mutex m;
  std::condition_variable cv;
  int started = 0;
  // Each fetch waits until both have started: this only finishes when the two keys'
  // fetches run at the same time.
  auto fetch_for = [&](const std::string &pw) {
    return [&, pw] {
      std::unique_lock l(m);
      ++started;
      cv.notify_all();
      bool both = cv.wait_for(l, seconds(5), [&] { return started == 2; });
      if (!both) throw Error(Errc::timeout, "fetches were serialised");
      return token(pw, system_clock::now() + hours(12));
    };
  };
  std::string a, b;
  std::thread ta([&] { a = cache.get("registry-a|AKID", fetch_for("a")).password; });
  std::thread tb([&] { b = cache.get("registry-b|AKID", fetch_for("b")).password; });
  ta.join();
  tb.join();
  CHECK(a == "a");
  CHECK(b == "b");
  CHECK(started == 2);
}

TEST_CASE("ecr token cache: refreshed five minutes before expiry (injected clock)") {
  ManualClock clock;
  TokenCache cache(minutes(5), [&] { return clock(); });
  int calls = 0;
  auto fetch = [&] {
    ++calls;
    return token("pw-" + std::to_string(calls), clock() + hours(12));
  };
  CHECK(cache.get("k", fetch).password == "pw-1");
  clock.advance(hours(11));
  CHECK(cache.get("k", fetch).password == "pw-1");
  clock.advance(minutes(54) + seconds(59)); // 12h - 5min - 1s after the fetch
  CHECK(cache.get("k", fetch).password == "pw-1");
  clock.advance(seconds(1)); // exactly 5 minutes before expiry
  CHECK(cache.get("k", fetch).password == "pw-2");
  CHECK(calls == 2);
  CHECK(cache.get("k", fetch).password == "pw-2");
  CHECK(calls == 2);
}

TEST_CASE("ecr token cache: a token whose expiresAt has passed is kept for an hour") {
  ManualClock clock;
  TokenCache cache(minutes(5), [&] { return clock(); });
  int calls = 0;
  // moto's tokens expire in 2015; a skewed clock looks the same.
  auto fetch = [&] {
    ++calls;
    return token("pw-" + std::to_string(calls), system_clock::time_point(seconds(1420070400)));
  };
  CHECK(cache.get("k", fetch).password == "pw-1");
  CHECK(cache.get("k", fetch).password == "pw-1"); // not refetched on every request
  clock.advance(minutes(59));
  CHECK(cache.get("k", fetch).password == "pw-1");
  clock.advance(minutes(1));
  CHECK(cache.get("k", fetch).password == "pw-2");
  CHECK(calls == 2);
  // A token inside its refresh margin is treated the same way.
  auto nearly = [&] {
    ++calls;
    return token("near", clock() + minutes(2));
  };
  CHECK(cache.get("k2", nearly).password == "near");
  CHECK(cache.get("k2", nearly).password == "near");
  CHECK(calls == 3);
}

TEST_CASE("ecr token cache: invalidate, per-key state, and failed fetches") {
  ManualClock clock;
  TokenCache cache(minutes(5), [&] { return clock(); });
  int calls = 0;
  auto fetch = [&] {
    ++calls;
    return token("pw-" + std::to_string(calls), clock() + hours(12));
  };
  CHECK(cache.get("a", fetch).password == "pw-1");
  CHECK(cache.get("b", fetch).password == "pw-2");
  cache.invalidate("a");
  CHECK(cache.get("b", fetch).password == "pw-2"); // only "a" was dropped
  CHECK(cache.get("a", fetch).password == "pw-3");
  CHECK(cache.get("a", fetch).password == "pw-3");
  cache.invalidate("never-seen"); // harmless

  // A failed fetch is not cached: the next get tries again.
  int failures = 0;
  auto failing = [&]() -> AuthorizationToken {
    ++failures;
    throw Error(Errc::denied, "ecr:GetAuthorizationToken: AccessDeniedException");
  };
  CHECK_THROWS_AS(cache.get("c", failing), Error);
  CHECK_THROWS_AS(cache.get("c", failing), Error);
  CHECK(failures == 2);
  CHECK(cache.get("c", fetch).password == "pw-4");
  CHECK(calls == 4);
}
