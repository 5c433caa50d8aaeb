// Serialises progress events from worker threads into the user's callback (never
// two calls at once) and keeps the overall totals: right, or 0 for "unknown".
#pragma once

#include <berth/cancel.hpp>
#include <berth/error.hpp>
#include <berth/progress.hpp>

#include "core/stream.hpp"

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

  // An item whose size is known only once it is complete (a layer being built).
  // While one is open the overall total is unknown and reported as 0, never as a
  // figure the bytes would overtake; end() adds the final size to the total. An item
  // dropped without end() (its build failed) adds nothing.
  class Unsized {
  public:
    explicit Unsized(ProgressReporter &r) : r_(&r) { r.unsized(+1, 0); }
    ~Unsized() {
      if (r_) r_->unsized(-1, 0);
    }
    Unsized(const Unsized &) = delete;
    Unsized &operator=(const Unsized &) = delete;
    void end(std::uint64_t size) {
      if (r_) r_->unsized(-1, size);
      r_ = nullptr;
    }

  private:
    ProgressReporter *r_;
  };

  // Reports an event; `delta` bytes are added to the overall count. Returns true
  // (and makes every later call throw) when the callback asked to cancel.
  bool item(Progress::Event event, const std::string &digest, std::uint64_t bytes,
            std::uint64_t total, std::uint64_t delta) {
    throw_if_cancelled(); // local work (a layer being built) stops here too
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
    p.overall_total = open_unsized_ ? 0 : overall_total_;
    if (fn_(p)) {
      cancelled_ = true;
      throw Error(Errc::cancelled, "cancelled by the progress callback");
    }
    return false;
  }

private:
  void unsized(int open, std::uint64_t size) {
    std::lock_guard g(mutex_);
    open_unsized_ += open;
    overall_total_ += size;
  }

  ProgressFn fn_;
  std::mutex mutex_;
  std::uint64_t overall_ = 0, overall_total_ = 0;
  int open_unsized_ = 0;
  bool cancelled_ = false;
};

// Passes bytes on to `out` and reports them as blob_progress of an item of unknown
// size (digest "", total 0), at most one report per kReportEvery bytes so a fast
// compressor does not pay a callback per small write. flush() reports the rest.
class ProgressSink final : public core::ByteSink {
public:
  static constexpr std::uint64_t kReportEvery = 256 * 1024;

  ProgressSink(core::ByteSink &out, ProgressReporter &reporter) : out_(out), reporter_(reporter) {}
  void write(const char *data, std::size_t len) override {
    out_.write(data, len);
    bytes_ += len;
    if (bytes_ - reported_ >= kReportEvery) flush();
  }
  using ByteSink::write;
  void finish() override { out_.finish(); }
  // Bytes written so far; all of them reported after flush().
  std::uint64_t bytes() const noexcept { return bytes_; }
  void flush() {
    if (bytes_ == reported_) return;
    reporter_.item(Progress::Event::blob_progress, std::string(), bytes_, 0, bytes_ - reported_);
    reported_ = bytes_;
  }

private:
  core::ByteSink &out_;
  ProgressReporter &reporter_;
  std::uint64_t bytes_ = 0, reported_ = 0;
};

} // namespace berth::ops
