#include "ops/ecr/create_repository.hpp"

#include <berth/ecr.hpp>
#include <berth/error.hpp>

#include "ecr/registry_host.hpp"

namespace berth::ops {
namespace {

std::optional<ecr::EcrHost> ecr_host_of(const Location &loc) {
  if (loc.kind != Location::Kind::registry) return std::nullopt;
  return ecr::parse_registry_host(loc.ref.registry);
}

// The source repository's settings to copy, or ECR's defaults when the source is
// not in ECR (or its settings cannot be read: a copy needs only pull rights there).
RepositorySettings settings_from(const Location &source, const ecr::EcrHost &dst_host) {
  auto src_host = ecr_host_of(source);
  if (!src_host) return {};
  AwsOptions o;
  o.region = src_host->region;
  RepositorySettings s;
  try {
    s = ecr_repository_settings(o, source.ref.repository);
  } catch (const Error &e) {
    if (e.code() != Errc::not_found && e.code() != Errc::auth && e.code() != Errc::denied) throw;
    return {};
  }
  // A KMS key belongs to its region; elsewhere ECR's default key applies.
  if (s.encryption == "KMS" && src_host->region != dst_host.region) {
    s.encryption.clear();
    s.kms_key.clear();
  }
  return s;
}

} // namespace

void create_missing_repositories(const Location &source, const std::vector<Location> &dsts) {
  for (const auto &d : dsts) {
    auto host = ecr_host_of(d);
    if (!host) continue;
    AwsOptions o;
    o.region = host->region;
    ecr_ensure_repository(o, d.ref.repository, settings_from(source, *host), false);
  }
}

} // namespace berth::ops
