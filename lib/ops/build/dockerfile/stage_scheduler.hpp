// When each stage of a Dockerfile build runs, as BuildKit runs them: a stage starts once
// every stage it needs has finished, stages that need nothing of each other run at the
// same time (on at most `workers` threads, the caller's included), and stages nothing
// needs never run. The first failure ends the build: no stage starts after it, running
// stages see failed() and stop at their next step, and it is rethrown once every thread
// has ended.
#pragma once

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace berth::ops {

class StageScheduler {
public:
  // needs: the stages to run, each with the stages it needs (stages before it in the
  // file, so there is no cycle). run(i) builds stage i; it may call await().
  StageScheduler(std::map<int, std::vector<int>> needs, unsigned workers,
                 std::function<void(int)> run);

  // Runs every stage in `needs`; rethrows the first failure after all threads ended.
  void run();

  // From inside run(i): returns once `stage` has finished. It waits when another thread
  // runs it, and runs it on this thread when no thread started it yet (a need found
  // only while a stage runs: an ONBUILD trigger's or an expanded COPY --from). Throws
  // Error(cancelled) once the build failed.
  void await(int stage);

  // A stage failed: the others stop at their next step.
  bool failed() const noexcept { return failed_.load(); }

private:
  enum class State { waiting, running, done };
  void worker() noexcept;
  void execute(int stage) noexcept; // runs it; records its end or its failure
  std::optional<int> next_ready();  // with mutex_ held
  bool any_waiting();               // with mutex_ held
  void fail(std::exception_ptr error) noexcept;

  const std::map<int, std::vector<int>> needs_;
  const unsigned workers_;
  const std::function<void(int)> run_;
  std::mutex mutex_; // guards state_ and error_
  std::condition_variable changed_;
  std::map<int, State> state_; // a stage not in it is waiting
  std::exception_ptr error_;
  std::atomic<bool> failed_{false};
};

} // namespace berth::ops
