// bzip2 and xz streams of archives ADD unpacks, through ArchiveDecoder: the first byte
// picks the codec (even: bzip2, odd: xz) and the read size.
#include "decompress.hpp"
#include "layer/archive_codec.hpp"

#include <memory>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  using namespace berth;
  if (size == 0) return 0;
  const auto codec = data[0] % 2 == 0 ? layer::ArchiveCodec::bzip2 : layer::ArchiveCodec::xz;
  try {
    fuzz::pull_through(fuzz::text(data + 1, size - 1), fuzz::chunk_of(data[0] / 2),
                       [codec](layer::PullSource src) {
                         return std::make_unique<layer::ArchiveDecoder>(codec, std::move(src));
                       });
  } catch (const Error &) {
  }
  return 0;
}
