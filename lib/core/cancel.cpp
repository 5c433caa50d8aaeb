#include "berth/cancel.hpp"

#include "berth/error.hpp"

#include <algorithm>
#include <thread>

namespace berth {

namespace {
thread_local CancelRef t_cancel;
} // namespace

const CancelRef &current_cancel() noexcept {
  return t_cancel;
}

CancelRef attach_cancel(CancelRef token) noexcept {
  t_cancel.swap(token);
  return token;
}

bool cancel_requested() noexcept {
  return t_cancel && t_cancel->fired();
}

void throw_if_cancelled() {
  if (cancel_requested()) throw Error(Errc::cancelled, "cancelled by the caller");
}

void sleep_unless_cancelled(std::chrono::steady_clock::duration d) {
  using Clock = std::chrono::steady_clock;
  const auto end = Clock::now() + d;
  for (;;) {
    throw_if_cancelled();
    const auto now = Clock::now();
    if (now >= end) return;
    std::this_thread::sleep_for(
        std::min<Clock::duration>(end - now, std::chrono::milliseconds(50)));
  }
}

} // namespace berth
