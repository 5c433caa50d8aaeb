#include "cli/interrupt.hpp"

#include <berth/cancel.hpp>

#include <csignal>
#include <memory>

namespace berth::cli {

namespace {

// Reached from the handler: set once before it is installed, never freed.
CancelToken *g_token = nullptr;
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_stop_signal(int sig) {
  g_signal = sig;
  if (g_token) g_token->fire(); // one lock-free atomic store
}

} // namespace

void stop_on_signals() {
  // Leaked on purpose: a signal may come while static destructors run at exit.
  static auto *const token = new CancelRef(std::make_shared<CancelToken>());
  g_token = token->get();
  attach_cancel(*token);
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  // SA_RESETHAND: the second one is the default action, the process ends. SA_RESTART:
  // the token does the stopping; a read of stdin (login --password-stdin) or a write
  // interrupted on another thread must not fail with EINTR as a different error.
  sa.sa_flags = SA_RESETHAND | SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int interrupting_signal() {
  return static_cast<int>(g_signal);
}

} // namespace berth::cli
