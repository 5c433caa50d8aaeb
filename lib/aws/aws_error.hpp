// AWS error replies — JSON ({"__type","message"}) from JSON-protocol services like
// ECR, XML (<ErrorResponse><Error><Code>...) from query services like STS and from
// moto's IAM checks — become berth::Error with code, message, AWS error code and
// request id.
#pragma once

#include <berth/error.hpp>

#include "http/types.hpp"

#include <string_view>

namespace berth::aws {

// `what` names the call, e.g. "ecr:DescribeRepositories".
Error aws_error(const http::Response &resp, std::string_view what);

// The BERTH_E* code for an AWS error code ("AccessDenied", "ThrottlingException").
Errc errc_for_aws_code(std::string_view code, int http_status);

} // namespace berth::aws
