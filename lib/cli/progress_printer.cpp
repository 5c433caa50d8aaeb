#include "cli/progress_printer.hpp"

#include "cli/github.hpp"

#include "core/untrusted_text.hpp"

#include <cstdlib>
#include <memory>
#include <sys/ioctl.h>
#include <unistd.h>

namespace berth::cli {

OutputMode detect_output_mode(bool json, bool quiet) {
  if (quiet) return OutputMode::quiet;
  if (json) return OutputMode::json;
  // A CI log is no terminal even when the runner gives the step one (act does): a
  // redrawn bar would land in the log as a stream of carriage returns.
  if (in_github_actions()) return OutputMode::plain;
  return isatty(STDERR_FILENO) ? OutputMode::terminal : OutputMode::plain;
}

namespace {

// Columns of the terminal on stderr; $COLUMNS or 80 when it does not say.
std::size_t terminal_width() {
  struct winsize ws {};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char *c = std::getenv("COLUMNS")) {
    char *end = nullptr;
    long n = std::strtol(c, &end, 10);
    if (end != c && *end == '\0' && n > 0 && n < 10000) return static_cast<std::size_t>(n);
  }
  return 80;
}

struct TerminalState {
  std::chrono::steady_clock::time_point start, last_draw;
  bool started = false;
};

} // namespace

ProgressFn make_progress_printer(OutputMode mode) {
  if (mode == OutputMode::quiet) return {};
  auto state = std::make_shared<TerminalState>();
  return [mode, state](const Progress &event) {
    // Digests come validated from manifests; an item's name is printed as printable()
    // makes it all the same, as every outside text is.
    Progress safe;
    const bool clean = core::is_printable(event.digest);
    if (!clean) {
      safe = event;
      safe.digest = core::printable(event.digest);
    }
    const Progress &p = clean ? event : safe;
    switch (mode) {
    case OutputMode::json:
      if (p.event != Progress::Event::blob_progress)
        std::fprintf(stderr,
                     "{\"event\":\"%s\",\"digest\":\"%s\",\"bytes\":%llu,\"total\":%llu,"
                     "\"overall_bytes\":%llu,\"overall_total\":%llu}\n",
                     event_label(p.event), p.digest.c_str(),
                     static_cast<unsigned long long>(p.bytes),
                     static_cast<unsigned long long>(p.total),
                     static_cast<unsigned long long>(p.overall_bytes),
                     static_cast<unsigned long long>(p.overall_total));
      break;
    case OutputMode::plain:
      if (p.event != Progress::Event::blob_progress && p.event != Progress::Event::blob_started)
        std::fprintf(stderr, "%-8s %s %s\n", event_label(p.event), short_digest(p.digest).c_str(),
                     human_bytes(p.total).c_str());
      break;
    case OutputMode::terminal: {
      auto now = std::chrono::steady_clock::now();
      if (!state->started) {
        state->start = now;
        state->started = true;
      }
      bool final_event = p.event != Progress::Event::blob_progress;
      if (!final_event && now - state->last_draw < std::chrono::milliseconds(100)) break;
      state->last_draw = now;
      // The average since the first event; too early, it would be noise.
      double secs = std::chrono::duration<double>(now - state->start).count();
      double rate = secs >= 0.25 ? static_cast<double>(p.overall_bytes) / secs : 0;
      // One column short of the width: a line that fills it wraps on some terminals.
      auto width = terminal_width();
      auto line = render_bar(p, width > 1 ? width - 1 : width, rate);
      // "\x1b[K" clears what a longer previous line left.
      std::fprintf(stderr, "\r%s\x1b[K", line.c_str());
      if (p.event == Progress::Event::manifest_done) std::fprintf(stderr, "\n");
      break;
    }
    case OutputMode::quiet: break;
    }
    return false;
  };
}

} // namespace berth::cli
