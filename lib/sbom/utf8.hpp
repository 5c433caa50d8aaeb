// Layer paths and package fields are bytes (tar names, Latin-1 maintainers of old
// packages); a JSON document must be UTF-8. Invalid sequences become U+FFFD, as
// decoders that replace (Python's errors="replace", Go's strings.ToValidUTF8) do.
#pragma once

#include <string>
#include <string_view>

namespace berth::sbom {

// s unchanged when it is valid UTF-8 (RFC 3629: no overlong forms, surrogates or
// code points past U+10FFFF); otherwise each invalid sequence becomes U+FFFD.
std::string to_valid_utf8(std::string_view s);

} // namespace berth::sbom
