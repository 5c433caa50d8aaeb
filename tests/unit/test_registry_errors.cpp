// Registry error replies of every shape a registry or a proxy in front of it may send:
// registry_error() reads what it can and never touches a value of the wrong type.
#include <doctest/doctest.h>

#include "registry/errors.hpp"

#include <berth/error.hpp>

#include <string>

using namespace berth;

namespace {

Error error_for(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  return registry::registry_error(r, "GET manifest r/app:1");
}

} // namespace

TEST_CASE("registry errors: the documented shape") {
  auto e = error_for(404, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown",)"
                          R"("detail":"app:1"}]})");
  CHECK(e.code() == Errc::not_found);
  CHECK(std::string(e.what()) ==
        "GET manifest r/app:1: HTTP 404 MANIFEST_UNKNOWN: unknown (app:1)");
}

TEST_CASE("registry errors: values of the wrong type (fuzz_registry_error)") {
  // An errors entry that is no object: rapidjson's FindMember on it was undefined
  // behaviour (an assertion with asserts on, a wild read without).
  for (const char *body : {R"({"errors":[5]})", R"({"errors":["x",{"code":"DENIED"}]})",
                           R"({"errors":[[1]]})", R"({"errors":[null]})", R"({"errors":"x"})",
                           R"({"errors":{}})", "5", "[1]", "\"s\"", "null"}) {
    CAPTURE(body);
    auto e = error_for(500, body);
    CHECK(e.code() == Errc::server);
    CHECK(std::string(e.what()).rfind("GET manifest r/app:1: HTTP 500", 0) == 0);
  }
  CHECK(error_for(403, R"({"errors":[{"code":1,"message":[],"detail":{}}]})").code() ==
        Errc::denied);
}
