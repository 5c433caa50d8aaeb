#include "core/json.hpp"

#include <berth/error.hpp>

#include <rapidjson/error/en.h>

#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace berth::core::json {
namespace {

// Where the text nests arrays and objects deeper than kMaxDepth, if it does. Strings
// are skipped as JSON lexes them, so for every prefix rapidjson accepts, the depth
// counted here is the depth rapidjson's parser has reached.
std::optional<std::size_t> too_deep(std::string_view text) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

// The first member name that an object in v holds twice, if any. Depth is bounded by
// kMaxDepth (checked before parsing), so the recursion is too.
std::optional<std::string_view> duplicate_key(const Value &v) {
  if (v.IsArray()) {
    for (const auto &e : v.GetArray())
      if (auto d = duplicate_key(e)) return d;
    return std::nullopt;
  }
  if (!v.IsObject()) return std::nullopt;
  auto name = [](const Value &n) { return std::string_view(n.GetString(), n.GetStringLength()); };
  if (v.MemberCount() > 1) {
    std::unordered_set<std::string_view> names;
    names.reserve(v.MemberCount());
    for (const auto &m : v.GetObject())
      if (!names.insert(name(m.name)).second) return name(m.name);
  }
  for (const auto &m : v.GetObject())
    if (auto d = duplicate_key(m.value)) return d;
  return std::nullopt;
}

// A key as an error message may quote it: printable ASCII, at most 64 characters.
std::string quoted_key(std::string_view key) {
  std::string out = "\"";
  for (char c : key.substr(0, 64))
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (key.size() > 64) out += "...";
  return out + "\"";
}

} // namespace

Document parse(std::string_view text, const char *what, Duplicates duplicates) {
  // rapidjson takes a NUL byte for the end of the input, even with an explicit length:
  // "{}\0anything" would parse as "{}". No JSON text holds a raw NUL (not even inside
  // a string), so one anywhere makes the document invalid.
  if (auto nul = text.find('\0'); nul != std::string_view::npos)
    throw Error(Errc::protocol, std::string(what) + " is not valid JSON: a NUL byte at offset " +
                                    std::to_string(nul));
  // rapidjson's parser recurses once per level (so do Accept() and every walk over a
  // document): a megabyte of '[' in a manifest would exhaust the stack.
  if (auto at = too_deep(text))
    throw Error(Errc::protocol, std::string(what) + " is nested more than " +
                                    std::to_string(kMaxDepth) + " levels deep (at offset " +
                                    std::to_string(*at) + ")");
  Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError())
    throw Error(Errc::protocol, std::string(what) + " is not valid JSON: " +
                                    rapidjson::GetParseError_En(doc.GetParseError()) +
                                    " at offset " + std::to_string(doc.GetErrorOffset()));
  if (duplicates == Duplicates::keep_last) {
    keep_last_duplicates(doc, doc.GetAllocator());
  } else if (auto key = duplicate_key(doc)) {
    throw Error(Errc::protocol, std::string(what) + " names the key " + quoted_key(*key) +
                                    " twice in one object (readers disagree on which counts)");
  }
  return doc;
}

const Value *find(const Value &obj, const char *name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

void keep_last_duplicates(Value &v, Document::AllocatorType &a) {
  if (v.IsArray()) {
    for (auto &e : v.GetArray())
      keep_last_duplicates(e, a);
    return;
  }
  if (!v.IsObject()) return;
  std::vector<bool> keep;
  {
    std::unordered_map<std::string_view, std::size_t> last;
    std::size_t i = 0;
    for (const auto &m : v.GetObject())
      last[std::string_view(m.name.GetString(), m.name.GetStringLength())] = i++;
    if (last.size() < v.MemberCount()) {
      keep.assign(v.MemberCount(), false);
      for (const auto &[name, at] : last)
        keep[at] = true;
    }
  }
  if (!keep.empty()) {
    Value unique(rapidjson::kObjectType);
    std::size_t i = 0;
    for (auto &m : v.GetObject())
      if (keep[i++]) unique.AddMember(m.name, m.value, a); // moves both
    v = unique;
  }
  for (auto &m : v.GetObject())
    keep_last_duplicates(m.value, a);
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
