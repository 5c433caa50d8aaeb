// Serialises progress events from worker threads into the user's callback (never
// two calls at once) and keeps the overall totals.
#pragma once

#include <berth/error.hpp>
#include <berth/progress.hpp>

#include <atomic>
#include <mutex>

namespace berth::ops {

class ProgressReporter {
public:
  explicit ProgressReporter(ProgressFn fn) : fn_(std::move(fn)) {}
  ProgressReporter(ProgressReporter &&other) noexcept : fn_(std::move(other.fn_)) {}

  void add_total(std::uint64_t bytes) {
    std::lock_guard g(mutex_);
    overall_total_ += bytes;
  }

  // Reports an event; `delta` bytes are added to the overall count. Returns true
  // (and makes every later call throw) when the callback asked to cancel.
  bool item(Progress::Event event, const std::string &digest, std::uint64_t bytes,
            std::uint64_t total, std::uint64_t delta) {
    std::lock_guard g(mutex_);
    if (cancelled_) throw Error(Errc::cancelled, "cancelled by the progress callback");
    overall_ += delta;
    if (!fn_) return false;
    Progress p;
    p.event = event;
    p.digest = digest;
    p.bytes = bytes;
    p.total = total;
    p.overall_bytes = overall_;
    p.overall_total = overall_total_;
    if (fn_(p)) {
      cancelled_ = true;
      throw Error(Errc::cancelled, "cancelled by the progress callback");
    }
    return false;
  }

private:
  ProgressFn fn_;
  std::mutex mutex_;
  std::uint64_t overall_ = 0, overall_total_ = 0;
  bool cancelled_ = false;
};

} // namespace berth::ops
