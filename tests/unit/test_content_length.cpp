// A registry's Content-Length as berth reads it (HEAD of a blob or manifest): a size,
// or a protocol error naming what came instead, never an internal error or a
// negative size.
#include <doctest/doctest.h>

#include <berth/error.hpp>

#include "http/types.hpp"

using berth::http::Response;

namespace {
Response with_length(const std::string &v) {
  Response r;
  r.status = 200;
  r.headers.push_back({"content-length", v});
  return r;
}
} // namespace

TEST_CASE("content_length: sizes, absent, and what is not a size") {
  CHECK(Response{}.content_length() == 0);
  CHECK(with_length("0").content_length() == 0);
  CHECK(with_length("1234").content_length() == 1234);
  CHECK(with_length("9223372036854775807").content_length() == 9223372036854775807ull);
  for (const char *bad :
       {"", "abc", "-5", "12abc", " 12", "+3", "9223372036854775808", "99999999999999999999999"}) {
    CAPTURE(bad);
    try {
      (void)with_length(bad).content_length();
      FAIL("accepted");
    } catch (const berth::Error &e) {
      CHECK(e.code() == berth::Errc::protocol);
      CHECK(std::string(e.what()).find("Content-Length") != std::string::npos);
    }
  }
}
