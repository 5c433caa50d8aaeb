#include "layer/gzip.hpp"

#include <berth/error.hpp>

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace berth::layer {
namespace {

struct CompressorDeleter {
  void operator()(libdeflate_compressor *c) const noexcept { libdeflate_free_compressor(c); }
};
using CompressorPtr = std::unique_ptr<libdeflate_compressor, CompressorDeleter>;

// One block on its way through: the uncompressed bytes in, one gzip member out. Jobs
// and their buffers are recycled, so steady state allocates nothing.
struct Job {
  std::string in;
  std::vector<char> out;
  std::size_t out_len = 0;
  bool done = false; // guarded by Impl::mutex while the job is in flight
  std::exception_ptr error;
};

void compress_member(libdeflate_compressor *c, Job &job) {
  std::size_t bound = libdeflate_gzip_compress_bound(c, job.in.size());
  if (job.out.size() < bound) job.out.resize(bound);
  job.out_len =
      libdeflate_gzip_compress(c, job.in.data(), job.in.size(), job.out.data(), job.out.size());
  // Cannot happen with a buffer of the bound's size; checked all the same.
  if (job.out_len == 0) throw Error(Errc::internal, "gzip: libdeflate output exceeded its bound");
}

} // namespace

struct GzipSink::Impl {
  Impl(core::ByteSink &o, int lvl, unsigned n) : out(o), level(lvl), threads(n) {
    if (level < 1 || level > 12)
      throw Error(Errc::invalid_argument,
                  "gzip: compression level " + std::to_string(level) + " is not in 1..12");
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    threads = std::min(threads, 256u); // as libzstd caps its workers; memory stays sane
    add_compressor();
    max_in_flight = 2 * std::size_t{threads};
    current.reserve(kBlockSize);
  }

  void add_compressor() {
    compressors.emplace_back(libdeflate_alloc_compressor(level));
    if (!compressors.back()) throw Error(Errc::no_memory, "gzip: cannot allocate a compressor");
  }

  // Workers start with the first full block, so a layer under 1 MiB never starts a
  // thread (its one member is the same bytes either way).
  void start_workers() {
    while (compressors.size() < threads)
      add_compressor();
    try {
      for (unsigned i = 0; i < threads; ++i)
        workers.emplace_back([this, i] { work(compressors[i].get()); });
    } catch (...) {
      stop_workers();
      throw;
    }
  }

  ~Impl() { stop_workers(); }

  void work(libdeflate_compressor *c) {
    for (;;) {
      Job *job = nullptr;
      {
        std::unique_lock lock(mutex);
        work_cv.wait(lock, [&] { return stopping || !pending.empty(); });
        if (stopping) return;
        job = pending.front();
        pending.pop_front();
      }
      try {
        compress_member(c, *job);
      } catch (...) {
        job->error = std::current_exception();
      }
      {
        std::lock_guard lock(mutex);
        job->done = true;
      }
      done_cv.notify_one();
    }
  }

  void stop_workers() noexcept {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    work_cv.notify_all();
    for (auto &t : workers)
      t.join();
    workers.clear();
  }

  void emit(const Job &job) {
    if (job.error) std::rethrow_exception(job.error);
    out.write(job.out.data(), job.out_len);
    wrote_member = true;
  }

  // Writes the oldest in-flight member, waiting for it when `wait`; false when it was
  // not ready (or nothing is in flight).
  bool emit_oldest(bool wait) {
    if (in_flight.empty()) return false;
    Job &job = *in_flight.front();
    {
      std::unique_lock lock(mutex);
      if (wait)
        done_cv.wait(lock, [&] { return job.done; });
      else if (!job.done)
        return false;
    }
    auto owned = std::move(in_flight.front());
    in_flight.pop_front();
    emit(*owned);
    spare.push_back(std::move(owned));
    return true;
  }

  // Compresses `current` on the calling thread and writes it.
  void compress_here() {
    if (!serial_job) serial_job = std::make_unique<Job>();
    std::swap(serial_job->in, current);
    current.clear();
    compress_member(compressors.front().get(), *serial_job);
    emit(*serial_job);
  }

  // Hands `current` (a full block, or the last partial one) to compression.
  void submit() {
    if (threads == 1) {
      compress_here();
      return;
    }
    if (workers.empty()) start_workers();
    while (in_flight.size() >= max_in_flight)
      emit_oldest(true);
    std::unique_ptr<Job> job;
    if (spare.empty()) {
      job = std::make_unique<Job>();
      job->in.reserve(kBlockSize);
    } else {
      job = std::move(spare.back());
      spare.pop_back();
    }
    // The swap hands the recycled buffer back to `current`: no copy, no allocation.
    std::swap(job->in, current);
    current.clear();
    job->done = false;
    job->error = nullptr;
    {
      std::lock_guard lock(mutex);
      pending.push_back(job.get());
    }
    work_cv.notify_one();
    in_flight.push_back(std::move(job));
    while (emit_oldest(false)) {
    }
  }

  void write(const char *data, std::size_t len) {
    while (len > 0) {
      std::size_t n = std::min(len, kBlockSize - current.size());
      current.append(data, n);
      data += n;
      len -= n;
      if (current.size() == kBlockSize) submit();
    }
  }

  void finish() {
    // Nothing submitted yet and nothing buffered means empty input: one empty member
    // keeps the output valid gzip.
    if (!current.empty() || (!wrote_member && in_flight.empty())) {
      if (workers.empty())
        compress_here(); // all of the input was this one block
      else
        submit();
    }
    while (emit_oldest(true)) {
    }
    stop_workers();
    out.finish();
  }

  core::ByteSink &out;
  int level;
  unsigned threads;
  std::vector<CompressorPtr> compressors; // one per worker once they start
  std::size_t max_in_flight = 2;
  std::string current; // the block being filled
  bool wrote_member = false;
  bool finished = false;
  std::exception_ptr broken;
  std::unique_ptr<Job> serial_job; // for blocks compressed on the calling thread

  // Calling thread only: submitted jobs in input order, and recycled ones.
  std::deque<std::unique_ptr<Job>> in_flight;
  std::vector<std::unique_ptr<Job>> spare;

  std::mutex mutex;
  std::condition_variable work_cv; // workers: pending non-empty or stopping
  std::condition_variable done_cv; // caller: a job is done
  std::deque<Job *> pending;       // submitted, not yet taken by a worker
  bool stopping = false;
  std::vector<std::thread> workers; // joined by ~Impl before any job goes away
};

GzipSink::GzipSink(core::ByteSink &out, int level, unsigned threads)
    : impl_(std::make_unique<Impl>(out, level, threads)) {}

GzipSink::~GzipSink() = default;

void GzipSink::write(const char *data, std::size_t len) {
  if (impl_->broken) std::rethrow_exception(impl_->broken);
  if (impl_->finished) throw Error(Errc::internal, "gzip: write after finish");
  try {
    impl_->write(data, len);
  } catch (...) {
    impl_->broken = std::current_exception();
    throw;
  }
}

void GzipSink::finish() {
  if (impl_->broken) std::rethrow_exception(impl_->broken);
  if (impl_->finished) return;
  try {
    impl_->finish();
    impl_->finished = true;
  } catch (...) {
    impl_->broken = std::current_exception();
    throw;
  }
}

// ---------------------------------------------------------------------------------

struct GzipDecoder::Impl {
  explicit Impl(std::function<std::size_t(char *, std::size_t)> src)
      : source(std::move(src)), buffer(64 * 1024) {
    // 16 + 15: gzip wrapper only, 32 KiB window.
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
      throw Error(Errc::no_memory, "gzip: cannot initialise zlib inflate");
  }
  ~Impl() { inflateEnd(&zs); }

  std::uint64_t offset() const { return pulled - zs.avail_in; }

  void refill() {
    std::size_t n = source(buffer.data(), buffer.size());
    if (n == 0) {
      eof = true;
      return;
    }
    if (n > buffer.size()) throw Error(Errc::internal, "gzip: source returned more than asked");
    pulled += n;
    zs.next_in = reinterpret_cast<Bytef *>(buffer.data());
    zs.avail_in = static_cast<uInt>(n);
  }

  [[noreturn]] void corrupt(const char *what) {
    throw Error(Errc::protocol, "gzip: corrupt compressed data in member " +
                                    std::to_string(member + 1) + " near compressed byte " +
                                    std::to_string(offset()) + ": " +
                                    (what != nullptr ? what : "invalid data"));
  }

  std::size_t read(char *buf, std::size_t len) {
    if (end || len == 0) return 0;
    const auto want = static_cast<uInt>(std::min<std::size_t>(len, UINT_MAX));
    zs.next_out = reinterpret_cast<Bytef *>(buf);
    zs.avail_out = want;
    for (;;) {
      if (zs.avail_in == 0 && !eof) refill();
      if (member_done) {
        if (zs.avail_in == 0) { // eof right after a member: the clean end
          end = true;
          return want - zs.avail_out;
        }
        // More bytes: they must be another member (inflate checks its header).
        inflateReset(&zs);
        member_done = false;
        ++member;
      }
      int ret = inflate(&zs, Z_NO_FLUSH);
      std::size_t produced = want - zs.avail_out;
      switch (ret) {
      case Z_STREAM_END: member_done = true; break;
      case Z_OK: break;
      case Z_BUF_ERROR: // no progress possible: input exhausted
        if (zs.avail_in == 0 && eof)
          throw Error(Errc::protocol, pulled == 0
                                          ? std::string("gzip: empty input (no gzip member)")
                                          : "gzip: unexpected end of compressed data after " +
                                                std::to_string(pulled) +
                                                " bytes (truncated stream, member " +
                                                std::to_string(member + 1) + " incomplete)");
        break;
      case Z_MEM_ERROR: throw Error(Errc::no_memory, "gzip: out of memory in inflate");
      default: corrupt(zs.msg);
      }
      if (produced > 0) return produced;
    }
  }

  std::function<std::size_t(char *, std::size_t)> source;
  std::vector<char> buffer;
  z_stream zs{};
  std::uint64_t pulled = 0;
  std::uint64_t member = 0;
  bool eof = false, member_done = false, end = false;
};

GzipDecoder::GzipDecoder(std::function<std::size_t(char *, std::size_t)> source)
    : impl_(std::make_unique<Impl>(std::move(source))) {}

GzipDecoder::~GzipDecoder() = default;

std::size_t GzipDecoder::read(char *buf, std::size_t len) {
  return impl_->read(buf, len);
}

} // namespace berth::layer
