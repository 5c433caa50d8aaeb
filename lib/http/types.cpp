#include "http/types.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace berth::http {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

} // namespace

std::optional<std::string> find_header(const Headers &headers, std::string_view name) {
  for (const auto &h : headers)
    if (iequals(h.name, name)) return h.value;
  return std::nullopt;
}

void erase_header(Headers &headers, std::string_view name) {
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [&](const Header &h) { return iequals(h.name, name); }),
                headers.end());
}

std::size_t StringSource::read(char *buf, std::size_t len) {
  std::size_t n = std::min(len, data_.size() - pos_);
  std::memcpy(buf, data_.data() + pos_, n);
  pos_ += n;
  return n;
}

} // namespace berth::http
