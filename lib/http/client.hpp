// The libcurl transport. One Client is shared by every transfer of an operation:
// connections, DNS results and TLS sessions are pooled across threads through a
// curl share handle, and easy handles are recycled.
//
// The Client follows redirects itself (curl's FOLLOWLOCATION would forward the
// Authorization header to wherever a registry points): credentials are dropped as
// soon as a redirect leaves the origin they were issued for.
#pragma once

#include "http/retry.hpp"
#include "http/types.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace berth::http {

struct ClientOptions {
  std::string user_agent; // default "berth/<version>"
  std::string ca_bundle;  // extra trusted CAs (PEM file), added to the system store
  bool insecure = false;  // skip TLS verification (never the default)
  // curl --connect-to entries "HOST:PORT:ADDR:PORT". BERTH_CONNECT_TO (comma
  // separated) is appended when read_environment is set.
  std::vector<std::string> connect_to;
  // Docker's per-registry trust: <dir>/<host[:port]>/ca.crt for each dir.
  std::vector<std::string> certs_d_dirs;
  bool read_environment = true; // BERTH_CONNECT_TO, SSL_CERT_FILE/DIR, DOCKER_CONFIG
  std::chrono::milliseconds connect_timeout{30000};
  // Whole-transfer limit; zero means none (blobs take as long as they take).
  std::chrono::milliseconds total_timeout{0};
  // A transfer that moves less than stall_bytes_per_second for this long is abandoned
  // (Error(timeout), resumed where that is safe): a stalled body or a registry that
  // dribbles a byte a second does not hold a copy for hours. Zero: never.
  std::chrono::seconds stall_timeout{60};
  long stall_bytes_per_second = 1024;
  // The whole operation's end: no attempt starts or runs past it, and none is retried
  // after it (Error(timeout)). max() = none.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  RetryPolicy retry;
  int max_redirects = 10;
  // Upper bound for bodies buffered in memory (API replies, manifests).
  std::size_t max_buffered_body = 32u << 20;
};

class Client {
public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(const Client &) = delete;
  Client &operator=(const Client &) = delete;

  // One attempt, redirects not followed. Throws Error(network|timeout|cancelled)
  // when no HTTP response arrived; any HTTP status is returned.
  Response send_once(const Request &req);

  // Retries (idempotent requests, rewindable bodies, nothing yet handed to the
  // sink) and follows redirects without leaking credentials across origins.
  Response send(Request req);

  // Whether the server at host[:port] completes a TLS handshake (certificate not
  // checked: the question is the protocol, trust is decided by the real requests).
  // For loopback registries, which may serve either; false when nothing answers.
  bool speaks_tls(const std::string &host_port);

  const ClientOptions &options() const { return options_; }

private:
  bool has_deadline() const {
    return options_.deadline != std::chrono::steady_clock::time_point::max();
  }
  struct Impl;
  ClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

// Resolves a Location header against the URL it came from.
std::string resolve_url(const std::string &base, const std::string &location);

// True when a and b differ in scheme, host or port.
bool different_origin(const std::string &a, const std::string &b);

// "scheme://host:port" of a URL, for messages (no path, query or userinfo).
std::string origin_of(const std::string &url);

// Told of every wait, so that a command is never silent while it waits (the CLI
// prints them on stderr): event "retry" before a retry's backoff ("retrying 2/5 after
// 60 s without data from HOST"), "waiting" every third of the stall timeout while a
// transfer moves nothing ("no data for 20 s from HOST (a stall is given up after
// 60 s)"). Process-wide, thread-safe; an empty function (the default) tells no one.
using WaitNotice = std::function<void(const char *event, const std::string &text)>;
void set_wait_notice(WaitNotice notice);

} // namespace berth::http
