#include "cli/github.hpp"

#include <berth/error.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>

namespace berth::cli {
namespace {

void append(const char *var, const std::string &text) {
  const char *path = std::getenv(var);
  if (!path || !*path) return;
  std::ofstream out(path, std::ios::app);
  if (!out) throw Error(Errc::io, std::string("cannot append to $") + var + " (" + path + ")");
  out << text;
}

} // namespace

bool in_github_actions() {
  const char *v = std::getenv("GITHUB_ACTIONS");
  return v && std::string(v) == "true";
}

void github_output(const std::string &name, const std::string &value) {
  if (!in_github_actions()) return;
  if (value.find('\n') == std::string::npos) {
    append("GITHUB_OUTPUT", name + "=" + value + "\n");
    return;
  }
  // A delimiter the value cannot contain, as GitHub's documentation recommends.
  std::random_device rd;
  std::string delim = "berth_EOF_" + std::to_string(rd()) + std::to_string(rd());
  append("GITHUB_OUTPUT", name + "<<" + delim + "\n" + value + "\n" + delim + "\n");
}

void github_summary(const std::string &markdown) {
  if (in_github_actions()) append("GITHUB_STEP_SUMMARY", markdown + "\n");
}

void github_mask(const std::string &secret) {
  if (in_github_actions() && !secret.empty()) std::printf("::add-mask::%s\n", secret.c_str());
}

} // namespace berth::cli
