#include "capi/guard.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace berth::capi {
namespace {

struct LastError {
  std::string message, aws_code, request_id;
  berth_error_info info{0, 0, "", "", ""};
};

LastError &last() noexcept {
  thread_local LastError e;
  return e;
}

} // namespace

void set_last_error(int code, std::string message, int http_status, std::string aws_code,
                    std::string request_id) noexcept {
  auto &e = last();
  try {
    e.message = std::move(message);
    e.aws_code = std::move(aws_code);
    e.request_id = std::move(request_id);
  } catch (...) {
    e.message.clear();
  }
  e.info = {code, http_status, e.message.c_str(), e.aws_code.c_str(), e.request_id.c_str()};
}

void clear_last_error() noexcept {
  auto &e = last();
  e.message.clear();
  e.aws_code.clear();
  e.request_id.clear();
  e.info = {0, 0, e.message.c_str(), e.aws_code.c_str(), e.request_id.c_str()};
}

const berth_error_info &last_error_info() noexcept {
  return last().info;
}

void set_out(char **out, const std::string &json) {
  if (out) *out = dup_for_caller(json);
}

std::vector<std::string> string_list(const char *const *items, size_t n, const char *what) {
  require(items != nullptr || n == 0, what);
  std::vector<std::string> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (items[i] == nullptr)
      throw Error(Errc::invalid_argument, std::string(what) + " holds a NULL string");
    out.emplace_back(items[i]);
  }
  return out;
}

char *dup_for_caller(const std::string &s) {
  auto *p = static_cast<char *>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

} // namespace berth::capi

extern "C" {

BERTH_API const char *berth_strerror(int code) {
  return berth::errc_text(static_cast<berth::Errc>(code));
}

BERTH_API const berth_error_info *berth_last_error(void) {
  return &berth::capi::last_error_info();
}

BERTH_API void berth_free(void *p) {
  std::free(p);
}

} // extern "C"
