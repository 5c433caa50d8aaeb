#include "registry/errors.hpp"

#include "core/json.hpp"
#include "core/untrusted_text.hpp"

namespace berth::registry {
namespace {

Errc code_for(std::string_view code, std::string_view message, int status) {
  if (code == "BLOB_UNKNOWN" || code == "MANIFEST_UNKNOWN" || code == "NAME_UNKNOWN" ||
      code == "BLOB_UPLOAD_UNKNOWN")
    return Errc::not_found;
  if (code == "UNAUTHORIZED") return Errc::auth;
  if (code == "DENIED") return Errc::denied;
  if (code == "DIGEST_INVALID") return Errc::digest_mismatch;
  if (code == "UNSUPPORTED") return Errc::unsupported;
  // The registry refused the transfer itself, not anything the caller asked for:
  // callers (and the CLI's exit code) treat it as a failure while moving bytes.
  if (code == "BLOB_UPLOAD_INVALID" || code == "RANGE_INVALID" || code == "SIZE_INVALID")
    return Errc::protocol;
  if (code == "TOOMANYREQUESTS") return Errc::throttled;
  if (code == "TAG_INVALID" && (message.find("immutable") != std::string_view::npos ||
                                message.find("already exists") != std::string_view::npos))
    return Errc::exists;
  if (code == "MANIFEST_INVALID" || code == "MANIFEST_BLOB_UNKNOWN" || code == "NAME_INVALID" ||
      code == "TAG_INVALID" || code == "PAGINATION_NUMBER_INVALID" || code == "MANIFEST_UNVERIFIED")
    return Errc::invalid_argument;
  switch (status) {
  case 401: return Errc::auth;
  case 403: return Errc::denied;
  case 404: return Errc::not_found;
  case 409: return Errc::exists;
  case 413: return Errc::too_large;
  case 416: return Errc::invalid_argument;
  case 429: return Errc::throttled;
  default: break;
  }
  if (status >= 500) return Errc::server;
  if (status >= 400) return Errc::invalid_argument;
  return Errc::protocol;
}

} // namespace

Error registry_error(const http::Response &resp, std::string_view what) {
  std::string code, message;
  try {
    auto doc = core::json::parse(resp.body, "registry error");
    const auto *errors = core::json::find(doc, "errors");
    if (errors && errors->IsArray() && !errors->Empty()) {
      // The entry may be anything; find() and get_string() read a non-object as empty.
      const auto &first = (*errors)[0];
      code = core::json::get_string(first, "code");
      message = core::json::get_string(first, "message");
      if (const auto *d = core::json::find(first, "detail");
          d && d->IsString() && d->GetStringLength() > 0)
        message += " (" + std::string(d->GetString()) + ")";
    }
  } catch (const Error &) {
    // Not JSON: ECR's expired-token 403 and proxies send plain text.
    message = resp.body.substr(0, 300);
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r'))
      message.pop_back();
  }
  // The registry's words are quoted, never obeyed: no control characters or workflow
  // commands reach a terminal or a CI log through them.
  std::string text = std::string(what) + ": HTTP " + std::to_string(resp.status);
  // (Appended piece by piece: GCC 12 warns falsely on "x" + std::string chains.)
  if (!code.empty()) text.append(" ").append(core::printable(code));
  if (!message.empty()) text.append(": ").append(core::printable(message));
  Error e(code_for(code, message, resp.status), text);
  e.with_http_status(resp.status);
  if (auto id = resp.header("x-amzn-RequestId"))
    e.with_request_id(core::printable(*id));
  else if (auto id2 = resp.header("Docker-Request-Id"))
    e.with_request_id(core::printable(*id2));
  return e;
}

} // namespace berth::registry
