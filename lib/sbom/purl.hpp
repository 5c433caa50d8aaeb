// Package URLs (https://github.com/package-url/purl-spec): the identifiers scanners
// and SBOM consumers match packages by.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::sbom {

// Percent-encodes everything but the purl spec's unreserved characters
// (A-Z a-z 0-9 . - _ ~), so ':' in Debian epochs and '+' in versions are %3A and %2B
// as packageurl-python writes them.
std::string purl_encode(std::string_view s);

// pkg:TYPE/NAMESPACE/NAME@VERSION?k=v&... ; namespace may hold '/' (Go module paths:
// each segment is encoded, the slashes kept). Empty qualifiers are left out; the
// caller gives them sorted by key, as the spec's canonical form wants.
std::string make_purl(std::string_view type, std::string_view ns, std::string_view name,
                      std::string_view version,
                      const std::vector<std::pair<std::string, std::string>> &qualifiers = {});

} // namespace berth::sbom
