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
  std::ofstream out(path, std::ios::app | std::ios::binary);
  if (!out) throw Error(Errc::io, std::string("cannot append to $") + var + " (" + path + ")");
  out << text;
  out.flush();
  if (!out) throw Error(Errc::io, std::string("cannot write to $") + var + " (" + path + ")");
}

bool has_control(const std::string &s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

// The runner reads file commands line by line, splitting on "\n" and dropping a
// trailing "\r"; a delimiter that equals any line of the value would end it early.
bool occurs_as_line(const std::string &value, const std::string &delim) {
  std::size_t start = 0;
  while (start <= value.size()) {
    auto end = value.find('\n', start);
    auto line = value.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == delim) return true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}

std::string random_delimiter() {
  std::random_device rd;
  std::uniform_int_distribution<int> hex(0, 15);
  std::string d = "ghadelimiter_berth_";
  for (int i = 0; i < 32; ++i)
    d += "0123456789abcdef"[hex(rd)];
  return d;
}

} // namespace

bool in_github_actions() {
  const char *v = std::getenv("GITHUB_ACTIONS");
  return v && std::string(v) == "true";
}

std::string file_command_entry(const std::string &name, const std::string &value,
                               bool force_delimiter, std::string delimiter) {
  if (name.empty() || has_control(name) || name.find('=') != std::string::npos ||
      name.find("<<") != std::string::npos)
    throw Error(Errc::invalid_argument, "invalid GitHub variable name '" + name + "'");
  if (!force_delimiter && !has_control(value)) return name + "=" + value + "\n";
  while (delimiter.empty() || occurs_as_line(value, delimiter))
    delimiter = random_delimiter();
  return name + "<<" + delimiter + "\n" + value + "\n" + delimiter + "\n";
}

std::string mask_commands(const std::string &secret) {
  std::string out;
  std::size_t start = 0;
  while (start < secret.size()) {
    auto end = secret.find_first_of("\r\n", start);
    auto line = secret.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty()) {
      // Command data is unescaped by the runner (%25 -> %, %0D, %0A): escape '%' so a
      // secret holding "%0A" is masked as itself, not as something else.
      std::string escaped;
      for (char c : line)
        escaped += c == '%' ? std::string("%25") : std::string(1, c);
      out += "::add-mask::" + escaped + "\n";
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

void github_output(const std::string &name, const std::string &value) {
  if (in_github_actions()) append("GITHUB_OUTPUT", file_command_entry(name, value, false));
}

void github_env(const std::string &name, const std::string &value) {
  const char *path = std::getenv("GITHUB_ENV");
  if (!path || !*path)
    throw Error(Errc::config, "$GITHUB_ENV is not set (run inside GitHub Actions)");
  append("GITHUB_ENV", file_command_entry(name, value, true));
}

void github_summary(const std::string &markdown) {
  if (in_github_actions()) append("GITHUB_STEP_SUMMARY", markdown + "\n");
}

void github_mask(const std::string &secret) {
  if (!in_github_actions() || secret.empty()) return;
  std::fputs(mask_commands(secret).c_str(), stderr);
  std::fflush(stderr);
}

std::string why_no_tags(const CiContext &ctx) {
  if (ctx.ref.empty() && ctx.sha.empty())
    return "no CI context found: GITHUB_REF and GITHUB_SHA are unset (berth reads "
           "GITHUB_EVENT_NAME, GITHUB_REF, GITHUB_SHA, GITHUB_REPOSITORY and GITHUB_EVENT_PATH, "
           "as GitHub Actions sets them; 'berth tags compute' takes --event, --ref and --sha)";
  return "no tag rule applies to event '" + (ctx.event.empty() ? std::string("?") : ctx.event) +
         "' on ref '" + ctx.ref + "' (add --tag-rule type=sha, or --tag T)";
}

} // namespace berth::cli
