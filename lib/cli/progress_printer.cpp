#include "cli/progress_printer.hpp"

#include "cli/github.hpp"

#include "core/json.hpp"
#include "core/untrusted_text.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string_view>
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

std::optional<std::chrono::milliseconds> interval_from_env() {
  if (const char *v = std::getenv("BERTH_PROGRESS_INTERVAL_MS")) {
    char *end = nullptr;
    long n = std::strtol(v, &end, 10);
    if (end != v && *end == '\0' && n > 0) return std::chrono::milliseconds(n);
  }
  return std::nullopt;
}

using Clock = std::chrono::steady_clock;

struct PrinterState {
  RateMeter meter;
  Clock::time_point last_draw{}, last_line{};
  bool started = false;
};

std::string progress_json(const Progress &p, double rate) {
  core::json::StringWriter out;
  auto &w = out.writer;
  w.StartObject();
  out.member("event", event_name(p.event));
  out.member("digest", p.digest);
  for (auto [key, n] : {std::pair{"bytes", p.bytes},
                        {"total", p.total},
                        {"overall_bytes", p.overall_bytes},
                        {"overall_total", p.overall_total}}) {
    w.Key(key);
    w.Uint64(n);
  }
  if (p.event == Progress::Event::blob_progress) {
    w.Key("bytes_per_second");
    w.Uint64(static_cast<std::uint64_t>(std::llround(std::max(rate, 0.0))));
    if (double eta = eta_seconds(p, rate); eta >= 0) {
      w.Key("eta_seconds");
      w.Uint64(static_cast<std::uint64_t>(std::ceil(eta)));
    }
  }
  w.EndObject();
  return out.str();
}

} // namespace

std::chrono::milliseconds heartbeat_interval() {
  return interval_from_env().value_or(std::chrono::seconds(10));
}

std::chrono::milliseconds json_progress_interval() {
  return interval_from_env().value_or(std::chrono::seconds(1));
}

ProgressFn make_progress_printer(OutputMode mode, const Verb &verb) {
  if (mode == OutputMode::quiet) return {};
  auto state = std::make_shared<PrinterState>();
  const auto heartbeat = heartbeat_interval(), json_every = json_progress_interval();
  // Calls never overlap (ops::ProgressReporter serialises them), so the state needs
  // no lock.
  return [mode, verb, state, heartbeat, json_every](const Progress &event) {
    // Digests come validated from manifests; an item's name is printed as printable()
    // makes it all the same, as every outside text is.
    Progress safe;
    const bool clean = core::is_printable(event.digest);
    if (!clean) {
      safe = event;
      safe.digest = core::printable(event.digest);
    }
    const Progress &p = clean ? event : safe;
    const auto now = Clock::now();
    if (!state->started) {
      state->started = true;
      state->last_draw = state->last_line = now;
    }
    state->meter.add(now, p.overall_bytes);
    const double rate = state->meter.rate(now);
    const bool moving = p.event == Progress::Event::blob_progress;
    switch (mode) {
    case OutputMode::json:
      if (moving && now - state->last_line < json_every) break;
      state->last_line = now;
      std::fprintf(stderr, "%s\n", progress_json(p, rate).c_str());
      break;
    case OutputMode::plain:
      if (p.event == Progress::Event::blob_started) break;
      if (moving) {
        // Nothing else is said while a large blob moves: a line every interval shows
        // the log is alive and how far it got.
        if (now - state->last_line < heartbeat) break;
        state->last_line = now;
        std::fprintf(stderr, "%s\n", heartbeat_line(p, rate, verb).c_str());
        break;
      }
      state->last_line = now;
      if (p.event == Progress::Event::manifest_done)
        std::fprintf(stderr, "manifest written %s\n", short_digest(p.digest).c_str());
      else
        std::fprintf(stderr, "%s %s (%s)\n", event_phrase(p, verb).c_str(),
                     short_digest(p.digest).c_str(), human_bytes(p.total).c_str());
      break;
    case OutputMode::terminal: {
      bool final_event = !moving;
      if (!final_event && now - state->last_draw < std::chrono::milliseconds(100)) break;
      state->last_draw = now;
      // One column short of the width: a line that fills it wraps on some terminals.
      auto width = terminal_width();
      auto line = render_bar(p, width > 1 ? width - 1 : width, rate, verb);
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

namespace {

// "bytesCopied" -> "bytes_copied", "diffID" -> "diff_id".
std::string snake_case(std::string_view key) {
  std::string out;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (std::isupper(c)) {
      const auto prev = i > 0 ? static_cast<unsigned char>(key[i - 1]) : 0;
      if (std::islower(prev) || std::isdigit(prev)) out += '_';
      out += static_cast<char>(std::tolower(c));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void snake_case_members(core::json::Value &v, core::json::Document::AllocatorType &a) {
  if (v.IsArray()) {
    for (auto &e : v.GetArray())
      snake_case_members(e, a);
    return;
  }
  if (!v.IsObject()) return;
  core::json::Value out(rapidjson::kObjectType);
  for (auto &m : v.GetObject()) {
    auto key = snake_case({m.name.GetString(), m.name.GetStringLength()});
    snake_case_members(m.value, a);
    out.AddMember(core::json::Value(key.c_str(), static_cast<rapidjson::SizeType>(key.size()), a),
                  m.value, a);
  }
  v = out;
}

} // namespace

std::string snake_case_keys(const std::string &json) {
  auto doc = core::json::parse(json, "result");
  snake_case_members(doc, doc.GetAllocator());
  core::json::StringWriter w;
  doc.Accept(w.writer);
  return w.str();
}

const char *errc_name(Errc code) {
  switch (code) {
  case Errc::ok: return "ok";
  case Errc::invalid_argument: return "invalid_argument";
  case Errc::no_memory: return "no_memory";
  case Errc::io: return "io";
  case Errc::network: return "network";
  case Errc::timeout: return "timeout";
  case Errc::auth: return "auth";
  case Errc::denied: return "denied";
  case Errc::not_found: return "not_found";
  case Errc::exists: return "exists";
  case Errc::digest_mismatch: return "digest_mismatch";
  case Errc::protocol: return "protocol";
  case Errc::unsupported: return "unsupported";
  case Errc::cancelled: return "cancelled";
  case Errc::too_large: return "too_large";
  case Errc::throttled: return "throttled";
  case Errc::config: return "config";
  case Errc::unsafe: return "unsafe";
  case Errc::gate_failed: return "gate_failed";
  case Errc::server: return "server";
  case Errc::build_failed: return "build_failed";
  case Errc::internal: return "internal";
  }
  return "unknown";
}

std::string notice_json(const char *event, const std::string &message) {
  core::json::StringWriter out;
  out.writer.StartObject();
  out.member("event", event);
  out.member("message", core::printable(message));
  out.writer.EndObject();
  return out.str();
}

std::string error_json(const char *command, const std::string &code, int exit_code,
                       const std::string &message, int http_status) {
  core::json::StringWriter out;
  auto &w = out.writer;
  w.StartObject();
  out.member("event", "error");
  if (command && *command) {
    out.member("command", command);
  } else {
    w.Key("command"); // no command was recognised: berth --json pul
    w.Null();
  }
  out.member("code", code);
  w.Key("exit_code");
  w.Int(exit_code);
  // Each line made printable on its own (a failed RUN's output tail has several);
  // the JSON string keeps the line breaks, escaped.
  std::string text;
  std::string_view rest = message;
  for (;;) {
    auto nl = rest.find('\n');
    text += core::printable(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text += '\n';
    rest.remove_prefix(nl + 1);
  }
  out.member("message", text);
  if (http_status > 0) {
    w.Key("http_status");
    w.Int(http_status);
  }
  w.EndObject();
  return out.str();
}

} // namespace berth::cli
