// ECR registry logins: a token for a registry host (ecr or ecr-public), and its entry
// in docker's config.json.
#include <berth/ecr.hpp>
#include <berth/error.hpp>

#include "aws/aws_client.hpp"
#include "core/base64.hpp"
#include "core/file.hpp"
#include "core/json.hpp"
#include "ecr/ecr_client.hpp"
#include "ecr/ecr_public_client.hpp"
#include "ecr/registry_host.hpp"
#include "ops/ecr/session.hpp"

#include <cstdlib>
#include <filesystem>

namespace berth {

using ops::context_for;
using ops::region_for;

EcrLogin ecr_login(const AwsOptions &o, const std::string &registry) {
  if (ecr::is_public_registry_host(registry)) {
    // ECR Public: one registry, tokens from the ecr-public API in us-east-1.
    auto ctx = context_for(o);
    ecr::EcrPublicClient client(aws::aws_http_client(ctx), aws_credentials_provider(o),
                                o.ecr_public_endpoint, ctx.env);
    auto t = client.get_authorization_token();
    return {registry, t.username, t.password, t.expires_at};
  }
  std::optional<ecr::EcrHost> host;
  if (!registry.empty()) {
    host = ecr::parse_registry_host(registry);
    if (!host)
      throw Error(Errc::invalid_argument,
                  "'" + registry +
                      "' is not an ECR registry host (<account>.dkr.ecr.<region>.amazonaws.com, "
                      "public.ecr.aws)");
  }
  auto ctx = context_for(o);
  auto region = region_for(o, host);
  ecr::EcrClient client(aws::aws_http_client(ctx), aws_credentials_provider(o), region,
                        o.ecr_endpoint, ctx.env);
  auto t = client.get_authorization_token(host ? host->account : std::string());
  EcrLogin login;
  login.username = t.username;
  login.password = t.password;
  login.expires_at = t.expires_at;
  if (!registry.empty()) {
    login.registry = registry;
  } else {
    // proxyEndpoint is "https://<host>".
    login.registry = t.proxy_endpoint.substr(
        t.proxy_endpoint.find("://") == std::string::npos ? 0 : t.proxy_endpoint.find("://") + 3);
  }
  return login;
}

std::string ecr_docker_login(const AwsOptions &o, const std::string &registry,
                             const std::string &config_path) {
  auto login = ecr_login(o, registry);
  std::string path = config_path;
  if (path.empty()) {
    const char *dc = std::getenv("DOCKER_CONFIG");
    const char *home = std::getenv("HOME");
    if (dc && *dc)
      path = std::string(dc) + "/config.json";
    else if (home && *home)
      path = std::string(home) + "/.docker/config.json";
    else
      throw Error(Errc::config, "neither DOCKER_CONFIG nor HOME is set");
  }
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? std::string(1, '.') : parent.string();
  std::filesystem::create_directories(dir, ec);
  // Two logins at once (two registries in one job) must not lose either entry: the
  // read-modify-write holds the directory's lock, as OCI layouts' index.json does.
  std::string what = "the directory of ";
  core::DirLock lock(dir, what.append(path));
  core::json::Document doc;
  if (std::filesystem::exists(path, ec)) {
    auto text = core::read_small_file(path, 16u << 20);
    // An empty file is an empty configuration, as docker reads it.
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
      doc.SetObject();
    } else {
      try {
        // The user's own file, read as docker reads it: the last of duplicate keys
        // (and one member per name left for the edit below).
        doc = core::json::parse(text, path.c_str(), core::json::Duplicates::keep_last);
      } catch (const Error &e) {
        // A broken local file is a configuration problem, not a protocol one.
        throw Error(Errc::config, e.what());
      }
    }
    if (!doc.IsObject()) throw Error(Errc::config, path + " is not a JSON object");
  } else {
    doc.SetObject();
  }
  auto &alloc = doc.GetAllocator();
  if (!doc.HasMember("auths") || !doc["auths"].IsObject()) {
    doc.RemoveMember("auths");
    doc.AddMember("auths", rapidjson::Value(rapidjson::kObjectType), alloc);
  }
  auto &auths = doc["auths"];
  auths.RemoveMember(login.registry.c_str());
  rapidjson::Value entry(rapidjson::kObjectType);
  auto encoded = core::base64_encode(login.username + ":" + login.password);
  entry.AddMember("auth", rapidjson::Value(encoded.c_str(), alloc), alloc);
  auths.AddMember(rapidjson::Value(login.registry.c_str(), alloc), entry, alloc);
  core::json::StringWriter w;
  doc.Accept(w.writer);
  // A login killed before its commit left a temp file holding a password: gone now.
  core::remove_stale_temp_files(dir);
  // A new file will hold a password: private (as docker makes it), and it appears
  // whole or not at all (an empty one left by a kill would be no valid JSON).
  core::write_file_atomic(path, w.str() + "\n", 0600);
  return path;
}

} // namespace berth
