#include "core/base64.hpp"

#include <openssl/evp.h>

#include <cctype>
#include <climits>

namespace berth::core {

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                          reinterpret_cast<const unsigned char *>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Standard alphabet with '=' padding, as Go's base64.StdEncoding (which docker and
// AWS use); missing padding is tolerated (hand-written config files). Anything else
// is rejected rather than guessed at: EVP_DecodeBlock alone accepts '=' mid-string
// and counts padding as decoded bytes.
std::optional<std::string> base64_decode(std::string_view in) {
  while (!in.empty() && std::isspace(static_cast<unsigned char>(in.front()))) in.remove_prefix(1);
  while (!in.empty() && std::isspace(static_cast<unsigned char>(in.back()))) in.remove_suffix(1);
  std::size_t data_len = in.find('=');
  if (data_len == std::string_view::npos) data_len = in.size();
  const std::size_t given_pad = in.size() - data_len;
  const std::size_t pad = (4 - data_len % 4) % 4;
  if (data_len % 4 == 1 || (given_pad != 0 && given_pad != pad) || in.size() > INT_MAX / 2)
    return std::nullopt;
  for (std::size_t i = 0; i < data_len; ++i) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    if (std::isalnum(c) == 0 && c != '+' && c != '/') return std::nullopt;
  }
  if (in.find_first_not_of('=', data_len) != std::string_view::npos) return std::nullopt;

  std::string padded(in.substr(0, data_len));
  padded.append(pad, '=');
  std::string out(padded.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                          reinterpret_cast<const unsigned char *>(padded.data()),
                          static_cast<int>(padded.size()));
  if (n < 0 || static_cast<std::size_t>(n) < pad) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

} // namespace berth::core
