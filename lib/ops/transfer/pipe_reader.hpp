// Turns a push-style producer (a function that feeds a sink, like an HTTP download)
// into a pull-style Reader (what an upload's read callback wants), through a bounded
// buffer and a producer thread. Memory stays at `capacity` bytes whatever the blob.
#pragma once

#include "registry/registry.hpp"

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace berth::ops {

class PipeReader final : public registry::Reader {
public:
  using Producer = std::function<void(const http::BodySink &)>;

  explicit PipeReader(Producer producer, std::size_t capacity = 4u << 20);
  ~PipeReader() override;
  PipeReader(const PipeReader &) = delete;
  PipeReader &operator=(const PipeReader &) = delete;

  std::size_t read(char *buf, std::size_t len) override;

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<char> ring_; // capacity bytes; [head_, head_ + size_) modulo capacity
  std::size_t head_ = 0, size_ = 0;
  bool finished_ = false, closed_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

} // namespace berth::ops
