// ECR registry tokens, cached per (registry, credential identity) until shortly
// before they expire, with one GetAuthorizationToken in flight per key (the API
// is throttled at 20 TPS). Thread-safe.
#pragma once

#include "ecr/ecr_client.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace berth::ecr {

class TokenCache {
public:
  using Fetch = std::function<AuthorizationToken()>;
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  explicit TokenCache(std::chrono::seconds margin = std::chrono::minutes(5), Clock clock = {});

  AuthorizationToken get(const std::string &key, const Fetch &fetch);
  void invalidate(const std::string &key);

private:
  struct Entry {
    std::mutex fetch_mutex; // held while this key's token is being fetched
    std::optional<AuthorizationToken> token;
    std::chrono::system_clock::time_point valid_until;
  };
  std::shared_ptr<Entry> entry(const std::string &key);

  std::chrono::seconds margin_;
  Clock clock_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
};

} // namespace berth::ecr
