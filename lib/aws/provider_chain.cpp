// The chain (first provider that answers wins) and the refreshing cache.
#include <berth/aws_credentials.hpp>
#include <berth/error.hpp>

#include <mutex>

namespace berth::aws {
namespace {

// Credentials end up in HTTP headers, shell lines and $GITHUB_ENV: a control
// character in one (from a hostile credential_process, ECS, IMDS or STS reply) could
// add a header or a variable. No real key, secret or token holds one.
ResolvedCredentials checked(ResolvedCredentials c) {
  auto check = [&](const std::string &v, const char *field) {
    for (unsigned char ch : v)
      if (ch < 0x20 || ch == 0x7f)
        throw Error(Errc::protocol, c.provider + ": the credentials' " + field +
                                        " holds a control character; refusing them");
  };
  check(c.credentials.access_key_id, "AccessKeyId");
  check(c.credentials.secret_access_key, "SecretAccessKey");
  check(c.credentials.session_token, "SessionToken");
  return c;
}

class ChainProvider final : public CredentialsProvider {
public:
  explicit ChainProvider(std::vector<ProviderPtr> providers) : providers_(std::move(providers)) {}

  ResolvedCredentials resolve() override {
    std::string reasons;
    for (const auto &p : providers_) {
      try {
        return checked(p->resolve());
      } catch (const Error &e) {
        // A provider that is configured but fails (a denied role, a broken
        // credential_process) is the answer; only "not configured here"
        // (Errc::not_found) falls through to the next.
        if (e.code() != Errc::not_found) throw;
        reasons += reasons.empty() ? "" : "; ";
        reasons += e.what();
      }
    }
    throw Error(Errc::auth, "no AWS credentials found (" + reasons + ")");
  }
  std::string name() const override { return "chain"; }

private:
  std::vector<ProviderPtr> providers_;
};

class CachingProvider final : public CredentialsProvider {
public:
  CachingProvider(ProviderPtr inner, std::chrono::seconds margin)
      : inner_(std::move(inner)), margin_(margin) {}

  ResolvedCredentials resolve() override {
    // One mutex: concurrent callers wait for the single refresh in flight.
    std::lock_guard g(mutex_);
    auto now = std::chrono::system_clock::now();
    if (cached_ && (!cached_->expiration || now + margin_ < *cached_->expiration)) return *cached_;
    try {
      cached_ = checked(inner_->resolve());
    } catch (const Error &) {
      // The margin is advisory, as in the SDKs: credentials that have not expired yet
      // still work, so a refresh that fails (STS briefly unreachable) must not fail
      // the caller. Expired ones are no answer.
      if (cached_ && cached_->expiration && now < *cached_->expiration) return *cached_;
      throw;
    }
    return *cached_;
  }
  std::string name() const override { return inner_->name(); }

private:
  ProviderPtr inner_;
  std::chrono::seconds margin_;
  std::mutex mutex_;
  std::optional<ResolvedCredentials> cached_;
};

} // namespace

ProviderPtr chain_provider(std::vector<ProviderPtr> providers) {
  return std::make_shared<ChainProvider>(std::move(providers));
}

ProviderPtr caching_provider(ProviderPtr inner, std::chrono::seconds refresh_margin) {
  return std::make_shared<CachingProvider>(std::move(inner), refresh_margin);
}

} // namespace berth::aws
