#include "core/untrusted_text.hpp"

namespace berth::core {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex_byte(std::string &out, unsigned char b) {
  out += "\\x";
  out += kHex[b >> 4];
  out += kHex[b & 0xf];
}

// The length of the well-formed UTF-8 sequence at s[i] (overlong forms, surrogates
// and code points past U+10FFFF are not), with its code point; 0 when there is none.
std::size_t utf8_at(std::string_view s, std::size_t i, char32_t &cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  char32_t min = 0;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  if ((b0 & 0xe0) == 0xc0) {
    n = 2, min = 0x80, cp = b0 & 0x1f;
  } else if ((b0 & 0xf0) == 0xe0) {
    n = 3, min = 0x800, cp = b0 & 0x0f;
  } else if ((b0 & 0xf8) == 0xf0) {
    n = 4, min = 0x10000, cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (s.size() - i < n) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

bool is_bidi_control(char32_t cp) {
  return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

// What .NET's String.TrimStart() removes (Char.IsWhiteSpace) and printable() lets
// through: the runner trims it before looking for "::".
std::size_t leading_space(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    char32_t cp = 0;
    std::size_t n = utf8_at(s, i, cp);
    bool space = cp == 0x20 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
                 cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
    if (n == 0 || !space) break;
    i += n;
  }
  return i;
}

} // namespace

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const std::size_t n = utf8_at(text, i, cp);
    if (n == 0) {
      append_hex_byte(out, static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
      for (std::size_t k = 0; k < n; ++k)
        append_hex_byte(out, static_cast<unsigned char>(text[i + k]));
    } else if (is_bidi_control(cp)) {
      out += "\\u{";
      for (int shift = 12; shift >= 0; shift -= 4)
        out += kHex[(cp >> shift) & 0xf];
      out += '}';
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  // The runner's workflow commands: "::name::" where a line starts (after trimming),
  // and the legacy "##[name]" anywhere in a line.
  if (auto at = leading_space(out); out.compare(at, 2, "::") == 0) out.replace(at + 1, 1, "\\x3a");
  for (auto at = out.find("##["); at != std::string::npos; at = out.find("##[", at + 1))
    out.replace(at + 1, 1, "\\x23");
  return out;
}

bool is_printable(std::string_view text) {
  return printable(text) == text;
}

std::string markdown_cell(std::string_view text) {
  std::string out;
  for (char c : printable(text)) {
    switch (c) {
    case '\\':
    case '|':
    case '[':
    case ']':
    case '`':
      out += '\\';
      out += c;
      break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '&': out += "&amp;"; break;
    default: out += c;
    }
  }
  return out;
}

} // namespace berth::core
