#include <berth/error.hpp>
#include <berth/sigv4.hpp>

#include "core/crypto.hpp"
#include "core/uri.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace berth::aws {
namespace {

using core::uri_encode;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto &c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

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

bool is_unsigned_header(std::string_view lname) {
  return std::find(kUnsignedHeaders.begin(), kUnsignedHeaders.end(), lname) !=
         kUnsignedHeaders.end();
}

bool is_token_char(unsigned char c) {
  return std::isalnum(c) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

void validate_header(const Header &h) {
  if (h.name.empty() ||
      !std::all_of(h.name.begin(), h.name.end(), [](unsigned char c) { return is_token_char(c); }))
    throw Error(Errc::invalid_argument, "invalid header name: '" + h.name + "'");
  // Folded continuation lines (a newline followed by a space or tab) are legal in
  // what we sign; a bare newline would let a value smuggle in another header.
  for (std::size_t i = 0; i < h.value.size(); ++i) {
    char c = h.value[i];
    if (c == '\r' && i + 1 < h.value.size() && h.value[i + 1] == '\n') continue;
    if (c == '\r' || c == '\n') {
      if (i + 1 >= h.value.size() || (h.value[i + 1] != ' ' && h.value[i + 1] != '\t'))
        throw Error(Errc::invalid_argument,
                    "header '" + h.name + "' has a line break in its value");
    } else if (c == '\0') {
      throw Error(Errc::invalid_argument, "header '" + h.name + "' has a NUL byte in its value");
    }
  }
}

// Trims and collapses every run of whitespace (including folded line breaks) to
// one space, as the SigV4 specification requires.
std::string canonical_header_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool pending_space = false;
  for (unsigned char c : v) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(static_cast<char>(c));
  }
  return out;
}

// The trimmed value of the caller's first x-amz-content-sha256 header, if any.
std::optional<std::string_view> caller_content_sha256(const std::vector<Header> &headers) {
  for (const auto &h : headers) {
    if (!iequals(h.name, "x-amz-content-sha256")) continue;
    std::string_view v = h.value;
    auto is_space = [](char c) {
      return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
    };
    while (!v.empty() && is_space(v.front()))
      v.remove_prefix(1);
    while (!v.empty() && is_space(v.back()))
      v.remove_suffix(1);
    return v;
  }
  return std::nullopt;
}

// RFC 3986 section 5.2.4, plus the collapse of empty segments AWS requires.
std::string normalize_path(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    auto seg = path.substr(start, end - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    start = end + 1;
  }
  std::string out = path.front() == '/' ? "/" : "";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i) out.push_back('/');
    out.append(segments[i]);
  }
  if (path.back() == '/' && !segments.empty()) out.push_back('/');
  return out.empty() ? "/" : out;
}

std::string canonical_uri(std::string_view path, bool normalize, bool double_encode) {
  std::string p = normalize ? normalize_path(path) : std::string(path.empty() ? "/" : path);
  return double_encode ? uri_encode(p, true) : core::wire_encode(p, false);
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t start = 0;
  while (start <= query.size()) {
    auto end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    auto item = query.substr(start, end - start);
    if (!item.empty()) {
      auto eq = item.find('=');
      auto key = item.substr(0, eq);
      auto value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
      params.emplace_back(uri_encode(core::uri_decode(key), false),
                          uri_encode(core::uri_decode(value), false));
    }
    start = end + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto &[k, v] : params) {
    if (!out.empty()) out.push_back('&');
    out.append(k).append("=").append(v);
  }
  return out;
}

} // namespace

namespace sigv4 {

std::string amz_date(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string canonical_request(const Prepared &req, const std::string &payload_hash,
                              bool normalize_path, bool double_encode,
                              std::string *signed_headers_out) {
  // Group values per lower-cased name in their original order; std::map sorts names.
  std::map<std::string, std::string> grouped;
  for (const auto &h : req.headers) {
    auto lname = lower(h.name);
    if (is_unsigned_header(lname)) continue;
    auto [it, inserted] = grouped.try_emplace(lname);
    if (!inserted) it->second.push_back(',');
    it->second.append(canonical_header_value(h.value));
  }
  std::string signed_headers;
  std::string out;
  out.reserve(256 + req.path.size() + req.query.size());
  out.append(req.method).push_back('\n');
  out.append(canonical_uri(req.path, normalize_path, double_encode)).push_back('\n');
  out.append(canonical_query(req.query)).push_back('\n');
  for (const auto &[name, value] : grouped) {
    out.append(name).append(":").append(value).push_back('\n');
    if (!signed_headers.empty()) signed_headers.push_back(';');
    signed_headers.append(name);
  }
  out.push_back('\n');
  out.append(signed_headers).push_back('\n');
  out.append(payload_hash);
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
  out.append(core::sha256_hex(canonical_request));
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

// Derived keys change once a day per (secret, region, service); caching them saves
// four of the five HMACs a signature costs.
struct Signer::KeyCache {
  static constexpr std::size_t kMaxEntries = 64;
  std::mutex mutex;
  std::unordered_map<std::string, std::string> keys;
};

Signer::Signer(Clock clock, bool cache_keys)
    : clock_(clock ? std::move(clock) : Clock([] { return std::chrono::system_clock::now(); })),
      cache_(cache_keys ? std::make_unique<KeyCache>() : nullptr) {}

Signer::~Signer() = default;

std::string Signer::signing_key(const SigningOptions &opts, std::string_view date) const {
  const auto &secret = opts.credentials.secret_access_key;
  if (!cache_) return sigv4::derive_signing_key(secret, date, opts.region, opts.service);
  // The cache key holds a hash of the secret, never the secret itself.
  std::string id = core::sha256_hex(secret);
  id.append("\n").append(date).append("\n").append(opts.region).append("\n").append(opts.service);
  {
    std::lock_guard lock(cache_->mutex);
    if (auto it = cache_->keys.find(id); it != cache_->keys.end()) return it->second;
  }
  auto key = sigv4::derive_signing_key(secret, date, opts.region, opts.service);
  std::lock_guard lock(cache_->mutex);
  if (cache_->keys.size() >= KeyCache::kMaxEntries) cache_->keys.clear();
  cache_->keys.emplace(std::move(id), key);
  return key;
}

SignedRequest Signer::sign(const SignableRequest &req, const SigningOptions &opts) const {
  if (opts.region.empty()) throw Error(Errc::invalid_argument, "sigv4: region is required");
  if (opts.service.empty()) throw Error(Errc::invalid_argument, "sigv4: service is required");
  if (opts.credentials.access_key_id.empty() || opts.credentials.secret_access_key.empty())
    throw Error(Errc::invalid_argument, "sigv4: access key id and secret access key are required");
  if (req.method.empty()) throw Error(Errc::invalid_argument, "sigv4: method is required");
  const bool presign = opts.presign_expires.count() != 0;
  if (presign && (opts.presign_expires.count() < 1 || opts.presign_expires.count() > 604800))
    throw Error(Errc::invalid_argument, "sigv4: presign expiry must be 1..604800 seconds");

  auto url = core::parse_url(req.url);
  auto when = opts.time.time_since_epoch().count() != 0 ? opts.time : clock_();
  const std::string date_time = sigv4::amz_date(when);
  const std::string date = date_time.substr(0, 8);
  const auto &token = opts.credentials.session_token;
  const bool has_token = !token.empty();

  sigv4::Prepared p;
  p.method = req.method;
  for (auto &c : p.method)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  p.scheme = url.scheme;
  p.path = url.path;
  p.query = url.query;

  // Headers this signing sets itself replace any the caller passed.
  auto replaced = [&](std::string_view lname) {
    return lname == "authorization" || (!presign && lname == "x-amz-date") ||
           (has_token && lname == "x-amz-security-token") ||
           (!presign && opts.content_sha256_header && lname == "x-amz-content-sha256");
  };
  bool has_host = false;
  for (const auto &h : req.headers) {
    validate_header(h);
    auto lname = lower(h.name);
    if (replaced(lname)) continue;
    has_host = has_host || lname == "host";
    p.headers.push_back(h);
  }
  if (!has_host) p.headers.push_back({"Host", url.authority()});
  for (const auto &h : p.headers)
    if (iequals(h.name, "host")) p.host_header = h.value;

  std::string payload_hash;
  if (!opts.payload_hash.empty())
    payload_hash = opts.payload_hash;
  else if (opts.unsigned_payload)
    payload_hash = std::string(kUnsignedPayload);
  else if (auto given = caller_content_sha256(req.headers);
           !opts.content_sha256_header && given && !given->empty())
    payload_hash = std::string(*given); // what S3 verifies the signature against
  else
    payload_hash = core::sha256_hex(req.body);

  SignedRequest out;
  out.method = p.method;
  out.credential_scope = date + "/" + opts.region + "/" + opts.service + "/aws4_request";

  std::string query_suffix; // added to the wire query after signing
  if (presign) {
    // The signed headers must be known before the canonical query is built.
    std::map<std::string, int> names;
    for (const auto &h : p.headers)
      if (auto l = lower(h.name); !is_unsigned_header(l)) names.emplace(l, 0);
    std::string signed_headers;
    for (const auto &[n, _] : names) {
      if (!signed_headers.empty()) signed_headers.push_back(';');
      signed_headers.append(n);
    }
    std::string auth =
        "X-Amz-Algorithm=" + std::string(kAlgorithm) + "&X-Amz-Credential=" +
        uri_encode(opts.credentials.access_key_id + "/" + out.credential_scope, false) +
        "&X-Amz-Date=" + date_time +
        "&X-Amz-Expires=" + std::to_string(opts.presign_expires.count()) +
        "&X-Amz-SignedHeaders=" + uri_encode(signed_headers, false);
    if (has_token && opts.sign_session_token)
      auth += "&X-Amz-Security-Token=" + uri_encode(token, false);
    p.query = p.query.empty() ? auth : p.query + "&" + auth;
  } else {
    p.headers.push_back({"X-Amz-Date", date_time});
    if (has_token && opts.sign_session_token) p.headers.push_back({"X-Amz-Security-Token", token});
    if (opts.content_sha256_header) p.headers.push_back({"x-amz-content-sha256", payload_hash});
  }

  out.canonical_request = sigv4::canonical_request(p, payload_hash, opts.normalize_path,
                                                   opts.double_encode, &out.signed_headers);
  out.string_to_sign =
      sigv4::string_to_sign(out.canonical_request, date_time, out.credential_scope);
  out.signature = sigv4::signature(signing_key(opts, date), out.string_to_sign);

  if (presign) {
    query_suffix = "&X-Amz-Signature=" + out.signature;
    if (has_token && !opts.sign_session_token)
      query_suffix += "&X-Amz-Security-Token=" + uri_encode(token, false);
  } else {
    p.headers.push_back({"Authorization",
                         std::string(kAlgorithm) + " Credential=" + opts.credentials.access_key_id +
                             "/" + out.credential_scope + ", SignedHeaders=" + out.signed_headers +
                             ", Signature=" + out.signature});
    if (has_token && !opts.sign_session_token) p.headers.push_back({"X-Amz-Security-Token", token});
  }

  out.url = url.scheme + "://" + url.host + (url.port.empty() ? "" : ":" + url.port) +
            core::wire_encode(url.path.empty() ? "/" : url.path, false);
  std::string wire_query = core::wire_encode(p.query, true) + query_suffix;
  if (!wire_query.empty() || url.has_query) out.url += "?" + wire_query;
  out.headers = std::move(p.headers);
  return out;
}

} // namespace berth::aws
