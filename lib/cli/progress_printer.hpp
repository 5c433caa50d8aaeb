// Progress output for the CLI, all on stderr (stdout is for results only): a redrawn
// bar on a terminal; in plain logs (CI, pipes) a line per blob and a heartbeat line
// while bytes move; with --json, JSON lines with the C ABI's event names and keys,
// blob_progress throttled.
#pragma once

#include <berth/error.hpp>
#include <berth/progress.hpp>

#include "cli/progress_bar.hpp"

#include <chrono>
#include <cstdio>
#include <string>

namespace berth::cli {

enum class OutputMode { terminal, plain, json, quiet };

OutputMode detect_output_mode(bool json, bool quiet);

// How often plain logs get a heartbeat line (10 s) and --json a blob_progress event
// (1 s). $BERTH_PROGRESS_INTERVAL_MS sets both, for tests that cannot wait 10 s.
std::chrono::milliseconds heartbeat_interval();
std::chrono::milliseconds json_progress_interval();

// A callback that prints to stderr. `verb` names what the command does to blobs.
ProgressFn make_progress_printer(OutputMode mode, const Verb &verb = kCopying);

// A result document (of berth's own: no keys from outside, such as annotations) with
// its keys in snake_case ("bytesCopied" -> "bytes_copied", "diffID" -> "diff_id"), as
// every --json line the CLI prints has them; values unchanged.
std::string snake_case_keys(const std::string &json);

// The one JSON line a failed command prints on stderr with --json:
// {"event":"error","command":"copy","code":"not_found","exit_code":1,"message":"..."}
// (and "http_status" when a registry answered); "command" is null when none was
// recognised.
std::string error_json(const char *command, const std::string &code, int exit_code,
                       const std::string &message, int http_status = 0);
// {"event":EVENT,"message":"..."}: any other line --json prints on stderr ("warning",
// "verified"), the message made printable.
std::string notice_json(const char *event, const std::string &message);
// The snake_case name of a code: "invalid_argument", "network", "digest_mismatch".
const char *errc_name(Errc code);

} // namespace berth::cli
