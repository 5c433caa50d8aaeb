// Runs fn(0..n-1) on up to `jobs` threads. The first exception stops the hand-out
// of further items and is rethrown once every started item has finished.
#pragma once

#include <atomic>
#include <berth/cancel.hpp>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace berth::ops {

template <typename Fn> void parallel_for(std::size_t n, int jobs, Fn &&fn) {
  if (n == 0) return;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  // Workers run under the caller's cancel token (berth/cancel.hpp).
  auto worker = [&, token = current_cancel()] {
    CancelScope scope(token);
    while (!failed.load()) {
      std::size_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        fn(i);
      } catch (...) {
        std::lock_guard g(error_mutex);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  };
  auto threads = std::min<std::size_t>(n, static_cast<std::size_t>(jobs < 1 ? 1 : jobs));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t)
    pool.emplace_back(worker);
  worker();
  for (auto &t : pool)
    t.join();
  if (error) std::rethrow_exception(error);
}

} // namespace berth::ops
