#include "sbom/control_fields.hpp"

#include <strings.h>

namespace berth::sbom {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

} // namespace

std::string Stanza::get(std::string_view name) const {
  for (const auto &[k, v] : fields)
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  return {};
}

void parse_stanzas(std::string_view text, const std::string &what, Warnings &warnings,
                   const std::function<void(const Stanza &)> &on_stanza, bool first_only) {
  Stanza current;
  std::size_t line_no = 0, warned = 0;
  bool dropping = false; // past kMaxFields: this field and its continuation lines
  auto flush = [&] {
    bool had = !current.fields.empty();
    if (had) on_stanza(current);
    current = Stanza{};
    dropping = false;
    return had;
  };
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (trim(line).empty()) {
      if (flush() && first_only) break;
      continue;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (dropping) continue;
      if (current.fields.empty()) {
        if (warned++ < kMaxWarningsPerFile)
          warnings.push_back(what + ":" + std::to_string(line_no) +
                             ": continuation line without a field, skipped");
        continue;
      }
      auto &value = current.fields.back().second;
      value += '\n';
      value += trim(line);
      continue;
    }
    auto colon = line.find(':');
    auto name = colon == std::string_view::npos ? std::string_view{} : trim(line.substr(0, colon));
    if (name.empty() || name.find_first_of(" \t") != std::string_view::npos) {
      if (warned++ < kMaxWarningsPerFile)
        warnings.push_back(what + ":" + std::to_string(line_no) + ": not a field, skipped");
      continue;
    }
    if (current.fields.empty()) current.line = line_no;
    if (current.fields.size() >= Stanza::kMaxFields) {
      if (!dropping && warned++ < kMaxWarningsPerFile)
        warnings.push_back(what + ":" + std::to_string(line_no) + ": more than " +
                           std::to_string(Stanza::kMaxFields) +
                           " fields in one stanza, the rest skipped");
      dropping = true;
      continue;
    }
    dropping = false;
    current.fields.emplace_back(std::string(name), std::string(trim(line.substr(colon + 1))));
  }
  flush();
  count_unlisted(warnings, what, warned);
}

} // namespace berth::sbom
