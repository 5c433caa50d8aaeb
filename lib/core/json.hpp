// RapidJSON helpers: parsing with clear errors and a string writer. RapidJSON types
// stay inside lib/; the public headers never mention them.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

namespace berth::core::json {

using Document = rapidjson::Document;
using Value = rapidjson::Value;

// Parses text; throws Error(protocol) naming `what` and the error offset.
Document parse(std::string_view text, const char *what);

struct StringWriter {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buffer};
  std::string str() const { return {buffer.GetString(), buffer.GetSize()}; }
};

// Member look-ups that tolerate absence and wrong types.
std::string get_string(const Value &obj, const char *name, std::string fallback = {});
long long get_int(const Value &obj, const char *name, long long fallback = 0);
bool get_bool(const Value &obj, const char *name, bool fallback = false);

} // namespace berth::core::json
