// The provider chain (not_found falls through, a configured failure stops it) and the
// caching provider (refresh five minutes before expiry, one refresh in flight).
#include <doctest/doctest.h>

#include <berth/aws_credentials.hpp>
#include <berth/error.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

using berth::Errc;
using berth::Error;
using namespace berth::aws;
using namespace std::chrono;

namespace {

class FakeProvider final : public CredentialsProvider {
public:
  using Fn = std::function<ResolvedCredentials()>;
  FakeProvider(std::string name, Fn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  ResolvedCredentials resolve() override {
    ++calls;
    return fn_();
  }
  std::string name() const override { return name_; }
  std::atomic<int> calls{0};

private:
  std::string name_;
  Fn fn_;
};

std::shared_ptr<FakeProvider> answering(const std::string &name, const std::string &key,
                                        std::optional<system_clock::time_point> exp = {}) {
  return std::make_shared<FakeProvider>(name, [name, key, exp] {
    return ResolvedCredentials{{key, "secret-" + key, ""}, exp, name};
  });
}

std::shared_ptr<FakeProvider> failing(const std::string &name, Errc code) {
  return std::make_shared<FakeProvider>(
      name, [name, code]() -> ResolvedCredentials { throw Error(code, name + ": failed"); });
}

} // namespace

TEST_CASE("aws chain: not_found falls through to the first provider that answers") {
  auto a = failing("a", Errc::not_found);
  auto b = failing("b", Errc::not_found);
  auto c = answering("c", "AKIDC");
  auto d = answering("d", "AKIDD");
  auto chain = chain_provider({a, b, c, d});
  auto r = chain->resolve();
  CHECK(r.provider == "c");
  CHECK(r.credentials.access_key_id == "AKIDC");
  CHECK(a->calls == 1);
  CHECK(b->calls == 1);
  CHECK(d->calls == 0);
}

TEST_CASE("aws chain: a configured provider that fails is the answer") {
  for (Errc code : {Errc::auth, Errc::config, Errc::denied, Errc::network, Errc::protocol}) {
    CAPTURE(static_cast<int>(code));
    auto a = failing("a", Errc::not_found);
    auto b = failing("b", code);
    auto c = answering("c", "AKIDC");
    auto chain = chain_provider({a, b, c});
    try {
      chain->resolve();
      FAIL("no error");
    } catch (const Error &e) {
      CHECK(e.code() == code);
      CHECK(std::string(e.what()) == "b: failed");
    }
    CHECK(c->calls == 0);
  }
}

TEST_CASE("aws chain: nothing found lists every reason") {
  auto chain =
      chain_provider({failing("environment", Errc::not_found), failing("profile", Errc::not_found),
                      failing("imds", Errc::not_found)});
  try {
    chain->resolve();
    FAIL("no error");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::auth);
    CHECK(std::string(e.what()) == "no AWS credentials found (environment: failed; profile: "
                                   "failed; imds: failed)");
  }
  CHECK_THROWS_AS(chain_provider({})->resolve(), Error);
}

TEST_CASE("aws chain: static and environment providers") {
  auto s = static_provider({"AKID", "SECRET", "TOKEN"})->resolve();
  CHECK(s.provider == "static");
  CHECK(s.credentials.session_token == "TOKEN");
  CHECK_FALSE(s.expiration);
  CHECK_THROWS_AS(static_provider({"AKID", "", ""})->resolve(), Error);

  std::map<std::string, std::string> vars;
  ProviderContext ctx;
  ctx.env = [&](const std::string &k) -> std::optional<std::string> {
    auto it = vars.find(k);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  try {
    env_provider(ctx)->resolve();
    FAIL("no error");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::not_found);
  }
  vars["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  CHECK_THROWS_AS(env_provider(ctx)->resolve(), Error); // half configured: not found
  vars["AWS_SECRET_KEY"] = "old-name-secret";
  CHECK(env_provider(ctx)->resolve().credentials.secret_access_key == "old-name-secret");
  vars["AWS_SECRET_ACCESS_KEY"] = "new-name-secret";
  vars["AWS_SESSION_TOKEN"] = "tok";
  auto e = env_provider(ctx)->resolve();
  CHECK(e.provider == "environment");
  CHECK(e.credentials.access_key_id == "AKIDENV");
  CHECK(e.credentials.secret_access_key == "new-name-secret");
  CHECK(e.credentials.session_token == "tok");
}

TEST_CASE("aws caching provider: refreshes five minutes before expiry") {
  SUBCASE("far from expiry: cached") {
    auto inner = answering("x", "AKID", system_clock::now() + minutes(10));
    auto c = caching_provider(inner);
    c->resolve();
    c->resolve();
    c->resolve();
    CHECK(inner->calls == 1);
  }
  SUBCASE("inside the five-minute margin: refreshed on every use") {
    auto inner = answering("x", "AKID", system_clock::now() + minutes(4) + seconds(50));
    auto c = caching_provider(inner);
    c->resolve();
    c->resolve();
    CHECK(inner->calls == 2);
  }
  SUBCASE("the margin is configurable") {
    auto inner = answering("x", "AKID", system_clock::now() + minutes(4) + seconds(50));
    auto c = caching_provider(inner, minutes(1));
    c->resolve();
    c->resolve();
    CHECK(inner->calls == 1);
  }
  SUBCASE("credentials that never expire are resolved once") {
    auto inner = answering("x", "AKID");
    auto c = caching_provider(inner);
    for (int i = 0; i < 5; ++i)
      CHECK(c->resolve().credentials.access_key_id == "AKID");
    CHECK(inner->calls == 1);
    CHECK(c->name() == "x");
  }
  SUBCASE("a failed first resolve is not cached") {
    int n = 0;
    auto inner = std::make_shared<FakeProvider>("x", [&]() -> ResolvedCredentials {
      if (++n == 1) throw Error(Errc::network, "x: down");
      return {{"AKID", "s", ""}, std::nullopt, "x"};
    });
    auto c = caching_provider(inner);
    CHECK_THROWS_AS(c->resolve(), Error);
    CHECK(c->resolve().credentials.access_key_id == "AKID");
  }
}

TEST_CASE("aws caching provider: a failed refresh keeps credentials that are still valid") {
  // The SDKs' advisory refresh: while the cached credentials have not expired, a
  // refresh that fails (STS briefly unreachable) must not fail the caller.
  int n = 0;
  auto inner = std::make_shared<FakeProvider>("x", [&]() -> ResolvedCredentials {
    if (++n == 1) return {{"AKID1", "s", ""}, system_clock::now() + minutes(3), "x"};
    throw Error(Errc::network, "x: STS unreachable");
  });
  auto c = caching_provider(inner);
  CHECK(c->resolve().credentials.access_key_id == "AKID1");
  CHECK(c->resolve().credentials.access_key_id == "AKID1");
  CHECK(inner->calls == 2);

  // Once they have expired, the failure is the answer.
  int m = 0;
  auto expiring = std::make_shared<FakeProvider>("y", [&]() -> ResolvedCredentials {
    if (++m == 1) return {{"AKID1", "s", ""}, system_clock::now() - seconds(1), "y"};
    throw Error(Errc::network, "y: STS unreachable");
  });
  auto c2 = caching_provider(expiring);
  CHECK(c2->resolve().credentials.access_key_id == "AKID1");
  try {
    c2->resolve();
    FAIL("no error");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::network);
  }
}

TEST_CASE("aws caching provider: one refresh in flight across 8 threads") {
  std::atomic<int> in_flight{0}, max_in_flight{0};
  auto inner = std::make_shared<FakeProvider>("slow", [&] {
    int now = ++in_flight;
    int prev = max_in_flight.load();
    while (now > prev && !max_in_flight.compare_exchange_weak(prev, now)) {
    }
    std::this_thread::sleep_for(milliseconds(150));
    --in_flight;
    return ResolvedCredentials{{"AKID", "s", ""}, system_clock::now() + hours(1), "slow"};
  });
  auto c = caching_provider(inner);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      if (c->resolve().credentials.access_key_id == "AKID") ++ok;
    });
  for (auto &t : threads)
    t.join();
  CHECK(ok == 8);
  CHECK(inner->calls == 1);
  CHECK(max_in_flight == 1);
}
