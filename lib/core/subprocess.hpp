// Running a helper program (credential helpers, credential_process) to completion:
// feed it stdin, collect stdout and stderr, bound it with a deadline.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace berth::core {

struct ProcessResult {
  // The exit status; 128 + the signal number when a signal ended the program (the
  // shell's convention), so a crash never reads as success.
  int exit_code = 0;
  std::string out, err;
};

// Runs argv[0], searched on PATH unless it contains a '/' (posix_spawnp), with the
// caller's environment. Writes `input` to its stdin, then closes it; stdout and stderr
// are drained together with poll(), so neither a big output nor a program that stops
// reading its input can deadlock. The program leads a process group of its own; after
// `timeout` the whole group gets SIGKILL, so processes it started die with it. (Being
// out of the terminal's foreground group, a program that reads the terminal itself
// would be stopped: helpers prompt through their own agents, as docker's do.)
//
// SIGPIPE from a program that exits without reading all of its input is swallowed
// for the calling thread only; the program itself starts with SIGPIPE at default
// and the caller's signal mask. Safe to call from several threads at once.
//
// Throws Error(invalid_argument) for an empty argv, Error(not_found) when the program
// does not exist, Error(denied) when it is not executable, Error(timeout) when it was
// killed at the deadline, Error(io) for other system failures. A non-zero exit is not
// an error: it is reported in exit_code.
ProcessResult run_process(const std::vector<std::string> &argv, std::string_view input,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

} // namespace berth::core
