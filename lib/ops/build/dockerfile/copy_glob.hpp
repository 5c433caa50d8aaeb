// Glob patterns of COPY/ADD sources: Go's filepath.Match for "/"-separated names, as
// fsutil's ResolveWildcards uses it.
#pragma once

#include <string_view>

namespace berth::ops::copy_detail {

// Go's filepath.Match for "/"-separated names: * and ? never match "/"; [...] classes
// with ranges and ^ negation; \ escapes. Error(invalid_argument) for a bad pattern.
bool glob_match(std::string_view pat, std::string_view name);

// fsutil's containsWildcards: an unescaped *, ? or [.
bool has_wildcards(std::string_view s);

} // namespace berth::ops::copy_detail
