// Extra TLS trust on top of the system store: a CA bundle option and docker's
// per-registry certs.d directories.
#pragma once

#include <openssl/x509.h>

#include <string>
#include <vector>

namespace berth::http {

// /etc/docker/certs.d, /etc/containers/certs.d and $DOCKER_CONFIG/certs.d (or
// ~/.docker/certs.d), in that order.
std::vector<std::string> default_certs_d_dirs();

// The *.crt files under <dir>/<host[:port]>/ for the URL's registry, for every dir.
std::vector<std::string> certs_d_ca_files(const std::vector<std::string> &dirs,
                                          const std::string &url);

// Adds every certificate of a PEM file to the store; false when none could be read.
bool add_ca_file(X509_STORE *store, const std::string &path);

} // namespace berth::http
