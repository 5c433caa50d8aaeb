#include "dockerfile/text.hpp"

#include <cstdio>

namespace berth::dockerfile {

Rune decode_rune(std::string_view s, std::size_t pos) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) return {b0, 1};
  std::size_t len = 0;
  char32_t value = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, value = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, value = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, value = b0 & 0x07, min = 0x10000;
  } else {
    return {0xFFFD, 1};
  }
  if (pos + len > s.size()) return {0xFFFD, 1};
  for (std::size_t i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(s[pos + i]);
    if ((b & 0xC0) != 0x80) return {0xFFFD, 1};
    value = (value << 6) | (b & 0x3F);
  }
  if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return {0xFFFD, 1};
  return {value, len};
}

bool is_space(char32_t c) {
  switch (c) {
  case '\t':
  case '\n':
  case '\v':
  case '\f':
  case '\r':
  case ' ':
  case 0x85:
  case 0xA0:
  case 0x1680:
  case 0x2028:
  case 0x2029:
  case 0x202F:
  case 0x205F:
  case 0x3000: return true;
  default: return c >= 0x2000 && c <= 0x200A;
  }
}

std::string_view trim_left_space(std::string_view s) {
  std::size_t pos = 0;
  while (pos < s.size()) {
    const Rune r = decode_rune(s, pos);
    if (!is_space(r.value)) break;
    pos += r.size;
  }
  return s.substr(pos);
}

std::string_view trim_right_space(std::string_view s) {
  // Walk forward, remembering where the last non-space rune ended.
  std::size_t end = 0;
  for (std::size_t pos = 0; pos < s.size();) {
    const Rune r = decode_rune(s, pos);
    pos += r.size;
    if (!is_space(r.value)) end = pos;
  }
  return s.substr(0, end);
}

std::string_view trim_space(std::string_view s) {
  return trim_right_space(trim_left_space(s));
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char &c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char &c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return to_lower(a) == to_lower(b);
}

void fail(std::string_view source, int line, const std::string &message) {
  std::string text(source);
  if (line > 0) text.append(":").append(std::to_string(line));
  throw Error(Errc::invalid_argument, text + ": " + message);
}

// Go's strconv.Quote, close enough for dumps: printable ASCII and valid UTF-8 kept,
// the usual escapes, \xHH for other bytes, \u00HH for C1 controls.
std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (std::size_t pos = 0; pos < s.size();) {
    const Rune r = decode_rune(s, pos);
    const auto c = static_cast<unsigned char>(s[pos]);
    char buf[16];
    if (r.value == 0xFFFD && r.size == 1 && c >= 0x80) {
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (r.value < 0x20 || r.value == 0x7f || (r.value >= 0x80 && r.value < 0xA0)) {
      const char *esc = nullptr;
      switch (r.value) {
      case '\a': esc = "\\a"; break;
      case '\b': esc = "\\b"; break;
      case '\f': esc = "\\f"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\t': esc = "\\t"; break;
      case '\v': esc = "\\v"; break;
      default: break;
      }
      if (esc) {
        out += esc;
      } else {
        std::snprintf(buf, sizeof buf, r.value < 0x80 ? "\\x%02x" : "\\u%04x",
                      static_cast<unsigned>(r.value));
        out += buf;
      }
    } else {
      out += s.substr(pos, r.size);
    }
    pos += r.size;
  }
  return out + "\"";
}

} // namespace berth::dockerfile
