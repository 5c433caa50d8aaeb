// The JSON credentials document the ECS agent and the instance metadata service
// both serve: AccessKeyId, SecretAccessKey, Token, Expiration.
#pragma once

#include <berth/aws_credentials.hpp>

#include "core/json.hpp"

namespace berth::aws {

// provider names the source in the result and in errors ("ecs", "imds").
ResolvedCredentials credentials_from_json(const core::json::Value &doc,
                                          const std::string &provider);

} // namespace berth::aws
