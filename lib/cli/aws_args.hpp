// The AWS options every AWS-touching command accepts.
#pragma once

#include <berth/ecr.hpp>

#include "cli/args.hpp"
#include "cli/options.hpp"

#include <set>
#include <string>

namespace berth::cli {

// Their rows, which aws_options_from() reads.
const OptionTable &aws_option_table();

AwsOptions aws_options_from(const Args &args);

// value_options plus the AWS ones (for the ecr and aws subcommands, whose help is
// subcommand_help.cpp's).
std::set<std::string> with_aws_options(std::set<std::string> value_options);

} // namespace berth::cli
