// SigV4 signing throughput of berth on one core: signatures per second for each
// request of benchmarks/sigv4_requests.json, with the signing-key cache on and off,
// through the C++ API (berth::aws::Signer) and through the C ABI (berth_sign_request,
// what the Python and Go bindings call).
//
//   sigv4_bench [--requests FILE] [--seconds S] [--reps N] [--clock cpu|wall] [--signatures]
//               [--impl NAME] [--request NAME]      (only that signer / request: for
//                                                    profiling, e.g. under perf record)
//
// Output is line-oriented for benchmarks/run_sigv4.sh:
//   sig  <impl> <request> <hex signature>     (signature at the fixed timestamp)
//   rate <impl> <request> <signatures/s>      (best of --reps runs of --seconds each)
// "mix" is all requests round-robin. Run it pinned (taskset -c 0) for stable numbers.
// --clock cpu (the default) divides by the process's CPU time rather than elapsed
// time, so other load on a shared machine inflates the numbers less.
#include <berth.h>
#include <berth/sigv4.hpp>

#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef BERTH_BENCH_REQUESTS
#define BERTH_BENCH_REQUESTS "sigv4_requests.json"
#endif

namespace {

using berth::aws::Header;
using berth::aws::SignableRequest;
using berth::aws::Signer;
using berth::aws::SigningOptions;

bool g_cpu_clock = true;

// Seconds on the chosen clock: process CPU time, or monotonic wall time.
double now_seconds() {
  timespec ts{};
  clock_gettime(g_cpu_clock ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct BenchRequest {
  std::string name;
  std::string body; // owned; SignableRequest::body views it
  SignableRequest req;
  SigningOptions opts;
  // The same request for the C ABI.
  std::vector<berth_header> c_headers;
  berth_sign_options c_opts{};
};

std::int64_t epoch_of(const std::string &amz) {
  // "YYYYMMDDTHHMMSSZ" -> seconds since the epoch (UTC).
  std::tm tm{};
  tm.tm_year = std::stoi(amz.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(amz.substr(4, 2)) - 1;
  tm.tm_mday = std::stoi(amz.substr(6, 2));
  tm.tm_hour = std::stoi(amz.substr(9, 2));
  tm.tm_min = std::stoi(amz.substr(11, 2));
  tm.tm_sec = std::stoi(amz.substr(13, 2));
  return static_cast<std::int64_t>(timegm(&tm));
}

std::vector<BenchRequest> load(const std::string &path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  if (doc.HasParseError() || !doc.IsObject()) throw std::runtime_error(path + ": not a JSON object");
  const std::int64_t when = epoch_of(doc["timestamp"].GetString());
  std::vector<BenchRequest> out;
  out.reserve(doc["requests"].Size());
  for (const auto &r : doc["requests"].GetArray()) {
    BenchRequest b;
    b.name = r["name"].GetString();
    b.body = r["body"].GetString();
    std::string url = std::string(r["scheme"].GetString()) + "://" + r["host"].GetString() +
                      r["path"].GetString();
    if (r["query"].GetStringLength() != 0) url += std::string("?") + r["query"].GetString();
    b.req.method = r["method"].GetString();
    b.req.url = url;
    for (const auto &h : r["headers"].GetArray())
      b.req.headers.push_back(Header{h[0].GetString(), h[1].GetString()});
    const bool s3 = std::string(r["service"].GetString()) == "s3";
    const auto expires = r["presign_expires"].GetInt64();
    auto &o = b.opts;
    o.region = r["region"].GetString();
    o.service = r["service"].GetString();
    o.credentials = {r["access_key"].GetString(), r["secret_key"].GetString(), r["session_token"].GetString()};
    o.time = std::chrono::system_clock::time_point(std::chrono::seconds(when));
    o.presign_expires = std::chrono::seconds(expires);
    // S3: no path normalization or second encoding; presigned URLs do not sign the
    // payload; header-mode S3 requests carry x-amz-content-sha256.
    o.normalize_path = o.double_encode = !s3;
    o.unsigned_payload = s3 && expires > 0;
    o.content_sha256_header = s3 && expires == 0;
    out.push_back(std::move(b));
  }
  // Wire the views and C strings only once the vector no longer moves.
  for (auto &b : out) {
    b.req.body = b.body;
    for (const auto &h : b.req.headers) b.c_headers.push_back({h.name.c_str(), h.value.c_str()});
    auto &c = b.c_opts;
    berth_sign_options_init(&c, BERTH_SIGN_OPTIONS_VERSION);
    c.region = b.opts.region.c_str();
    c.service = b.opts.service.c_str();
    c.access_key_id = b.opts.credentials.access_key_id.c_str();
    c.secret_access_key = b.opts.credentials.secret_access_key.c_str();
    c.session_token = b.opts.credentials.session_token.c_str();
    c.timestamp = std::chrono::duration_cast<std::chrono::seconds>(b.opts.time.time_since_epoch()).count();
    c.presign_expires = b.opts.presign_expires.count();
    c.normalize_path = b.opts.normalize_path;
    c.double_encode = b.opts.double_encode;
    c.unsigned_payload = b.opts.unsigned_payload;
    c.content_sha256_header = b.opts.content_sha256_header;
  }
  return out;
}

std::string sign_capi(const BenchRequest &b) {
  berth_signed_request *out = nullptr;
  int rc = berth_sign_request(&out, b.req.method.c_str(), b.req.url.c_str(), b.c_headers.data(),
                              b.c_headers.size(), b.body.data(), b.body.size(), &b.c_opts);
  if (rc != BERTH_OK) throw std::runtime_error(berth_last_error()->message);
  std::string sig = berth_signed_request_signature(out);
  berth_signed_request_free(out);
  return sig;
}

// Signatures per second of `one(i)` (i counts calls), best of `reps` runs.
double measure(double seconds, int reps, const std::function<std::size_t(std::size_t)> &one) {
  std::size_t sink = 0;
  // Warm-up: caches, branch predictors, the signer's key cache, page faults.
  for (std::size_t i = 0; i < 2000; ++i) sink += one(i);
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    const double start = now_seconds();
    std::size_t n = 0;
    double elapsed = 0;
    do {
      for (int k = 0; k < 256; ++k, ++n) sink += one(n);
      elapsed = now_seconds() - start;
    } while (elapsed < seconds);
    best = std::max(best, static_cast<double>(n) / elapsed);
  }
  if (sink == 42) std::puts(""); // keeps the work observable
  return best;
}

} // namespace

int main(int argc, char **argv) {
  std::string requests_path = BERTH_BENCH_REQUESTS;
  double seconds = 1.0;
  int reps = 3;
  bool signatures_only = false;
  std::string only_impl, only_request;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--requests") requests_path = next();
    else if (a == "--seconds") seconds = std::stod(next());
    else if (a == "--reps") reps = std::stoi(next());
    else if (a == "--signatures") signatures_only = true;
    else if (a == "--clock") g_cpu_clock = next() != "wall";
    else if (a == "--impl") only_impl = next();
    else if (a == "--request") only_request = next();
    else {
      std::fprintf(stderr,
                   "usage: %s [--requests FILE] [--seconds S] [--reps N] [--signatures] "
                   "[--clock cpu|wall] [--impl berth|berth-nocache|berth-capi] [--request NAME|mix]\n",
                   argv[0]);
      return 2;
    }
  }

  try {
    auto reqs = load(requests_path);
    const Signer cached({}, true);
    const Signer uncached({}, false);

    for (const auto &b : reqs) {
      auto sig = cached.sign(b.req, b.opts).signature;
      if (uncached.sign(b.req, b.opts).signature != sig || sign_capi(b) != sig)
        throw std::runtime_error(b.name + ": signers disagree");
      std::printf("sig berth %s %s\n", b.name.c_str(), sig.c_str());
    }
    if (signatures_only) return 0;
    std::printf("# berth %s, %s clock\n", berth_version_string(), g_cpu_clock ? "cpu" : "wall");
    std::fflush(stdout);

    struct Impl {
      const char *name;
      std::function<std::size_t(const BenchRequest &)> sign;
    };
    const Impl impls[] = {
        {"berth", [&](const BenchRequest &b) { return cached.sign(b.req, b.opts).signature.size(); }},
        {"berth-nocache", [&](const BenchRequest &b) { return uncached.sign(b.req, b.opts).signature.size(); }},
        {"berth-capi", [&](const BenchRequest &b) { return sign_capi(b).size(); }},
    };
    for (const auto &impl : impls) {
      if (!only_impl.empty() && only_impl != impl.name) continue;
      for (const auto &b : reqs) {
        if (!only_request.empty() && only_request != b.name) continue;
        double rate = measure(seconds, reps, [&](std::size_t) { return impl.sign(b); });
        std::printf("rate %s %s %.0f\n", impl.name, b.name.c_str(), rate);
        std::fflush(stdout);
      }
      if (!only_request.empty() && only_request != "mix") continue;
      double rate = measure(seconds, reps, [&](std::size_t i) { return impl.sign(reqs[i % reqs.size()]); });
      std::printf("rate %s mix %.0f\n", impl.name, rate);
      std::fflush(stdout);
    }
  } catch (const std::exception &e) {
    std::fprintf(stderr, "sigv4_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
