// credential_process: runs a command and reads its JSON (Version 1).
#include <berth/aws_credentials.hpp>
#include <berth/error.hpp>

#include "core/json.hpp"
#include "core/subprocess.hpp"
#include "core/time.hpp"

namespace berth::aws {
namespace {

class ProcessProvider final : public CredentialsProvider {
public:
  explicit ProcessProvider(std::string command) : command_(std::move(command)) {}

  ResolvedCredentials resolve() override {
    // The command line is the user's own configuration; a shell runs it as written.
    auto r = core::run_process({"/bin/sh", "-c", command_}, {}, std::chrono::seconds(60));
    if (r.exit_code != 0) {
      std::string err = r.err.substr(0, 300);
      while (!err.empty() && (err.back() == '\n' || err.back() == ' '))
        err.pop_back();
      throw Error(Errc::auth, "credential_process: the command exited with " +
                                  std::to_string(r.exit_code) + (err.empty() ? "" : ": " + err));
    }
    core::json::Document doc;
    try {
      doc = core::json::parse(r.out, "credential_process output");
    } catch (const Error &e) {
      throw Error(Errc::auth, std::string("credential_process: ") + e.what());
    }
    auto version = core::json::get_int(doc, "Version", 0);
    if (version != 1)
      throw Error(Errc::auth,
                  "credential_process: output Version must be 1, got " + std::to_string(version));
    ResolvedCredentials c;
    c.provider = "credential_process";
    c.credentials.access_key_id = core::json::get_string(doc, "AccessKeyId");
    c.credentials.secret_access_key = core::json::get_string(doc, "SecretAccessKey");
    c.credentials.session_token = core::json::get_string(doc, "SessionToken");
    if (c.credentials.access_key_id.empty() || c.credentials.secret_access_key.empty())
      throw Error(Errc::auth, "credential_process: output lacks AccessKeyId or SecretAccessKey");
    if (auto exp = core::json::get_string(doc, "Expiration"); !exp.empty()) {
      try {
        c.expiration = core::parse_iso8601(exp);
      } catch (const Error &e) {
        throw Error(Errc::auth, std::string("credential_process: ") + e.what());
      }
    }
    return c;
  }
  std::string name() const override { return "credential_process"; }

private:
  std::string command_;
};

} // namespace

ProviderPtr process_provider(std::string command, const ProviderContext &) {
  return std::make_shared<ProcessProvider>(std::move(command));
}

} // namespace berth::aws
