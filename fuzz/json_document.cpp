// The JSON reader every document from outside goes through (core::json::parse): any
// input either parses to a document in which no object names a member twice, or is
// refused with berth::Error. The same text read as the user's own files are (the last
// of duplicate keys kept, as Go's encoding/json does) must leave no duplicate either,
// and agree with the strict read whenever that one succeeds.
#include <berth/error.hpp>

#include "core/json.hpp"
#include "fuzz_input.hpp"

#include <cstdlib>
#include <set>
#include <string>

namespace {

namespace json = berth::core::json;

bool has_duplicate(const json::Value &v) {
  if (v.IsArray()) {
    for (const auto &e : v.GetArray())
      if (has_duplicate(e)) return true;
    return false;
  }
  if (!v.IsObject()) return false;
  std::set<std::string> names;
  for (const auto &m : v.GetObject()) {
    if (!names.emplace(m.name.GetString(), m.name.GetStringLength()).second) return true;
    if (has_duplicate(m.value)) return true;
  }
  return false;
}

std::string write(const json::Value &v) {
  json::StringWriter w;
  v.Accept(w.writer);
  return w.str();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const auto text = berth::fuzz::text(data, size);
  std::string strict;
  try {
    auto doc = json::parse(text, "fuzz input");
    if (has_duplicate(doc)) std::abort(); // a duplicate key got through
    strict = write(doc);
  } catch (const berth::Error &) {
  }
  try {
    auto doc = json::parse(text, "fuzz input", json::Duplicates::keep_last);
    if (has_duplicate(doc)) std::abort();
    // Without duplicates both reads are the same document.
    if (!strict.empty() && write(doc) != strict) std::abort();
  } catch (const berth::Error &) {
  }
  return 0;
}
