#include "ops/transfer/pipe_reader.hpp"

#include <berth/cancel.hpp>
#include <berth/error.hpp>

#include <algorithm>

namespace berth::ops {

PipeReader::PipeReader(Producer producer, std::size_t capacity) : ring_(capacity) {
  thread_ = std::thread([this, producer = std::move(producer), token = current_cancel()] {
    CancelScope scope(token);
    try {
      producer([this](const char *d, std::size_t n) {
        while (n > 0) {
          std::unique_lock lock(mutex_);
          cv_.wait(lock, [&] { return closed_ || size_ < ring_.size(); });
          if (closed_) throw Error(Errc::cancelled, "reader closed");
          std::size_t tail = (head_ + size_) % ring_.size();
          std::size_t k = std::min({n, ring_.size() - size_, ring_.size() - tail});
          std::copy_n(d, k, ring_.data() + tail);
          size_ += k;
          d += k;
          n -= k;
          cv_.notify_all();
        }
      });
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!closed_) error_ = std::current_exception();
    }
    std::lock_guard lock(mutex_);
    finished_ = true;
    cv_.notify_all();
  });
}

PipeReader::~PipeReader() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    cv_.notify_all();
  }
  thread_.join();
}

std::size_t PipeReader::read(char *buf, std::size_t len) {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return size_ > 0 || finished_; });
  if (size_ == 0) {
    if (error_) std::rethrow_exception(error_);
    return 0;
  }
  std::size_t k = std::min({len, size_, ring_.size() - head_});
  std::copy_n(ring_.data() + head_, k, buf);
  head_ = (head_ + k) % ring_.size();
  size_ -= k;
  cv_.notify_all();
  return k;
}

} // namespace berth::ops
