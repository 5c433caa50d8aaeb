// AWS Signature Version 4: canonical request, string to sign, signature, and the
// signer that ties them together with a signing-key cache and an injectable clock.
//
// Each stage is callable on its own so that a SignatureDoesNotMatch can be debugged
// by comparing berth's canonical request with the one AWS returns in its error.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace berth::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token; // empty when none
};

struct Header {
  std::string name;
  std::string value;
};

// The request to sign. The URL path is taken literally (see berth.h).
struct SignableRequest {
  std::string method;
  std::string url;
  std::vector<Header> headers;
  std::string_view body; // only hashed, never copied
};

inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

struct SigningOptions {
  std::string region;
  std::string service;
  Credentials credentials;
  // Zero means "ask the signer's clock".
  std::chrono::system_clock::time_point time{};
  // Non-zero: presign, with X-Amz-Expires set to this many seconds.
  std::chrono::seconds presign_expires{0};
  bool content_sha256_header = false;
  bool unsigned_payload = false;
  bool normalize_path = true;
  bool double_encode = true;
  bool sign_session_token = true;
  // Hex SHA-256 of the payload when already known (streaming uploads).
  std::string payload_hash;
};

struct SignedRequest {
  std::string method;
  std::string url; // wire form; carries the signature when presigned
  std::vector<Header> headers;
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
  std::string signed_headers;
  std::string credential_scope;
};

using Clock = std::function<std::chrono::system_clock::time_point()>;

namespace sigv4 {

// "20150830T123600Z".
std::string amz_date(std::chrono::system_clock::time_point t);

// The URL after signing-time preparation: the wire form of the path and query, the
// Host header, and the headers that will be signed. Exposed for the stage functions.
struct Prepared {
  std::string method;
  std::string scheme, host_header, path, query; // path and query in wire form
  std::vector<Header> headers;                  // given + added, in send order
};

// Canonical request for an already prepared request (header mode or presign mode is
// decided by whether the query already holds X-Amz-Signature's siblings).
std::string canonical_request(const Prepared &req, const std::string &payload_hash,
                              bool normalize_path, bool double_encode,
                              std::string *signed_headers_out = nullptr);

std::string string_to_sign(std::string_view canonical_request, std::string_view amz_date,
                           std::string_view credential_scope);

// kSigning = HMAC chain over date, region, service, "aws4_request".
std::string derive_signing_key(std::string_view secret, std::string_view date,
                               std::string_view region, std::string_view service);

// Lower-case hex HMAC-SHA256 of the string to sign.
std::string signature(std::string_view signing_key, std::string_view string_to_sign);

} // namespace sigv4

// Signs requests. Thread-safe: one signer may be shared by all threads; its
// signing-key cache is guarded by a mutex.
class Signer {
public:
  explicit Signer(Clock clock = {}, bool cache_keys = true);
  ~Signer();
  Signer(const Signer &) = delete;
  Signer &operator=(const Signer &) = delete;

  SignedRequest sign(const SignableRequest &req, const SigningOptions &opts) const;

private:
  struct KeyCache;
  std::string signing_key(const SigningOptions &opts, std::string_view date) const;

  Clock clock_;
  std::unique_ptr<KeyCache> cache_;
};

} // namespace berth::aws
