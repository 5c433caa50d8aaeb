#include "aws/aws_error.hpp"

#include "core/json.hpp"
#include "core/untrusted_text.hpp"
#include "core/xml.hpp"

namespace berth::aws {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The error code as the AWS JSON protocols write it, in x-amzn-ErrorType, "__type"
// or "code": "ns#Code:http://internal.amazon.com/..." means "Code" (Smithy's rule:
// what is before the first ':', then what is after the '#').
std::string sanitize_code(std::string_view v) {
  v = v.substr(0, v.find(':'));
  if (auto hash = v.find('#'); hash != std::string_view::npos) v.remove_prefix(hash + 1);
  return std::string(v);
}

} // namespace

Errc errc_for_aws_code(std::string_view code, int status) {
  if (code == "AccessDenied" || code == "AccessDeniedException" ||
      code == "UnauthorizedOperation" || code == "UnauthorizedException")
    return Errc::denied;
  if (code == "SignatureDoesNotMatch" || code == "InvalidClientTokenId" || code == "ExpiredToken" ||
      code == "ExpiredTokenException" || code == "UnrecognizedClientException" ||
      code == "InvalidSignatureException" || code == "IncompleteSignature" ||
      code == "MissingAuthenticationToken" || code == "InvalidIdentityToken" ||
      code == "IDPRejectedClaim" || code == "IDPCommunicationError" || code == "AuthFailure")
    return Errc::auth;
  if (code == "Throttling" || code == "ThrottlingException" || code == "TooManyRequestsException" ||
      code == "RequestLimitExceeded" || code == "RequestThrottled" || code == "SlowDown")
    return Errc::throttled;
  if (ends_with(code, "NotFoundException") || code == "NoSuchEntity" || code == "NotFound" ||
      code == "ScanNotFoundException")
    return Errc::not_found;
  if (ends_with(code, "AlreadyExistsException") || code == "EntityAlreadyExists" ||
      code == "ImageTagAlreadyExistsException")
    return Errc::exists;
  if (code == "ValidationException" || code == "InvalidParameterException" ||
      code == "InvalidParameterValue" || code == "InvalidParameterCombination" ||
      code == "MalformedPolicyDocument" || code == "InvalidLayerPartException" ||
      code == "LayerPartTooSmallException" || code == "LifecyclePolicyPreviewInProgressException" ||
      code == "InvalidAction" || code == "MissingParameter" || code == "SerializationException")
    return Errc::invalid_argument;
  if (code == "LimitExceededException" || code == "PackedPolicyTooLarge") return Errc::too_large;
  if (code == "ServerException" || code == "InternalFailure" || code == "ServiceUnavailable" ||
      code == "InternalError")
    return Errc::server;
  if (status == 401) return Errc::auth;
  if (status == 403) return Errc::denied;
  if (status == 404) return Errc::not_found;
  if (status == 429) return Errc::throttled;
  if (status >= 500) return Errc::server;
  if (status >= 400) return Errc::invalid_argument;
  return Errc::protocol;
}

Error aws_error(const http::Response &resp, std::string_view what) {
  std::string code, message, request_id;
  if (auto t = resp.header("x-amzn-ErrorType")) code = sanitize_code(*t);
  if (auto id = resp.header("x-amzn-RequestId"))
    request_id = *id;
  else if (auto id2 = resp.header("x-amz-request-id"))
    request_id = *id2;
  std::string_view body = resp.body;
  auto first = body.find_first_not_of(" \t\r\n");
  try {
    if (first != std::string_view::npos && body[first] == '<') {
      auto doc = core::parse_xml(body, "AWS error reply");
      if (const auto *err = doc->name == "Error" ? doc.get() : doc->descendant("Error")) {
        if (auto c = err->text_at("Code")) code = *c;
        if (auto m = err->text_at("Message")) message = *m;
      }
      if (const auto *rid = doc->descendant("RequestId"); rid && request_id.empty())
        request_id = rid->text;
      if (const auto *rid2 = doc->descendant("RequestID"); rid2 && request_id.empty())
        request_id = rid2->text;
    } else if (first != std::string_view::npos && body[first] == '{') {
      auto doc = core::json::parse(body, "AWS error reply");
      auto type = core::json::get_string(doc, "__type", core::json::get_string(doc, "code"));
      if (!type.empty()) code = sanitize_code(type);
      message = core::json::get_string(doc, "message", core::json::get_string(doc, "Message"));
    } else if (!body.empty()) {
      message = std::string(body.substr(0, 300));
    }
  } catch (const Error &) {
    message = std::string(body.substr(0, 300));
  }
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r'))
    message.pop_back();
  // AWS's words are quoted, never obeyed: no control characters or workflow commands
  // reach a terminal or a CI log through them. The code is matched as sent.
  request_id = core::printable(request_id);
  std::string text = std::string(what) + ": ";
  text += code.empty() ? "HTTP " + std::to_string(resp.status) : core::printable(code);
  if (!message.empty()) text.append(": ").append(core::printable(message));
  if (!request_id.empty()) text += " (request id " + request_id + ")";
  Error e(errc_for_aws_code(code, resp.status), text);
  e.with_http_status(resp.status).with_aws_code(code).with_request_id(request_id);
  return e;
}

} // namespace berth::aws
