// The transport's request and response model. Bodies stream through BodySource and
// BodySink so that a multi-gigabyte blob never sits in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::http {

struct Header {
  std::string name;
  std::string value;
};

using Headers = std::vector<Header>;

// Case-insensitive look-up of the first header with this name.
std::optional<std::string> find_header(const Headers &headers, std::string_view name);
// Removes every header with this name (case-insensitive).
void erase_header(Headers &headers, std::string_view name);

// A request body that can be read in pieces and restarted, so a retry can resend it.
class BodySource {
public:
  virtual ~BodySource() = default;
  // Total size in bytes, or nullopt when unknown (sent chunked).
  virtual std::optional<std::uint64_t> size() const = 0;
  // Fills up to len bytes; returns 0 at the end. May throw berth::Error.
  virtual std::size_t read(char *buf, std::size_t len) = 0;
  // Restarts from the beginning; false when the source cannot.
  virtual bool rewind() = 0;
};

// A body held in memory (manifests, JSON API calls, small uploads).
class StringSource final : public BodySource {
public:
  explicit StringSource(std::string_view data) : data_(data) {}
  std::optional<std::uint64_t> size() const override { return data_.size(); }
  std::size_t read(char *buf, std::size_t len) override;
  bool rewind() override {
    pos_ = 0;
    return true;
  }

private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

// Receives response-body bytes of a successful (2xx) reply. Throwing aborts the
// transfer; the exception reaches the caller unchanged.
using BodySink = std::function<void(const char *data, std::size_t len)>;

// Called often during a transfer; return true to cancel (the call then throws
// Error(cancelled)). Byte counts are of the current attempt.
using ProgressFn = std::function<bool(std::uint64_t down, std::uint64_t up)>;

struct Response {
  int status = 0;
  Headers headers;
  std::string body; // buffered body: 2xx without sink, or any error reply (capped)
  std::string url;  // the URL that produced this response (after redirects)
  std::optional<std::string> header(std::string_view name) const {
    return find_header(headers, name);
  }
  bool ok() const { return status >= 200 && status < 300; }
  // The Content-Length header as a number: 0 when absent, Error(protocol) naming the
  // value when it is not one (digits only: no sign, no suffix, at most INT64_MAX).
  std::uint64_t content_length() const;
};

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  BodySource *body = nullptr; // not owned; nullptr for no body
  BodySink sink;              // nullptr: a 2xx body is buffered into Response::body
  // Called with the status and headers of a 2xx reply before its first body byte
  // reaches the sink (e.g. to tell a 206 from a 200 that ignored Range).
  std::function<void(const Response &)> on_response;
  ProgressFn progress;
  // Register whether the body can safely be sent again after a failure. GET, HEAD,
  // PUT and DELETE are idempotent by definition; set for others that are.
  std::optional<bool> idempotent;
  // The request carries a secret beyond the Authorization header that a redirect
  // would strip: credentials in its body (a refresh token, a web identity token) or in
  // other headers (IMDS and ECS tokens), or Basic credentials for a token service. A
  // redirect to another origin, or from https to plain http, is refused for it
  // instead of being followed with the secret.
  bool carries_secret = false;
};

} // namespace berth::http
