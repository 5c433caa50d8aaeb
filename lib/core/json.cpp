#include "core/json.hpp"

#include <berth/error.hpp>

#include <rapidjson/error/en.h>

namespace berth::core::json {

Document parse(std::string_view text, const char *what) {
  Document doc;
  doc.Parse<rapidjson::kParseStopWhenDoneFlag>(text.data(), text.size());
  if (doc.HasParseError())
    throw Error(Errc::protocol, std::string(what) + " is not valid JSON: " +
                                    rapidjson::GetParseError_En(doc.GetParseError()) +
                                    " at offset " + std::to_string(doc.GetErrorOffset()));
  return doc;
}

std::string get_string(const Value &obj, const char *name, std::string fallback) {
  if (!obj.IsObject()) return fallback;
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return fallback;
  return {it->value.GetString(), it->value.GetStringLength()};
}

long long get_int(const Value &obj, const char *name, long long fallback) {
  if (!obj.IsObject()) return fallback;
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsNumber()) return fallback;
  return it->value.IsInt64() ? it->value.GetInt64() : static_cast<long long>(it->value.GetDouble());
}

bool get_bool(const Value &obj, const char *name, bool fallback) {
  if (!obj.IsObject()) return fallback;
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsBool()) return fallback;
  return it->value.GetBool();
}

} // namespace berth::core::json
