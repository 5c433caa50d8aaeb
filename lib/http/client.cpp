#include "http/client.hpp"

#include "http/curl_handles.hpp"
#include "http/tls_trust.hpp"

#include <berth/cancel.hpp>
#include <berth/error.hpp>
#include <berth/version.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

namespace berth::http {
namespace {

std::string env(const char *name) {
  const char *v = std::getenv(name);
  return v ? v : "";
}

std::string upper(std::string s) {
  for (auto &c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool idempotent_method(const std::string &m) {
  return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS";
}

std::mutex g_notice_mutex;
WaitNotice g_notice;

void notice(const char *event, const std::string &text) {
  std::lock_guard lock(g_notice_mutex);
  if (g_notice) g_notice(event, text);
}

// "12 s", "2 min 5 s": a wait as a person reads it.
std::string seconds_text(std::chrono::steady_clock::duration d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s < 120) return std::to_string(s) + " s";
  return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
}

// State of one transfer, reachable from curl's callbacks.
struct Transfer {
  const Request *req = nullptr;
  Response resp;
  std::size_t max_buffered = 0;
  std::uint64_t delivered = 0; // bytes handed to the sink
  bool announced = false;      // on_response called
  std::exception_ptr error;    // thrown by a sink, source or progress function
  bool cancelled = false;
  const CancelToken *cancel = nullptr; // the operation's, polled by on_progress
  // While nothing moves, "no data for N s" is said every `waiting_step` (a third of
  // the stall timeout; zero: never), so that no wait before a stall is silent.
  std::chrono::steady_clock::duration waiting_step{};
  std::chrono::seconds stall_timeout{};
  std::uint64_t moved = 0; // down + up bytes when they last changed
  std::chrono::steady_clock::time_point moved_at, said_at;
  std::vector<std::string> extra_cas; // PEM files trusted for this request's host
  std::size_t header_bytes = 0;       // of every header line of this transfer
};

// Reply headers a registry may send in all (curl's own limit is 300 KiB, refused as
// a receive error that the transport would retry; one line is capped at 100 KiB).
constexpr std::size_t kMaxHeaderBytes = 256u << 10;

std::size_t on_header(char *data, std::size_t size, std::size_t n, void *user) {
  auto *t = static_cast<Transfer *>(user);
  std::string_view line(data, size * n);
  t->header_bytes += line.size();
  if (t->header_bytes > kMaxHeaderBytes) {
    t->error = std::make_exception_ptr(
        Error(Errc::protocol,
              "the reply headers from " + t->req->url.substr(0, t->req->url.find('?')) +
                  " are larger than " + std::to_string(kMaxHeaderBytes >> 10) + " KiB; refused"));
    return 0;
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line (after 100 Continue or a proxy's CONNECT reply) starts over.
    t->resp.headers.clear();
    auto sp = line.find(' ');
    t->resp.status =
        sp == std::string_view::npos ? 0 : std::atoi(std::string(line.substr(sp + 1, 3)).c_str());
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos && colon > 0) {
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    t->resp.headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
  }
  return size * n;
}

std::size_t on_write(char *data, std::size_t size, std::size_t n, void *user) {
  auto *t = static_cast<Transfer *>(user);
  std::size_t len = size * n;
  bool success = t->resp.status >= 200 && t->resp.status < 300;
  if (success && t->req->sink) {
    try {
      if (!t->announced && t->req->on_response) t->req->on_response(t->resp);
      t->announced = true;
      t->req->sink(data, len);
      t->delivered += len;
    } catch (...) {
      t->error = std::current_exception();
      return 0;
    }
    return len;
  }
  // Error bodies are only read for their message; keep the first megabyte.
  std::size_t cap = success ? t->max_buffered : std::size_t{1} << 20;
  if (t->resp.body.size() + len > cap) {
    if (!success) return len;
    t->error = std::make_exception_ptr(
        Error(Errc::too_large, "the reply from " + t->req->url.substr(0, t->req->url.find('?')) +
                                   " is larger than " +
                                   (cap % (1u << 20) ? std::to_string(cap) + " bytes"
                                                     : std::to_string(cap >> 20) + " MiB") +
                                   "; refused"));
    return 0;
  }
  t->resp.body.append(data, len);
  return len;
}

std::size_t on_read(char *buf, std::size_t size, std::size_t n, void *user) {
  auto *t = static_cast<Transfer *>(user);
  try {
    return t->req->body->read(buf, size * n);
  } catch (...) {
    t->error = std::current_exception();
    return CURL_READFUNC_ABORT;
  }
}

int on_seek(void *user, curl_off_t offset, int origin) {
  auto *t = static_cast<Transfer *>(user);
  if (offset != 0 || origin != SEEK_SET) return CURL_SEEKFUNC_CANTSEEK;
  return t->req->body->rewind() ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_CANTSEEK;
}

int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                curl_off_t ulnow) {
  (void)dltotal;
  (void)ultotal;
  auto *t = static_cast<Transfer *>(user);
  // curl calls this about once a second even while nothing moves: a cancel reaches
  // a stalled transfer as soon as one that flows.
  if (t->cancel && t->cancel->fired()) {
    t->cancelled = true;
    return 1;
  }
  if (t->waiting_step.count() > 0) {
    const auto now = std::chrono::steady_clock::now();
    const auto moved = static_cast<std::uint64_t>(dlnow) + static_cast<std::uint64_t>(ulnow);
    if (moved != t->moved) {
      t->moved = moved;
      t->moved_at = t->said_at = now;
    } else if (now - t->said_at >= t->waiting_step &&
               now - t->moved_at < t->stall_timeout) { // at the stall, the retry is said
      t->said_at = now;
      notice("waiting", "no data for " + seconds_text(now - t->moved_at) + " from " +
                            origin_of(t->req->url) + " (a stall is given up after " +
                            seconds_text(t->stall_timeout) + ")");
    }
  }
  if (!t->req->progress) return 0;
  try {
    if (t->req->progress(static_cast<std::uint64_t>(dlnow), static_cast<std::uint64_t>(ulnow))) {
      t->cancelled = true;
      return 1;
    }
  } catch (...) {
    t->error = std::current_exception();
    return 1;
  }
  return 0;
}

// The TLS probe's: it stops once the operation is cancelled.
int on_probe_progress(void *user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const CancelToken *>(user)->fired() ? 1 : 0;
}

// Adds per-host CA files to the verification store on top of the system trust,
// which CURLOPT_CAINFO alone would replace.
CURLcode on_ssl_ctx(CURL *, void *ssl_ctx, void *user) {
  auto *t = static_cast<Transfer *>(user);
  auto *ctx = static_cast<SSL_CTX *>(ssl_ctx);
  for (const auto &file : t->extra_cas)
    if (!add_ca_file(SSL_CTX_get_cert_store(ctx), file)) return CURLE_SSL_CACERT_BADFILE;
  return CURLE_OK;
}

// A failure that another attempt cannot cure: the peer's certificate will be just as
// untrusted a moment later. Thrown so that send() reports it at once instead of
// after the whole backoff; callers see an ordinary Error(network).
class PermanentTransferError final : public Error {
public:
  explicit PermanentTransferError(const Error &e) : Error(e) {}
};

// The operation's time limit ran out: never retried.
PermanentTransferError deadline_error(const std::string &url) {
  return PermanentTransferError(Error(Errc::timeout, "the operation's time limit ran out (" +
                                                         url.substr(0, url.find('?')) + ")"));
}

bool permanent(CURLcode code) {
  return code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE ||
         code == CURLE_SSL_CERTPROBLEM;
}

Error transfer_error(CURLcode code, const char *errbuf, const std::string &url) {
  std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(code);
  std::string where = " (" + url.substr(0, url.find('?')) + ")";
  switch (code) {
  case CURLE_OPERATION_TIMEDOUT: return Error(Errc::timeout, "timed out: " + detail + where);
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CERTPROBLEM:
    return Error(Errc::network,
                 "TLS verification failed: " + detail + where +
                     "; trust the registry's CA with --ca-bundle or certs.d/<host>/ca.crt");
  case CURLE_OUT_OF_MEMORY:
    // Also what libcurl reports for a reply header line over its 100 KiB limit.
    return Error(Errc::no_memory,
                 "libcurl ran out of memory, or a reply header line was longer than its "
                 "100 KiB limit" +
                     where);
  case CURLE_URL_MALFORMAT:
  case CURLE_UNSUPPORTED_PROTOCOL:
    return Error(Errc::invalid_argument, "bad URL: " + detail + where);
  default: return Error(Errc::network, "network error: " + detail + where);
  }
}

} // namespace

struct Client::Impl {
  ShareHandle share{curl_share_init()};
  std::array<std::mutex, CURL_LOCK_DATA_LAST> locks;
  std::mutex pool_mutex;
  std::vector<EasyHandle> pool;
  std::vector<std::string> connect_to;
  std::string cainfo, capath;
  std::mutex rng_mutex;
  std::mt19937_64 rng{std::random_device{}()};

  static void lock(CURL *, curl_lock_data data, curl_lock_access, void *user) {
    static_cast<Impl *>(user)->locks[static_cast<std::size_t>(data)].lock();
  }
  static void unlock(CURL *, curl_lock_data data, void *user) {
    static_cast<Impl *>(user)->locks[static_cast<std::size_t>(data)].unlock();
  }

  EasyHandle acquire() {
    {
      std::lock_guard g(pool_mutex);
      if (!pool.empty()) {
        EasyHandle h = std::move(pool.back());
        pool.pop_back();
        return h;
      }
    }
    EasyHandle h(curl_easy_init());
    if (!h) throw Error(Errc::no_memory, "curl_easy_init failed");
    return h;
  }
  void release(EasyHandle h) {
    curl_easy_reset(h.get());
    std::lock_guard g(pool_mutex);
    if (pool.size() < 16) pool.push_back(std::move(h));
  }
};

Client::Client(ClientOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (!impl_->share) throw Error(Errc::no_memory, "curl_share_init failed");
  curl_share_setopt(impl_->share.get(), CURLSHOPT_LOCKFUNC, &Impl::lock);
  curl_share_setopt(impl_->share.get(), CURLSHOPT_UNLOCKFUNC, &Impl::unlock);
  curl_share_setopt(impl_->share.get(), CURLSHOPT_USERDATA, impl_.get());
  curl_share_setopt(impl_->share.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  curl_share_setopt(impl_->share.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(impl_->share.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);

  if (options_.user_agent.empty())
    options_.user_agent = std::string("berth/") + BERTH_VERSION_STRING_VALUE;
  impl_->connect_to = options_.connect_to;
  if (options_.read_environment) {
    auto mapping = env("BERTH_CONNECT_TO");
    std::size_t start = 0;
    while (start < mapping.size()) {
      auto end = mapping.find(',', start);
      if (end == std::string::npos) end = mapping.size();
      if (end > start) impl_->connect_to.push_back(mapping.substr(start, end - start));
      start = end + 1;
    }
    impl_->cainfo = env("SSL_CERT_FILE");
    impl_->capath = env("SSL_CERT_DIR");
    if (options_.certs_d_dirs.empty()) options_.certs_d_dirs = default_certs_d_dirs();
  }
  for (const auto &m : impl_->connect_to)
    if (std::count(m.begin(), m.end(), ':') < 3)
      throw Error(Errc::invalid_argument,
                  "connect-to mapping must be HOST:PORT:ADDR:PORT, got '" + m + "'");
}

Client::~Client() = default;

Response Client::send_once(const Request &req) {
  throw_if_cancelled();
  Transfer t;
  t.req = &req;
  t.cancel = current_cancel().get(); // the thread's reference outlives this call
  if (options_.stall_timeout.count() > 0) {
    t.stall_timeout = options_.stall_timeout;
    t.waiting_step =
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.stall_timeout) / 3;
    t.moved_at = t.said_at = std::chrono::steady_clock::now();
  }
  t.max_buffered = options_.max_buffered_body;
  t.resp.url = req.url;
  if (!options_.ca_bundle.empty()) t.extra_cas.push_back(options_.ca_bundle);
  for (auto &f : certs_d_ca_files(options_.certs_d_dirs, req.url))
    t.extra_cas.push_back(std::move(f));

  EasyHandle easy = impl_->acquire();
  CURL *h = easy.get();
  char errbuf[CURL_ERROR_SIZE] = {0};
  std::string method = upper(req.method);

  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_SHARE, impl_->share.get());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  auto limit = options_.total_timeout;
  if (has_deadline()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        options_.deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw deadline_error(req.url);
    if (limit.count() == 0 || left < limit) limit = left;
  }
  // Pooled handles keep options: every one is set each time.
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(limit.count()));
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT,
                   options_.stall_timeout.count() > 0 ? options_.stall_bytes_per_second : 0L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.stall_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  // 16 KiB at a time (curl's default) made a pull ~20,000 poll/recv/write rounds for
  // 300 MB and every copied byte a trip through PipeReader's lock.
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
  curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, nullptr); // bytes exactly as sent: digests
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  if (options_.insecure) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  } else {
    if (!impl_->cainfo.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, impl_->cainfo.c_str());
    if (!impl_->capath.empty()) curl_easy_setopt(h, CURLOPT_CAPATH, impl_->capath.c_str());
    if (!t.extra_cas.empty()) {
      curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, &on_ssl_ctx);
      curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, &t);
    }
  }
  Slist connect_to;
  for (const auto &m : impl_->connect_to)
    slist_append(connect_to, m.c_str());
  if (connect_to) curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to.get());

  Slist headers;
  for (const auto &hd : req.headers)
    slist_append(headers, (hd.name + ": " + hd.value).c_str());
  bool has_body = req.body != nullptr;
  if (method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (has_body) {
    if (!req.body->rewind()) throw Error(Errc::internal, "request body cannot be rewound");
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(h, CURLOPT_READFUNCTION, &on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &t);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &on_seek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &t);
    if (auto size = req.body->size())
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(*size));
    // A round trip per request for "100 Continue" costs more than it saves here.
    slist_append(headers, "Expect:");
  } else if (method == "POST" || method == "PUT" || method == "PATCH") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  } else if (method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  if (headers) curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());

  CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    t.resp.status = static_cast<int>(status);
  }
  impl_->release(std::move(easy));
  if (t.error) std::rethrow_exception(t.error);
  if (t.cancelled) {
    throw_if_cancelled();
    throw Error(Errc::cancelled, "cancelled");
  }
  if (rc != CURLE_OK) {
    if (rc == CURLE_OPERATION_TIMEDOUT && has_deadline() &&
        std::chrono::steady_clock::now() >= options_.deadline)
      throw deadline_error(req.url);
    if (permanent(rc)) throw PermanentTransferError(transfer_error(rc, errbuf, req.url));
    throw transfer_error(rc, errbuf, req.url);
  }
  return std::move(t.resp);
}

void set_wait_notice(WaitNotice fn) {
  std::lock_guard lock(g_notice_mutex);
  g_notice = std::move(fn);
}

Response Client::send(Request req) {
  req.method = upper(req.method);
  const auto started = std::chrono::steady_clock::now();
  int stalls = 0; // attempts that ended without data for stall_timeout
  const bool can_repeat = req.idempotent.value_or(idempotent_method(req.method));
  const std::string origin = req.url;
  bool credentials_dropped = false;
  int redirects = 0;
  int attempt = 1;
  // Bytes already handed to a sink cannot be taken back; once any arrived, the
  // caller resumes (with a Range request) instead of this loop repeating.
  std::uint64_t delivered = 0;
  if (req.sink)
    req.sink = [inner = std::move(req.sink), &delivered](const char *d, std::size_t n) {
      inner(d, n);
      delivered += n;
    };
  auto sleep_before_retry = [&](std::optional<std::chrono::milliseconds> retry_after,
                                const std::string &why) {
    notice("retry", "retrying " + std::to_string(attempt + 1) + "/" +
                        std::to_string(options_.retry.max_attempts) + " after " + why + " from " +
                        origin_of(req.url));
    std::chrono::milliseconds delay;
    {
      std::lock_guard g(impl_->rng_mutex);
      delay = backoff_delay(options_.retry, attempt, retry_after, impl_->rng);
    }
    if (has_deadline() && std::chrono::steady_clock::now() + delay >= options_.deadline)
      throw deadline_error(req.url);
    sleep_unless_cancelled(delay);
    ++attempt;
  };
  for (;;) {
    Response resp;
    try {
      resp = send_once(req);
    } catch (const Error &e) {
      bool transient = (e.code() == Errc::network || e.code() == Errc::timeout) &&
                       dynamic_cast<const PermanentTransferError *>(&e) == nullptr;
      const bool stalled = transient && e.code() == Errc::timeout;
      if (stalled) ++stalls;
      // A server that stalled twice is stalling: a third wait of stall_timeout would
      // only keep the command silent longer (two of 60 s by default: under 2.5 minutes).
      if (transient && stalls < 2 && can_repeat && attempt < options_.retry.max_attempts &&
          delivered == 0 && (req.body == nullptr || req.body->rewind())) {
        sleep_before_retry(std::nullopt, stalled ? std::to_string(options_.stall_timeout.count()) +
                                                       " s without data"
                                                 : "a connection error");
        continue;
      }
      // The real total, not one attempt's: "(3 tries over 2 min 5 s)".
      if (attempt > 1)
        throw Error(e.code(), std::string(e.what()) + " (" + std::to_string(attempt) +
                                  " tries over " +
                                  seconds_text(std::chrono::steady_clock::now() - started) + ")");
      throw;
    }
    if (retryable_status(resp.status) && can_repeat && attempt < options_.retry.max_attempts &&
        (req.body == nullptr || req.body->rewind())) {
      std::optional<std::chrono::milliseconds> retry_after;
      if (auto ra = resp.header("Retry-After"))
        retry_after = parse_retry_after(*ra, std::chrono::system_clock::now());
      sleep_before_retry(retry_after, "HTTP " + std::to_string(resp.status));
      continue;
    }
    bool redirect = resp.status == 301 || resp.status == 302 || resp.status == 303 ||
                    resp.status == 307 || resp.status == 308;
    auto location = resp.header("Location");
    if (!redirect || !location) return resp;
    if (++redirects > options_.max_redirects)
      throw Error(Errc::protocol, "too many redirects from " + origin.substr(0, origin.find('?')));
    std::string next = resolve_url(req.url, *location);
    if (req.carries_secret && different_origin(origin, next))
      throw Error(Errc::unsafe, "refusing to follow a redirect of a request that carries "
                                "credentials from " +
                                    origin_of(origin) + " to " + origin_of(next));
    if (!credentials_dropped && different_origin(origin, next)) {
      // The credentials were issued for the origin, never for object storage or
      // any other host a registry points us to.
      erase_header(req.headers, "Authorization");
      erase_header(req.headers, "Cookie");
      credentials_dropped = true;
    }
    if (resp.status == 303 ||
        ((resp.status == 301 || resp.status == 302) && req.method != "HEAD")) {
      if (req.method != "GET" && req.method != "HEAD") {
        req.method = "GET";
        req.body = nullptr;
      }
    }
    req.url = std::move(next);
  }
}

bool Client::speaks_tls(const std::string &host_port) {
  // A handle of its own, outside the share and the pool: this connection skips
  // verification and must never carry a request.
  EasyHandle easy(curl_easy_init());
  if (!easy) throw Error(Errc::no_memory, "curl_easy_init failed");
  CURL *h = easy.get();
  std::string url = "https://" + host_port + "/";
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  // A plain server that waits for a request line may never answer a ClientHello;
  // a loopback handshake takes milliseconds, so do not wait the full connect timeout.
  auto limit = std::min(options_.connect_timeout, std::chrono::milliseconds(5000));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(limit.count()));
  Slist connect_to;
  for (const auto &m : impl_->connect_to)
    slist_append(connect_to, m.c_str());
  if (connect_to) curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to.get());
  const CancelToken *cancel = current_cancel().get();
  if (cancel) {
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &on_probe_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, cancel);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  }
  const bool tls = curl_easy_perform(h) == CURLE_OK;
  throw_if_cancelled();
  return tls;
}

std::string resolve_url(const std::string &base, const std::string &location) {
  UrlHandle u(curl_url());
  if (!u) throw std::bad_alloc();
  if (curl_url_set(u.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK ||
      curl_url_set(u.get(), CURLUPART_URL, location.c_str(), 0) != CURLUE_OK)
    throw Error(Errc::protocol, "server sent an unusable redirect Location '" + location + "'");
  char *out = nullptr;
  if (curl_url_get(u.get(), CURLUPART_URL, &out, 0) != CURLUE_OK)
    throw Error(Errc::protocol, "server sent an unusable redirect Location '" + location + "'");
  CurlString owned(out);
  return owned.get();
}

namespace {

// The URL's scheme, host and port, lower-cased (default ports filled in); nullopt for
// what curl cannot parse.
std::optional<std::array<std::string, 3>> origin_parts(const std::string &url) {
  UrlHandle u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return std::nullopt;
  std::array<std::string, 3> out;
  std::size_t i = 0;
  for (auto part : {CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT}) {
    char *p = nullptr;
    if (curl_url_get(u.get(), part, &p, CURLU_DEFAULT_PORT) == CURLUE_OK) {
      CurlString owned(p);
      std::string s = owned.get();
      for (auto &c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out[i] = s;
    }
    ++i;
  }
  return out;
}

} // namespace

bool different_origin(const std::string &a, const std::string &b) {
  auto oa = origin_parts(a);
  return !oa || oa != origin_parts(b);
}

std::string origin_of(const std::string &url) {
  auto o = origin_parts(url);
  if (!o) return "an unparsable URL";
  return (*o)[0] + "://" + (*o)[1] + ":" + (*o)[2];
}

} // namespace berth::http
