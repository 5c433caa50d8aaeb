// Cancelling an operation from outside it: a Go context that ends, a Ctrl-C in
// Python, a C program's signal handler. A token is attached to the thread that
// calls berth; every thread the operation starts inherits it, and the places that
// wait (a transfer's progress poll, a retry's backoff, a RUN step, a scan gate's
// poll) stop within about a second once it is fired, with Errc::cancelled.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

namespace berth {

class CancelToken {
public:
  // Thread-safe and async-signal-safe (one lock-free atomic store).
  void fire() noexcept { fired_.store(true, std::memory_order_relaxed); }
  bool fired() const noexcept { return fired_.load(std::memory_order_relaxed); }

private:
  static_assert(std::atomic<bool>::is_always_lock_free);
  std::atomic<bool> fired_{false};
};

using CancelRef = std::shared_ptr<CancelToken>;

// The token of the calling thread's operation; empty when none is attached.
const CancelRef &current_cancel() noexcept;

// Attaches token to the calling thread (empty: detaches), returning the one it
// replaces.
CancelRef attach_cancel(CancelRef token) noexcept;

// Whether the calling thread's operation was cancelled.
bool cancel_requested() noexcept;

// Throws Error(cancelled) when cancel_requested().
void throw_if_cancelled();

// Sleeps for d, waking every 50 ms to throw Error(cancelled) once the operation
// is cancelled: a retry's backoff or a poll's pause never outlasts a cancel.
void sleep_unless_cancelled(std::chrono::steady_clock::duration d);

// Attaches a token for a scope (a worker thread running part of an operation)
// and restores the previous one after.
class CancelScope {
public:
  explicit CancelScope(CancelRef token) : previous_(attach_cancel(std::move(token))) {}
  ~CancelScope() { attach_cancel(std::move(previous_)); }
  CancelScope(const CancelScope &) = delete;
  CancelScope &operator=(const CancelScope &) = delete;

private:
  CancelRef previous_;
};

// fn wrapped to run under the calling thread's token, for a thread it starts.
template <typename Fn> auto with_current_cancel(Fn fn) {
  return [token = current_cancel(), fn = std::move(fn)]() mutable {
    CancelScope scope(token);
    return fn();
  };
}

} // namespace berth
