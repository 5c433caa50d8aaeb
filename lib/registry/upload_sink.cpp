#include "registry/upload_sink.hpp"

#include "registry/errors.hpp"

#include <berth/error.hpp>

namespace berth::registry {

UploadSink::UploadSink(Repository &repo) : repo_(repo) {
  http::Request req;
  req.method = "POST";
  req.url = repo_.url("/blobs/uploads/");
  req.idempotent = true;
  auto resp = repo_.registry().send(req, scope());
  if (resp.status != 202) throw registry_error(resp, "POST blob upload " + repo_.name());
  auto location = resp.header("Location");
  if (!location) throw Error(Errc::protocol, "registry started an upload without a Location");
  location_ = http::resolve_url(resp.url, *location);
  buffer_.reserve(static_cast<std::size_t>(repo_.registry().options().chunk_size));
}

UploadSink::~UploadSink() {
  if (committed_ || location_.empty()) return;
  // Abandoned (an error upstream): tell the registry to drop the session.
  try {
    http::Request req;
    req.method = "DELETE";
    req.url = location_;
    repo_.registry().send(req, scope());
  } catch (...) {
  }
}

std::vector<std::string> UploadSink::scope() const {
  return {"repository:" + repo_.name() + ":pull,push"};
}

void UploadSink::write(const char *data, std::size_t len) {
  const auto chunk = static_cast<std::size_t>(repo_.registry().options().chunk_size);
  while (len > 0) {
    std::size_t n = std::min(len, chunk - buffer_.size());
    buffer_.append(data, n);
    data += n;
    len -= n;
    if (buffer_.size() == chunk) flush();
  }
}

void UploadSink::flush() {
  std::size_t sent = 0; // of buffer_
  int failures = 0;
  while (sent < buffer_.size()) {
    http::StringSource body(std::string_view(buffer_).substr(sent));
    http::Request req;
    req.method = "PATCH";
    req.url = location_;
    req.body = &body;
    req.idempotent = false;
    req.headers = {{"Content-Type", "application/octet-stream"},
                   {"Content-Range", std::to_string(offset_ + sent) + "-" +
                                         std::to_string(offset_ + buffer_.size() - 1)}};
    http::Response resp;
    bool dropped = false;
    try {
      resp = repo_.registry().send(req, scope());
      dropped = resp.status >= 500 || resp.status == 408 || resp.status == 429;
    } catch (const Error &e) {
      if (e.code() != Errc::network && e.code() != Errc::timeout) throw;
      dropped = true;
    }
    if (dropped) {
      if (++failures >= repo_.registry().options().resume_attempts)
        throw Error(Errc::network, "upload to " + repo_.name() + " kept failing at byte " +
                                       std::to_string(offset_ + sent));
      // Where did the registry get to? Resend from there, out of the buffer.
      http::Request status;
      status.url = location_;
      auto st = repo_.registry().send(status, scope());
      auto range = st.header("Range");
      if (st.status != 204 || !range)
        throw Error(Errc::network,
                    "upload to " + repo_.name() + " was interrupted and cannot be resumed");
      auto dash = range->find('-');
      std::uint64_t have = std::stoull(range->substr(dash + 1)) + 1;
      if (have < offset_ || have > offset_ + buffer_.size())
        throw Error(Errc::protocol,
                    "registry reports an upload offset outside the chunk in flight");
      sent = static_cast<std::size_t>(have - offset_);
      continue;
    }
    if (resp.status != 202 && resp.status != 201 && resp.status != 204)
      throw registry_error(resp, "PATCH blob upload " + repo_.name());
    if (auto loc = resp.header("Location")) location_ = http::resolve_url(resp.url, *loc);
    sent = buffer_.size();
  }
  offset_ += buffer_.size();
  buffer_.clear();
}

void UploadSink::finish() {
  if (!buffer_.empty()) flush();
}

void UploadSink::commit(const std::string &digest) {
  finish();
  http::StringSource empty("");
  http::Request req;
  req.method = "PUT";
  req.url = location_ + (location_.find('?') == std::string::npos ? "?" : "&") + "digest=" + digest;
  req.body = &empty;
  req.headers = {{"Content-Type", "application/octet-stream"}};
  auto resp = repo_.registry().send(req, scope());
  if (resp.status != 201 && !resp.ok())
    throw registry_error(resp, "PUT (finish) blob " + repo_.name() + "@" + digest);
  committed_ = true;
}

} // namespace berth::registry
