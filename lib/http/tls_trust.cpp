#include "http/tls_trust.hpp"

#include "core/uri.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace berth::http {

std::vector<std::string> default_certs_d_dirs() {
  std::vector<std::string> dirs = {"/etc/docker/certs.d", "/etc/containers/certs.d"};
  if (const char *dc = std::getenv("DOCKER_CONFIG"); dc && *dc)
    dirs.push_back(std::string(dc) + "/certs.d");
  else if (const char *home = std::getenv("HOME"); home && *home)
    dirs.push_back(std::string(home) + "/.docker/certs.d");
  return dirs;
}

std::vector<std::string> certs_d_ca_files(const std::vector<std::string> &dirs,
                                          const std::string &url) {
  std::vector<std::string> out;
  if (dirs.empty()) return out;
  core::Url u;
  try {
    u = core::parse_url(url);
  } catch (...) {
    return out;
  }
  std::string host = u.port.empty() ? u.host : u.host + ":" + u.port;
  for (const auto &d : dirs) {
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::path(d) / host;
    if (!std::filesystem::is_directory(dir, ec)) continue;
    std::vector<std::string> found;
    for (const auto &e : std::filesystem::directory_iterator(dir, ec))
      if (e.path().extension() == ".crt") found.push_back(e.path().string());
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

bool add_ca_file(X509_STORE *store, const std::string &path) {
  return X509_STORE_load_file(store, path.c_str()) == 1;
}

} // namespace berth::http
