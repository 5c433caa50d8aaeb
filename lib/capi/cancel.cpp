// berth_cancel: a C handle on a CancelToken (berth/cancel.hpp). The handle owns one
// reference and an attached thread another, so the order of free, fire and detach
// never matters to memory.
#include <berth.h>

#include "capi/guard.hpp"
#include <berth/cancel.hpp>

struct berth_cancel {
  berth::CancelRef token;
};

extern "C" {

BERTH_API int berth_cancel_new(berth_cancel **out) {
  if (out) *out = nullptr;
  return berth::capi::guard([&] {
    berth::capi::require(out != nullptr, "out is NULL");
    *out = new berth_cancel{std::make_shared<berth::CancelToken>()};
  });
}

BERTH_API void berth_cancel_fire(berth_cancel *cancel) {
  if (cancel) cancel->token->fire(); // no allocation, no lock: signal handlers call it
}

BERTH_API int berth_cancel_fired(const berth_cancel *cancel) {
  return cancel && cancel->token->fired() ? 1 : 0;
}

// Never fails, and leaves berth_last_error() alone: a binding detaches after a call
// and reads that call's error after.
BERTH_API int berth_cancel_attach(berth_cancel *cancel) {
  berth::attach_cancel(cancel ? cancel->token : berth::CancelRef());
  return BERTH_OK;
}

BERTH_API void berth_cancel_free(berth_cancel *cancel) {
  delete cancel;
}

BERTH_API int berth_cancel_current(berth_cancel **out) {
  if (out) *out = nullptr;
  return berth::capi::guard([&] {
    berth::capi::require(out != nullptr, "out is NULL");
    if (const auto &token = berth::current_cancel()) *out = new berth_cancel{token};
  });
}

} // extern "C"
