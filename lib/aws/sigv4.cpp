// AWS Signature Version 4.
//
// Signing is on the hot path of every AWS call berth makes, so Signer::sign avoids
// what dominated its profile: it works on views of the caller's URL and headers,
// keeps its scratch buffers per thread, builds the canonical request in one reserved
// string, classifies bytes with tables, re-encodes only query parameters that are not
// already canonical (never berth's own presign parameters), and caches the derived
// signing key as a precomputed HMAC state (core::HmacSha256Key).
#include <berth/error.hpp>
#include <berth/sigv4.hpp>

#include "core/crypto.hpp"
#include "core/uri.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <mutex>
#include <vector>

namespace berth::aws {
namespace {

using namespace std::string_view_literals;

// ---------------------------------------------------------------------------------
// Bytes
// ---------------------------------------------------------------------------------

enum : unsigned char {
  kTokenChar = 1, // RFC 9110 tchar: what a header name may hold
  kSpaceChar = 2, // whitespace the canonical value trims and collapses
  kCheckChar = 4, // CR, LF and NUL: checked where they appear in a value
};

constexpr auto kChar = [] {
  std::array<unsigned char, 256> t{};
  constexpr std::string_view punct = "!#$%&'*+-.^_`|~";
  for (int c = 0; c < 256; ++c) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool token = alnum || punct.find(static_cast<char>(c)) != std::string_view::npos;
    bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
    bool check = c == '\r' || c == '\n' || c == '\0';
    t[static_cast<std::size_t>(c)] = static_cast<unsigned char>(
        (token ? kTokenChar : 0) | (space ? kSpaceChar : 0) | (check ? kCheckChar : 0));
  }
  return t;
}();

unsigned char char_class(char c) noexcept {
  return kChar[static_cast<unsigned char>(c)];
}

char lower_char(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

char upper_char(char c) noexcept {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - ('a' - 'A')) : c;
}

void append_lower(std::string &out, std::string_view s) {
  const std::size_t at = out.size();
  out.append(s);
  for (std::size_t i = at; i < out.size(); ++i)
    out[i] = lower_char(out[i]);
}

// Eight bytes at p as one word (SWAR scanning: long values are mostly plain).
std::uint64_t load8(const char *p) noexcept {
  std::uint64_t x;
  std::memcpy(&x, p, sizeof x);
  return x;
}

// Whether any byte of x is below n (n <= 128); exact, whatever the byte order.
constexpr bool has_byte_below(std::uint64_t x, unsigned n) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  return ((x - ones * n) & ~x & highs) != 0;
}

// The index of the first whitespace byte of v at or after i, or v.size(). Every
// whitespace byte is below 0x21, so whole words without such bytes are skipped.
std::size_t find_space(std::string_view v, std::size_t i) noexcept {
  const std::size_t n = v.size();
  for (;;) {
    while (i + 8 <= n && !has_byte_below(load8(v.data() + i), 0x21))
      i += 8;
    const std::size_t stop = std::min(n, i + 8);
    for (; i < stop; ++i)
      if (char_class(v[i]) & kSpaceChar) return i;
    if (i >= n) return n;
  }
}

std::string_view trim(std::string_view v) noexcept {
  while (!v.empty() && (char_class(v.front()) & kSpaceChar))
    v.remove_prefix(1);
  while (!v.empty() && (char_class(v.back()) & kSpaceChar))
    v.remove_suffix(1);
  return v;
}

// ---------------------------------------------------------------------------------
// Headers
// ---------------------------------------------------------------------------------

// Hop-by-hop and proxy-rewritten headers are never signed: a proxy or the HTTP stack
// may change them in flight. The list is botocore's, so both sign the same set.
constexpr std::array<std::string_view, 11> kUnsignedHeaders = {"connection",
                                                               "expect",
                                                               "keep-alive",
                                                               "proxy-authenticate",
                                                               "proxy-authorization",
                                                               "te",
                                                               "trailer",
                                                               "transfer-encoding",
                                                               "upgrade",
                                                               "user-agent",
                                                               "x-amzn-trace-id"};

bool is_unsigned_header(std::string_view lname) noexcept {
  return std::find(kUnsignedHeaders.begin(), kUnsignedHeaders.end(), lname) !=
         kUnsignedHeaders.end();
}

void validate_header(const Header &h) {
  bool token = !h.name.empty();
  for (char c : h.name)
    token = token && (char_class(c) & kTokenChar);
  if (!token) throw Error(Errc::invalid_argument, "invalid header name: '" + h.name + "'");
  // Folded continuation lines (a newline followed by a space or tab) are legal in
  // what we sign; a bare newline would let a value smuggle in another header.
  const std::string &v = h.value;
  for (std::size_t i = 0; i < v.size(); ++i) {
    // CR, LF and NUL are below 0x0e: skip the words that hold no such byte.
    while (i + 8 <= v.size() && !has_byte_below(load8(v.data() + i), 0x0e))
      i += 8;
    if (i >= v.size()) break;
    if (!(char_class(v[i]) & kCheckChar)) continue;
    char c = v[i];
    if (c == '\r' && i + 1 < v.size() && v[i + 1] == '\n') continue;
    if (c == '\r' || c == '\n') {
      if (i + 1 >= v.size() || (v[i + 1] != ' ' && v[i + 1] != '\t'))
        throw Error(Errc::invalid_argument,
                    "header '" + h.name + "' has a line break in its value");
    } else {
      throw Error(Errc::invalid_argument, "header '" + h.name + "' has a NUL byte in its value");
    }
  }
}

// Appends v trimmed, with every run of whitespace (including folded line breaks)
// collapsed to one space, as the SigV4 specification requires.
void append_canonical_value(std::string &out, std::string_view v) {
  std::size_t i = 0;
  const std::size_t n = v.size();
  while (i < n && (char_class(v[i]) & kSpaceChar))
    ++i;
  bool first = true;
  while (i < n) {
    std::size_t j = find_space(v, i);
    if (!first) out.push_back(' ');
    out.append(v.data() + i, j - i);
    first = false;
    while (j < n && (char_class(v[j]) & kSpaceChar))
      ++j;
    i = j;
  }
}

// A header to sign: its lower-cased name and its value as given.
struct HeaderRef {
  std::string_view lname;
  std::string_view value;
};

// By name; headers of the same name keep their send order (their values are joined
// in that order).
void sort_headers(std::vector<HeaderRef> &h) {
  auto less = [](const HeaderRef &a, const HeaderRef &b) { return a.lname < b.lname; };
  if (h.size() > 32) {
    std::stable_sort(h.begin(), h.end(), less);
    return;
  }
  for (std::size_t i = 1; i < h.size(); ++i) {
    HeaderRef cur = h[i];
    std::size_t j = i;
    for (; j > 0 && less(cur, h[j - 1]); --j)
      h[j] = h[j - 1];
    h[j] = cur;
  }
}

// "host;x-amz-date" from sorted headers.
void append_signed_headers(std::string &out, const std::vector<HeaderRef> &sorted) {
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0 && sorted[i].lname == sorted[i - 1].lname) continue;
    if (i > 0) out.push_back(';');
    out.append(sorted[i].lname);
  }
}

// ---------------------------------------------------------------------------------
// Path and query
// ---------------------------------------------------------------------------------

// RFC 3986 section 5.2.4, plus the collapse of empty segments AWS requires.
void append_normalized_path(std::string &out, std::string_view path) {
  if (path.empty()) {
    out.push_back('/');
    return;
  }
  // Each kept segment is written as "/segment", so ".." drops back to the last '/'.
  const std::size_t base = out.size();
  std::size_t kept = 0;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    auto seg = path.substr(start, end - start);
    if (seg == "..") {
      if (kept > 0) {
        out.resize(out.rfind('/'));
        --kept;
      }
    } else if (!seg.empty() && seg != ".") {
      out.push_back('/');
      out.append(seg);
      ++kept;
    }
    start = end + 1;
  }
  if (kept == 0) {
    out.resize(base);
    out.push_back('/');
    return;
  }
  if (path.front() != '/') out.erase(base, 1);
  if (path.back() == '/') out.push_back('/');
}

struct Param {
  std::string_view key;
  std::string_view value;
};

void sort_params(std::vector<Param> &p) {
  auto less = [](const Param &a, const Param &b) {
    int c = a.key.compare(b.key);
    return c < 0 || (c == 0 && a.value < b.value);
  };
  if (p.size() > 32) {
    std::sort(p.begin(), p.end(), less);
    return;
  }
  for (std::size_t i = 1; i < p.size(); ++i) {
    Param cur = p[i];
    std::size_t j = i;
    for (; j > 0 && less(cur, p[j - 1]); --j)
      p[j] = p[j - 1];
    p[j] = cur;
  }
}

// ---------------------------------------------------------------------------------
// Per-thread scratch space
// ---------------------------------------------------------------------------------

// Buffers reused from one signature to the next on a thread, so signing allocates
// little beyond the SignedRequest it returns. Views handed around during one
// signature point into them; each buffer is reserved before views into it are taken.
struct Scratch {
  std::string names; // lower-cased header names
  std::vector<HeaderRef> headers;
  std::string query;   // re-encoded query parameters (those not already canonical)
  std::string decoded; // one decoded query parameter
  std::vector<Param> params;
  std::string path; // the normalized path
  std::string auth; // berth's presign parameters, canonical and wire form at once
  std::string host; // the Host value berth adds

  void release_if_large() {
    constexpr std::size_t kKeep = 64 * 1024;
    for (auto *s : {&names, &query, &decoded, &path, &auth, &host})
      if (s->capacity() > kKeep) std::string().swap(*s);
    if (headers.capacity() > kKeep / sizeof(HeaderRef)) std::vector<HeaderRef>().swap(headers);
    if (params.capacity() > kKeep / sizeof(Param)) std::vector<Param>().swap(params);
  }
};

// The thread's scratch, for one signature; an unusually large request's buffers are
// freed afterwards rather than kept for the thread's lifetime.
class ScratchLease {
public:
  ScratchLease() : s_(instance()) {}
  ~ScratchLease() { s_.release_if_large(); }
  ScratchLease(const ScratchLease &) = delete;
  ScratchLease &operator=(const ScratchLease &) = delete;
  Scratch &operator*() const { return s_; }

private:
  static Scratch &instance() {
    thread_local Scratch s;
    return s;
  }
  Scratch &s_;
};

// Splits a query on '&' and '=' into s.params, each key and value in canonical form:
// as written when already canonically encoded, else decoded and re-encoded into
// s.query. Empty items are dropped.
void collect_params(Scratch &s, std::string_view query) {
  s.query.clear();
  // Re-encoding at most triples a parameter, so views into s.query stay valid.
  s.query.reserve(3 * query.size());
  auto canonical = [&s](std::string_view raw) -> std::string_view {
    if (core::is_uri_encoded(raw)) return raw;
    s.decoded.clear();
    core::uri_decode_append(s.decoded, raw);
    const std::size_t at = s.query.size();
    core::uri_encode_append(s.query, s.decoded, false);
    return std::string_view(s.query).substr(at);
  };
  const std::size_t n = query.size();
  std::size_t start = 0;
  while (start < n) {
    std::size_t end = start;
    std::size_t eq = std::string_view::npos; // the item's first '='
    for (; end < n && query[end] != '&'; ++end)
      if (eq == std::string_view::npos && query[end] == '=') eq = end;
    if (end > start) {
      auto key = query.substr(start, (eq == std::string_view::npos ? end : eq) - start);
      auto value =
          eq == std::string_view::npos ? std::string_view{} : query.substr(eq + 1, end - eq - 1);
      s.params.push_back({canonical(key), canonical(value)});
    }
    start = end + 1;
  }
}

// Adds parameters that are canonical by construction (berth's own).
void add_canonical_params(Scratch &s, std::string_view query) {
  std::size_t start = 0;
  while (start < query.size()) {
    auto end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    auto item = query.substr(start, end - start);
    auto eq = item.find('=');
    s.params.push_back({item.substr(0, eq), item.substr(eq + 1)});
    start = end + 1;
  }
}

// ---------------------------------------------------------------------------------
// Canonical request
// ---------------------------------------------------------------------------------

struct CanonicalInput {
  std::string_view method;
  std::string_view path; // literal
  bool normalize_path;
  bool double_encode;
  const std::vector<Param> *params;      // sorted
  const std::vector<HeaderRef> *headers; // sorted
  std::string_view signed_headers;
  std::string_view payload_hash;
};

void append_canonical_request(std::string &out, Scratch &s, const CanonicalInput &in) {
  std::size_t size =
      in.method.size() + 3 * in.path.size() + in.signed_headers.size() + in.payload_hash.size() + 8;
  for (const auto &p : *in.params)
    size += p.key.size() + p.value.size() + 2;
  for (const auto &h : *in.headers)
    size += h.lname.size() + h.value.size() + 2;
  out.reserve(out.size() + size);

  out.append(in.method).push_back('\n');
  std::string_view path = in.path;
  if (in.normalize_path) {
    s.path.clear();
    append_normalized_path(s.path, in.path);
    path = s.path;
  } else if (path.empty()) {
    path = "/";
  }
  if (in.double_encode)
    core::uri_encode_append(out, path, true);
  else
    core::wire_encode_append(out, path, false);
  out.push_back('\n');

  bool first = true;
  for (const auto &p : *in.params) {
    if (!first) out.push_back('&');
    first = false;
    out.append(p.key).push_back('=');
    out.append(p.value);
  }
  out.push_back('\n');

  const auto &headers = *in.headers;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].lname == headers[i - 1].lname) {
      out.back() = ','; // a repeated name: its values are joined on one line
    } else {
      out.append(headers[i].lname).push_back(':');
    }
    append_canonical_value(out, headers[i].value);
    out.push_back('\n');
  }
  out.push_back('\n');
  out.append(in.signed_headers).push_back('\n');
  out.append(in.payload_hash);
}

// "YYYYMMDDTHHMMSSZ" into out[16]. Falls back to strftime outside years 0..9999.
void format_amz_date(char *out, std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto secs = sys_seconds(duration_cast<seconds>(t.time_since_epoch()));
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {
    std::time_t tt = system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    std::copy_n(buf, 16, out);
    return;
  }
  const hh_mm_ss hms{secs - day};
  auto put = [out](int at, unsigned v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10)
      out[at + i] = static_cast<char>('0' + v % 10);
  };
  put(0, static_cast<unsigned>(year), 4);
  put(4, static_cast<unsigned>(ymd.month()), 2);
  put(6, static_cast<unsigned>(ymd.day()), 2);
  out[8] = 'T';
  put(9, static_cast<unsigned>(hms.hours().count()), 2);
  put(11, static_cast<unsigned>(hms.minutes().count()), 2);
  put(13, static_cast<unsigned>(hms.seconds().count()), 2);
  out[15] = 'Z';
}

} // namespace

namespace sigv4 {

std::string amz_date(std::chrono::system_clock::time_point t) {
  char buf[16];
  format_amz_date(buf, t);
  return std::string(buf, sizeof buf);
}

std::string canonical_request(const Prepared &req, const std::string &payload_hash,
                              bool normalize_path, bool double_encode,
                              std::string *signed_headers_out) {
  ScratchLease lease;
  Scratch &s = *lease;
  s.names.clear();
  std::size_t name_bytes = 0;
  for (const auto &h : req.headers)
    name_bytes += h.name.size();
  s.names.reserve(name_bytes);
  s.headers.clear();
  for (const auto &h : req.headers) {
    const std::size_t at = s.names.size();
    append_lower(s.names, h.name);
    auto lname = std::string_view(s.names).substr(at);
    if (!is_unsigned_header(lname)) s.headers.push_back({lname, h.value});
  }
  sort_headers(s.headers);
  std::string signed_headers;
  append_signed_headers(signed_headers, s.headers);
  s.params.clear();
  collect_params(s, req.query);
  sort_params(s.params);

  std::string out;
  append_canonical_request(out, s,
                           {req.method, req.path, normalize_path, double_encode, &s.params,
                            &s.headers, signed_headers, payload_hash});
  if (signed_headers_out) *signed_headers_out = std::move(signed_headers);
  return out;
}

std::string string_to_sign(std::string_view canonical_request, std::string_view amz_date,
                           std::string_view credential_scope) {
  std::string out;
  out.reserve(kAlgorithm.size() + amz_date.size() + credential_scope.size() + 68);
  out.append(kAlgorithm).push_back('\n');
  out.append(amz_date).push_back('\n');
  out.append(credential_scope).push_back('\n');
  const auto digest = core::sha256(canonical_request);
  const std::size_t at = out.size();
  out.resize(at + 64);
  core::hex_to(out.data() + at, digest.data(), digest.size());
  return out;
}

std::string derive_signing_key(std::string_view secret, std::string_view date,
                               std::string_view region, std::string_view service) {
  auto as_view = [](const core::Sha256Bytes &b) {
    return std::string_view(reinterpret_cast<const char *>(b.data()), b.size());
  };
  std::string seed = "AWS4";
  seed.append(secret);
  auto k_date = core::hmac_sha256(seed, date);
  auto k_region = core::hmac_sha256(as_view(k_date), region);
  auto k_service = core::hmac_sha256(as_view(k_region), service);
  auto k_signing = core::hmac_sha256(as_view(k_service), "aws4_request");
  return std::string(as_view(k_signing));
}

std::string signature(std::string_view signing_key, std::string_view string_to_sign) {
  return core::hex(core::hmac_sha256(signing_key, string_to_sign));
}

} // namespace sigv4

// Derived keys change once a day per (secret, region, service); caching them, as
// HMAC states with the key already absorbed, saves four of the five HMACs a
// signature costs and the key setup of the fifth.
struct Signer::KeyCache {
  static constexpr std::size_t kMaxEntries = 64;
  struct Entry {
    core::Sha256Bytes secret_hash; // a hash of the secret, never the secret itself
    std::array<char, 8> date;
    std::string region, service;
    std::shared_ptr<const core::HmacSha256Key> key;

    bool matches(const core::Sha256Bytes &h, std::string_view d, std::string_view r,
                 std::string_view s) const {
      return secret_hash == h && std::string_view(date.data(), date.size()) == d && region == r &&
             service == s;
    }
  };
  std::mutex mutex;
  std::vector<Entry> entries;

  std::shared_ptr<const core::HmacSha256Key> key(const SigningOptions &opts,
                                                 std::string_view date) {
    const auto id = core::sha256(opts.credentials.secret_access_key);
    {
      std::lock_guard lock(mutex);
      for (const auto &e : entries)
        if (e.matches(id, date, opts.region, opts.service)) return e.key;
    }
    auto key = std::make_shared<const core::HmacSha256Key>(sigv4::derive_signing_key(
        opts.credentials.secret_access_key, date, opts.region, opts.service));
    Entry e{id, {}, opts.region, opts.service, key};
    std::copy_n(date.data(), e.date.size(), e.date.begin());
    std::lock_guard lock(mutex);
    for (const auto &old : entries)
      if (old.matches(id, date, opts.region, opts.service)) return old.key; // raced
    if (entries.size() >= kMaxEntries) entries.clear();
    entries.push_back(std::move(e));
    return key;
  }
};

Signer::Signer(Clock clock, bool cache_keys)
    : clock_(clock ? std::move(clock) : Clock([] { return std::chrono::system_clock::now(); })),
      cache_(cache_keys ? std::make_unique<KeyCache>() : nullptr) {}

Signer::~Signer() = default;

std::string Signer::signing_key(const SigningOptions &opts, std::string_view date) const {
  return sigv4::derive_signing_key(opts.credentials.secret_access_key, date, opts.region,
                                   opts.service);
}

namespace {

// One signature in the making: the request and options, and what each phase leaves
// for the next. Views point into the thread's Scratch, the request and the options.
struct Signing {
  const SignableRequest &req;
  const SigningOptions &opts;
  Scratch &s;
  SignedRequest &out;
  core::UrlView url;
  bool presign, has_token, sign_token;
  char date_time_buf[16];
  std::string_view date_time, date, access_key, token;
  std::size_t host_size = 0;    // of s.host before ":port"
  std::string_view caller_hash; // the caller's x-amz-content-sha256
  char body_hash[64];
  std::string_view payload_hash;
};

void check_options(const SignableRequest &req, const SigningOptions &opts) {
  if (opts.region.empty()) throw Error(Errc::invalid_argument, "sigv4: region is required");
  if (opts.service.empty()) throw Error(Errc::invalid_argument, "sigv4: service is required");
  if (opts.credentials.access_key_id.empty() || opts.credentials.secret_access_key.empty())
    throw Error(Errc::invalid_argument, "sigv4: access key id and secret access key are required");
  if (req.method.empty()) throw Error(Errc::invalid_argument, "sigv4: method is required");
  const auto expires = opts.presign_expires.count();
  if (expires != 0 && (expires < 1 || expires > 604800))
    throw Error(Errc::invalid_argument, "sigv4: presign expiry must be 1..604800 seconds");
}

// The caller's headers onto the wire and, unless unsigned, into the canonical set;
// those this signing sets itself are replaced. Host is added when missing.
void collect_headers(Signing &g) {
  auto &s = g.s;
  auto &out = g.out;
  const auto &opts = g.opts;
  auto replaced = [&](std::string_view lname) {
    return lname == "authorization" || (!g.presign && lname == "x-amz-date") ||
           (g.has_token && lname == "x-amz-security-token") ||
           (!g.presign && opts.content_sha256_header && lname == "x-amz-content-sha256");
  };
  std::size_t name_bytes = 0;
  for (const auto &h : g.req.headers)
    name_bytes += h.name.size();
  s.names.clear();
  s.names.reserve(name_bytes); // views into it stay valid
  s.headers.clear();
  s.headers.reserve(g.req.headers.size() + 4);
  out.headers.reserve(g.req.headers.size() + 5);
  bool has_host = false;
  bool has_caller_hash = false;
  for (const auto &h : g.req.headers) {
    validate_header(h);
    const std::size_t at = s.names.size();
    append_lower(s.names, h.name);
    const auto lname = std::string_view(s.names).substr(at);
    if (!has_caller_hash && lname == "x-amz-content-sha256") {
      has_caller_hash = true;
      g.caller_hash = trim(h.value);
    }
    if (replaced(lname)) continue;
    has_host = has_host || lname == "host";
    out.headers.push_back(h);
    if (!is_unsigned_header(lname)) s.headers.push_back({lname, h.value});
  }
  // The host lower-cased, then ":port" unless the port is the scheme's default.
  s.host.clear();
  append_lower(s.host, g.url.host);
  g.host_size = s.host.size();
  if (!g.url.port.empty() && g.url.port != (g.url.https ? "443" : "80"))
    s.host.append(":"sv).append(g.url.port);
  if (!has_host) {
    out.headers.push_back({"Host", s.host});
    s.headers.push_back({"host", s.host});
  }
}

// The payload hash: given, UNSIGNED-PAYLOAD, the caller's x-amz-content-sha256 (what
// S3 verifies the signature against), or the body's hash.
void choose_payload_hash(Signing &g) {
  const auto &opts = g.opts;
  if (!opts.payload_hash.empty()) {
    g.payload_hash = opts.payload_hash;
  } else if (opts.unsigned_payload) {
    g.payload_hash = kUnsignedPayload;
  } else if (!opts.content_sha256_header && !g.caller_hash.empty()) {
    g.payload_hash = g.caller_hash;
  } else {
    const auto digest = core::sha256(g.req.body);
    core::hex_to(g.body_hash, digest.data(), digest.size());
    g.payload_hash = std::string_view(g.body_hash, sizeof g.body_hash);
  }
}

// What SigV4 adds before signing: for a presigned URL the X-Amz-* query parameters
// (canonical and wire form at once, into s.auth and the canonical query), else the
// X-Amz-Date, token and content-hash headers; then the signed-headers list.
void add_signing_params(Signing &g) {
  auto &s = g.s;
  auto &out = g.out;
  const auto &opts = g.opts;
  s.params.clear();
  collect_params(s, g.url.query);
  s.auth.clear();
  if (g.presign) {
    sort_headers(s.headers);
    append_signed_headers(out.signed_headers, s.headers);
    // Written in canonical (encoded) form, so it goes into the canonical query and
    // onto the wire as it is.
    char expires[24];
    auto [end, ec] = std::to_chars(expires, expires + sizeof expires, opts.presign_expires.count());
    (void)ec;
    s.auth.reserve(160 + 3 * (g.access_key.size() + out.credential_scope.size() +
                              out.signed_headers.size() + g.token.size()));
    s.auth.append("X-Amz-Algorithm="sv).append(kAlgorithm).append("&X-Amz-Credential="sv);
    core::uri_encode_append(s.auth, g.access_key, false);
    s.auth.append("%2F"sv);
    core::uri_encode_append(s.auth, out.credential_scope, false);
    s.auth.append("&X-Amz-Date="sv).append(g.date_time);
    s.auth.append("&X-Amz-Expires="sv).append(expires, static_cast<std::size_t>(end - expires));
    s.auth.append("&X-Amz-SignedHeaders="sv);
    core::uri_encode_append(s.auth, out.signed_headers, false);
    if (g.sign_token) {
      s.auth.append("&X-Amz-Security-Token="sv);
      core::uri_encode_append(s.auth, g.token, false);
    }
    add_canonical_params(s, s.auth);
  } else {
    out.headers.push_back({"X-Amz-Date", std::string(g.date_time)});
    s.headers.push_back({"x-amz-date", g.date_time});
    if (g.sign_token) {
      out.headers.push_back({"X-Amz-Security-Token", std::string(g.token)});
      s.headers.push_back({"x-amz-security-token", g.token});
    }
    if (opts.content_sha256_header) {
      out.headers.push_back({"x-amz-content-sha256", std::string(g.payload_hash)});
      s.headers.push_back({"x-amz-content-sha256", g.payload_hash});
    }
    sort_headers(s.headers);
    append_signed_headers(out.signed_headers, s.headers);
  }
  sort_params(s.params);
}

// The URL as sent (berth's presign parameters follow the caller's query) and, for a
// header signature, the Authorization header.
void write_wire(Signing &g) {
  auto &s = g.s;
  auto &out = g.out;
  const auto &url = g.url;
  out.url.reserve(url.scheme.size() + url.host.size() + url.port.size() + 3 * url.path.size() +
                  3 * url.query.size() + s.auth.size() + 3 * g.token.size() + 120);
  out.url.append(url.https ? "https://"sv : "http://"sv);
  out.url.append(s.host, 0, g.host_size);
  if (!url.port.empty()) out.url.append(":"sv).append(url.port);
  core::wire_encode_append(out.url, url.path.empty() ? std::string_view("/") : url.path, false);
  const std::size_t query_at = out.url.size();
  out.url.push_back('?');
  core::wire_encode_append(out.url, url.query, true);
  if (g.presign) {
    if (!url.query.empty()) out.url.push_back('&');
    out.url.append(s.auth).append("&X-Amz-Signature="sv).append(out.signature);
    if (g.has_token && !g.opts.sign_session_token) {
      out.url.append("&X-Amz-Security-Token="sv);
      core::uri_encode_append(out.url, g.token, false);
    }
  } else {
    std::string auth;
    auth.reserve(kAlgorithm.size() + g.access_key.size() + out.credential_scope.size() +
                 out.signed_headers.size() + out.signature.size() + 48);
    auth.append(kAlgorithm).append(" Credential="sv).append(g.access_key).append("/"sv);
    auth.append(out.credential_scope).append(", SignedHeaders="sv).append(out.signed_headers);
    auth.append(", Signature="sv).append(out.signature);
    out.headers.push_back({"Authorization", std::move(auth)});
    if (g.has_token && !g.opts.sign_session_token)
      out.headers.push_back({"X-Amz-Security-Token", std::string(g.token)});
  }
  if (out.url.size() == query_at + 1 && !url.has_query) out.url.pop_back();
}

} // namespace

SignedRequest Signer::sign(const SignableRequest &req, const SigningOptions &opts) const {
  check_options(req, opts);
  ScratchLease lease;
  SignedRequest out;
  Signing g{req,   opts,  *lease, out, core::parse_url_view(req.url),
            false, false, false,  {},  {},
            {},    {},    {},     0,   {},
            {},    {}};
  g.presign = opts.presign_expires.count() != 0;
  g.access_key = opts.credentials.access_key_id;
  g.token = opts.credentials.session_token;
  g.has_token = !g.token.empty();
  g.sign_token = g.has_token && opts.sign_session_token;
  format_amz_date(g.date_time_buf,
                  opts.time.time_since_epoch().count() != 0 ? opts.time : clock_());
  g.date_time = std::string_view(g.date_time_buf, sizeof g.date_time_buf);
  g.date = g.date_time.substr(0, 8);
  out.method = req.method;
  for (auto &c : out.method)
    c = upper_char(c);

  collect_headers(g);
  choose_payload_hash(g);
  out.credential_scope.reserve(g.date.size() + opts.region.size() + opts.service.size() + 16);
  out.credential_scope.append(g.date).append("/"sv).append(opts.region).append("/"sv);
  out.credential_scope.append(opts.service).append("/aws4_request"sv);
  add_signing_params(g);

  append_canonical_request(out.canonical_request, g.s,
                           {out.method, g.url.path, opts.normalize_path, opts.double_encode,
                            &g.s.params, &g.s.headers, out.signed_headers, g.payload_hash});
  out.string_to_sign =
      sigv4::string_to_sign(out.canonical_request, g.date_time, out.credential_scope);
  const auto mac = cache_ ? cache_->key(opts, g.date)->mac(out.string_to_sign)
                          : core::hmac_sha256(signing_key(opts, g.date), out.string_to_sign);
  out.signature.resize(2 * mac.size());
  core::hex_to(out.signature.data(), mac.data(), mac.size());
  write_wire(g);
  return out;
}

} // namespace berth::aws
