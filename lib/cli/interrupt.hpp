// Ctrl-C and SIGTERM stop a command cleanly: the first fires the cancel token of
// the command's thread (berth/cancel.hpp), so transfers stop within about a second,
// staged files are removed as the stack unwinds, and berth exits 128+signal. A
// second signal is not caught: it ends the process at once, as without berth's
// handler.
#pragma once

namespace berth::cli {

// Installs the handlers and attaches their token to the calling thread.
void stop_on_signals();

// The signal that cancelled the command, or 0.
int interrupting_signal();

} // namespace berth::cli
