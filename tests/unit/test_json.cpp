// core::json: what parse() refuses (NUL bytes, nesting that would exhaust the stack),
// find() on values of the wrong type, and keep_last_duplicates(). Found by the
// fuzz/ targets; each case once crashed berth or let it misread a document.
#include <doctest/doctest.h>

#include "core/json.hpp"

#include <berth/error.hpp>

#include <string>

using namespace berth;
namespace json = berth::core::json;

namespace {

Errc code_of(std::string_view text) {
  try {
    (void)json::parse(text, "test");
  } catch (const Error &e) {
    return e.code();
  }
  return Errc::ok;
}

std::string write(const json::Value &v) {
  json::StringWriter w;
  v.Accept(w.writer);
  return w.str();
}

} // namespace

TEST_CASE("json: a NUL byte is not the end of the document") {
  // rapidjson stopped at the NUL and took "{}" for the whole text.
  using namespace std::string_view_literals;
  CHECK(code_of("{}\0trailing"sv) == Errc::protocol);
  CHECK(code_of("5\0\x1b"sv) == Errc::protocol);
  CHECK(code_of("\0"sv) == Errc::protocol);
  CHECK(code_of(R"({"a":"\u0000"})") == Errc::ok); // an escaped NUL is a string's content
}

TEST_CASE("json: deep nesting is refused, not a stack overflow") {
  // A 1 MB manifest of '[' crashed the recursive parser (SIGSEGV in a Release build).
  CHECK(code_of(std::string(1 << 20, '[')) == Errc::protocol);
  CHECK(code_of(std::string(1 << 20, '{')) == Errc::protocol);
  std::string at_limit = std::string(json::kMaxDepth, '[') + std::string(json::kMaxDepth, ']');
  CHECK(code_of(at_limit) == Errc::ok);
  CHECK(code_of("[" + at_limit + "]") == Errc::protocol);
  // Brackets inside strings are not nesting.
  CHECK(code_of("[\"" + std::string(100000, '[') + "\\\"[\"]") == Errc::ok);
  try {
    (void)json::parse(std::string(300, '['), "manifest");
    FAIL("no error");
  } catch (const Error &e) {
    CHECK(std::string(e.what()) == "manifest is nested more than 256 levels deep (at offset 256)");
  }
}

TEST_CASE("json: find() reads a value of the wrong type as absent") {
  for (const char *text : {"5", "[1,2]", "\"s\"", "null", "true"})
    CHECK(json::find(json::parse(text, "test"), "x") == nullptr);
  auto doc = json::parse(R"({"x":{"y":1},"n":null})", "test");
  REQUIRE(json::find(doc, "x") != nullptr);
  CHECK(json::find(*json::find(doc, "x"), "y")->GetInt() == 1);
  CHECK(json::find(doc, "n")->IsNull());
  CHECK(json::find(doc, "z") == nullptr);
}

TEST_CASE("json: keep_last_duplicates keeps what Go's decoder reads") {
  auto doc = json::parse(R"({"a":1,"b":[{"c":1,"c":2}],"a":{"d":3,"d":{"e":4}},"f":5})", "test");
  json::keep_last_duplicates(doc, doc.GetAllocator());
  CHECK(write(doc) == R"({"b":[{"c":2}],"a":{"d":{"e":4}},"f":5})");
  // A number where an object was, then the object: the object stays, and one is left
  // for rapidjson's RemoveMember/AddMember edits.
  auto d2 = json::parse(R"({"auths":1,"auths":2,"auths":{"r":{}}})", "test");
  json::keep_last_duplicates(d2, d2.GetAllocator());
  CHECK(d2.MemberCount() == 1);
  CHECK(d2["auths"].IsObject());
  auto unique = json::parse(R"({"x":[1,{"y":2}],"z":"s"})", "test");
  json::keep_last_duplicates(unique, unique.GetAllocator());
  CHECK(write(unique) == R"({"x":[1,{"y":2}],"z":"s"})");
}
