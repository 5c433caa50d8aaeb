// A blob upload whose digest is known only at the end (a layer being built): bytes
// are written in, sent as chunked PATCHes of the registry's chunk size, and
// commit(digest) closes the upload with PUT ?digest=. One chunk is buffered, so
// memory stays at chunk_size whatever the blob, and a dropped PATCH is resent from
// the offset the registry reports, out of that buffer.
#pragma once

#include "core/stream.hpp"
#include "registry/registry.hpp"

#include <string>
#include <vector>

namespace berth::registry {

class UploadSink final : public core::ByteSink {
public:
  explicit UploadSink(Repository &repo);
  ~UploadSink() override;
  UploadSink(const UploadSink &) = delete;
  UploadSink &operator=(const UploadSink &) = delete;

  void write(const char *data, std::size_t len) override;
  using core::ByteSink::write;
  // Sends what is buffered (the last, possibly short, chunk).
  void finish() override;
  // Completes the upload under this digest (the registry verifies it).
  void commit(const std::string &digest);

private:
  void flush();
  std::vector<std::string> scope() const;

  Repository &repo_;
  std::string location_;
  std::string buffer_;
  std::uint64_t offset_ = 0; // bytes the registry has
  bool committed_ = false;
};

} // namespace berth::registry
