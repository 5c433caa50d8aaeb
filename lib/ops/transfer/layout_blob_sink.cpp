#include "ops/transfer/layout_blob_sink.hpp"

#include <berth/error.hpp>

#include <utility>

namespace berth::ops {
namespace {

class LayoutBlobSink final : public ImageDestination::BlobSink {
public:
  LayoutBlobSink(layout::OciLayout::BlobWriter writer, std::string mismatch)
      : writer_(std::move(writer)), mismatch_(std::move(mismatch)) {}
  void write(const char *d, std::size_t n) override { writer_.write(d, n); }
  void commit(const std::string &digest) override {
    if (writer_.commit() != digest) throw Error(Errc::digest_mismatch, mismatch_);
  }

private:
  layout::OciLayout::BlobWriter writer_;
  std::string mismatch_;
};

} // namespace

std::unique_ptr<ImageDestination::BlobSink> layout_blob_sink(layout::OciLayout &layout,
                                                             std::string mismatch) {
  return std::make_unique<LayoutBlobSink>(layout.write_blob(std::string(), -1),
                                          std::move(mismatch));
}

} // namespace berth::ops
