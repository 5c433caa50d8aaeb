// The step log of a Dockerfile build whose stages run at the same time: the caller's
// callback gets whole lines, from one thread at a time, so the lines of two stages
// never mix within a line (and a step's "CACHED" stays right below the step).
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace berth::ops {

class BuildLog {
public:
  explicit BuildLog(std::function<void(std::string_view)> sink) : sink_(std::move(sink)) {}

  // `lines`: one or more lines, the last without its "\n"; passed on together.
  void write(const std::string &lines);

  // What one RUN prints, passed on a whole line at a time as it comes; what is left of
  // a last line without "\n" is ended when the step is (or at 64 KiB).
  class Output {
  public:
    explicit Output(BuildLog &log) : log_(log) {}
    ~Output();
    Output(const Output &) = delete;
    Output &operator=(const Output &) = delete;
    void add(std::string_view bytes);

  private:
    BuildLog &log_;
    std::string pending_;
  };

private:
  std::function<void(std::string_view)> sink_;
  std::mutex mutex_; // one caller of sink_ at a time
};

} // namespace berth::ops
