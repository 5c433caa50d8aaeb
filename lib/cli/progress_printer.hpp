// Progress output for the CLI: a redrawn bar on a terminal, plain lines otherwise
// (CI logs), JSON lines with --json.
#pragma once

#include <berth/progress.hpp>

#include "cli/progress_bar.hpp"

#include <chrono>
#include <cstdio>
#include <string>

namespace berth::cli {

enum class OutputMode { terminal, plain, json, quiet };

OutputMode detect_output_mode(bool json, bool quiet);

// A callback that prints to stderr (stdout stays for results).
ProgressFn make_progress_printer(OutputMode mode);

} // namespace berth::cli
