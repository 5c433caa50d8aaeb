#include "layer/zstd.hpp"

#include <berth/error.hpp>

#include <zstd.h>

#include <algorithm>
#include <exception>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace berth::layer {
namespace {

struct CCtxDeleter {
  void operator()(ZSTD_CCtx *c) const noexcept { ZSTD_freeCCtx(c); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx *d) const noexcept { ZSTD_freeDCtx(d); }
};

void check(std::size_t ret, const char *what) {
  if (ZSTD_isError(ret))
    throw Error(Errc::internal, std::string("zstd: ") + what + ": " + ZSTD_getErrorName(ret));
}

} // namespace

struct ZstdSink::Impl {
  Impl(core::ByteSink &o, int level, unsigned threads)
      : out(o), cctx(ZSTD_createCCtx()), buffer(ZSTD_CStreamOutSize()) {
    if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
      throw Error(Errc::invalid_argument, "zstd: compression level " + std::to_string(level) +
                                              " is not in " + std::to_string(ZSTD_minCLevel()) +
                                              ".." + std::to_string(ZSTD_maxCLevel()));
    if (!cctx) throw Error(Errc::no_memory, "zstd: cannot allocate a compression context");
    check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, level), "level");
    check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1), "checksum flag");
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    // An error here means a libzstd built without threads: single-threaded it is.
    (void)ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_nbWorkers,
                                 static_cast<int>(std::min(threads, 256u)));
    // libzstd keeps about 2 * workers + 3 job buffers; at its default job size (8 MiB
    // at level 3) that alone put a build on two cores past 64 MB of RSS. 4 MiB jobs:
    // 48 MB there (73 MB at 8 MiB, 36 MB at 2 MiB), about 3% slower than 8 MiB jobs
    // and 3% faster than 2 MiB ones on GOROOT.
    (void)ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_jobSize, 4 << 20);
  }

  // Runs one compression step and writes what it produced; the return is zstd's
  // "bytes still to flush" (0 = done for ZSTD_e_end).
  std::size_t step(ZSTD_inBuffer &in, ZSTD_EndDirective directive) {
    ZSTD_outBuffer o{buffer.data(), buffer.size(), 0};
    std::size_t ret = ZSTD_compressStream2(cctx.get(), &o, &in, directive);
    check(ret, "compression failed");
    if (o.pos > 0) out.write(buffer.data(), o.pos);
    return ret;
  }

  core::ByteSink &out;
  std::unique_ptr<ZSTD_CCtx, CCtxDeleter> cctx;
  std::vector<char> buffer;
  bool finished = false;
  std::exception_ptr broken;
};

ZstdSink::ZstdSink(core::ByteSink &out, int level, unsigned threads)
    : impl_(std::make_unique<Impl>(out, level, threads)) {}

ZstdSink::~ZstdSink() = default;

void ZstdSink::write(const char *data, std::size_t len) {
  if (impl_->broken) std::rethrow_exception(impl_->broken);
  if (impl_->finished) throw Error(Errc::internal, "zstd: write after finish");
  try {
    ZSTD_inBuffer in{data, len, 0};
    while (in.pos < in.size)
      impl_->step(in, ZSTD_e_continue);
  } catch (...) {
    impl_->broken = std::current_exception();
    throw;
  }
}

void ZstdSink::finish() {
  if (impl_->broken) std::rethrow_exception(impl_->broken);
  if (impl_->finished) return;
  try {
    ZSTD_inBuffer in{nullptr, 0, 0};
    while (impl_->step(in, ZSTD_e_end) != 0) {
    }
    impl_->finished = true;
    impl_->out.finish();
  } catch (...) {
    impl_->broken = std::current_exception();
    throw;
  }
}

// ---------------------------------------------------------------------------------

struct ZstdDecoder::Impl {
  explicit Impl(std::function<std::size_t(char *, std::size_t)> src)
      : source(std::move(src)), dctx(ZSTD_createDCtx()), buffer(ZSTD_DStreamInSize()) {
    if (!dctx) throw Error(Errc::no_memory, "zstd: cannot allocate a decompression context");
  }

  std::uint64_t offset() const { return pulled - (in.size - in.pos); }

  void refill() {
    std::size_t n = source(buffer.data(), buffer.size());
    if (n == 0) {
      eof = true;
      return;
    }
    if (n > buffer.size()) throw Error(Errc::internal, "zstd: source returned more than asked");
    pulled += n;
    in = ZSTD_inBuffer{buffer.data(), n, 0};
  }

  std::size_t read(char *buf, std::size_t len) {
    if (end || len == 0) return 0;
    ZSTD_outBuffer o{buf, len, 0};
    for (;;) {
      if (in.pos == in.size && !eof) refill();
      const bool no_input = in.pos == in.size; // and so at the end of the source
      if (no_input && frame_complete) {
        end = true;
        return o.pos;
      }
      // With no input left this still flushes what the context holds.
      std::size_t ret = ZSTD_decompressStream(dctx.get(), &o, &in);
      if (ZSTD_isError(ret))
        throw Error(Errc::protocol, "zstd: corrupt compressed data in frame " +
                                        std::to_string(frames + 1) + " near compressed byte " +
                                        std::to_string(offset()) + ": " + ZSTD_getErrorName(ret));
      frame_complete = ret == 0;
      if (frame_complete) ++frames;
      if (o.pos > 0) return o.pos;
      if (no_input && !frame_complete)
        throw Error(Errc::protocol, pulled == 0 ? std::string("zstd: empty input (no zstd frame)")
                                                : "zstd: unexpected end of compressed data after " +
                                                      std::to_string(pulled) +
                                                      " bytes (truncated stream, frame " +
                                                      std::to_string(frames + 1) + " incomplete)");
    }
  }

  std::function<std::size_t(char *, std::size_t)> source;
  std::unique_ptr<ZSTD_DCtx, DCtxDeleter> dctx;
  std::vector<char> buffer;
  ZSTD_inBuffer in{nullptr, 0, 0};
  std::uint64_t pulled = 0;
  std::uint64_t frames = 0;
  bool eof = false, frame_complete = false, end = false;
};

ZstdDecoder::ZstdDecoder(std::function<std::size_t(char *, std::size_t)> source)
    : impl_(std::make_unique<Impl>(std::move(source))) {}

ZstdDecoder::~ZstdDecoder() = default;

std::size_t ZstdDecoder::read(char *buf, std::size_t len) {
  return impl_->read(buf, len);
}

} // namespace berth::layer
