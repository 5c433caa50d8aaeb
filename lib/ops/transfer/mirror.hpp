// --mirror SRC_REGISTRY=HOST[/PREFIX]: read images of SRC_REGISTRY through a mirror
// (an ECR pull-through cache: HOST/PREFIX/<repository>), and from SRC_REGISTRY
// itself when the mirror cannot serve them — what containerd's registry mirrors and
// docker's registry-mirrors do, for any registry.
#pragma once

#include "ops/transfer/endpoints.hpp"
#include "ops/transfer/location.hpp"

#include <memory>
#include <string>
#include <vector>

namespace berth::ops {

struct Mirror {
  std::string registry; // normalized: "docker.io", "ghcr.io", "127.0.0.1:5000"
  std::string host;     // the mirror's registry host
  std::string prefix;   // "" or a repository prefix ("docker-hub")

  // "SRC=HOST[/PREFIX]"; Error(invalid_argument) for anything else.
  static Mirror parse(const std::string &spec);
  // loc through this mirror, when loc is a registry location of its registry.
  std::optional<Location> rewrite(const Location &loc) const;
};

std::vector<Mirror> parse_mirrors(const std::vector<std::string> &specs);

struct OpenedSource {
  std::unique_ptr<ImageSource> source;
  Location location;  // what was opened: loc, or loc through a mirror
  std::string mirror; // the mirror's location when one served, else ""
  // Why each mirror tried before it was passed over ("<mirror>: <error>").
  std::vector<std::string> skipped;
};

// Opens loc through the first mirror that has its manifest, else loc itself. A
// mirror that answers not found, denied, unauthorized, a network error, a timeout or
// a server error is passed over; loc's own errors are the caller's.
OpenedSource open_source_with_mirrors(const Location &loc, const RegistryAccess &access,
                                      const std::vector<Mirror> &mirrors);

} // namespace berth::ops
