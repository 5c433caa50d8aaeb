// Streaming digests for the algorithms berth::image::Digest accepts (sha256 and
// sha512), so layout blobs of either kind can be verified.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace berth::image {

class Digester {
public:
  // "sha256" or "sha512"; Error(unsupported) otherwise.
  explicit Digester(const std::string &algorithm);
  ~Digester();
  Digester(Digester &&) noexcept;
  Digester &operator=(Digester &&) noexcept;

  void update(const char *data, std::size_t len);
  // "<algorithm>:<hex>"; call once.
  std::string finish();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace berth::image
