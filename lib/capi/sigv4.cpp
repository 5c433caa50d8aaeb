#include "capi/guard.hpp"

#include <berth/sigv4.hpp>

#include <cstring>
#include <memory>

using namespace berth;
using berth::capi::guard;
using berth::capi::require;
using berth::capi::str;

struct berth_signed_request {
  aws::SignedRequest req;
};

namespace {

// One signer for the process: it is thread-safe and its key cache is what makes
// repeated signing cheap.
const aws::Signer &shared_signer() {
  static const aws::Signer signer;
  return signer;
}

} // namespace

extern "C" {

BERTH_API int berth_sign_options_init(berth_sign_options *opts, uint32_t version) {
  return guard([&] {
    require(opts != nullptr, "opts is NULL");
    capi::check_version(version, 1, BERTH_SIGN_OPTIONS_VERSION, "berth_sign_options");
    *opts = berth_sign_options BERTH_SIGN_OPTIONS_INIT;
  });
}

BERTH_API int berth_sign_request(berth_signed_request **out, const char *method, const char *url,
                                 const berth_header *headers, size_t n_headers, const void *body,
                                 size_t body_len, const berth_sign_options *opts) {
  if (out) *out = nullptr;
  return guard([&] {
    require(out != nullptr, "out is NULL");
    require(method != nullptr && url != nullptr, "method and url are required");
    require(opts != nullptr, "sign options are required (region, service, credentials)");
    capi::check_version(opts->version, 1, BERTH_SIGN_OPTIONS_VERSION, "berth_sign_options");
    // SigV4 allows presigned URLs of 1 s to 7 days; 0 = a header signature.
    capi::check_range(opts->presign_expires, 0, 604800, "berth_sign_options.presign_expires");
    capi::check_range(opts->timestamp, 0, 253402300799, "berth_sign_options.timestamp");
    require(headers != nullptr || n_headers == 0, "headers is NULL but n_headers is not 0");
    require(body != nullptr || body_len == 0, "body is NULL but body_len is not 0");

    aws::SignableRequest req;
    req.method = method;
    req.url = url;
    for (size_t i = 0; i < n_headers; ++i) {
      require(headers[i].name != nullptr && headers[i].value != nullptr,
              "header name or value is NULL");
      req.headers.push_back({headers[i].name, headers[i].value});
    }
    req.body = std::string_view(static_cast<const char *>(body), body ? body_len : 0);

    aws::SigningOptions o;
    o.region = str(opts->region);
    o.service = str(opts->service);
    o.credentials = {str(opts->access_key_id), str(opts->secret_access_key),
                     str(opts->session_token)};
    if (opts->timestamp != 0)
      o.time = std::chrono::system_clock::time_point(std::chrono::seconds(opts->timestamp));
    o.presign_expires = std::chrono::seconds(opts->presign_expires);
    o.content_sha256_header = opts->content_sha256_header != 0;
    o.unsigned_payload = opts->unsigned_payload != 0;
    o.normalize_path = opts->normalize_path != 0;
    o.double_encode = opts->double_encode != 0;
    o.sign_session_token = opts->sign_session_token != 0;
    o.payload_hash = str(opts->payload_hash);

    auto result = std::make_unique<berth_signed_request>();
    result->req = shared_signer().sign(req, o);
    *out = result.release();
  });
}

BERTH_API void berth_signed_request_free(berth_signed_request *req) {
  delete req;
}

BERTH_API const char *berth_signed_request_method(const berth_signed_request *req) {
  return req ? req->req.method.c_str() : "";
}
BERTH_API const char *berth_signed_request_url(const berth_signed_request *req) {
  return req ? req->req.url.c_str() : "";
}
BERTH_API size_t berth_signed_request_header_count(const berth_signed_request *req) {
  return req ? req->req.headers.size() : 0;
}
BERTH_API int berth_signed_request_header_at(const char **out_name, const char **out_value,
                                             const berth_signed_request *req, size_t i) {
  return guard([&] {
    require(req != nullptr && out_name != nullptr && out_value != nullptr, "NULL argument");
    require(i < req->req.headers.size(), "header index out of range");
    *out_name = req->req.headers[i].name.c_str();
    *out_value = req->req.headers[i].value.c_str();
  });
}
// ABI 2 as berth 0.2.0 declared it (outputs last); deprecated in berth.h.
BERTH_API int berth_signed_request_header(const berth_signed_request *req, size_t i,
                                          const char **name, const char **value) {
  return berth_signed_request_header_at(name, value, req, i);
}
BERTH_API const char *berth_signed_request_canonical_request(const berth_signed_request *req) {
  return req ? req->req.canonical_request.c_str() : "";
}
BERTH_API const char *berth_signed_request_string_to_sign(const berth_signed_request *req) {
  return req ? req->req.string_to_sign.c_str() : "";
}
BERTH_API const char *berth_signed_request_signature(const berth_signed_request *req) {
  return req ? req->req.signature.c_str() : "";
}

} // extern "C"
