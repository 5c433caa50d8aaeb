#include "cli/progress_bar.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace berth::cli {
namespace {

constexpr std::size_t kBarMax = 30, kBarMin = 10;

bool known_total(const Progress &p) {
  // A total the bytes have passed is not a total: shown as unknown, not as 100%.
  return p.overall_total > 0 && p.overall_bytes <= p.overall_total;
}

// Rounded down: 100% only once everything has moved.
std::string percent(const Progress &p) {
  double frac = static_cast<double>(p.overall_bytes) / static_cast<double>(p.overall_total);
  char pct[16];
  std::snprintf(pct, sizeof pct, "%.1f%%", std::floor(frac * 1000) / 10);
  return pct;
}

std::string rate_text(double bytes_per_second) {
  return bytes_per_second > 0
             ? human_bytes(static_cast<std::uint64_t>(std::llround(bytes_per_second))) + "/s"
             : std::string();
}

bool building(const Progress &p) {
  // Bytes without a digest and a size are a layer being built (ops/build.cpp).
  return p.digest.empty() && p.total == 0 &&
         (p.event == Progress::Event::blob_started || p.event == Progress::Event::blob_progress);
}

} // namespace

const char *event_name(Progress::Event e) {
  switch (e) {
  case Progress::Event::blob_started: return "blob_started";
  case Progress::Event::blob_progress: return "blob_progress";
  case Progress::Event::blob_done: return "blob_done";
  case Progress::Event::blob_skipped: return "blob_skipped";
  case Progress::Event::blob_mounted: return "blob_mounted";
  case Progress::Event::manifest_done: return "manifest_done";
  }
  return "?";
}

std::string event_phrase(const Progress &p, const Verb &verb) {
  if (building(p)) return "building";
  switch (p.event) {
  case Progress::Event::blob_started:
  case Progress::Event::blob_progress: return verb.doing;
  case Progress::Event::blob_done: return verb.done;
  case Progress::Event::blob_skipped: return "already there";
  case Progress::Event::blob_mounted: return "mounted";
  case Progress::Event::manifest_done: return "manifest written";
  }
  return "?";
}

std::string short_digest(const std::string &d) {
  auto colon = d.find(':');
  return colon == std::string::npos ? d : d.substr(0, colon + 1 + 12);
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

void RateMeter::add(Clock::time_point t, std::uint64_t bytes) {
  // One sample per 100 ms is plenty for a window of seconds: the newest one moves
  // forward until it is 100 ms past the one before it.
  const auto n = samples_.size();
  if (n >= 2 && t - samples_[n - 2].first < std::chrono::milliseconds(100))
    samples_.back() = {t, bytes};
  else
    samples_.emplace_back(t, bytes);
  // Keep one sample at or before the window's start, so the window is spanned whole.
  while (samples_.size() > 2 && t - samples_[1].first >= window_)
    samples_.pop_front();
}

double RateMeter::rate(Clock::time_point now) const {
  if (samples_.size() < 2) return 0;
  // From the last sample at or before the window's start (the oldest one when none
  // is) to now: a window that ended a while ago (nothing arrived since) counts the
  // quiet time too, so a stall brings the rate down.
  auto start = samples_.front();
  for (const auto &s : samples_)
    if (s.first <= now - window_) start = s;
  const auto &last = samples_.back();
  double span = std::chrono::duration<double>(std::max(now, last.first) - start.first).count();
  if (span < 0.5 || last.second < start.second) return 0;
  return static_cast<double>(last.second - start.second) / span;
}

double eta_seconds(const Progress &p, double bytes_per_second) {
  if (!known_total(p) || bytes_per_second <= 0) return -1;
  return static_cast<double>(p.overall_total - p.overall_bytes) / bytes_per_second;
}

std::string format_eta(double seconds) {
  if (seconds < 0 || !std::isfinite(seconds)) return {};
  auto s = static_cast<long long>(std::ceil(seconds));
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%llds", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, s / 60 % 60);
  return buf;
}

std::string render_bar(const Progress &p, std::size_t width, double bytes_per_second,
                       const Verb &verb) {
  const bool known = known_total(p);
  double frac = 0;
  std::string amounts = human_bytes(p.overall_bytes);
  if (known) {
    frac = static_cast<double>(p.overall_bytes) / static_cast<double>(p.overall_total);
    std::string pct = percent(p);
    pct.insert(0, pct.size() < 6 ? 6 - pct.size() : 0, ' ');
    amounts = pct + "  " + amounts + " / " + human_bytes(p.overall_total);
  }
  const std::string rate = rate_text(bytes_per_second);
  const std::string eta = format_eta(eta_seconds(p, bytes_per_second));
  const std::string phrase = event_phrase(p, verb);
  const std::string digest = short_digest(p.digest);

  // Fewer optional parts at each level, most dispensable first.
  for (int level = 0; level < 4; ++level) {
    std::string tail = amounts;
    if (level < 3 && !rate.empty()) tail += "  " + rate;
    if (level < 3 && !eta.empty()) tail += "  ETA " + eta;
    if (level < 2) tail += "  " + phrase;
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

std::string heartbeat_line(const Progress &p, double bytes_per_second, const Verb &verb) {
  std::string line = std::string(building(p) ? "building" : verb.doing) + ": ";
  line += human_bytes(p.overall_bytes);
  if (known_total(p)) line += " / " + human_bytes(p.overall_total) + " (" + percent(p) + ")";
  if (bytes_per_second > 0) line += ", " + rate_text(bytes_per_second);
  if (auto eta = format_eta(eta_seconds(p, bytes_per_second)); !eta.empty()) line += ", ETA " + eta;
  return line;
}

} // namespace berth::cli
