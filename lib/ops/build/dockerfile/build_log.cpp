#include "ops/build/dockerfile/build_log.hpp"

namespace berth::ops {

void BuildLog::write(const std::string &lines) {
  if (!sink_) return;
  std::lock_guard lock(mutex_);
  sink_(lines + "\n");
}

void BuildLog::Output::add(std::string_view bytes) {
  pending_.append(bytes);
  const auto nl = pending_.rfind('\n');
  if (nl != std::string::npos) {
    log_.write(pending_.substr(0, nl));
    pending_.erase(0, nl + 1);
  }
  if (pending_.size() > 64 * 1024) {
    log_.write(pending_);
    pending_.clear();
  }
}

BuildLog::Output::~Output() {
  if (pending_.empty()) return;
  try {
    log_.write(pending_);
  } catch (...) { // the log is the caller's; losing a last line beats terminating
  }
}

} // namespace berth::ops
