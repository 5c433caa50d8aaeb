#include "registry/challenge.hpp"

#include <cctype>

namespace berth::registry {
namespace {

bool is_tchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto &c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct Cursor {
  std::string_view s;
  std::size_t i = 0;
  bool done() const { return i >= s.size(); }
  void skip_ws() {
    while (!done() && (s[i] == ' ' || s[i] == '\t'))
      ++i;
  }
  void skip_ws_commas() {
    while (!done() && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
      ++i;
  }
  std::string_view token() {
    auto start = i;
    while (!done() && is_tchar(s[i]))
      ++i;
    return s.substr(start, i - start);
  }
  std::string quoted() { // at '"'
    std::string out;
    ++i;
    while (!done() && s[i] != '"') {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      out.push_back(s[i++]);
    }
    if (!done()) ++i; // closing quote
    return out;
  }
};

} // namespace

std::vector<Challenge> parse_challenges(std::string_view header) {
  std::vector<Challenge> out;
  Cursor c{header};
  c.skip_ws_commas();
  while (!c.done()) {
    auto scheme = c.token();
    if (scheme.empty()) { // junk: skip a byte and go on
      ++c.i;
      c.skip_ws_commas();
      continue;
    }
    Challenge ch;
    ch.scheme = lower(scheme);
    c.skip_ws();
    // Parameters until a token that is not followed by '=' (the next scheme).
    while (!c.done()) {
      c.skip_ws_commas();
      auto save = c.i;
      auto name = c.token();
      c.skip_ws();
      if (name.empty() || c.done() || c.s[c.i] != '=') {
        c.i = save;
        break;
      }
      ++c.i; // '='
      c.skip_ws();
      std::string value;
      if (!c.done() && c.s[c.i] == '"') {
        value = c.quoted();
      } else {
        auto start = c.i;
        while (!c.done() && c.s[c.i] != ',' && c.s[c.i] != ' ' && c.s[c.i] != '\t')
          ++c.i;
        value = std::string(c.s.substr(start, c.i - start));
      }
      ch.params[lower(name)] = value;
      c.skip_ws();
      if (!c.done() && c.s[c.i] == ',') ++c.i;
    }
    out.push_back(std::move(ch));
    c.skip_ws_commas();
  }
  return out;
}

} // namespace berth::registry
