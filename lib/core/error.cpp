#include <berth/error.hpp>

namespace berth {

const char *errc_text(Errc code) noexcept {
  switch (code) {
  case Errc::ok: return "success";
  case Errc::invalid_argument: return "invalid argument";
  case Errc::no_memory: return "out of memory";
  case Errc::io: return "file-system error";
  case Errc::network: return "network error";
  case Errc::timeout: return "timed out";
  case Errc::auth: return "authentication failed";
  case Errc::denied: return "access denied";
  case Errc::not_found: return "not found";
  case Errc::exists: return "already exists";
  case Errc::digest_mismatch: return "digest mismatch";
  case Errc::protocol: return "protocol error";
  case Errc::unsupported: return "not supported";
  case Errc::cancelled: return "cancelled";
  case Errc::too_large: return "too large";
  case Errc::throttled: return "throttled";
  case Errc::config: return "configuration error";
  case Errc::unsafe: return "refused as unsafe";
  case Errc::gate_failed: return "gate failed";
  case Errc::server: return "server error";
  case Errc::build_failed: return "build step failed";
  case Errc::internal: return "internal error";
  }
  return "unknown error";
}

} // namespace berth
