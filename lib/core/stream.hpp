// Push-style byte streams: producers (a tar writer, a blob download) write into a
// ByteSink; filters (compressors, hashers) are sinks that forward to another sink.
// finish() flushes what a filter still holds and then finishes its downstream sink.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace berth::core {

class ByteSink {
public:
  virtual ~ByteSink() = default;
  virtual void write(const char *data, std::size_t len) = 0;
  void write(std::string_view s) { write(s.data(), s.size()); }
  virtual void finish() {}
};

// Collects everything in memory (tests, small blobs).
class StringSink final : public ByteSink {
public:
  void write(const char *data, std::size_t len) override { data_.append(data, len); }
  using ByteSink::write;
  const std::string &str() const { return data_; }

private:
  std::string data_;
};

// Hands every write to a function (an HTTP body sink, a pipe's producer side).
class FunctionSink final : public ByteSink {
public:
  explicit FunctionSink(std::function<void(const char *, std::size_t)> fn) : fn_(std::move(fn)) {}
  void write(const char *data, std::size_t len) override { fn_(data, len); }
  using ByteSink::write;

private:
  std::function<void(const char *, std::size_t)> fn_;
};

} // namespace berth::core
