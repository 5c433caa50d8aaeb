#include "core/json.hpp"

#include <berth/error.hpp>

#include <rapidjson/error/en.h>

#include <limits>

namespace berth::core::json {

Document parse(std::string_view text, const char *what) {
  Document doc;
  doc.Parse(text.data(), text.size());
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
  const auto &v = it->value;
  if (v.IsInt64()) return v.GetInt64();
  if (v.IsUint64()) return std::numeric_limits<long long>::max(); // above INT64_MAX
  // A double: casting one outside long long's range is undefined behaviour.
  double d = v.GetDouble();
  if (d >= 9.2233720368547758e18) return std::numeric_limits<long long>::max();
  if (d <= -9.2233720368547758e18) return std::numeric_limits<long long>::min();
  return static_cast<long long>(d);
}

bool get_bool(const Value &obj, const char *name, bool fallback) {
  if (!obj.IsObject()) return fallback;
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsBool()) return fallback;
  return it->value.GetBool();
}

} // namespace berth::core::json
