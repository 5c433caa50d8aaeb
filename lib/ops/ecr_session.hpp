// Builds the ECR client for operations from the user's AWS options.
#pragma once

#include <berth/ecr.hpp>

#include "ecr/ecr_client.hpp"

namespace berth::ops {

ecr::EcrClient ecr_client(const AwsOptions &options, const std::string &region_hint = {});

} // namespace berth::ops
