// The cancel token of berth/cancel.hpp: attached per thread, inherited by the
// threads an operation starts, and seen by the waits that check it.
#include <doctest/doctest.h>

#include <berth/cancel.hpp>
#include <berth/error.hpp>

#include "core/subprocess.hpp"
#include "ops/transfer/parallel.hpp"

#include <atomic>
#include <chrono>
#include <thread>

using namespace berth;

TEST_CASE("cancel: a thread sees only the token attached to it") {
  CHECK_FALSE(current_cancel());
  CHECK_FALSE(cancel_requested());
  auto token = std::make_shared<CancelToken>();
  {
    CancelScope scope(token);
    CHECK(current_cancel() == token);
    CHECK_FALSE(cancel_requested());
    CHECK_NOTHROW(throw_if_cancelled());
    token->fire();
    CHECK(cancel_requested());
    try {
      throw_if_cancelled();
      FAIL("no throw");
    } catch (const Error &e) {
      CHECK(e.code() == Errc::cancelled);
      CHECK(std::string(e.what()) == "cancelled by the caller");
    }
  }
  CHECK_FALSE(current_cancel()); // the scope restored the empty one
  CHECK_FALSE(cancel_requested());
}

TEST_CASE("cancel: parallel_for's workers inherit the caller's token") {
  auto token = std::make_shared<CancelToken>();
  CancelScope scope(token);
  std::atomic<int> seen{0};
  ops::parallel_for(8, 4, [&](std::size_t) {
    if (current_cancel() == token) ++seen;
  });
  CHECK(seen == 8);
  token->fire();
  CHECK_THROWS_AS(ops::parallel_for(4, 2, [&](std::size_t) { throw_if_cancelled(); }), Error);
}

TEST_CASE("cancel: a backoff's sleep ends at the fire, not at its end") {
  auto token = std::make_shared<CancelToken>();
  CancelScope scope(token);
  CHECK_NOTHROW(sleep_unless_cancelled(std::chrono::milliseconds(1)));
  token->fire();
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(sleep_unless_cancelled(std::chrono::hours(1)), Error);
  // An hour's sleep that returned at all was interrupted.
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::minutes(1));
}

TEST_CASE("cancel: a child process (a credential helper) is killed at the fire") {
  auto token = std::make_shared<CancelToken>();
  CancelScope scope(token);
  std::thread firer([token] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    token->fire();
  });
  const auto start = std::chrono::steady_clock::now();
  try {
    core::run_process({"sleep", "600"}, "", std::chrono::minutes(20));
    FAIL("the process ran to its end");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::cancelled);
  }
  firer.join();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::minutes(1));
}
