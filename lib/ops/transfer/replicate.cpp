// berth replicate: one source, many destinations. Each blob that two or more
// destinations lack is read from the source once and fanned out to all of them at
// the same time through bounded buffers; a destination on the source's registry
// mounts instead; a lone destination gets an ordinary copy.
#include <berth/cancel.hpp>
#include <berth/copy.hpp>
#include <berth/error.hpp>

#include "ops/ecr/create_repository.hpp"
#include "ops/supply_chain/referrers.hpp"
#include "ops/transfer/copy_engine.hpp"
#include "ops/transfer/endpoints.hpp"
#include "ops/transfer/format.hpp"
#include "ops/transfer/mirror.hpp"
#include "ops/transfer/parallel.hpp"
#include "ops/transfer/registry_access.hpp"
#include "ops/transfer/verified_blob_source.hpp"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace berth {
namespace {

// One producer (the source download) feeding N consumers, each through a ring of
// `capacity` bytes. The producer waits for the slowest consumer, so memory is
// N * capacity whatever the blob. A consumer that stops (its upload failed) is
// dropped and no longer waited for.
class FanOut {
public:
  FanOut(std::size_t consumers, std::size_t capacity) : rings_(consumers), capacity_(capacity) {
    for (auto &r : rings_)
      r.data.resize(capacity);
  }

  void start(std::function<void(const http::BodySink &)> producer) {
    thread_ = std::thread([this, producer = std::move(producer), token = current_cancel()] {
      CancelScope scope(token);
      try {
        producer([this](const char *d, std::size_t n) { push(d, n); });
      } catch (...) {
        std::lock_guard g(mutex_);
        error_ = std::current_exception();
      }
      std::lock_guard g(mutex_);
      done_ = true;
      cv_.notify_all();
    });
  }

  ~FanOut() {
    {
      std::lock_guard g(mutex_);
      for (auto &r : rings_)
        r.closed = true;
      cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
  }

  std::size_t read(std::size_t i, char *buf, std::size_t len) {
    std::unique_lock lock(mutex_);
    auto &r = rings_[i];
    cv_.wait(lock, [&] { return r.size > 0 || done_; });
    if (r.size == 0) {
      if (error_) std::rethrow_exception(error_);
      return 0;
    }
    std::size_t k = std::min({len, r.size, capacity_ - r.head});
    std::copy_n(r.data.data() + r.head, k, buf);
    r.head = (r.head + k) % capacity_;
    r.size -= k;
    cv_.notify_all();
    return k;
  }

  void close(std::size_t i) {
    std::lock_guard g(mutex_);
    rings_[i].closed = true;
    cv_.notify_all();
  }

private:
  struct Ring {
    std::vector<char> data;
    std::size_t head = 0, size = 0;
    bool closed = false;
  };

  void push(const char *d, std::size_t n) {
    std::unique_lock lock(mutex_);
    std::size_t written = 0;
    // Every open ring takes the same bytes; wait until all have room.
    while (written < n) {
      cv_.wait(lock, [&] {
        for (auto &r : rings_)
          if (!r.closed && r.size == capacity_) return false;
        return true;
      });
      bool any_open = false;
      std::size_t k = n - written;
      for (auto &r : rings_)
        if (!r.closed) {
          any_open = true;
          k = std::min(k, capacity_ - r.size);
        }
      if (!any_open) throw Error(Errc::cancelled, "every destination stopped reading");
      for (auto &r : rings_) {
        if (r.closed) continue;
        std::size_t tail = (r.head + r.size) % capacity_;
        std::size_t first = std::min(k, capacity_ - tail);
        std::copy_n(d + written, first, r.data.data() + tail);
        std::copy_n(d + written + first, k - first, r.data.data());
        r.size += k;
      }
      written += k;
      cv_.notify_all();
    }
  }

  std::vector<Ring> rings_;
  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

// The view of the source one destination gets for one fanned-out blob: its first
// read from offset 0 comes from the fan-out; a resumed upload (offset > 0) reads the
// source again, for that destination only.
class TeeSource final : public ops::ImageSource {
public:
  TeeSource(ops::ImageSource &real, FanOut &fan, std::size_t index)
      : real_(real), fan_(fan), index_(index) {}
  ~TeeSource() override { fan_.close(index_); }

  registry::FetchedManifest manifest(const std::string &ref) override {
    return real_.manifest(ref);
  }
  void blob(const image::Descriptor &d, const http::BodySink &sink,
            const registry::ByteProgress &progress) override {
    if (!claim(0)) return real_.blob(d, sink, progress);
    std::vector<char> buf(1 << 16);
    while (std::size_t n = read_fan(buf.data(), buf.size())) {
      sink(buf.data(), n);
      if (progress && progress(n)) throw Error(Errc::cancelled, "cancelled");
    }
  }
  std::unique_ptr<registry::BlobSource> blob_source(const image::Descriptor &d) override {
    struct Source final : registry::BlobSource {
      TeeSource &tee;
      image::Descriptor desc;
      Source(TeeSource &t, image::Descriptor dd) : tee(t), desc(std::move(dd)) {}
      std::unique_ptr<registry::Reader> open(std::uint64_t offset) override {
        if (tee.claim(offset)) {
          struct R final : registry::Reader {
            TeeSource &t;
            explicit R(TeeSource &tt) : t(tt) {}
            std::size_t read(char *buf, std::size_t len) override { return t.read_fan(buf, len); }
          };
          return std::make_unique<R>(tee);
        }
        // A resumed upload wants bytes the fan-out has passed: this destination reads
        // the source itself from here on. Keep the BlobSource alive with the reader.
        struct Owning final : registry::Reader {
          std::unique_ptr<registry::BlobSource> source;
          std::unique_ptr<registry::Reader> reader;
          std::size_t read(char *buf, std::size_t len) override { return reader->read(buf, len); }
        };
        auto r = std::make_unique<Owning>();
        r->source = ops::verified(tee.real_.blob_source(desc), desc);
        r->reader = r->source->open(offset);
        return r;
      }
    };
    return std::make_unique<Source>(*this, d);
  }
  // The fan-out's bytes are verified once, by its producer, for every destination;
  // a reader that leaves it is wrapped in verified() below.
  bool blob_sources_verified() const override { return true; }
  // Never mount from a tee: bytes are already flowing.

private:
  // The fan-out serves a reader that continues exactly where this destination's
  // previous reader stopped (chunked uploads open one reader per chunk). Anything
  // else leaves the fan-out for good — closing this ring at once, so the shared
  // download never waits for a reader that will not come.
  bool claim(std::uint64_t offset) {
    if (!detached_ && offset == position_) return true;
    if (!detached_) fan_.close(index_);
    detached_ = true;
    return false;
  }
  std::size_t read_fan(char *buf, std::size_t len) {
    std::size_t n = fan_.read(index_, buf, len);
    position_ += n;
    return n;
  }

  ops::ImageSource &real_;
  FanOut &fan_;
  std::size_t index_;
  std::uint64_t position_ = 0; // bytes this destination took from the fan-out
  bool detached_ = false;
};

std::vector<image::Descriptor> blobs_of(ops::ImageSource &src,
                                        const registry::FetchedManifest &root,
                                        std::vector<registry::FetchedManifest> &children) {
  std::vector<image::Descriptor> out;
  auto add = [&](const registry::FetchedManifest &fm) {
    auto m = image::parse_manifest(fm.raw, fm.media_type);
    for (const auto &l : m.layers)
      if (l.urls.empty()) out.push_back(l);
    out.push_back(m.config);
  };
  if (image::media::is_index(root.media_type)) {
    for (const auto &d : image::parse_index(root.raw, root.media_type).manifests) {
      children.push_back(src.child_manifest(d));
      add(children.back());
    }
  } else {
    add(root);
  }
  return out;
}

// One replicate_image call, phase by phase: open, plan, move the blobs, write the
// manifests.
class Replication {
public:
  Replication(const std::string &src, const std::vector<std::string> &dsts, const CopyOptions &o)
      : o_(o), src_loc_(ops::Location::parse(src)), reporter_(o.progress) {
    if (dsts.empty())
      throw Error(Errc::invalid_argument, "replicate needs at least one destination");
    for (const auto &d : dsts)
      dst_locs_.push_back(ops::Location::parse(d));
    ops::check_creds_scope(dst_locs_, o.dst, "destination");
    if (o.create_repository) ops::create_missing_repositories(src_loc_, dst_locs_);
    opened_ = ops::open_source_with_mirrors(src_loc_, o.src, ops::parse_mirrors(o.mirrors));
    for (const auto &loc : dst_locs_)
      destinations_.push_back(ops::open_destination(loc, o.dst));
    results_.resize(dst_locs_.size());
  }

  std::vector<CopyResult> run() {
    const auto started = std::chrono::steady_clock::now();
    plan();
    for (const auto &b : blobs_)
      reporter_.add_total(static_cast<std::uint64_t>(b.size));
    ops::parallel_for(blobs_.size(), o_.jobs, [&](std::size_t bi) { move_blob(blobs_[bi]); });
    write_manifests();
    if (referrer_error_) std::rethrow_exception(referrer_error_);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    for (auto &r : results_)
      r.duration = took;
    return results_;
  }

private:
  ops::ImageSource &source() { return *opened_.source; }

  // The blobs to move (each once, largest first), what each destination stores (the
  // source's manifests, or converted ones: decided before any blob moves, so a
  // conversion that cannot be done stops everything), and which destinations have
  // the image already (a re-run).
  void plan() {
    root_ = source().manifest("");
    std::set<std::string> seen;
    for (const auto &b : blobs_of(source(), root_, children_))
      if (seen.insert(b.digest).second) blobs_.push_back(b);
    ops::largest_first(blobs_);
    stored_.resize(dst_locs_.size());
    done_.assign(dst_locs_.size(), false);
    for (std::size_t i = 0; i < dst_locs_.size(); ++i) {
      auto to = ops::target_family(o_.format, src_loc_, dst_locs_[i]);
      auto it = conversions_.find(to);
      if (it == conversions_.end())
        it = conversions_.emplace(to, ops::convert_image(root_, children_, to)).first;
      stored_[i] = &it->second;
      results_[i].digest = stored_[i]->top.digest;
      results_[i].media_type = stored_[i]->top.media_type;
      results_[i].mirror = opened_.mirror;
      done_[i] = destinations_[i]->tag_points_to(stored_[i]->top.digest);
    }
  }

  // Mounts come from where the blobs are read: the mirror when one serves.
  bool same_registry(std::size_t i) const {
    const auto &from = opened_.location;
    return from.kind == ops::Location::Kind::registry &&
           dst_locs_[i].kind == ops::Location::Kind::registry &&
           from.ref.registry_host() == dst_locs_[i].ref.registry_host();
  }

  // One blob to every destination that lacks it: mounted where it can be, read once
  // and fanned out to the others.
  void move_blob(const image::Descriptor &b) {
    auto size = static_cast<std::uint64_t>(b.size);
    std::vector<std::size_t> need_bytes, mount;
    for (std::size_t i = 0; i < dst_locs_.size(); ++i) {
      if (done_[i]) continue;
      if (destinations_[i]->has_blob(b)) {
        std::lock_guard g(mutex_);
        ++results_[i].blobs_skipped;
        continue;
      }
      (same_registry(i) ? mount : need_bytes).push_back(i);
    }
    for (auto i : mount) {
      bool mounted = destinations_[i]->put_blob(b, source(), {});
      std::lock_guard g(mutex_);
      ++(mounted ? results_[i].blobs_mounted : results_[i].blobs_copied);
    }
    if (need_bytes.empty()) {
      reporter_.item(Progress::Event::blob_skipped, b.digest, size, size, size);
      return;
    }
    reporter_.item(Progress::Event::blob_started, b.digest, 0, size, 0);
    if (need_bytes.size() == 1)
      destinations_[need_bytes[0]]->put_blob(b, source(), {});
    else
      fan_out(b, need_bytes);
    reporter_.item(Progress::Event::blob_done, b.digest, size, size, size);
    std::lock_guard g(mutex_);
    for (auto i : need_bytes) {
      ++results_[i].blobs_copied;
      results_[i].bytes_copied += size;
    }
  }

  // One download, one upload per destination, at the same time.
  void fan_out(const image::Descriptor &b, const std::vector<std::size_t> &to) {
    FanOut fan(to.size(), 1u << 20);
    // Hashed once here for every destination, and the last byte of a blob whose
    // digest is wrong never reaches them: no upload completes with it, even at a
    // registry that does not check.
    fan.start([&](const http::BodySink &sink) {
      ops::BlobVerifier verifier(b);
      source().blob_to_verifying_sink(b,
                                      [&](const char *p, std::size_t n) {
                                        verifier.absorb(p, n);
                                        sink(p, n);
                                      },
                                      {});
      verifier.end();
    });
    std::vector<std::exception_ptr> errors(to.size());
    std::vector<std::thread> uploads;
    for (std::size_t k = 0; k < to.size(); ++k)
      uploads.emplace_back([&, k, token = current_cancel()] {
        CancelScope scope(token);
        try {
          TeeSource tee(source(), fan, k);
          destinations_[to[k]]->put_blob(b, tee, {});
        } catch (...) {
          errors[k] = std::current_exception();
        }
      });
    for (auto &t : uploads)
      t.join();
    for (auto &e : errors)
      if (e) std::rethrow_exception(e);
  }

  // Referrers of the image and of each child, per destination (they are small: a
  // signature, an SBOM), before the tag; not where the format was converted, since
  // they name the source's digests. Finding them never fails the copy (warnings); a
  // referrer found but not copied fails it once every destination has the image.
  void copy_referrers(std::size_t i) {
    if (!o_.referrers || stored_[i]->top.digest != root_.digest) return;
    std::vector<std::string> subjects{root_.digest};
    for (const auto &c : children_)
      subjects.push_back(c.digest);
    ops::ReferrerPolicy policy{o_.referrer_types, o_.jobs};
    for (const auto &s : subjects) {
      auto c = ops::copy_referrers(source(), *destinations_[i], s, policy, reporter_);
      ops::add_referrer_copy(results_[i], c, referrer_error_);
    }
  }

  // Manifests last: children by digest, then the top one under each tag.
  void write_manifests() {
    for (std::size_t i = 0; i < dst_locs_.size(); ++i) {
      auto &dst = *destinations_[i];
      const auto &top = stored_[i]->top;
      copy_referrers(i);
      if (!done_[i]) { // already replicated: only tags it lacks are added
        for (const auto &c : stored_[i]->children) {
          dst.put_manifest(c.raw, c.media_type, false);
          ++results_[i].manifests;
        }
        dst.put_manifest(top.raw, top.media_type, true);
        ++results_[i].manifests;
      }
      for (const auto &tag : o_.extra_tags)
        if (dst.tag_digest(tag) != top.digest) {
          dst.put_manifest_as(top.raw, top.media_type, tag);
          results_[i].tags_added.push_back(tag);
        }
      if (!done_[i])
        reporter_.item(Progress::Event::manifest_done, top.digest, top.raw.size(), top.raw.size(),
                       0);
    }
  }

  const CopyOptions &o_;
  ops::Location src_loc_;
  std::vector<ops::Location> dst_locs_;
  ops::ProgressReporter reporter_;
  ops::OpenedSource opened_;
  std::vector<std::unique_ptr<ops::ImageDestination>> destinations_;
  registry::FetchedManifest root_;
  std::vector<registry::FetchedManifest> children_;
  std::vector<image::Descriptor> blobs_;
  std::map<std::optional<image::Family>, ops::ConvertedImage> conversions_;
  std::vector<const ops::ConvertedImage *> stored_;
  std::vector<bool> done_;
  std::vector<CopyResult> results_;
  std::mutex mutex_;
  std::exception_ptr referrer_error_;
};

} // namespace

std::vector<CopyResult> replicate_image(const std::string &src,
                                        const std::vector<std::string> &dsts,
                                        const CopyOptions &o) {
  return Replication(src, dsts, o).run();
}

} // namespace berth
