// The C ABI of docker login / logout for any registry: berth_registry_login
// (berth_login_options) and berth_registry_logout; results as JSON.
#include "capi/guard.hpp"
#include "capi/registry_options.hpp"

#include <berth/login.hpp>

#include "core/json.hpp"

#include <exception>
#include <new>
#include <stdexcept>
#include <string>

using namespace berth;
using berth::capi::guard;
using berth::capi::require;
using berth::capi::str;

namespace {

// text with every occurrence of secret cut out.
std::string without(std::string text, const std::string &secret) {
  if (secret.empty()) return text;
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
    text.replace(at, secret.size(), "<redacted>");
  return text;
}

// Runs fn(); whatever it throws is thrown again with the password cut out of its
// message, so that it never reaches berth_last_error() (a server's reply or a file
// quoted in an error could hold it).
template <typename Fn> void keeping_secret(const std::string &password, Fn &&fn) {
  try {
    fn();
  } catch (const Error &e) {
    Error clean(e.code(), without(e.what(), password));
    clean.with_http_status(e.http_status())
        .with_aws_code(without(e.aws_code(), password))
        .with_request_id(without(e.request_id(), password));
    throw clean;
  } catch (const std::bad_alloc &) {
    throw;
  } catch (const std::exception &e) {
    throw std::runtime_error(without(e.what(), password));
  }
}

} // namespace

extern "C" {

BERTH_API int berth_login_options_init(berth_login_options *opts, uint32_t version) {
  return guard([&] {
    capi::init_options(opts, berth_login_options BERTH_LOGIN_OPTIONS_INIT, version, 1,
                       BERTH_LOGIN_OPTIONS_VERSION, "berth_login_options");
  });
}

BERTH_API int berth_registry_login(char **out_json, const char *registry, const char *username,
                                   const char *password, const char *config_path,
                                   const berth_login_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(registry != nullptr && *registry != '\0', "registry is required (HOST[:PORT])");
    require(username != nullptr && *username != '\0', "username is required");
    require(password != nullptr && *password != '\0', "password is required (not empty)");
    const std::string secret(password);
    keeping_secret(secret, [&] {
      const berth_login_options defaults = BERTH_LOGIN_OPTIONS_INIT;
      const auto &o = capi::options_or_defaults(opts, defaults, 1, BERTH_LOGIN_OPTIONS_VERSION,
                                                "berth_login_options");
      capi::check_timeout(o.timeout_ms, "berth_login_options.timeout_ms");
      LoginOptions options;
      options.access =
          capi::to_registry_side(o.registry, "berth_login_options.registry", false, o.timeout_ms)
              .access;
      // Never ignored: the credentials checked and written are the call's own.
      if (!options.access.creds.empty())
        throw Error(Errc::invalid_argument,
                    "berth_login_options.registry->creds: the credentials are username and "
                    "password");
      options.config_path = str(config_path);
      options.verify = o.no_verify == 0;
      const auto path = registry_login(registry, username, secret, options);
      core::json::StringWriter w;
      w.writer.StartObject();
      w.member("path", path);
      w.writer.EndObject();
      capi::set_out(out_json, w.str());
    });
  });
}

BERTH_API int berth_registry_logout(char **out_json, const char *registry,
                                    const char *config_path) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(registry != nullptr && *registry != '\0', "registry is required (HOST[:PORT])");
    const bool removed = registry_logout(registry, str(config_path));
    core::json::StringWriter w;
    w.writer.StartObject();
    w.writer.Key("removed");
    w.writer.Bool(removed);
    w.writer.EndObject();
    capi::set_out(out_json, w.str());
  });
}

} // extern "C"
