// What the progress output says, as pure functions of progress events and times, so
// that what the bar and the log lines claim can be tested without a terminal or a
// clock.
#pragma once

#include <berth/progress.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

namespace berth::cli {

// "1.5 MiB" style, binary units.
std::string human_bytes(std::uint64_t n);
// The event names of the C ABI, berth.h and the bindings: "blob_started",
// "blob_progress", "blob_done", "blob_skipped", "blob_mounted", "manifest_done".
// What --json prints.
const char *event_name(Progress::Event e);
// "sha256:" and the first 12 hex digits of "sha256:<hex>" ("" stays "").
std::string short_digest(const std::string &digest);

// What a command does to blobs, in the words the progress lines use: "pulling" and
// "pulled" for pull, "pushing"/"pushed", "copying"/"copied".
struct Verb {
  const char *doing = "copying";
  const char *done = "copied";
};
inline constexpr Verb kCopying{"copying", "copied"};
inline constexpr Verb kPulling{"pulling", "pulled"};
inline constexpr Verb kPushing{"pushing", "pushed"};
inline constexpr Verb kWriting{"writing", "written"}; // a build's layers

// What an event says happened, for a person: "pulling" (started, progress), "pulled"
// (done), "already there" (skipped), "mounted", "manifest written"; "building" for
// bytes of a layer being built (no digest and no size).
std::string event_phrase(const Progress &p, const Verb &verb);

// The rate of the bytes over the last `window` (not an average since the start: a
// transfer that sped up or stalled shows it within the window). Fed with the overall
// byte count and the time it was seen; samples older than the window are dropped.
class RateMeter {
public:
  using Clock = std::chrono::steady_clock;
  explicit RateMeter(std::chrono::milliseconds window = std::chrono::seconds(5))
      : window_(window) {}
  void add(Clock::time_point t, std::uint64_t bytes);
  // Bytes per second over what the window holds; 0 until it spans 0.5 s.
  double rate(Clock::time_point now) const;

private:
  std::chrono::milliseconds window_;
  std::deque<std::pair<Clock::time_point, std::uint64_t>> samples_;
};

// Seconds left at `bytes_per_second` for what is left of a known total; < 0 when
// there is no estimate (no rate, no total, the total passed).
double eta_seconds(const Progress &p, double bytes_per_second);
// "7s", "1m05s", "2h03m"; "" for a negative value.
std::string format_eta(double seconds);

// The bar line for `p`: at most `width` columns (ASCII only, so bytes are columns),
// without the "\r" and clearing a terminal needs. With a known overall total:
//   [##########..........]  50.0%  1.0 MiB / 2.0 MiB  512.0 KiB/s  ETA 2s  pulling
//   sha256:0123456789ab
// With an unknown one (overall_total 0 — a layer being built — or exceeded by the
// bytes) there is no bar, percentage, "/ total" or ETA, only what is known:
//   1.0 MiB  512.0 KiB/s  building
// bytes_per_second <= 0 leaves the rate and the ETA out. When the line does not fit,
// the digest goes first, then the phrase, then the ETA and the rate, then the bar
// shrinks (to 10) and goes; what is still too long is cut at `width`.
std::string render_bar(const Progress &p, std::size_t width, double bytes_per_second,
                       const Verb &verb = kCopying);

// The heartbeat line of plain logs (stderr not a terminal, CI): what has moved of
// what, the recent rate and the time left, e.g.
//   pulling: 112.0 MiB / 210.0 MiB (53.3%), 15.0 MiB/s, ETA 7s
std::string heartbeat_line(const Progress &p, double bytes_per_second, const Verb &verb);

} // namespace berth::cli
