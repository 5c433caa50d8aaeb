#include "ecr/token_cache.hpp"

namespace berth::ecr {

TokenCache::TokenCache(std::chrono::seconds margin, Clock clock)
    : margin_(margin),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::system_clock::now(); })) {}

std::shared_ptr<TokenCache::Entry> TokenCache::entry(const std::string &key) {
  std::lock_guard g(mutex_);
  auto &e = entries_[key];
  if (!e) e = std::make_shared<Entry>();
  return e;
}

AuthorizationToken TokenCache::get(const std::string &key, const Fetch &fetch) {
  auto e = entry(key);
  std::lock_guard g(e->fetch_mutex);
  auto now = clock_();
  if (e->token && now < e->valid_until) return *e->token;
  auto token = fetch();
  // ECR tokens last 12 hours. A token that claims to be expired already (a skewed
  // clock, or a test server with a fixed date) is trusted for an hour rather than
  // refetched on every request; a 401 still invalidates it.
  auto valid_until = token.expires_at - margin_;
  if (valid_until <= now) valid_until = now + std::chrono::hours(1);
  e->token = token;
  e->valid_until = valid_until;
  return token;
}

void TokenCache::invalidate(const std::string &key) {
  auto e = entry(key);
  std::lock_guard g(e->fetch_mutex);
  e->token.reset();
}

} // namespace berth::ecr
