// The exec form's JSON array, read as Go's encoding/json reads it into []any: the
// whole text must be one valid JSON value (white space around it allowed); a valid
// array holding anything but strings is an error of its own, because BuildKit refuses
// it where it treats invalid JSON as the shell form.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::dockerfile {

enum class JsonArrayStatus { strings, not_json, not_strings };

struct JsonArray {
  JsonArrayStatus status = JsonArrayStatus::not_json;
  std::vector<std::string> values; // when status == strings
};

// `text` must start with '[' to be an array at all. Invalid UTF-8 and unpaired
// surrogates in strings become U+FFFD, as in Go.
JsonArray parse_json_array(std::string_view text);

} // namespace berth::dockerfile
