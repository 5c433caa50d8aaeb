#include "dockerfile/json_array.hpp"

#include "dockerfile/text.hpp"

#include <cstddef>
#include <optional>

namespace berth::dockerfile {

namespace {

constexpr std::size_t kMaxDepth = 10000; // Go's decoder refuses deeper nesting

void append_utf8(std::string &out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

class Reader {
public:
  explicit Reader(std::string_view s) : s_(s) {}

  void ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool eat(char c) {
    if (peek() != c || at_end()) return false;
    ++pos_;
    return true;
  }

  // A JSON string (the opening quote next), decoded.
  std::optional<std::string> string() {
    if (!eat('"')) return std::nullopt;
    std::string out;
    while (!at_end()) {
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) return std::nullopt;
      if (c == '\\') {
        if (!escape(out)) return std::nullopt;
        continue;
      }
      const Rune r = decode_rune(s_, pos_);
      if (r.value == 0xFFFD && r.size == 1 && c >= 0x80)
        append_utf8(out, 0xFFFD);
      else
        out += s_.substr(pos_, r.size);
      pos_ += r.size;
    }
    return std::nullopt;
  }

  // Any JSON value, checked for syntax only (no recursion: a stack of open brackets).
  bool skip_value() {
    std::string open;
    for (;;) {
      ws();
      const char c = peek();
      if (c == '[' || c == '{') {
        if (open.size() >= kMaxDepth) return false;
        ++pos_;
        open += c;
        ws();
        if (eat(c == '[' ? ']' : '}')) {
          open.pop_back();
        } else {
          if (c == '{' && !member_name()) return false;
          continue;
        }
      } else if (!scalar()) {
        return false;
      }
      // After a value: close brackets or take the next element.
      for (;;) {
        if (open.empty()) return true;
        ws();
        if (eat(',')) {
          if (open.back() == '{' && (ws(), !member_name())) return false;
          break;
        }
        if (!eat(open.back() == '[' ? ']' : '}')) return false;
        open.pop_back();
      }
    }
  }

private:
  std::string_view s_;
  std::size_t pos_ = 0;

  bool member_name() {
    if (!string()) return false;
    ws();
    return eat(':');
  }

  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool digits() {
    const std::size_t start = pos_;
    while (peek() >= '0' && peek() <= '9' && !at_end())
      ++pos_;
    return pos_ > start;
  }

  bool scalar() {
    const char c = peek();
    if (c == '"') return string().has_value();
    if (c == 't') return literal("true");
    if (c == 'f') return literal("false");
    if (c == 'n') return literal("null");
    eat('-');
    if (eat('0')) {
    } else if (!digits()) {
      return false;
    }
    if (eat('.') && !digits()) return false;
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (!eat('+')) eat('-');
      if (!digits()) return false;
    }
    return true;
  }

  std::optional<char32_t> hex4() {
    if (pos_ + 4 > s_.size()) return std::nullopt;
    char32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = s_[pos_++];
      v <<= 4;
      if (h >= '0' && h <= '9')
        v |= static_cast<char32_t>(h - '0');
      else if (h >= 'a' && h <= 'f')
        v |= static_cast<char32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F')
        v |= static_cast<char32_t>(h - 'A' + 10);
      else
        return std::nullopt;
    }
    return v;
  }

  bool escape(std::string &out) {
    ++pos_; // backslash
    if (at_end()) return false;
    const char e = s_[pos_++];
    switch (e) {
    case '"': out += '"'; return true;
    case '\\': out += '\\'; return true;
    case '/': out += '/'; return true;
    case 'b': out += '\b'; return true;
    case 'f': out += '\f'; return true;
    case 'n': out += '\n'; return true;
    case 'r': out += '\r'; return true;
    case 't': out += '\t'; return true;
    case 'u': break;
    default: return false;
    }
    auto u = hex4();
    if (!u) return false;
    char32_t c = *u;
    if (c >= 0xD800 && c < 0xDC00) {
      // A high surrogate takes a following \uDC00-\uDFFF; alone it is U+FFFD.
      const std::size_t save = pos_;
      if (literal("\\u")) {
        auto lo = hex4();
        if (!lo) return false;
        if (*lo >= 0xDC00 && *lo <= 0xDFFF) {
          append_utf8(out, 0x10000 + ((c - 0xD800) << 10) + (*lo - 0xDC00));
          return true;
        }
      }
      pos_ = save;
      c = 0xFFFD;
    } else if (c >= 0xDC00 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    append_utf8(out, c);
    return true;
  }
};

} // namespace

JsonArray parse_json_array(std::string_view text) {
  JsonArray result;
  if (text.empty() || text[0] != '[') return result;
  // First the syntax of the whole text (Go checks it before decoding anything).
  Reader check(text);
  if (!check.skip_value()) return result;
  check.ws();
  if (!check.at_end()) return result;

  Reader r(text);
  r.eat('[');
  r.ws();
  if (r.eat(']')) {
    result.status = JsonArrayStatus::strings;
    return result;
  }
  for (;;) {
    r.ws();
    if (r.peek() != '"') {
      result.status = JsonArrayStatus::not_strings;
      result.values.clear();
      return result;
    }
    result.values.push_back(*r.string());
    r.ws();
    if (r.eat(']')) break;
    r.eat(',');
  }
  result.status = JsonArrayStatus::strings;
  return result;
}

} // namespace berth::dockerfile
