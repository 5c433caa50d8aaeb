// Content digests ("sha256:<hex>"), as the OCI image specification defines them.
//
// Only the registered algorithms berth can verify are accepted: sha256 (64 lower-case
// hex digits) and sha512 (128). A string that is a well-formed digest by the generic
// grammar but names another algorithm ("blake3:...", "md5:...") is reported as
// Errc::unsupported, so callers can tell "not a digest" from "a digest we cannot
// check".
#pragma once

#include <compare>
#include <string>
#include <string_view>

namespace berth::image {

class Digest {
public:
  // An empty placeholder (empty() is true, str() is ""). Every factory below yields a
  // valid digest; only default construction gives an empty one.
  Digest() = default;

  // "sha256:<64 lower hex>" or "sha512:<128 lower hex>". Throws Error(unsupported)
  // for another algorithm that matches the generic grammar, Error(invalid_argument)
  // for anything else (the message quotes the input, truncated).
  static Digest parse(std::string_view s);
  // True when parse() would succeed.
  static bool valid(std::string_view s) noexcept;
  // The sha256 digest of `data`.
  static Digest sha256_of(std::string_view data);
  // "sha256:" + hex, after checking hex is 64 lower-case hex digits.
  static Digest from_sha256_hex(std::string hex);

  const std::string &algorithm() const noexcept { return algorithm_; } // "sha256"
  const std::string &hex() const noexcept { return hex_; }             // encoded part
  std::string str() const;                                             // "sha256:..."
  bool empty() const noexcept { return algorithm_.empty(); }

  bool operator==(const Digest &) const = default;
  std::strong_ordering operator<=>(const Digest &) const = default;

private:
  Digest(std::string algorithm, std::string hex)
      : algorithm_(std::move(algorithm)), hex_(std::move(hex)) {}

  std::string algorithm_;
  std::string hex_;
};

} // namespace berth::image
