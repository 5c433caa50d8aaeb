// berth::Error — the one exception type of the C++ core. Its codes are the C ABI's
// BERTH_E* codes, so the C boundary translates without a table.
#pragma once

#include <stdexcept>
#include <string>

namespace berth {

enum class Errc : int {
  ok = 0,
  invalid_argument = -1,
  no_memory = -2,
  io = -3,
  network = -4,
  timeout = -5,
  auth = -6,
  denied = -7,
  not_found = -8,
  exists = -9,
  digest_mismatch = -10,
  protocol = -11,
  unsupported = -12,
  cancelled = -13,
  too_large = -14,
  throttled = -15,
  config = -16,
  unsafe = -17,
  gate_failed = -18,
  server = -19,
  build_failed = -20, // a build step failed (a RUN exited non-zero)
  internal = -99,
};

// Static text for a code ("invalid argument"); the same as berth_strerror().
const char *errc_text(Errc code) noexcept;

class Error : public std::runtime_error {
public:
  Error(Errc code, std::string message) : std::runtime_error(std::move(message)), code_(code) {}

  Errc code() const noexcept { return code_; }
  int http_status() const noexcept { return http_status_; }
  const std::string &aws_code() const noexcept { return aws_code_; }
  const std::string &request_id() const noexcept { return request_id_; }

  Error &with_http_status(int status) {
    http_status_ = status;
    return *this;
  }
  Error &with_aws_code(std::string code) {
    aws_code_ = std::move(code);
    return *this;
  }
  Error &with_request_id(std::string id) {
    request_id_ = std::move(id);
    return *this;
  }

private:
  Errc code_;
  int http_status_ = 0;
  std::string aws_code_;
  std::string request_id_;
};

} // namespace berth
