// The AWS side of every ECR operation: what the user's AwsOptions resolve to.
#pragma once

#include <berth/aws_credentials.hpp>
#include <berth/ecr.hpp>

#include "ecr/ecr_client.hpp"
#include "ecr/registry_host.hpp"

#include <optional>
#include <string>

namespace berth::ops {

// The credential providers' context (region, STS endpoint, CA bundle).
aws::ProviderContext context_for(const AwsOptions &options);

// The region to call: the option, else the ECR host's, else the profile's or the
// environment's. Error(config) when none.
std::string region_for(const AwsOptions &options, const std::optional<ecr::EcrHost> &host);

// The ECR API client, in region_hint when the options name no region.
ecr::EcrClient ecr_client(const AwsOptions &options, const std::string &region_hint = {});

} // namespace berth::ops
