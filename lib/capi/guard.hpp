// The one place C++ exceptions become C error codes. Every exported function body
// runs through guard(), so nothing thrown inside berth ever crosses the C boundary.
#pragma once

#include <berth.h>
#include <berth/error.hpp>
#include <berth/progress.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <vector>

namespace berth::capi {

void set_last_error(int code, std::string message, int http_status = 0, std::string aws_code = {},
                    std::string request_id = {}) noexcept;
void clear_last_error() noexcept;
const berth_error_info &last_error_info() noexcept;

// Runs fn(); returns BERTH_OK, or the code of what it threw after recording it as the
// thread's last error.
template <typename Fn> int guard(Fn &&fn) noexcept {
  clear_last_error();
  try {
    fn();
    return BERTH_OK;
  } catch (const Error &e) {
    set_last_error(static_cast<int>(e.code()), e.what(), e.http_status(), e.aws_code(),
                   e.request_id());
    return static_cast<int>(e.code());
  } catch (const std::bad_alloc &) {
    set_last_error(BERTH_ENOMEM, "out of memory");
    return BERTH_ENOMEM;
  } catch (const std::exception &e) {
    set_last_error(BERTH_EINTERNAL, std::string("internal error: ") + e.what());
    return BERTH_EINTERNAL;
  } catch (...) {
    set_last_error(BERTH_EINTERNAL, "internal error: unknown exception");
    return BERTH_EINTERNAL;
  }
}

// Borrowed C string or "" for NULL.
inline std::string str(const char *s) {
  return s ? std::string(s) : std::string();
}

inline void require(bool ok, const char *what) {
  if (!ok) throw Error(Errc::invalid_argument, what);
}

// The one version rule of every options struct, for its _init function and for the
// calls that read it: versions first..latest are known; 0 (never initialised), newer
// ones (whose fields this library would silently ignore) and those below `first`
// (the layout of an older C ABI) are refused.
void check_version(uint32_t version, uint32_t first, uint32_t latest, const char *name);

// An options struct as a call reads it: the caller's (version checked), or the
// defaults when opts is NULL.
template <typename T>
const T &options_or_defaults(const T *opts, const T &defaults, uint32_t first, uint32_t latest,
                             const char *name) {
  const T &o = opts ? *opts : defaults;
  check_version(o.version, first, latest, name);
  return o;
}

// The _init function of an options struct that grew within ABI 2: only the first `size` bytes (the
// fields of `version`) are written, so an older caller's shorter struct is never
// overrun.
template <class T>
void init_options_prefix(T *opts, const T &defaults, uint32_t version, uint32_t first,
                         uint32_t latest, const char *name, std::size_t size) {
  if (!opts) throw Error(Errc::invalid_argument, "opts is NULL");
  check_version(version, first, latest, name);
  std::memcpy(static_cast<void *>(opts), &defaults, std::min(size, sizeof(T)));
  opts->version = version;
}

// The _init function of an options struct whose versions first..latest share one
// layout: the whole struct is written.
template <typename T>
void init_options(T *opts, const T &defaults, uint32_t version, uint32_t first, uint32_t latest,
                  const char *name) {
  init_options_prefix(opts, defaults, version, first, latest, name, sizeof(T));
}

// Sets *out (when the caller asked for it) to a copy of json it frees with berth_free.
void set_out(char **out, const std::string &json);

// Numeric options, checked here once so that no binding (Python, Go) can pass what
// the C++ core would misread: NaN and infinities, negative counts, runaway sizes.
// Each throws Error(invalid_argument) naming the field and the range.
void check_range(int64_t value, int64_t lo, int64_t hi, const char *field);
void check_finite(double value, const char *field);

// Copies a string into memory the caller releases with berth_free().
char *dup_for_caller(const std::string &s);

// A C array of n strings; Error(invalid_argument) naming `what` for NULLs.
std::vector<std::string> string_list(const char *const *items, size_t n, const char *what);

// Adapts a C progress callback (may be NULL) to the C++ one.
ProgressFn c_progress(berth_progress_fn fn, void *user_data);

} // namespace berth::capi
