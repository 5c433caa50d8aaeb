#include "cli/progress_bar.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace berth::cli {
namespace {

constexpr std::size_t kBarMax = 30, kBarMin = 10;

} // namespace

const char *event_label(Progress::Event e) {
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

std::string render_bar(const Progress &p, std::size_t width, double bytes_per_second) {
  // A total the bytes have passed is not a total: shown as unknown, not as 100%.
  const bool known = p.overall_total > 0 && p.overall_bytes <= p.overall_total;
  double frac = 0;
  std::string amounts = human_bytes(p.overall_bytes);
  if (known) {
    frac = static_cast<double>(p.overall_bytes) / static_cast<double>(p.overall_total);
    char pct[16];
    // Rounded down: 100% only once everything has moved.
    std::snprintf(pct, sizeof pct, "%5.1f%%", std::floor(frac * 1000) / 10);
    amounts = std::string(pct) + "  " + amounts + " / " + human_bytes(p.overall_total);
  }
  const std::string rate =
      bytes_per_second > 0
          ? human_bytes(static_cast<std::uint64_t>(std::llround(bytes_per_second))) + "/s"
          : std::string();
  // Bytes without a digest and a size are a layer being built (ops/build.cpp).
  const bool building =
      p.digest.empty() && p.total == 0 &&
      (p.event == Progress::Event::blob_started || p.event == Progress::Event::blob_progress);
  const std::string event = building ? "building" : event_label(p.event);
  const std::string digest = short_digest(p.digest);

  // Fewer optional parts at each level, most dispensable first.
  for (int level = 0; level < 4; ++level) {
    std::string tail = amounts;
    if (level < 3 && !rate.empty()) tail += "  " + rate;
    if (level < 2) tail += "  " + event;
    if (level < 1 && !digest.empty()) tail += " " + digest;
    if (!known) {
      if (tail.size() <= width) return tail;
      continue;
    }
    // "[" bar "] " tail
    if (width >= tail.size() + 3 + kBarMin) {
      auto bar_width = std::min(kBarMax, width - tail.size() - 3);
      auto filled = static_cast<std::size_t>(frac * static_cast<double>(bar_width));
      std::string bar(std::min(filled, bar_width), '#');
      bar.resize(bar_width, '.');
      return "[" + bar + "] " + tail;
    }
  }
  return amounts.substr(0, width);
}

} // namespace berth::cli
