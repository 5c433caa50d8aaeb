// Small text helpers the Dockerfile front end shares: Go's notion of white space
// (unicode.IsSpace) over UTF-8, and the errors it throws, which name the file and line.
#pragma once

#include <berth/error.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace berth::dockerfile {

// One code point of UTF-8 at `pos`: its value and length. A byte that does not start a
// valid sequence is returned alone (value 0xFFFD, length 1), as Go's decoder does.
struct Rune {
  char32_t value;
  std::size_t size;
};
Rune decode_rune(std::string_view s, std::size_t pos);

// unicode.IsSpace: ASCII \t \n \v \f \r and space, U+0085, U+00A0, and the Unicode
// White_Space characters above them.
bool is_space(char32_t c);

// strings.TrimSpace, TrimLeftFunc(IsSpace), TrimRightFunc(IsSpace).
std::string_view trim_space(std::string_view s);
std::string_view trim_left_space(std::string_view s);
std::string_view trim_right_space(std::string_view s);

// The parser's `[\t\v\f\r ]+` (ASCII blanks but not \n).
inline bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

std::string to_lower(std::string_view s);
// Go's strconv.Quote (parser dumps, and history entries BuildKit writes with %q).
std::string go_quote(std::string_view s);
std::string to_upper(std::string_view s);
bool iequals(std::string_view a, std::string_view b);

// "<source>:<line>: <message>", or "<source>: <message>" when line is 0; the message
// must already have any input inside it passed through core::quoted.
[[noreturn]] void fail(std::string_view source, int line, const std::string &message);

} // namespace berth::dockerfile
