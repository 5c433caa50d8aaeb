// SHA-1 and SHA-256 of a file as it streams by: SPDX 2.3 requires a SHA1 checksum
// on every file (validators refuse a file without one); SHA256 is what anything
// current compares.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace berth::sbom {

struct Checksums {
  std::string sha1, sha256; // lower-case hex
};

class FileChecksums {
public:
  FileChecksums();
  ~FileChecksums();
  FileChecksums(const FileChecksums &) = delete;
  FileChecksums &operator=(const FileChecksums &) = delete;

  void update(const void *data, std::size_t len);
  // Ends this file and readies the object for the next.
  Checksums finish();

private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

} // namespace berth::sbom
