// The AWS options every AWS-touching command accepts.
#pragma once

#include <berth/ecr.hpp>

#include "cli/args.hpp"
#include "cli/options.hpp"

#include <string>

namespace berth::cli {

// Their rows, which aws_options_from() reads ...
const OptionTable &aws_option_table();
// ... under their heading, after a subcommand's own options.
const OptionGroup &aws_option_group();
// The help of a subcommand that takes own_options and the AWS options.
CommandHelp aws_subcommand_help(const char *text, OptionTable own_options = {});

AwsOptions aws_options_from(const Args &args);

} // namespace berth::cli
