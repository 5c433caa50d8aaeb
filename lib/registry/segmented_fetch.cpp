#include "registry/segmented_fetch.hpp"

#include <berth/cancel.hpp>
#include <berth/error.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace berth::registry {
namespace {

// Thrown from a sink to end a GET early: its segment is complete while a registry
// that ignored Range keeps sending, or another segment failed.
struct StopTransfer {};

// The hasher absorbs at least this much at a time (or what ends a segment).
constexpr std::uint64_t kAbsorbStep = 1u << 20;
// How long the first GET runs alone before its rate decides on a split, and the
// time left at that rate above which it splits.
constexpr auto kProbe = std::chrono::milliseconds(250);
constexpr double kSlowSeconds = 1.0;

struct ContentRange {
  std::uint64_t first = 0, last = 0;
  std::optional<std::uint64_t> total; // nullopt for "*"
};

std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// "bytes FIRST-LAST/TOTAL" (RFC 9110 14.4).
std::optional<ContentRange> parse_content_range(std::string_view v) {
  constexpr std::string_view unit = "bytes ";
  if (v.substr(0, unit.size()) != unit) return std::nullopt;
  v.remove_prefix(unit.size());
  auto dash = v.find('-'), slash = v.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash)
    return std::nullopt;
  auto first = number(v.substr(0, dash)), last = number(v.substr(dash + 1, slash - dash - 1));
  if (!first || !last || *last < *first) return std::nullopt;
  ContentRange r{*first, *last, std::nullopt};
  if (auto total = v.substr(slash + 1); total != "*") {
    r.total = number(total);
    if (!r.total) return std::nullopt;
  }
  return r;
}

bool accepts_ranges(const http::Response &r) {
  auto v = r.header("Accept-Ranges");
  if (!v) return false;
  std::string lower = *v;
  for (auto &c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("bytes") != std::string::npos;
}

struct Segment {
  std::uint64_t begin = 0;
  std::atomic<std::uint64_t> end{0}; // exclusive; the first segment's shrinks at a split
  std::atomic<std::uint64_t> got{0}; // bytes from begin on, all in the file
  std::uint64_t reached() const { return begin + got.load(); }
  bool complete() const { return reached() >= end.load(); }
};

using Clock = std::chrono::steady_clock;

class Fetch {
public:
  Fetch(Repository &repo, const std::string &digest, std::uint64_t size, SegmentSink &sink)
      : repo_(repo), digest_(digest), size_(size), sink_(sink),
        planned_(max_segments(size, repo.registry().options())) {
    std::lock_guard g(mutex_);
    add_segment(0, size);
  }
  Fetch(const Fetch &) = delete;
  Fetch &operator=(const Fetch &) = delete;
  // No thread outlives the fetch, whatever ended it.
  ~Fetch() {
    stop_ = true;
    for (auto &t : threads_)
      if (t.joinable()) t.join();
  }

  // Progress counts every byte in the file as it lands, whichever segment brought it:
  // the hasher may wait on the first segment while the others are far ahead, and a
  // count of the in-order prefix would stand still and then jump. The count only
  // grows, never passes the size, and reaches it when the last byte is absorbed.
  void run(const ByteProgress &progress) {
    bool probed = planned_ < 2; // nothing to decide
    std::uint64_t absorbed = 0, reported = 0;
    for (std::size_t i = 0;; ++i) {
      Segment *seg;
      {
        std::lock_guard g(mutex_);
        if (i == segs_.size()) break;
        seg = segs_[i].get();
      }
      while (absorbed < seg->end.load()) {
        std::uint64_t reached, received;
        {
          std::unique_lock l(mutex_);
          for (;;) {
            if (!probed && first_byte_ && Clock::now() >= *first_byte_ + kProbe) {
              probed = true;
              split_if_slow();
            }
            if (error_ || seg->complete() || seg->reached() >= absorbed + kAbsorbStep ||
                (progress && received_ > reported))
              break;
            if (!probed && first_byte_)
              cv_.wait_until(l, *first_byte_ + kProbe);
            else
              cv_.wait(l);
          }
          if (error_) std::rethrow_exception(error_);
          reached = std::min(seg->reached(), seg->end.load());
          received = received_;
        }
        if (reached > absorbed) {
          sink_.absorb(reached);
          absorbed = reached;
        }
        if (received > reported) {
          if (progress && progress(received - reported)) throw Error(Errc::cancelled, "cancelled");
          reported = received;
        }
      }
    }
  }

private:
  // Called with the mutex held.
  void add_segment(std::uint64_t begin, std::uint64_t end) {
    auto seg = std::make_unique<Segment>();
    seg->begin = begin;
    seg->end = end;
    segs_.push_back(std::move(seg));
    auto i = segs_.size() - 1;
    threads_.emplace_back([this, i, token = current_cancel()] {
      CancelScope scope(token);
      segment(i);
    });
  }

  // Called with the mutex held, kProbe after the first byte. A GET that will be done
  // soon is left alone: on a fast link more connections only add work. A slow one
  // keeps the next share of what is left and the rest goes to new GETs side by side.
  void split_if_slow() {
    if (!ranged_ || error_) return;
    auto &first = *segs_[0];
    const std::uint64_t at = first.reached(), left = size_ - at;
    double seconds = std::chrono::duration<double>(Clock::now() - *first_byte_).count();
    double rate = static_cast<double>(first.got.load()) / std::max(seconds, 1e-3);
    if (static_cast<double>(left) < rate * kSlowSeconds) return;
    const auto &options = repo_.registry().options();
    std::uint64_t parts = std::min<std::uint64_t>(planned_, left / options.segment_min);
    if (parts < 2) return;
    // The first GET keeps writing up to kAbsorbStep past what it reported, so a cut
    // closer than that could overlap the next segment.
    std::uint64_t cut = std::max(at + left / parts, at + 2 * kAbsorbStep);
    if (cut >= size_) return;
    first.end = cut;
    std::uint64_t rest = size_ - cut;
    for (std::uint64_t j = 0; j + 1 < parts; ++j)
      add_segment(cut + rest / (parts - 1) * j,
                  j + 2 < parts ? cut + rest / (parts - 1) * (j + 1) : size_);
  }

  void segment(std::size_t i) {
    Segment *seg;
    {
      std::lock_guard g(mutex_);
      seg = segs_[i].get();
    }
    try {
      int failures = 0;
      while (!seg->complete()) {
        auto before = seg->got.load();
        try {
          get(i, *seg);
        } catch (const StopTransfer &) {
          if (stop_) break;
        } catch (const Error &e) {
          bool transient = e.code() == Errc::network || e.code() == Errc::timeout;
          if (!transient || ++failures >= repo_.registry().options().resume_attempts) throw;
          continue;
        }
        if (seg->got.load() == before && !seg->complete())
          throw Error(Errc::protocol,
                      "GET blob " + digest_ + " bytes " + std::to_string(seg->reached()) + "-" +
                          std::to_string(seg->end.load() - 1) + " ended without a byte");
      }
    } catch (...) {
      std::lock_guard g(mutex_);
      if (!error_) error_ = std::current_exception();
      stop_ = true;
    }
    std::lock_guard g(mutex_);
    cv_.notify_all();
  }

  // One GET of what the segment still lacks: the first one a plain GET of the whole
  // blob, as any client sends (caches and the tests' request counts see no
  // difference until a split), later ones Range GETs.
  void get(std::size_t i, Segment &seg) {
    const std::uint64_t from = seg.reached(), last = seg.end.load() - 1;
    const bool plain = from == 0 && last + 1 == size_;
    std::uint64_t skip = 0, received = 0, whole = 0;
    bool ranged = true;
    auto on_reply = [&](const http::Response &r) {
      ranged = r.status == 206;
      if (ranged) {
        // A 206 should name its range; one that does not is taken for the range asked
        // (what curl does): more bytes than that are refused below, fewer are asked
        // for again, and the digest judges the content.
        if (auto header = r.header("Content-Range")) {
          auto cr = parse_content_range(*header);
          if (cr && cr->total && *cr->total != size_)
            throw Error(Errc::digest_mismatch,
                        "blob " + digest_ + " has " + std::to_string(*cr->total) +
                            " bytes, its descriptor says " + std::to_string(size_));
          if (!cr || cr->first != from || cr->last > last)
            throw Error(Errc::protocol, "the registry answered a GET of bytes " +
                                            std::to_string(from) + "-" + std::to_string(last) +
                                            " of blob " + digest_ + " (size " +
                                            std::to_string(size_) + ") with Content-Range '" +
                                            header->substr(0, 100) + "'");
        }
      } else {
        skip = from; // the whole blob, from byte 0
      }
      if (i == 0) {
        std::lock_guard g(mutex_);
        if (!first_byte_) {
          first_byte_ = Clock::now();
          // Only a registry that serves ranges is split: one that answers a plain GET
          // without "Accept-Ranges: bytes", or ignores Range, keeps its one GET.
          ranged_ = ranged || accepts_ranges(r);
          cv_.notify_all();
        }
      }
    };
    // HTTP hands over 16 KiB at a time; the file gets them kAbsorbStep at a time.
    // Bytes still here when the GET fails are fetched again by the next one.
    std::vector<char> batch;
    auto flush = [&] {
      if (batch.empty()) return;
      sink_.write_at(seg.reached(), batch.data(), batch.size());
      std::lock_guard g(mutex_);
      seg.got += batch.size();
      received_ += batch.size();
      batch.clear();
      cv_.notify_all();
    };
    auto sink = [&](const char *d, std::size_t n) {
      if (stop_) throw StopTransfer{};
      whole += ranged ? 0 : n;
      if (skip > 0) {
        auto k = static_cast<std::size_t>(std::min<std::uint64_t>(skip, n));
        d += k, n -= k, skip -= k;
      }
      if (n == 0) return;
      if (ranged && (received += n) > last - from + 1)
        throw Error(Errc::protocol, "the registry sent more than the requested bytes " +
                                        std::to_string(from) + "-" + std::to_string(last) +
                                        " of blob " + digest_);
      const std::uint64_t end = seg.end.load(), have = seg.reached() + batch.size();
      const std::uint64_t room = end > have ? end - have : 0;
      const bool full = n >= room;
      if (!ranged && n > room && end == size_)
        throw Error(Errc::digest_mismatch, "blob " + digest_ +
                                               " is larger than its descriptor says (" +
                                               std::to_string(size_) + " bytes)");
      n = static_cast<std::size_t>(std::min<std::uint64_t>(n, room));
      if (batch.capacity() == 0) batch.reserve(kAbsorbStep);
      batch.insert(batch.end(), d, d + n);
      if (full || batch.size() + (16u << 10) > kAbsorbStep) flush();
      // The rest of this reply belongs to other segments (a split, or a 200).
      if (full && (!ranged || end <= last)) throw StopTransfer{};
    };
    repo_.get_blob_bytes(digest_, from, plain ? Repository::kWholeBlob : last, on_reply, sink);
    flush(); // a registry may end a 206 early; the next GET asks for the rest
    // A whole blob that ended before the segment did: the descriptor lied.
    if (!ranged && !seg.complete())
      throw Error(Errc::digest_mismatch, "blob " + digest_ + " has " + std::to_string(whole) +
                                             " bytes, its descriptor says " +
                                             std::to_string(size_));
  }

  Repository &repo_;
  const std::string &digest_;
  const std::uint64_t size_;
  SegmentSink &sink_;
  const std::size_t planned_;
  std::vector<std::unique_ptr<Segment>> segs_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<Clock::time_point> first_byte_; // of the first segment's reply
  bool ranged_ = false;                         // which was a 206
  std::uint64_t received_ = 0;                  // bytes in the file, all segments (under mutex_)
  std::exception_ptr error_;
  std::atomic<bool> stop_{false};
};

} // namespace

std::size_t max_segments(std::uint64_t size, const RegistryOptions &options) {
  if (options.segments <= 1 || options.segment_min == 0 || size / 2 < options.segment_min) return 1;
  return static_cast<std::size_t>(std::min<std::uint64_t>(
      static_cast<std::uint64_t>(options.segments), size / options.segment_min));
}

void fetch_blob_segments(Repository &repo, const std::string &digest, std::uint64_t size,
                         SegmentSink &sink, const ByteProgress &progress) {
  if (size == 0) {
    sink.absorb(0);
    return;
  }
  Fetch fetch(repo, digest, size, sink);
  fetch.run(progress);
}

} // namespace berth::registry
