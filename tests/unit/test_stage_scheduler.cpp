// StageScheduler: stages after the stages they need, independent ones at the same time
// within the worker bound, the first failure stopping the rest and rethrown.
#include <doctest/doctest.h>

#include <berth/error.hpp>

#include "ops/build/dockerfile/stage_scheduler.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

using namespace berth;
using namespace std::chrono_literals;

namespace {

// What the stages did, from any thread.
struct Journal {
  std::mutex mutex;
  std::condition_variable changed;
  std::set<int> started, finished;
  int running = 0, most_running = 0;

  void start(int i) {
    std::lock_guard lock(mutex);
    started.insert(i);
    most_running = std::max(most_running, ++running);
    changed.notify_all();
  }
  void finish(int i) {
    std::lock_guard lock(mutex);
    finished.insert(i);
    --running;
    changed.notify_all();
  }
  // Whether stage i starts within the time (a bound no passing run comes near).
  bool wait_started(int i) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 20s, [&] { return started.count(i) > 0; });
  }
};

} // namespace

TEST_CASE("stage scheduler: each stage after what it needs, unneeded ones never") {
  Journal j;
  std::map<int, std::vector<int>> needs{{0, {}}, {2, {0}}, {3, {0, 2}}, {4, {3}}};
  ops::StageScheduler s(needs, 4, [&](int i) {
    {
      std::lock_guard lock(j.mutex);
      for (int n : needs.at(i))
        CHECK(j.finished.count(n) == 1);
    }
    j.start(i);
    j.finish(i);
  });
  s.run();
  CHECK(j.finished == std::set<int>{0, 2, 3, 4});
  CHECK_FALSE(s.failed());
}

TEST_CASE("stage scheduler: independent stages run at the same time") {
  // Each waits until the other has started: one after the other, the first gives up.
  Journal j;
  bool met[2] = {false, false};
  ops::StageScheduler s({{0, {}}, {1, {}}, {2, {0, 1}}}, 2, [&](int i) {
    j.start(i);
    if (i < 2) met[i] = j.wait_started(1 - i);
    j.finish(i);
  });
  s.run();
  CHECK(met[0]);
  CHECK(met[1]);
}

TEST_CASE("stage scheduler: no more stages at once than workers") {
  Journal j;
  std::map<int, std::vector<int>> needs;
  for (int i = 0; i < 8; ++i)
    needs[i] = {};
  ops::StageScheduler s(needs, 3, [&](int i) {
    j.start(i);
    std::this_thread::sleep_for(5ms);
    j.finish(i);
  });
  s.run();
  CHECK(j.finished.size() == 8);
  CHECK(j.most_running <= 3);
  CHECK(j.most_running >= 1);
}

TEST_CASE("stage scheduler: the first failure is rethrown, what needs it never starts") {
  Journal j;
  ops::StageScheduler *self = nullptr;
  ops::StageScheduler s({{0, {}}, {1, {}}, {2, {0}}, {3, {1, 2}}}, 2, [&](int i) {
    j.start(i);
    if (i == 0) {
      // Fails while stage 1 runs; stage 1 then sees failed() and stops with an error of
      // its own, which is not the build's.
      REQUIRE(j.wait_started(1));
      throw Error(Errc::build_failed, "stage 0 broke");
    }
    if (i == 1) {
      for (int k = 0; k < 2000 && !self->failed(); ++k)
        std::this_thread::sleep_for(10ms);
      throw Error(Errc::cancelled, "stopped");
    }
    j.finish(i);
  });
  self = &s;
  try {
    s.run();
    FAIL("no error");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::build_failed);
    CHECK(std::string(e.what()) == "stage 0 broke");
  }
  CHECK(s.failed());
  CHECK(j.started == std::set<int>{0, 1});
}

TEST_CASE("stage scheduler: await runs a stage no thread started, here") {
  Journal j;
  ops::StageScheduler *self = nullptr;
  std::thread::id ran_on[3];
  ops::StageScheduler s({{2, {}}}, 4, [&](int i) {
    j.start(i);
    ran_on[i] = std::this_thread::get_id();
    if (i == 2) {
      self->await(1); // a need found while running (an ONBUILD trigger's --from)
      std::lock_guard lock(j.mutex);
      CHECK(j.finished.count(1) == 1);
    }
    j.finish(i);
  });
  self = &s;
  s.run();
  CHECK(j.finished == std::set<int>{1, 2});
  CHECK(ran_on[1] == ran_on[2]);
}

TEST_CASE("stage scheduler: await after a failure is Error(cancelled)") {
  ops::StageScheduler *self = nullptr;
  ops::StageScheduler s({{0, {}}, {1, {}}}, 1, [&](int i) {
    if (i == 0) throw Error(Errc::build_failed, "first");
  });
  self = &s;
  CHECK_THROWS_WITH(s.run(), "first");
  CHECK_THROWS_AS(self->await(1), Error);
}
