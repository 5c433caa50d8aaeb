#include "http/types.hpp"

#include <berth/error.hpp>

#include "core/untrusted_text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <limits>

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

std::uint64_t Response::content_length() const {
  auto v = header("Content-Length");
  if (!v) return 0;
  std::uint64_t n = 0;
  const char *end = v->data() + v->size();
  auto [p, ec] = std::from_chars(v->data(), end, n);
  // Sizes are int64 in the OCI descriptors they land in: larger is no size either.
  if (v->empty() || ec != std::errc() || p != end ||
      n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    throw Error(Errc::protocol, "the server sent a Content-Length that is not a size: '" +
                                    core::printable(v->substr(0, 40)) + "'");
  return n;
}

std::size_t StringSource::read(char *buf, std::size_t len) {
  std::size_t n = std::min(len, data_.size() - pos_);
  std::memcpy(buf, data_.data() + pos_, n);
  pos_ += n;
  return n;
}

} // namespace berth::http
