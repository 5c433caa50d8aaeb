// GitHub Actions integration: step outputs, the step summary and log masking. Each
// is a no-op outside Actions (GITHUB_ACTIONS != "true").
#pragma once

#include <string>

namespace berth::cli {

bool in_github_actions();
// Appends "name=value" (or a heredoc block for multi-line values) to $GITHUB_OUTPUT.
void github_output(const std::string &name, const std::string &value);
// Appends Markdown to $GITHUB_STEP_SUMMARY.
void github_summary(const std::string &markdown);
// "::add-mask::secret" so the runner redacts it from every later log line.
void github_mask(const std::string &secret);

} // namespace berth::cli
