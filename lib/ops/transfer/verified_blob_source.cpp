#include "ops/transfer/verified_blob_source.hpp"

#include <berth/error.hpp>

#include <algorithm>
#include <vector>

namespace berth::ops {

BlobVerifier::BlobVerifier(image::Descriptor d)
    : d_(std::move(d)), hash_(d_.digest.substr(0, d_.digest.find(':'))) {}

std::uint64_t BlobVerifier::size() const {
  return d_.size < 0 ? 0 : static_cast<std::uint64_t>(d_.size);
}

void BlobVerifier::absorb(const char *data, std::size_t n) {
  if (n == 0) return;
  position_ += n;
  if (position_ > size())
    throw Error(Errc::digest_mismatch, "blob " + d_.digest + " has more than the " +
                                           std::to_string(d_.size) + " bytes its descriptor says");
  hash_.update(data, n);
  if (position_ == size()) check();
}

void BlobVerifier::end() {
  if (position_ != size())
    throw Error(Errc::digest_mismatch, "blob " + d_.digest + " has " + std::to_string(position_) +
                                           " bytes, its descriptor says " +
                                           std::to_string(d_.size));
  check(); // an empty blob
}

void BlobVerifier::check() {
  if (checked_) return;
  checked_ = true;
  auto got = hash_.finish();
  if (got != d_.digest)
    throw Error(Errc::digest_mismatch,
                "blob " + d_.digest + " arrived with digest " + got + ": not stored");
}

namespace {

// What the readers of one source share: the inner source and the digest so far.
struct Stream {
  std::shared_ptr<registry::BlobSource> inner;
  image::Descriptor d;
  std::optional<BlobVerifier> verifier;
};

class VerifyingReader final : public registry::Reader {
public:
  VerifyingReader(std::shared_ptr<Stream> s, std::uint64_t offset) : s_(std::move(s)) {
    auto &v = s_->verifier;
    if (offset < v->position() || v->complete()) v.emplace(s_->d);
    reader_ = s_->inner->open(v->position());
    // Bytes before offset are at the destination already: hash them, hand nothing on.
    // (Only a resumed upload has any: the next chunk opens where the last one ended.)
    std::vector<char> buf;
    if (v->position() < offset) buf.resize(1u << 16);
    while (v->position() < offset) {
      auto want =
          static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), offset - v->position()));
      auto n = reader_->read(buf.data(), want);
      if (n == 0) v->end(); // short: throws
      v->absorb(buf.data(), n);
    }
  }

  std::size_t read(char *buf, std::size_t len) override {
    auto n = reader_->read(buf, len);
    if (n == 0)
      s_->verifier->end();
    else
      s_->verifier->absorb(buf, n);
    return n;
  }

private:
  std::shared_ptr<Stream> s_;
  std::unique_ptr<registry::Reader> reader_;
};

class VerifiedSource final : public registry::BlobSource {
public:
  explicit VerifiedSource(std::shared_ptr<Stream> s) : s_(std::move(s)) {}
  // Readers may outlive this source (a caller that opens and drops it in one
  // expression): they hold the stream, and through it the inner source.
  std::unique_ptr<registry::Reader> open(std::uint64_t offset) override {
    return std::make_unique<VerifyingReader>(s_, offset);
  }

private:
  std::shared_ptr<Stream> s_;
};

} // namespace

std::unique_ptr<registry::BlobSource> verified(std::unique_ptr<registry::BlobSource> inner,
                                               const image::Descriptor &d) {
  auto s = std::make_shared<Stream>();
  s->inner = std::move(inner);
  s->d = d;
  s->verifier.emplace(d); // an unsupported algorithm fails here, before any byte moves
  return std::make_unique<VerifiedSource>(std::move(s));
}

} // namespace berth::ops
