// push/copy/replicate --create-repository: ECR answers NAME_UNKNOWN for a repository
// nobody created (unlike registries that create on first push), so a copy into a
// new repository would fail at its first blob. These create it first.
#pragma once

#include "ops/transfer/location.hpp"

#include <vector>

namespace berth::ops {

// For each destination in an ECR registry whose repository is missing: create it
// (DescribeRepositories, CreateRepository), with the AWS credentials of the
// environment, in the registry's region. The settings are the source repository's
// when the source is an ECR repository too (tag mutability with its exclusions,
// scan-on-push, encryption — a KMS key only within its region), else ECR's
// defaults. Other destinations are left alone. Progress goes to no one: callers
// report through the copy's result.
void create_missing_repositories(const Location &source, const std::vector<Location> &dsts);

} // namespace berth::ops
