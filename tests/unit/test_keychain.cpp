// Registry credentials: docker config.json / auth.json rules, the
// docker-credential-helpers protocol against a real helper script, and the subprocess
// runner beneath it. No network; every test builds its own files and environment.
#include <doctest/doctest.h>

#include "core/subprocess.hpp"
#include "registry/credential_helper.hpp"
#include "registry/keychain.hpp"
#include "test_util.hpp"

#include <berth/error.hpp>

#include <openssl/evp.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

namespace fs = std::filesystem;
using berth::Errc;
using berth::Error;
using berth::core::run_process;
using namespace berth::registry;

namespace {

using berth::test::TempDir;

// Sets (or, with nullopt, unsets) an environment variable for one scope.
class EnvVar {
public:
  EnvVar(const char *name, std::optional<std::string> value) : name_(name) {
    if (const char *old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  }
  ~EnvVar() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  EnvVar(const EnvVar &) = delete;
  EnvVar &operator=(const EnvVar &) = delete;

private:
  const char *name_;
  std::optional<std::string> old_;
};

// default_auth_files() sees only what a test sets up, never the config of the machine
// running the tests.
struct IsolatedEnv {
  TempDir home;
  EnvVar home_var{"HOME", home.str()};
  EnvVar docker_config{"DOCKER_CONFIG", std::nullopt};
  EnvVar auth_file{"REGISTRY_AUTH_FILE", std::nullopt};
  EnvVar xdg{"XDG_RUNTIME_DIR", std::nullopt};
};

std::string b64(const std::string &s) {
  std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                          reinterpret_cast<const unsigned char *>(s.data()),
                          static_cast<int>(s.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

AuthConfig resolve_with(const std::string &file, const std::string &registry) {
  return DockerKeychain({{file}}).resolve(registry);
}

template <class F> Error error_of(F &&f) {
  try {
    f();
  } catch (const Error &e) {
    return e;
  }
  FAIL("expected berth::Error");
  return Error(Errc::ok, "");
}

bool contains(const std::string &hay, const std::string &needle) {
  return hay.find(needle) != std::string::npos;
}

// A file-backed docker-credential-helpers implementation: one file per server under
// store/, every get/erase request appended to calls.log. Servers with special
// behaviour: fail.example.com (an error), garbage.example.com (exit 0, not JSON, with
// a would-be secret in it), no-exit.example.com (exit 1 without "not found").
const char *kHelperScript = R"SH(#!/bin/sh
dir='@DIR@'
verb="$1"
input=$(cat)
keyof() { printf '%s' "$1" | tr -c 'A-Za-z0-9.-' '_'; }
field() { printf '%s' "$input" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
case "$verb" in
get)
  printf 'get %s\n' "$input" >> "$dir/calls.log"
  case "$input" in
    fail.example.com) echo "backend unavailable: keyring is locked"; exit 1 ;;
    garbage.example.com) echo "oops s3cr3t-in-garbage {"; exit 0 ;;
    no-exit.example.com) exit 1 ;;
  esac
  f="$dir/store/$(keyof "$input")"
  if [ ! -f "$f" ]; then echo "credentials not found in native keychain"; exit 1; fi
  { read -r server; read -r user; read -r secret; } < "$f"
  printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\n' "$server" "$user" "$secret"
  ;;
store)
  server=$(field ServerURL)
  if [ "$server" = fail.example.com ]; then echo "refusing to store $input" >&2; exit 1; fi
  printf '%s\n%s\n%s\n' "$server" "$(field Username)" "$(field Secret)" > "$dir/store/$(keyof "$server")"
  ;;
erase)
  printf 'erase %s\n' "$input" >> "$dir/calls.log"
  f="$dir/store/$(keyof "$input")"
  if [ ! -f "$f" ]; then echo "credentials not found in native keychain"; exit 1; fi
  rm -f "$f"
  ;;
list)
  printf '{'
  sep=''
  for f in "$dir"/store/*; do
    [ -f "$f" ] || continue
    { read -r server; read -r user; } < "$f"
    printf '%s"%s":"%s"' "$sep" "$server" "$user"
    sep=','
  done
  printf '}\n'
  ;;
*) echo "unknown verb $verb" >&2; exit 2 ;;
esac
)SH";

// Installs docker-credential-testhelper in a temp dir put first on PATH.
struct HelperFixture {
  TempDir dir;
  std::optional<EnvVar> path;

  HelperFixture() {
    std::string script = kHelperScript;
    script.replace(script.find("@DIR@"), 5, dir.str());
    auto bin = dir.write("bin/docker-credential-testhelper", script);
    fs::permissions(bin, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    fs::create_directories(dir.path / "store");
    const char *old = std::getenv("PATH");
    path.emplace("PATH", (dir.path / "bin").string() + ":" + (old ? old : "/usr/bin:/bin"));
  }
  // Stores as the helper's "store" would: one file per server, named by keyof().
  void put(const std::string &server, const std::string &user, const std::string &secret) const {
    std::string key = server;
    for (auto &c : key)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '_';
    dir.write("store/" + key, server + "\n" + user + "\n" + secret + "\n");
  }
  std::string calls() const {
    std::ifstream in(dir.path / "calls.log");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
};

} // namespace

// ---------------------------------------------------------------------------------
// The subprocess runner

TEST_CASE("helper subprocess: stdin in, stdout, stderr and exit code out") {
  auto r = run_process({"cat"}, "hello\nworld");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "hello\nworld");
  CHECK(r.err.empty());

  auto e = run_process({"sh", "-c", "echo to-out; echo to-err >&2; exit 3"}, {});
  CHECK(e.exit_code == 3);
  CHECK(e.out == "to-out\n");
  CHECK(e.err == "to-err\n");

  auto killed = run_process({"sh", "-c", "kill -9 $$"}, {});
  CHECK(killed.exit_code == 128 + 9);
}

TEST_CASE("helper subprocess: megabytes both ways without deadlock") {
  const std::size_t size = 3 * 1024 * 1024;
  auto r = run_process({"sh", "-c", "head -c 3145728 /dev/zero; head -c 1048576 /dev/zero >&2"}, {},
                       std::chrono::seconds(30));
  CHECK(r.exit_code == 0);
  CHECK(r.out.size() == size);
  CHECK(r.err.size() == 1024 * 1024);

  // cat echoes as it reads: the parent must keep reading while it is still writing.
  std::string input(size, 'x');
  for (std::size_t i = 0; i < input.size(); i += 4099)
    input[i] = static_cast<char>('a' + i % 26);
  auto echo = run_process({"cat"}, input, std::chrono::seconds(30));
  CHECK(echo.exit_code == 0);
  CHECK(echo.out == input);
}

TEST_CASE("helper subprocess: a program that ignores its stdin does not kill us with SIGPIPE") {
  std::string input(2 * 1024 * 1024, 'y');
  auto r = run_process({"sh", "-c", "exec 0<&-; echo done"}, input);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "done\n");
  auto t = run_process({"true"}, input);
  CHECK(t.exit_code == 0);

  // The calling thread's mask is back as it was, with no SIGPIPE left pending.
  sigset_t mask, pending;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  sigpending(&pending);
  CHECK(sigismember(&mask, SIGPIPE) == 0);
  CHECK(sigismember(&pending, SIGPIPE) == 0);
}

TEST_CASE("helper subprocess: concurrent runs from several threads") {
  std::vector<std::thread> threads;
  std::vector<int> ok(6, 0);
  for (std::size_t t = 0; t < ok.size(); ++t)
    threads.emplace_back([&ok, t] {
      std::string input(512 * 1024 + t, static_cast<char>('a' + t));
      auto r = run_process({"cat"}, input, std::chrono::seconds(30));
      ok[t] = r.exit_code == 0 && r.out == input;
    });
  for (auto &th : threads)
    th.join();
  for (int v : ok)
    CHECK(v == 1);
}

TEST_CASE("helper subprocess: timeout kills the program") {
  auto start = std::chrono::steady_clock::now();
  auto e = error_of([] { run_process({"sleep", "10"}, {}, std::chrono::milliseconds(200)); });
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(e.code() == Errc::timeout);
  CHECK(contains(e.what(), "sleep"));
  CHECK(took < std::chrono::seconds(5));

  // Also when the program closed its output and only lingers.
  auto lingering = error_of([] {
    run_process({"sh", "-c", "exec >&- 2>&-; sleep 10"}, {}, std::chrono::milliseconds(200));
  });
  CHECK(lingering.code() == Errc::timeout);
}

namespace {

// Running, not a zombie nobody has reaped yet (PID 1 of a container may never reap).
bool running(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  auto close = line.rfind(')');
  return close == std::string::npos || line.size() < close + 3 || line[close + 2] != 'Z';
}

} // namespace

TEST_CASE("helper subprocess: at the deadline the program's children die with it") {
  TempDir dir;
  // A hung helper that started a child of its own: one child keeps the output pipes,
  // one does not; the helper waits for both.
  for (const char *script : {"sleep 1000 & echo $! > \"$0\"; wait",
                             "sleep 1000 >/dev/null 2>&1 </dev/null & echo $! > \"$0\"; wait"}) {
    CAPTURE(script);
    const auto pidfile = dir.path / "child.pid";
    std::error_code ec;
    fs::remove(pidfile, ec);
    auto e = error_of([&] {
      run_process({"sh", "-c", script, pidfile.string()}, {}, std::chrono::milliseconds(300));
    });
    CHECK(e.code() == Errc::timeout);
    std::ifstream in(pidfile);
    pid_t child = 0;
    in >> child;
    REQUIRE(child > 0);
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (running(child) && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const bool survived = running(child);
    if (survived) ::kill(child, SIGKILL);
    CHECK_FALSE(survived);
  }
}

TEST_CASE("helper subprocess: missing program and bad arguments") {
  CHECK(error_of([] { run_process({"berth-no-such-program-4f1c"}, {}); }).code() ==
        Errc::not_found);
  CHECK(error_of([] { run_process({"/nonexistent/dir/prog"}, {}); }).code() == Errc::not_found);
  CHECK(error_of([] { run_process({}, {}); }).code() == Errc::invalid_argument);
}

// ---------------------------------------------------------------------------------
// The credential-helper protocol

TEST_CASE("credential helper: get") {
  HelperFixture h;
  CHECK_FALSE(helper_get("testhelper", "registry.example.com").has_value());

  h.put("registry.example.com", "alice", "pa:ss word");
  h.put("https://index.docker.io/v1/", "bob", "hub-secret");
  auto got = helper_get("testhelper", "registry.example.com");
  REQUIRE(got.has_value());
  CHECK(got->server_url == "registry.example.com");
  CHECK(got->username == "alice");
  CHECK(got->secret == "pa:ss word");
  auto hub = helper_get("testhelper", "https://index.docker.io/v1/");
  REQUIRE(hub.has_value());
  CHECK(hub->username == "bob");
  // The server goes on stdin exactly, with no trailing newline.
  CHECK(contains(h.calls(), "get registry.example.com\n"));
}

TEST_CASE("credential helper: failures are Error(auth) with the helper's words, never a secret") {
  HelperFixture h;
  auto fail = error_of([] { helper_get("testhelper", "fail.example.com"); });
  CHECK(fail.code() == Errc::auth);
  CHECK(contains(fail.what(), "docker-credential-testhelper get"));
  CHECK(contains(fail.what(), "exit code 1"));
  CHECK(contains(fail.what(), "backend unavailable: keyring is locked"));

  auto silent = error_of([] { helper_get("testhelper", "no-exit.example.com"); });
  CHECK(silent.code() == Errc::auth);

  auto garbage = error_of([] { helper_get("testhelper", "garbage.example.com"); });
  CHECK(garbage.code() == Errc::auth);
  CHECK(contains(garbage.what(), "malformed"));
  CHECK_FALSE(contains(garbage.what(), "s3cr3t"));
}

TEST_CASE("credential helper: missing binary and invalid names") {
  HelperFixture h;
  auto missing = error_of([] { helper_get("berth-nonexistent-helper", "x.example.com"); });
  CHECK(missing.code() == Errc::not_found);
  CHECK(contains(missing.what(), "docker-credential-berth-nonexistent-helper"));
  CHECK(error_of([] { helper_get("../testhelper", "x"); }).code() == Errc::invalid_argument);
  CHECK(error_of([] { helper_get("", "x"); }).code() == Errc::invalid_argument);
}

// ---------------------------------------------------------------------------------
// DockerKeychain: config.json / auth.json rules

TEST_CASE("keychain: anonymous when nothing is configured") {
  IsolatedEnv env;
  CHECK(DockerKeychain().resolve("docker.io").anonymous());
  CHECK(resolve_with((env.home.path / "missing.json").string(), "quay.io").anonymous());
  CHECK(resolve_with(env.home.write("empty.json", "  \n"), "quay.io").anonymous());
  CHECK(resolve_with(env.home.write("other.json",
                                    R"({"auths":{"quay.io":{"auth":")" + b64("u:p") + R"("}}})"),
                     "ghcr.io")
            .anonymous());
  CHECK(default_keychain()->resolve("localhost:5000").anonymous());
}

TEST_CASE("keychain: auths fields — auth, username/password, identitytoken, registrytoken") {
  TempDir d;
  auto file =
      d.write("config.json", R"({"auths": {
    "basic.example.com": {"auth": ")" +
                                 b64("alice:pa:ss:word") + R"("},
    "fields.example.com": {"username": "bob", "password": "hunter2"},
    "override.example.com": {"auth": ")" +
                                 b64("carol:from-auth") + R"(", "username": "x", "password": "y"},
    "idtoken.example.com": {"auth": ")" +
                                 b64("<token>:") + R"(", "identitytoken": "refresh-123"},
    "bearer.example.com": {"registrytoken": "bearer-456"},
    "unpadded.example.com": {"auth": ")" +
                                 std::string("ZGF2ZTpwdw") + R"("},
    "stub.example.com": {}
  }})");

  auto basic = resolve_with(file, "basic.example.com");
  CHECK(basic.username == "alice");
  CHECK(basic.password == "pa:ss:word"); // only the first ':' splits

  auto fields = resolve_with(file, "fields.example.com");
  CHECK(fields.username == "bob");
  CHECK(fields.password == "hunter2");

  auto over = resolve_with(file, "override.example.com");
  CHECK(over.username == "carol");
  CHECK(over.password == "from-auth");

  auto id = resolve_with(file, "idtoken.example.com");
  CHECK(id.identity_token == "refresh-123");
  CHECK(id.registry_token.empty());

  auto bearer = resolve_with(file, "bearer.example.com");
  CHECK(bearer.registry_token == "bearer-456");
  CHECK(bearer.username.empty());

  auto unpadded = resolve_with(file, "unpadded.example.com");
  CHECK(unpadded.username == "dave");
  CHECK(unpadded.password == "pw");

  CHECK(resolve_with(file, "stub.example.com").anonymous());
}

TEST_CASE("keychain: keys are normalised — scheme, path, case, and exact keys win") {
  TempDir d;
  auto file = d.write("config.json", R"({"auths": {
    "https://localhost:5000": {"username": "https-key", "password": "p"},
    "http://plain.example.com/v2/": {"username": "http-path-key", "password": "p"},
    "HTTPS://Upper.Example.COM/v1/": {"username": "upper", "password": "p"},
    "https://dup.example.com/v1/": {"username": "normalised", "password": "p"},
    "dup.example.com": {"username": "exact", "password": "p"}
  }})");
  CHECK(resolve_with(file, "localhost:5000").username == "https-key");
  CHECK(resolve_with(file, "localhost").anonymous()); // the port is part of the name
  CHECK(resolve_with(file, "localhost:5001").anonymous());
  CHECK(resolve_with(file, "plain.example.com").username == "http-path-key");
  CHECK(resolve_with(file, "upper.example.com").username == "upper");
  CHECK(resolve_with(file, "dup.example.com").username == "exact");
  // A URL form of the registry is accepted too.
  CHECK(resolve_with(file, "https://localhost:5000/v2/").username == "https-key");
}

TEST_CASE("keychain: Docker Hub lives under https://index.docker.io/v1/ and its aliases") {
  TempDir d;
  auto hub = d.write("hub.json", R"({"auths": {"https://index.docker.io/v1/": {"auth": ")" +
                                     b64("hubuser:hubpass") + R"("}}})");
  for (std::string name :
       {"docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/"}) {
    CAPTURE(name);
    auto a = resolve_with(hub, name);
    CHECK(a.username == "hubuser");
    CHECK(a.password == "hubpass");
  }
  for (std::string key : {"docker.io", "index.docker.io", "registry-1.docker.io",
                          "https://registry-1.docker.io/v2/"}) {
    CAPTURE(key);
    auto f = d.write("alias.json",
                     R"({"auths": {")" + key + R"(": {"username": "u", "password": "p"}}})");
    CHECK(resolve_with(f, "docker.io").username == "u");
  }
  CHECK(resolve_with(hub, "quay.io").anonymous());
}

TEST_CASE("keychain: malformed files are Error(config) naming the file, never the secret") {
  TempDir d;
  auto bad_json = d.write("bad.json", R"({"auths": {"r.example.com": {"password": "SECRET-1" }})");
  auto e = error_of([&] { resolve_with(bad_json, "r.example.com"); });
  CHECK(e.code() == Errc::config);
  CHECK(contains(e.what(), bad_json));
  CHECK(contains(e.what(), "offset"));
  CHECK_FALSE(contains(e.what(), "SECRET-1"));

  auto bad_b64 = d.write("b64.json", R"({"auths": {"r.example.com": {"auth": "SECRET-2!!"}}})");
  e = error_of([&] { resolve_with(bad_b64, "r.example.com"); });
  CHECK(e.code() == Errc::config);
  CHECK(contains(e.what(), bad_b64));
  CHECK(contains(e.what(), "r.example.com"));
  CHECK(contains(e.what(), "base64"));
  CHECK_FALSE(contains(e.what(), "SECRET-2"));

  // Padding in the middle is not base64, even though OpenSSL's block decoder takes it.
  auto mid_pad = d.write("midpad.json", R"({"auths": {"r.example.com": {"auth": "YQ==YQ=="}}})");
  CHECK(error_of([&] { resolve_with(mid_pad, "r.example.com"); }).code() == Errc::config);

  auto no_colon = d.write("colon.json", R"({"auths": {"r.example.com": {"auth": ")" +
                                            b64("SECRET-3-without-colon") + R"("}}})");
  e = error_of([&] { resolve_with(no_colon, "r.example.com"); });
  CHECK(e.code() == Errc::config);
  CHECK(contains(e.what(), no_colon));
  CHECK(contains(e.what(), "r.example.com"));
  CHECK_FALSE(contains(e.what(), "SECRET-3"));
  CHECK_FALSE(contains(e.what(), b64("SECRET-3-without-colon")));

  for (std::string text :
       {R"([1, 2])", R"({"auths": []})", R"({"credHelpers": "x"})", R"({"credsStore": 5})",
        R"({"auths": {"r.example.com": "x"}})", R"({"auths": {"r.example.com": {"password": 7}}})",
        R"({"credHelpers": {"r.example.com": true}})"}) {
    CAPTURE(text);
    auto f = d.write("types.json", text);
    auto te = error_of([&] { resolve_with(f, "r.example.com"); });
    CHECK(te.code() == Errc::config);
    CHECK(contains(te.what(), f));
  }
}

TEST_CASE("keychain: files are read in order and the first with credentials wins") {
  TempDir d;
  auto first = d.write("first.json",
                       R"({"auths": {"a.example.com": {"username": "first", "password": "p"}}})");
  auto second = d.write("second.json", R"({"auths": {
    "a.example.com": {"username": "second", "password": "p"},
    "b.example.com": {"username": "second-b", "password": "p"}}})");
  DockerKeychain k({{(d.path / "missing.json").string(), first, second}});
  CHECK(k.resolve("a.example.com").username == "first");
  CHECK(k.resolve("b.example.com").username == "second-b");
  CHECK(k.resolve("c.example.com").anonymous());
}

TEST_CASE(
    "keychain: default files — REGISTRY_AUTH_FILE, DOCKER_CONFIG or ~/.docker, XDG auth.json") {
  IsolatedEnv env;
  const TempDir &d = env.home;
  auto entry = [](const std::string &user) {
    return R"({"auths": {"r.example.com": {"username": ")" + user + R"(", "password": "p"}}})";
  };
  auto home_cfg = d.write(".docker/config.json", entry("home"));
  CHECK(default_auth_files() == std::vector<std::string>{home_cfg});
  CHECK(DockerKeychain().resolve("r.example.com").username == "home");

  auto xdg_auth = d.write("run/containers/auth.json", entry("xdg"));
  EnvVar xdg("XDG_RUNTIME_DIR", (d.path / "run").string());
  CHECK(DockerKeychain().resolve("r.example.com").username == "home");

  auto dc_cfg = d.write("dc/config.json", entry("docker-config"));
  EnvVar dc("DOCKER_CONFIG", (d.path / "dc").string());
  CHECK(DockerKeychain().resolve("r.example.com").username == "docker-config");

  auto raf = d.write("raf.json", entry("registry-auth-file"));
  {
    EnvVar ra("REGISTRY_AUTH_FILE", raf);
    CHECK(default_auth_files() == std::vector<std::string>{raf, dc_cfg, xdg_auth});
    CHECK(DockerKeychain().resolve("r.example.com").username == "registry-auth-file");
    CHECK(default_keychain()->resolve("r.example.com").username == "registry-auth-file");
  }
  // Only podman's file has it.
  fs::remove(dc_cfg);
  CHECK(DockerKeychain().resolve("r.example.com").username == "xdg");
}

// ---------------------------------------------------------------------------------
// DockerKeychain with credential helpers

TEST_CASE("keychain: credHelpers wins over credsStore, which wins over auths") {
  HelperFixture h;
  h.put("helped.example.com", "from-helper", "helper-pass");
  h.put("stored.example.com", "from-store", "store-pass");
  h.put("both.example.com", "from-helper-both", "x");
  TempDir d;
  auto file = d.write("config.json", R"({
    "credHelpers": {"helped.example.com": "testhelper", "both.example.com": "testhelper",
                    "missing.example.com": "testhelper"},
    "credsStore": "testhelper",
    "auths": {
      "helped.example.com": {"username": "from-auths", "password": "p"},
      "stored.example.com": {"username": "from-auths", "password": "p"},
      "fallback.example.com": {"username": "auths-fallback", "password": "p"},
      "missing.example.com": {"username": "auths-ignored", "password": "p"}
    }})");

  auto helped = resolve_with(file, "helped.example.com");
  CHECK(helped.username == "from-helper");
  CHECK(helped.password == "helper-pass");
  CHECK(resolve_with(file, "stored.example.com").username == "from-store");
  CHECK(resolve_with(file, "both.example.com").username == "from-helper-both");
  // The store has nothing: docker's file store (auths) is next.
  CHECK(resolve_with(file, "fallback.example.com").username == "auths-fallback");
  // credHelpers names the helper and it has nothing: anonymous, as in docker.
  CHECK(resolve_with(file, "missing.example.com").anonymous());
  CHECK(resolve_with(file, "nowhere.example.com").anonymous());
}

TEST_CASE("keychain: credsStore alone, helper keys normalised, Hub asked as index.docker.io/v1/") {
  HelperFixture h;
  h.put("https://index.docker.io/v1/", "hubber", "hub-pass");
  h.put("localhost:5000", "local", "local-pass");
  TempDir d;
  auto store = d.write("store.json", R"({"credsStore": "testhelper"})");
  CHECK(resolve_with(store, "docker.io").username == "hubber");
  CHECK(resolve_with(store, "registry-1.docker.io").password == "hub-pass");
  CHECK(resolve_with(store, "localhost:5000").username == "local");
  CHECK(contains(h.calls(), "get https://index.docker.io/v1/\n"));
  CHECK(contains(h.calls(), "get localhost:5000\n"));

  auto helpers = d.write("helpers.json", R"({"credHelpers": {"docker.io": "testhelper",
                                              "https://LocalHost:5000": "testhelper"}})");
  CHECK(resolve_with(helpers, "docker.io").username == "hubber");
  CHECK(resolve_with(helpers, "localhost:5000").username == "local");
}

TEST_CASE("keychain: helper Username <token> is an identity token") {
  HelperFixture h;
  h.put("tok.example.com", "<token>", "refresh-token-789");
  TempDir d;
  auto file = d.write("config.json", R"({"credHelpers": {"tok.example.com": "testhelper"}})");
  auto a = resolve_with(file, "tok.example.com");
  CHECK(a.identity_token == "refresh-token-789");
  CHECK(a.username.empty());
  CHECK(a.password.empty());
}

TEST_CASE("keychain: a failing or missing helper is Error(auth) naming the helper and file") {
  HelperFixture h;
  TempDir d;
  auto file = d.write("config.json", R"({"credHelpers": {
    "fail.example.com": "testhelper", "gone.example.com": "berth-absent-helper",
    "bad.example.com": "../evil", "empty.example.com": ""},
    "credsStore": "berth-absent-store",
    "auths": {"empty.example.com": {"username": "auths-direct", "password": "p"}}})");
  auto fail = error_of([&] { resolve_with(file, "fail.example.com"); });
  CHECK(fail.code() == Errc::auth);
  CHECK(contains(fail.what(), "keyring is locked"));
  CHECK(contains(fail.what(), file));
  CHECK(contains(fail.what(), "credHelpers"));

  auto gone = error_of([&] { resolve_with(file, "gone.example.com"); });
  CHECK(gone.code() == Errc::auth);
  CHECK(contains(gone.what(), "docker-credential-berth-absent-helper"));

  CHECK(error_of([&] { resolve_with(file, "bad.example.com"); }).code() == Errc::config);

  // A configured store that is not installed fails, as in docker.
  auto store = error_of([&] { resolve_with(file, "other.example.com"); });
  CHECK(store.code() == Errc::auth);
  CHECK(contains(store.what(), "credsStore"));

  // An empty credHelpers entry means "use auths", skipping credsStore (docker's rule).
  CHECK(resolve_with(file, "empty.example.com").username == "auths-direct");
}

// ---------------------------------------------------------------------------------
// Static, chained, and command-line credentials

TEST_CASE("keychain: StaticKeychain and ChainKeychain") {
  AuthConfig alice;
  alice.username = "alice";
  alice.password = "pw";
  StaticKeychain any("", alice);
  CHECK(any.resolve("quay.io").username == "alice");
  CHECK(any.resolve("docker.io").username == "alice");

  StaticKeychain hub("index.docker.io", alice);
  CHECK(hub.resolve("docker.io").username == "alice");
  CHECK(hub.resolve("registry-1.docker.io").username == "alice");
  CHECK(hub.resolve("quay.io").anonymous());

  AuthConfig bob;
  bob.registry_token = "tok";
  ChainKeychain chain({std::make_shared<StaticKeychain>("quay.io", alice),
                       std::make_shared<StaticKeychain>("", bob)});
  CHECK(chain.resolve("quay.io").username == "alice");
  CHECK(chain.resolve("ghcr.io").registry_token == "tok");
  CHECK(ChainKeychain({}).resolve("ghcr.io").anonymous());
  CHECK(error_of([] { ChainKeychain({nullptr}); }).code() == Errc::invalid_argument);

  // An error stops the chain instead of silently falling through to other credentials.
  TempDir d;
  auto broken = d.write("broken.json", "{");
  ChainKeychain erroring({std::make_shared<DockerKeychain>(DockerKeychainOptions{{broken}}),
                          std::make_shared<StaticKeychain>("", bob)});
  CHECK(error_of([&] { erroring.resolve("ghcr.io"); }).code() == Errc::config);
}

TEST_CASE("keychain: parse_user_pass") {
  auto a = parse_user_pass("user:pa:ss");
  CHECK(a.username == "user");
  CHECK(a.password == "pa:ss");
  CHECK(parse_user_pass("user:").password.empty());
  auto e = error_of([] { parse_user_pass("just-a-SECRET"); });
  CHECK(e.code() == Errc::invalid_argument);
  CHECK_FALSE(contains(e.what(), "SECRET"));
  CHECK(error_of([] { parse_user_pass(":pw"); }).code() == Errc::invalid_argument);
  CHECK(AuthConfig{}.anonymous());
}
