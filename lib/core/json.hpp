// RapidJSON helpers: parsing with clear errors and a string writer. RapidJSON types
// stay inside lib/; the public headers never mention them.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

namespace rapidjson {

// rapidjson 1.1.0 compares member iterators through a ConstIterator parameter, so in
// C++20, where `a != b` also considers the reversed `b == a`, `it != doc.MemberEnd()`
// on a non-const document has two equally good candidates (clang reports
// -Wambiguous-reversed-operator; rapidjson's master branch fixed the header). These
// exact matches pick the comparison rapidjson means.
inline bool operator==(const Value::MemberIterator &a, const Value::MemberIterator &b) {
  return a.operator==(b);
}
inline bool operator!=(const Value::MemberIterator &a, const Value::MemberIterator &b) {
  return a.operator!=(b);
}

} // namespace rapidjson

namespace berth::core::json {

using Document = rapidjson::Document;
using Value = rapidjson::Value;

// Documents nested deeper than this are refused (parse() recurses per level).
inline constexpr std::size_t kMaxDepth = 256;

// What parse() does with an object that names a member twice.
enum class Duplicates {
  // Refuse the document. Go's encoding/json (docker, containerd, skopeo, crane,
  // registries) reads the last of duplicate keys, rapidjson's look-ups the first: a
  // manifest with two "layers" would be one image to berth and another to them. Every
  // document from outside (registries, token services, AWS, signatures) is read so.
  refuse,
  // Keep the last, as Go does: for the user's own files (docker config.json), which
  // docker reads without complaint and berth must read the same way.
  keep_last,
};

// Parses text as one whole JSON document (trailing whitespace only: content after the
// document is an error, as in every strict parser — skopeo refuses such manifests);
// throws Error(protocol) naming `what` and the error offset. A NUL byte anywhere,
// nesting deeper than kMaxDepth, or (by default) a duplicate key is an error too.
Document parse(std::string_view text, const char *what, Duplicates duplicates = Duplicates::refuse);

struct StringWriter {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buffer};
  std::string str() const { return {buffer.GetString(), buffer.GetSize()}; }
  // A string value (any bytes: escaped as JSON requires).
  void string(std::string_view v) {
    writer.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  }
  // "key": "value" inside an object.
  void member(std::string_view key, std::string_view v) {
    writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    string(v);
  }
};

// The member `name` of obj; nullptr when obj is not an object or has no such member.
// rapidjson's FindMember and MemberEnd require an object (anything else is undefined
// behaviour), and hostile replies put numbers and arrays where objects belong.
const Value *find(const Value &obj, const char *name);

// Drops all but the last of same-named members, in v and everything below it. Go's
// encoding/json (docker, containerd, registries) reads the last of duplicate keys,
// rapidjson's look-ups the first, and its RemoveMember removes only one of them: a
// document berth edits and writes back is made unambiguous first. `a` is the
// allocator of the document v belongs to.
void keep_last_duplicates(Value &v, Document::AllocatorType &a);

// Member look-ups that tolerate absence and wrong types. get_int clamps numbers
// beyond the range of long long (1e300, 2^64) to its limits instead of overflowing.
std::string get_string(const Value &obj, const char *name, std::string fallback = {});
long long get_int(const Value &obj, const char *name, long long fallback = 0);
bool get_bool(const Value &obj, const char *name, bool fallback = false);

} // namespace berth::core::json
