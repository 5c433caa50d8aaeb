// One mutex per key, made on first use and kept for the object's life: work on one key
// (a base image, a step's cache key) is done by one thread at a time while the work on
// other keys goes on.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace berth::core {

class KeyedMutex {
public:
  // Blocks until no other thread holds `key`; the returned lock frees it.
  std::unique_lock<std::mutex> lock(const std::string &key) {
    std::mutex *m = nullptr;
    {
      std::lock_guard guard(mutex_);
      auto &slot = mutexes_[key];
      if (!slot) slot = std::make_unique<std::mutex>();
      m = slot.get(); // stable: entries are never removed
    }
    return std::unique_lock(*m);
  }

private:
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<std::mutex>> mutexes_;
};

} // namespace berth::core
