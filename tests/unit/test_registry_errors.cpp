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

TEST_CASE("registry errors: the registry's words are quoted, never obeyed") {
  // A message opening a line of its own with a workflow command, recolouring the
  // terminal, or sneaking in the runner's legacy command form: all escaped.
  auto e = error_for(404, R"({"errors":[{"code":"MANIFEST_UNKNOWN",)"
                          R"("message":"x\n::stop-commands::tok\u001b[31m ##[error]e",)"
                          R"("detail":"\r\n::error::d"}]})");
  CHECK(e.code() == Errc::not_found);
  CHECK(std::string(e.what()) ==
        "GET manifest r/app:1: HTTP 404 MANIFEST_UNKNOWN: x\\n::stop-commands::tok\\x1b[31m "
        "#\\x23[error]e (\\r\\n::error::d)");
  // A code is the registry's too; plain text bodies as well.
  auto c = error_for(400, R"({"errors":[{"code":"::error::\u001b","message":"m"}]})");
  CHECK(std::string(c.what()) == "GET manifest r/app:1: HTTP 400 :\\x3aerror::\\x1b: m");
  auto t = error_for(502, "bad gateway\n::error::x\x1b[0m\n");
  CHECK(std::string(t.what()) ==
        "GET manifest r/app:1: HTTP 502: bad gateway\\n::error::x\\x1b[0m");
}
