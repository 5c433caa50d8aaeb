// Stanzas of "Name: value" fields, the RFC 822 shape of dpkg's status database and of
// Python's METADATA (core metadata) files: a line starting with a space or tab
// continues the previous field, a blank line ends a stanza.
#pragma once

#include "sbom/package.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::sbom {

struct Stanza {
  // Fields kept per stanza (dpkg has a few dozen, METADATA some hundreds); the rest
  // are skipped with a warning, so a stanza of a million tiny fields stays small.
  static constexpr std::size_t kMaxFields = 4096;
  std::size_t line = 0; // where it starts (1-based), for warnings
  std::vector<std::pair<std::string, std::string>> fields;
  // The first field of that name (field names compare case-insensitively, as in
  // RFC 822 and deb822); "" when absent.
  std::string get(std::string_view name) const;
};

// Calls on_stanza for each stanza of text. Lines that are neither a field nor a
// continuation are skipped with a warning naming `what` and the line (at most
// kMaxWarningsPerFile, then one line counting the rest). With first_only, stops after
// the first stanza (METADATA: the body follows the headers).
void parse_stanzas(std::string_view text, const std::string &what, Warnings &warnings,
                   const std::function<void(const Stanza &)> &on_stanza, bool first_only = false);

} // namespace berth::sbom
