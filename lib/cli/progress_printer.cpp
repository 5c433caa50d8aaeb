#include "cli/progress_printer.hpp"

#include <memory>
#include <unistd.h>

namespace berth::cli {

OutputMode detect_output_mode(bool json, bool quiet) {
  if (quiet) return OutputMode::quiet;
  if (json) return OutputMode::json;
  return isatty(STDERR_FILENO) ? OutputMode::terminal : OutputMode::plain;
}

std::string human_bytes(std::uint64_t n) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

namespace {

const char *event_name(Progress::Event e) {
  switch (e) {
  case Progress::Event::blob_started: return "started";
  case Progress::Event::blob_progress: return "progress";
  case Progress::Event::blob_done: return "copied";
  case Progress::Event::blob_skipped: return "exists";
  case Progress::Event::blob_mounted: return "mounted";
  case Progress::Event::manifest_done: return "manifest";
  }
  return "?";
}

std::string short_digest(const std::string &d) {
  auto colon = d.find(':');
  return colon == std::string::npos ? d : d.substr(colon + 1, 12);
}

} // namespace

ProgressFn make_progress_printer(OutputMode mode) {
  if (mode == OutputMode::quiet) return {};
  auto last_draw = std::make_shared<std::chrono::steady_clock::time_point>();
  return [mode, last_draw](const Progress &p) {
    switch (mode) {
    case OutputMode::json:
      if (p.event != Progress::Event::blob_progress)
        std::fprintf(stderr,
                     "{\"event\":\"%s\",\"digest\":\"%s\",\"bytes\":%llu,\"total\":%llu,"
                     "\"overall_bytes\":%llu,\"overall_total\":%llu}\n",
                     event_name(p.event), p.digest.c_str(),
                     static_cast<unsigned long long>(p.bytes),
                     static_cast<unsigned long long>(p.total),
                     static_cast<unsigned long long>(p.overall_bytes),
                     static_cast<unsigned long long>(p.overall_total));
      break;
    case OutputMode::plain:
      if (p.event != Progress::Event::blob_progress && p.event != Progress::Event::blob_started)
        std::fprintf(stderr, "%-8s %s %s\n", event_name(p.event), short_digest(p.digest).c_str(),
                     human_bytes(p.total).c_str());
      break;
    case OutputMode::terminal: {
      auto now = std::chrono::steady_clock::now();
      bool final_event = p.event != Progress::Event::blob_progress;
      if (!final_event && now - *last_draw < std::chrono::milliseconds(100)) break;
      *last_draw = now;
      double frac = p.overall_total ? static_cast<double>(p.overall_bytes) /
                                          static_cast<double>(p.overall_total)
                                    : 1;
      if (frac > 1) frac = 1;
      int filled = static_cast<int>(frac * 30);
      std::string bar(static_cast<std::size_t>(filled), '#');
      bar.resize(30, '.');
      std::fprintf(stderr, "\r[%s] %5.1f%% %s / %s  %-8s %s ", bar.c_str(), frac * 100,
                   human_bytes(p.overall_bytes).c_str(), human_bytes(p.overall_total).c_str(),
                   event_name(p.event), short_digest(p.digest).c_str());
      if (p.event == Progress::Event::manifest_done) std::fprintf(stderr, "\n");
      break;
    }
    case OutputMode::quiet: break;
    }
    return false;
  };
}

} // namespace berth::cli
