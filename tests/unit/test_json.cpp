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

TEST_CASE("json: a duplicate key is refused, at any depth, naming the key") {
  // Go's encoding/json reads the last of duplicate keys and rapidjson the first: a
  // manifest with two "layers" would be one filesystem to berth and another to crane.
  for (const char *text : {R"({"layers":[],"layers":[{"digest":"x"}]})", R"({"a":{"b":1,"b":2}})",
                           R"([1,{"x":[{"k":1,"k":1}]}])", R"({"\u0061":1,"a":2})"}) {
    CAPTURE(text);
    try {
      (void)json::parse(text, "manifest");
      FAIL("a duplicate key was accepted");
    } catch (const berth::Error &e) {
      CHECK(e.code() == berth::Errc::protocol);
      CHECK(std::string(e.what()).find("twice") != std::string::npos);
      CHECK(std::string(e.what()).find("manifest") == 0);
    }
  }
  // A key with control characters is not quoted raw into the message.
  try {
    (void)json::parse("{\"\\u001b[31m\":1,\"\\u001b[31m\":2}", "reply");
    FAIL("a duplicate key was accepted");
  } catch (const berth::Error &e) {
    CHECK(std::string(e.what()).find('\x1b') == std::string::npos);
  }
  // The same names in different objects are not duplicates.
  CHECK_NOTHROW((void)json::parse(R"({"a":{"a":1},"b":{"a":2},"c":[{"a":1},{"a":2}]})", "t"));
  // The user's own files are read as docker reads them: the last one counts.
  auto doc =
      json::parse(R"({"auths":1,"auths":{"r":{}}})", "config.json", json::Duplicates::keep_last);
  CHECK(doc.MemberCount() == 1);
  CHECK(doc["auths"].IsObject());
}

TEST_CASE("json: keep_last_duplicates keeps what Go's decoder reads") {
  auto doc = json::parse(R"({"a":1,"b":[{"c":1,"c":2}],"a":{"d":3,"d":{"e":4}},"f":5})", "test",
                         json::Duplicates::keep_last);
  CHECK(write(doc) == R"({"b":[{"c":2}],"a":{"d":{"e":4}},"f":5})");
  // A number where an object was, then the object: the object stays, and one is left
  // for rapidjson's RemoveMember/AddMember edits.
  auto d2 =
      json::parse(R"({"auths":1,"auths":2,"auths":{"r":{}}})", "test", json::Duplicates::keep_last);
  CHECK(d2.MemberCount() == 1);
  CHECK(d2["auths"].IsObject());
  auto unique = json::parse(R"({"x":[1,{"y":2}],"z":"s"})", "test");
  json::keep_last_duplicates(unique, unique.GetAllocator());
  CHECK(write(unique) == R"({"x":[1,{"y":2}],"z":"s"})");
}
