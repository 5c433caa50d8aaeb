// The AWS options every AWS-touching command accepts.
#pragma once

#include <berth/ecr.hpp>

#include "cli/args.hpp"

#include <set>
#include <string>

namespace berth::cli {

inline const std::set<std::string> &aws_value_options() {
  static const std::set<std::string> o = {
      "--region",      "--profile",      "--role-arn",         "--role-session-name",
      "--external-id", "--endpoint-url", "--sts-endpoint-url", "--ca-bundle"};
  return o;
}

AwsOptions aws_options_from(const Args &args);

// value_options plus the AWS ones.
std::set<std::string> with_aws_options(std::set<std::string> value_options);

} // namespace berth::cli
