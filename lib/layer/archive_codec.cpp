#include "layer/archive_codec.hpp"

#include <berth/error.hpp>

#include <bzlib.h>
#include <lzma.h>

#include <cstring>
#include <vector>

namespace berth::layer {

ArchiveCodec sniff_archive_codec(std::string_view h) noexcept {
  auto starts = [&](std::string_view magic) { return h.substr(0, magic.size()) == magic; };
  if (starts("\x1f\x8b")) return ArchiveCodec::gzip;
  if (starts("BZh")) return ArchiveCodec::bzip2;
  if (starts(std::string_view("\xfd"
                              "7zXZ\0",
                              6)))
    return ArchiveCodec::xz;
  if (starts("\x28\xb5\x2f\xfd")) return ArchiveCodec::zstd;
  return ArchiveCodec::none;
}

std::string_view archive_codec_name(ArchiveCodec c) noexcept {
  switch (c) {
  case ArchiveCodec::gzip: return "gzip";
  case ArchiveCodec::bzip2: return "bzip2";
  case ArchiveCodec::xz: return "xz";
  case ArchiveCodec::zstd: return "zstd";
  case ArchiveCodec::none: break;
  }
  return "none";
}

// The input buffer and stream state of libbz2 or liblzma; each is freed by its
// destructor (BZ2_bzDecompressEnd, lzma_end).
struct ArchiveDecoder::Codec {
  ArchiveCodec kind;
  PullSource source;
  std::vector<char> in = std::vector<char>(64 * 1024);
  std::size_t in_len = 0, in_pos = 0;
  bool input_done = false, finished = false;
  bz_stream bz{};
  bool bz_open = false;
  lzma_stream xz = LZMA_STREAM_INIT;
  bool xz_open = false;

  Codec(ArchiveCodec k, PullSource s) : kind(k), source(std::move(s)) {
    if (kind == ArchiveCodec::bzip2) {
      open_bzip2();
    } else {
      // LZMA_CONCATENATED: every stream of the file, as xz -d reads it.
      if (lzma_stream_decoder(&xz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
        throw Error(Errc::internal, "cannot start an xz decoder");
      xz_open = true;
    }
  }
  ~Codec() {
    if (bz_open) BZ2_bzDecompressEnd(&bz);
    if (xz_open) lzma_end(&xz);
  }

  void open_bzip2() {
    if (bz_open) BZ2_bzDecompressEnd(&bz);
    bz = bz_stream{};
    bz_open = false;
    if (BZ2_bzDecompressInit(&bz, 0, 0) != BZ_OK)
      throw Error(Errc::internal, "cannot start a bzip2 decoder");
    bz_open = true;
  }

  // More compressed bytes when the buffer is used up; false at the end of the input.
  bool refill() {
    if (in_pos < in_len) return true;
    if (input_done) return false;
    in_len = source(in.data(), in.size());
    in_pos = 0;
    if (in_len == 0) input_done = true;
    return in_len > 0;
  }

  std::size_t read_bzip2(char *buf, std::size_t len) {
    for (;;) {
      const bool have = refill();
      bz.next_in = in.data() + in_pos;
      bz.avail_in = static_cast<unsigned>(in_len - in_pos);
      bz.next_out = buf;
      bz.avail_out = static_cast<unsigned>(len);
      int rc = BZ2_bzDecompress(&bz);
      in_pos = in_len - bz.avail_in;
      std::size_t out = len - bz.avail_out;
      if (rc == BZ_STREAM_END) {
        // Another stream may follow (pbzip2 writes many); anything else is an error.
        if (refill()) {
          open_bzip2();
        } else {
          finished = true;
        }
        if (out > 0 || finished) return out;
        continue;
      }
      if (rc != BZ_OK) throw Error(Errc::protocol, "corrupt bzip2 data");
      if (out > 0) return out;
      if (!have) throw Error(Errc::protocol, "truncated bzip2 data");
    }
  }

  std::size_t read_xz(char *buf, std::size_t len) {
    for (;;) {
      const bool have = refill();
      xz.next_in = reinterpret_cast<const std::uint8_t *>(in.data() + in_pos);
      xz.avail_in = in_len - in_pos;
      xz.next_out = reinterpret_cast<std::uint8_t *>(buf);
      xz.avail_out = len;
      lzma_ret rc = lzma_code(&xz, have ? LZMA_RUN : LZMA_FINISH);
      in_pos = in_len - xz.avail_in;
      std::size_t out = len - xz.avail_out;
      if (rc == LZMA_STREAM_END) {
        finished = true;
        return out;
      }
      if (rc != LZMA_OK) throw Error(Errc::protocol, "corrupt or truncated xz data");
      if (out > 0) return out;
    }
  }

  std::size_t read(char *buf, std::size_t len) {
    if (finished || len == 0) return 0;
    return kind == ArchiveCodec::bzip2 ? read_bzip2(buf, len) : read_xz(buf, len);
  }
};

ArchiveDecoder::ArchiveDecoder(ArchiveCodec c, PullSource source) {
  switch (c) {
  case ArchiveCodec::bzip2:
  case ArchiveCodec::xz: codec_ = std::make_unique<Codec>(c, std::move(source)); break;
  case ArchiveCodec::gzip:
    plain_ = std::make_unique<Decompressor>(Compression::gzip, std::move(source));
    break;
  case ArchiveCodec::zstd:
    plain_ = std::make_unique<Decompressor>(Compression::zstd, std::move(source));
    break;
  case ArchiveCodec::none:
    plain_ = std::make_unique<Decompressor>(Compression::none, std::move(source));
    break;
  }
}

ArchiveDecoder::~ArchiveDecoder() = default;

std::size_t ArchiveDecoder::read(char *buf, std::size_t len) {
  return plain_ ? plain_->read(buf, len) : codec_->read(buf, len);
}

} // namespace berth::layer
