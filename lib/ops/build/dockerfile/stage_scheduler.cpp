#include "ops/build/dockerfile/stage_scheduler.hpp"

#include <berth/cancel.hpp>
#include <berth/error.hpp>

#include <algorithm>
#include <thread>

namespace berth::ops {

StageScheduler::StageScheduler(std::map<int, std::vector<int>> needs, unsigned workers,
                               std::function<void(int)> run)
    : needs_(std::move(needs)),
      workers_(
          std::clamp<unsigned>(workers, 1, std::max(1u, static_cast<unsigned>(needs_.size())))),
      run_(std::move(run)) {}

void StageScheduler::fail(std::exception_ptr error) noexcept {
  std::lock_guard lock(mutex_);
  // Only the first: the stages stopped because of it fail with Error(cancelled).
  if (!error_) error_ = std::move(error);
  failed_ = true;
  changed_.notify_all();
}

void StageScheduler::execute(int stage) noexcept {
  try {
    run_(stage);
  } catch (...) {
    fail(std::current_exception());
    return;
  }
  std::lock_guard lock(mutex_);
  state_[stage] = State::done;
  changed_.notify_all();
}

bool StageScheduler::any_waiting() {
  return std::any_of(needs_.begin(), needs_.end(),
                     [&](const auto &n) { return !state_.count(n.first); });
}

std::optional<int> StageScheduler::next_ready() {
  for (const auto &[stage, needs] : needs_) {
    if (state_.count(stage)) continue;
    if (std::all_of(needs.begin(), needs.end(), [&](int n) {
          auto it = state_.find(n);
          return it != state_.end() && it->second == State::done;
        }))
      return stage; // the lowest ready one: the file's order where there is a choice
  }
  return std::nullopt;
}

void StageScheduler::worker() noexcept {
  try {
    std::unique_lock lock(mutex_);
    for (;;) {
      std::optional<int> next;
      // Ends when the build failed or every stage has been started; stages still
      // running are their threads' to finish.
      changed_.wait(lock, [&] { return failed_ || !any_waiting() || (next = next_ready()); });
      if (failed_ || !next) return;
      state_[*next] = State::running;
      lock.unlock();
      execute(*next);
      lock.lock();
    }
  } catch (...) {
    fail(std::current_exception());
  }
}

void StageScheduler::run() {
  {
    std::vector<std::jthread> threads; // joined when this scope ends, however it ends
    try {
      for (unsigned t = 1; t < workers_; ++t)
        threads.emplace_back([this, token = current_cancel()] {
          CancelScope scope(token); // a cancelled build stops in every stage
          worker();
        });
    } catch (...) {
      fail(std::current_exception()); // no thread: the ones started stop at once
    }
    worker();
  }
  if (error_) std::rethrow_exception(error_);
}

void StageScheduler::await(int stage) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (failed_) throw Error(Errc::cancelled, "the build failed in another stage");
    auto it = state_.find(stage);
    if (it == state_.end()) {
      state_[stage] = State::running;
      lock.unlock();
      execute(stage);
      lock.lock();
      continue;
    }
    if (it->second == State::done) return;
    changed_.wait(lock);
  }
}

} // namespace berth::ops
