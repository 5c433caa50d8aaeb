// The CI workflow of scripts/demo.sh through berth's C++ API, as a doctest program:
// OIDC token -> AssumeRoleWithWebIdentity -> ECR token -> ensure repository -> build
// -> push with computed tags (through an expired ECR token) -> scan gate -> lifecycle
// policy -> replicate -> pull back everywhere and verify the digest.
//
// tests/e2e/run_cpp_e2e.sh starts the stacks and sets BERTH_E2E_STATE (ecr_stack.json)
// and BERTH_E2E_REGIONS (two registry host:ports, comma-separated). Test cases run in
// file order and share state; a case whose predecessor failed stops at once.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <berth/build.hpp>
#include <berth/copy.hpp>
#include <berth/ecr.hpp>
#include <berth/error.hpp>
#include <berth/tags.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <unistd.h>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------
// a small JSON reader (enough for the state file, ECR replies and the front's records)

struct Json {
  enum Kind { Null, Bool, Num, Str, Arr, Obj } kind = Null;
  bool b = false;
  double num = 0;
  std::string str;
  std::vector<Json> arr;
  std::map<std::string, Json> obj;

  const Json &operator[](const std::string &k) const {
    static const Json none;
    auto it = obj.find(k);
    return it == obj.end() ? none : it->second;
  }
  const Json &operator[](std::size_t i) const { return arr.at(i); }
  std::string s() const { return kind == Num ? std::to_string(static_cast<long long>(num)) : str; }
  long long i() const { return static_cast<long long>(num); }
  bool is_null() const { return kind == Null; }

  static Json parse(const std::string &text) {
    std::size_t p = 0;
    Json j = value(text, p);
    ws(text, p);
    if (p != text.size()) throw std::runtime_error("json: trailing data");
    return j;
  }

private:
  static void ws(const std::string &t, std::size_t &p) {
    while (p < t.size() && (t[p] == ' ' || t[p] == '\n' || t[p] == '\r' || t[p] == '\t')) ++p;
  }
  static std::string string_(const std::string &t, std::size_t &p) {
    std::string out;
    ++p; // "
    while (p < t.size() && t[p] != '"') {
      char c = t[p++];
      if (c != '\\') {
        out += c;
        continue;
      }
      char e = t[p++];
      switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        unsigned cp = std::stoul(t.substr(p, 4), nullptr, 16);
        p += 4;
        if (cp < 0x80) {
          out += static_cast<char>(cp);
        } else if (cp < 0x800) {
          out += static_cast<char>(0xC0 | (cp >> 6));
          out += static_cast<char>(0x80 | (cp & 0x3F));
        } else { // surrogates are kept as two 3-byte sequences; fine for these tests
          out += static_cast<char>(0xE0 | (cp >> 12));
          out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
          out += static_cast<char>(0x80 | (cp & 0x3F));
        }
        break;
      }
      default: out += e;
      }
    }
    ++p; // "
    return out;
  }
  static Json value(const std::string &t, std::size_t &p) {
    ws(t, p);
    if (p >= t.size()) throw std::runtime_error("json: unexpected end");
    Json j;
    char c = t[p];
    if (c == '{') {
      j.kind = Obj;
      ++p;
      ws(t, p);
      if (t[p] == '}') return ++p, j;
      for (;;) {
        ws(t, p);
        std::string k = string_(t, p);
        ws(t, p);
        ++p; // :
        j.obj[k] = value(t, p);
        ws(t, p);
        if (t[p++] == '}') return j;
      }
    }
    if (c == '[') {
      j.kind = Arr;
      ++p;
      ws(t, p);
      if (t[p] == ']') return ++p, j;
      for (;;) {
        j.arr.push_back(value(t, p));
        ws(t, p);
        if (t[p++] == ']') return j;
      }
    }
    if (c == '"') {
      j.kind = Str;
      j.str = string_(t, p);
      return j;
    }
    if (t.compare(p, 4, "true") == 0) return p += 4, j.kind = Bool, j.b = true, j;
    if (t.compare(p, 5, "false") == 0) return p += 5, j.kind = Bool, j;
    if (t.compare(p, 4, "null") == 0) return p += 4, j;
    std::size_t used = 0;
    j.kind = Num;
    j.num = std::stod(t.substr(p, 40), &used);
    p += used;
    return j;
  }
};

// ---------------------------------------------------------------------------------
// helpers

std::string env(const char *name) {
  const char *v = std::getenv(name);
  return v ? v : "";
}

std::string read_file(const fs::path &p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct HttpReply {
  long status = 0;
  std::string body;
};

HttpReply http(const std::string &method, const std::string &url, const std::string &body = {},
               const std::string &content_type = {}) {
  std::unique_ptr<CURL, void (*)(CURL *)> c(curl_easy_init(), curl_easy_cleanup);
  HttpReply r;
  curl_slist *headers = nullptr;
  if (!content_type.empty())
    headers = curl_slist_append(headers, ("Content-Type: " + content_type).c_str());
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c.get(), CURLOPT_NOPROXY, "*");
  if (method == "POST" || !body.empty()) {
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION,
                   +[](char *d, size_t s, size_t n, void *u) -> size_t {
                     static_cast<std::string *>(u)->append(d, s * n);
                     return s * n;
                   });
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &r.body);
  CURLcode rc = curl_easy_perform(c.get());
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) throw std::runtime_error(method + " " + url + ": " + curl_easy_strerror(rc));
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

// Sets (or, for "", unsets) variables for a scope.
class EnvScope {
public:
  explicit EnvScope(const std::map<std::string, std::string> &vars) {
    for (auto &[k, v] : vars) {
      const char *old = std::getenv(k.c_str());
      saved_.emplace_back(k, old ? std::optional<std::string>(old) : std::nullopt);
      if (v.empty())
        unsetenv(k.c_str());
      else
        setenv(k.c_str(), v.c_str(), 1);
    }
  }
  ~EnvScope() {
    for (auto &[k, v] : saved_) {
      if (v)
        setenv(k.c_str(), v->c_str(), 1);
      else
        unsetenv(k.c_str());
    }
  }

private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

void write_random(const fs::path &p, std::size_t n) {
  std::mt19937_64 rng(std::random_device{}());
  std::string data(n, '\0');
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    auto v = rng();
    std::memcpy(&data[i], &v, 8);
  }
  std::ofstream(p, std::ios::binary) << data;
}

// ---------------------------------------------------------------------------------
// shared state

struct World {
  Json st;
  std::vector<std::string> regions;
  fs::path work;
  std::string digest;
  std::vector<std::string> tags;
  bool failed = false;

  std::string uri() const { return st["repository_uri"].s(); }
  std::string repo() const { return st["repository"].s(); }
  std::string control() const { return st["front"]["control_url"].s(); }
  std::map<std::string, std::string> admin() const {
    return {{"AWS_ACCESS_KEY_ID", st["users"]["admin"]["access_key_id"].s()},
            {"AWS_SECRET_ACCESS_KEY", st["users"]["admin"]["secret_access_key"].s()},
            {"AWS_SESSION_TOKEN", ""}};
  }
  Json front_requests() const { return Json::parse(http("GET", control() + "/requests").body); }
  Json s3_requests() const { return Json::parse(http("GET", control() + "/s3-requests").body); }
  void clear_front() const { http("DELETE", control() + "/requests"); }
};

World &world() {
  static World *w = [] {
    auto *w = new World;
    auto state = env("BERTH_E2E_STATE");
    if (state.empty()) throw std::runtime_error("BERTH_E2E_STATE is not set (run run_cpp_e2e.sh)");
    w->st = Json::parse(read_file(state));
    std::stringstream regions(env("BERTH_E2E_REGIONS"));
    for (std::string r; std::getline(regions, r, ',');)
      if (!r.empty()) w->regions.push_back(r);
    w->work = fs::temp_directory_path() / ("berth-e2e-cpp-" + std::to_string(::getpid()));
    fs::create_directories(w->work / "home");
    // A clean AWS environment, as in scripts/demo.sh.
    for (const char *k : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                          "AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
                          "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_DEFAULT_REGION",
                          "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"})
      unsetenv(k);
    setenv("HOME", (w->work / "home").c_str(), 1);
    setenv("DOCKER_CONFIG", (w->work / "home/.docker").c_str(), 1);
    setenv("AWS_REGION", w->st["region"].s().c_str(), 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("AWS_ENDPOINT_URL", w->st["aws_endpoint_url"].s().c_str(), 1);
    setenv("BERTH_CONNECT_TO", w->st["front"]["connect_to_all"].s().c_str(), 1);
    setenv("SSL_CERT_FILE", w->st["tls"]["ca_file"].s().c_str(), 1);
    setenv("SOURCE_DATE_EPOCH", "1767225600", 1);
    std::atexit([] { std::error_code ec; fs::remove_all(world().work, ec); });
    return w;
  }();
  return *w;
}

// Stops a case when an earlier one ended with an exception (a failed REQUIRE, or berth
// throwing); failed CHECKs do not stop the following cases.
struct Step {
  explicit Step(const char *name) : name_(name), t0_(std::chrono::steady_clock::now()) {
    if (world().failed) {
      MESSAGE("skipped: an earlier step stopped");
      skip = true;
    }
  }
  ~Step() {
    if (std::uncaught_exceptions() > 0) world().failed = true;
    auto s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    std::fprintf(stderr, "[e2e c++] step %s: %.2fs\n", name_, s);
  }
  bool skip = false;

private:
  const char *name_;
  std::chrono::steady_clock::time_point t0_;
};

// ---------------------------------------------------------------------------------
// the workflow

TEST_CASE("01 OIDC token -> AssumeRoleWithWebIdentity (ci-pusher)") {
  Step step("01");
  if (step.skip) return;
  auto &w = world();
  berth::AwsOptions opts;
  opts.role_arn = w.st["roles"]["ci_pusher"]["arn"].s();
  opts.role_session_name = "berth-e2e-cpp";
  berth::aws::ResolvedCredentials creds;
  {
    EnvScope oidc({{"ACTIONS_ID_TOKEN_REQUEST_URL", w.st["oidc"]["request_url"].s()},
                   {"ACTIONS_ID_TOKEN_REQUEST_TOKEN", w.st["oidc"]["request_token"].s()}});
    // AssumeRoleWithWebIdentity is unsigned: let exactly one through moto's IAM auth.
    REQUIRE(http("POST", w.st["moto"]["reset_auth_url"].s(), "1", "text/plain").status == 200);
    creds = berth::aws_credentials_provider(opts)->resolve();
  }
  CHECK(creds.credentials.access_key_id.rfind("ASIA", 0) == 0);
  CHECK_FALSE(creds.credentials.session_token.empty());
  CHECK(creds.expiration.has_value());
  CHECK(creds.provider.find("web identity") != std::string::npos);
  auto oidc = Json::parse(http("GET", w.st["oidc"]["requests_url"].s()).body);
  REQUIRE_FALSE(oidc.arr.empty());
  CHECK(oidc.arr.back()["audience"].s() == "sts.amazonaws.com");
  setenv("AWS_ACCESS_KEY_ID", creds.credentials.access_key_id.c_str(), 1);
  setenv("AWS_SECRET_ACCESS_KEY", creds.credentials.secret_access_key.c_str(), 1);
  setenv("AWS_SESSION_TOKEN", creds.credentials.session_token.c_str(), 1);
  auto who = berth::aws_caller_identity({});
  CHECK(who.account == w.st["account"].s());
  CHECK(who.arn.find("assumed-role/ci-pusher/") != std::string::npos);
}

TEST_CASE("02 ECR authorization token") {
  Step step("02");
  if (step.skip) return;
  auto &w = world();
  auto login = berth::ecr_login({}, w.st["front"]["host"].s());
  CHECK(login.registry == w.st["front"]["host"].s());
  CHECK(login.username == "AWS");
  CHECK(login.password == w.st["front"]["password"].s());
}

TEST_CASE("03 ensure the repository (admin); ci-pusher is denied CreateRepository") {
  Step step("03");
  if (step.skip) return;
  auto &w = world();
  {
    EnvScope admin(w.admin());
    berth::RepositorySettings want;
    want.scan_on_push = true;
    auto r = berth::ecr_ensure_repository({}, w.repo(), want, true);
    CHECK_FALSE(r.created);
    CHECK(r.uri == w.uri());
    auto again = berth::ecr_ensure_repository({}, w.repo(), want, false);
    CHECK(again.differences.empty());
    auto desc = Json::parse(berth::ecr_call({}, "DescribeRepositories",
                                            "{\"repositoryNames\":[\"" + w.repo() + "\"]}"));
    CHECK(desc["repositories"][0]["imageScanningConfiguration"]["scanOnPush"].b);
  }
  try {
    berth::ecr_ensure_repository({}, "berth/other", {}, false);
    FAIL("ci-pusher created a repository");
  } catch (const berth::Error &e) {
    CHECK(e.code() == berth::Errc::denied);
    CHECK(e.aws_code() == "AccessDenied");
    CHECK(e.http_status() == 403);
  }
}

TEST_CASE("04 build a base image, then the application on it, twice") {
  Step step("04");
  if (step.skip) return;
  auto &w = world();
  auto d = w.work;
  fs::create_directories(d / "base/etc");
  fs::create_directories(d / "base/usr/share/demo");
  fs::create_directories(d / "app/static");
  std::ofstream(d / "base/etc/passwd") << "demo:x:1000:1000::/app:/bin/sh\n";
  write_random(d / "base/usr/share/demo/runtime.bin", 3'000'000);
  std::ofstream(d / "app/server") << "#!/bin/sh\necho \"hello from berth\"\n";
  fs::permissions(d / "app/server", fs::perms(0755));
  // over berth's 16 MiB monolithic limit: this layer goes up in PATCHes
  write_random(d / "app/static/assets.bin", 18'000'000);

  berth::BuildOptions base;
  base.layers = {(d / "base").string()};
  base.platform = "linux/amd64";
  base.output = "oci:" + (d / "base-image").string() + ":1";
  auto b = berth::build_image(base);
  CHECK(b.layers.size() == 1);

  auto app = [&](const std::string &out) {
    berth::BuildOptions o;
    o.from = base.output;
    o.layers = {(d / "app").string() + ":/app"};
    o.compression = "gzip";
    o.entrypoint = std::vector<std::string>{"/app/server"};
    o.env = {"APP_ENV=production"};
    o.workdir = "/app";
    o.user = "1000";
    o.expose = {"8080"};
    o.labels = {{"org.opencontainers.image.source", "https://github.com/org/app"}};
    o.output = out;
    return berth::build_image(o);
  };
  auto r1 = app("oci:" + (d / "image").string() + ":build");
  auto r2 = app("oci:" + (d / "image-again").string() + ":build");
  REQUIRE(r1.digest.rfind("sha256:", 0) == 0);
  CHECK(r1.digest.size() == 71);
  CHECK(r1.digest == r2.digest);
  CHECK(r1.layers.size() == 1);
  auto idx = Json::parse(read_file(d / "image/index.json"));
  CHECK(idx["manifests"][0]["digest"].s() == r1.digest);
  w.digest = r1.digest;
}

TEST_CASE("05 push with computed tags, through an expired ECR token") {
  Step step("05");
  if (step.skip) return;
  auto &w = world();
  auto event = w.work / "event.json";
  std::ofstream(event) << "{\"repository\":{\"default_branch\":\"main\"}}";
  berth::CiContext ctx;
  {
    EnvScope gh({{"GITHUB_EVENT_NAME", "push"},
                 {"GITHUB_REF", "refs/heads/main"},
                 {"GITHUB_SHA", "860c1904a1ce19322e91ac35af1ab07466440c37"},
                 {"GITHUB_REPOSITORY", "org/app"},
                 {"GITHUB_EVENT_PATH", event.string()}});
    ctx = berth::CiContext::from_github_env([](const std::string &n) { return env(n.c_str()); });
  }
  berth::TagOptions topts;
  topts.rules = {"type=ref,event=branch", "type=sha", "type=raw,value=build-42",
                 "type=raw,value=latest,enable={{is_default_branch}}"};
  auto tags = berth::compute_tags(ctx, topts);
  REQUIRE(tags.tags == std::vector<std::string>{"main", "sha-860c190", "build-42", "latest"});
  CHECK(tags.labels["org.opencontainers.image.revision"] ==
        "860c1904a1ce19322e91ac35af1ab07466440c37");
  w.tags = tags.tags;

  w.clear_front();
  REQUIRE(http("POST", w.control() + "/expired", "{\"next\": 1}", "application/json").status == 200);
  berth::CopyOptions copts;
  copts.extra_tags.assign(tags.tags.begin() + 1, tags.tags.end());
  auto src = "oci:" + (w.work / "image").string() + ":build";
  auto r = berth::copy_image(src, "docker://" + w.uri() + ":" + tags.tags[0], copts);
  CHECK(r.digest == w.digest);
  CHECK(r.blobs_copied >= 3);

  auto recs = w.front_requests();
  int expired = -1, patches = 0, manifest_puts = 0;
  for (std::size_t i = 0; i < recs.arr.size(); ++i) {
    auto &q = recs.arr[i];
    if (q["auth"].s() == "expired") {
      CHECK(expired == -1);
      expired = static_cast<int>(i);
      CHECK(q["status"].i() == 403);
    }
    if (q["method"].s() == "PATCH") {
      ++patches;
      CHECK_MESSAGE(q["status"].i() == 201, q["path"].s());
    }
    if (q["kind"].s() == "manifest" && q["method"].s() == "PUT") {
      ++manifest_puts;
      CHECK(q["status"].i() == 201);
    }
  }
  REQUIRE_MESSAGE(expired >= 0, "the front never answered 'token has expired'");
  int ok_after = 0;
  for (std::size_t i = expired + 1; i < recs.arr.size(); ++i)
    if (recs.arr[i]["auth"].s() == "ok" && recs.arr[i]["status"].i() < 300) ++ok_after;
  CHECK(ok_after > 0);
  CHECK(patches > 0);
  CHECK(manifest_puts == static_cast<int>(tags.tags.size()));

  // a re-run does nothing
  auto again = berth::copy_image(src, "docker://" + w.uri() + ":" + tags.tags[0], copts);
  CHECK(again.digest == w.digest);
  CHECK(again.blobs_copied == 0);

  // DescribeImages (moto, as the admin) sees the image with every tag.
  EnvScope admin(w.admin());
  auto images = berth::ecr_describe_images({}, w.repo());
  std::vector<std::string> seen;
  for (auto &img : images)
    if (img.digest == w.digest) seen.insert(seen.end(), img.tags.begin(), img.tags.end());
  for (auto &t : tags.tags)
    CHECK_MESSAGE(std::find(seen.begin(), seen.end(), t) != seen.end(), "tag " << t);
}

TEST_CASE("06 scan gate (admin): CRITICAL passes, HIGH fails on the findings set in moto") {
  Step step("06");
  if (step.skip) return;
  auto &w = world();
  EnvScope admin(w.admin());
  berth::ScanGateOptions gate;
  gate.fail_on = "CRITICAL";
  gate.max = 0;
  gate.timeout = 60s;
  gate.poll = 500ms;
  auto r = berth::ecr_scan_gate({}, w.repo(), "main", gate);
  CHECK(r.status == "COMPLETE");
  CHECK(r.passed);
  CHECK(r.counted == 0);

  std::string findings;
  for (auto [sev, n] : {std::pair<const char *, int>{"HIGH", 3}, {"MEDIUM", 2}})
    for (int i = 0; i < n; ++i)
      findings += std::string(findings.empty() ? "" : ",") + "{\"name\":\"CVE-2099-" + sev[0] +
                  std::to_string(i) + "\",\"severity\":\"" + sev +
                  "\",\"uri\":\"https://example.invalid/\"}";
  std::string body = "{\"region\":\"" + w.st["region"].s() + "\",\"results\":[{\"registryId\":\"" +
                     w.st["account"].s() + "\",\"repositoryName\":\"" + w.repo() +
                     "\",\"imageId\":{\"imageDigest\":\"" + w.digest +
                     "\"},\"imageScanStatus\":{\"status\":\"COMPLETE\",\"description\":\"done\"},"
                     "\"imageScanFindings\":{\"findingSeverityCounts\":{\"HIGH\":3,\"MEDIUM\":2},"
                     "\"findings\":[" + findings + "]}}]}";
  auto set = http("POST", w.st["moto"]["scan_findings_url"].s(), body, "application/json");
  REQUIRE(set.status < 300);

  gate.fail_on = "HIGH";
  auto high = berth::ecr_scan_gate({}, w.repo(), "main", gate);
  CHECK_FALSE(high.passed);
  CHECK(high.counted == 3);
  CHECK(high.counts["HIGH"] == 3);
  CHECK(high.counts["MEDIUM"] == 2);
  CHECK(high.table.find("HIGH") != std::string::npos);

  gate.fail_on = "CRITICAL";
  auto crit = berth::ecr_scan_gate({}, w.repo(), "main", gate);
  CHECK(crit.passed);
  CHECK(crit.counts["HIGH"] == 3);
}

TEST_CASE("07 lifecycle policy (admin), read back with GetLifecyclePolicy") {
  Step step("07");
  if (step.skip) return;
  auto &w = world();
  EnvScope admin(w.admin());
  auto policy = berth::lifecycle_policy_from_shorthand(10, 7);
  berth::validate_lifecycle_policy(policy);
  auto preview = berth::lifecycle_preview(policy, berth::ecr_describe_images({}, w.repo()),
                                          std::chrono::system_clock::now());
  CHECK(preview.empty()); // one tagged image: kept
  berth::ecr_put_lifecycle_policy({}, w.repo(), policy);
  auto back = Json::parse(
      berth::ecr_call({}, "GetLifecyclePolicy", "{\"repositoryName\":\"" + w.repo() + "\"}"));
  auto got = Json::parse(back["lifecyclePolicyText"].s());
  REQUIRE(got["rules"].arr.size() == 2);
  auto rules = got["rules"].arr;
  std::sort(rules.begin(), rules.end(), [](const Json &a, const Json &b) {
    return a["rulePriority"].i() < b["rulePriority"].i();
  });
  CHECK(rules[0]["selection"]["tagStatus"].s() == "untagged");
  CHECK(rules[0]["selection"]["countType"].s() == "sinceImagePushed");
  CHECK(rules[0]["selection"]["countNumber"].i() == 7);
  CHECK(rules[1]["selection"]["tagStatus"].s() == "any");
  CHECK(rules[1]["selection"]["countType"].s() == "imageCountMoreThan");
  CHECK(rules[1]["selection"]["countNumber"].i() == 10);
  CHECK(rules[1]["action"]["type"].s() == "expire");
}

// Every whole-blob GET at the front was a 307 to the S3 side, and the S3 side saw no
// Authorization header. Returns the number of such GETs.
int check_redirects(World &w) {
  int n = 0;
  for (auto &q : w.front_requests().arr) {
    if (q["kind"].s() != "blob" || q["method"].s() != "GET" || !q["headers"]["range"].is_null())
      continue;
    ++n;
    CHECK_MESSAGE(q["action"].s() == "redirect", q["path"].s());
    CHECK(q["status"].i() == 307);
  }
  auto s3 = w.s3_requests();
  CHECK_FALSE(s3.arr.empty());
  for (auto &q : s3.arr) {
    CHECK_FALSE(q["authorization"].b);
    CHECK((q["status"].i() == 200 || q["status"].i() == 206));
  }
  return n;
}

TEST_CASE("08 replicate to two more regions, pull back everywhere, same digest") {
  Step step("08");
  if (step.skip) return;
  auto &w = world();
  REQUIRE(w.regions.size() == 2);
  auto src = w.uri() + ":main";
  std::vector<std::string> dsts{w.regions[0] + "/org/app:main", w.regions[1] + "/org/app:main"};
  w.clear_front();
  auto results = berth::replicate_image(src, dsts);
  REQUIRE(results.size() == 2);
  for (auto &r : results) CHECK(r.digest == w.digest);
  check_redirects(w);

  w.clear_front();
  std::vector<std::string> refs{src, dsts[0], dsts[1]};
  for (std::size_t i = 0; i < refs.size(); ++i) {
    auto dir = w.work / ("pulled-" + std::to_string(i));
    auto r = berth::copy_image("docker://" + refs[i], "oci:" + dir.string() + ":main");
    CHECK_MESSAGE(r.digest == w.digest, refs[i]);
    auto idx = Json::parse(read_file(dir / "index.json"));
    CHECK(idx["manifests"][0]["digest"].s() == w.digest);
  }
  CHECK(check_redirects(w) == 3);

  berth::export_image("oci:" + (w.work / "pulled-0").string() + ":main", (w.work / "exported").string());
  CHECK(read_file(w.work / "exported/app/server").find("hello from berth") != std::string::npos);
}
