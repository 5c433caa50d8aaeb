#include "ops/transfer/mirror.hpp"

#include <berth/error.hpp>
#include <berth/reference.hpp>

namespace berth::ops {

Mirror Mirror::parse(const std::string &spec) {
  auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    throw Error(Errc::invalid_argument,
                "a mirror is SRC_REGISTRY=HOST[/PREFIX], not '" + spec + "'");
  Mirror m;
  // The registry as references name it ("index.docker.io" -> "docker.io").
  m.registry = image::Reference::parse(spec.substr(0, eq) + "/x").registry;
  auto target = spec.substr(eq + 1);
  while (!target.empty() && target.back() == '/')
    target.pop_back();
  auto slash = target.find('/');
  m.host = target.substr(0, slash);
  if (slash != std::string::npos) m.prefix = target.substr(slash + 1);
  // Validates host and prefix as a reference would hold them.
  auto probe =
      image::Reference::parse(m.host + "/" + (m.prefix.empty() ? "" : m.prefix + "/") + "x");
  if (probe.registry != m.host)
    throw Error(Errc::invalid_argument,
                "a mirror needs a registry host (with a '.' or a port), not '" + m.host + "'");
  return m;
}

std::optional<Location> Mirror::rewrite(const Location &loc) const {
  if (loc.kind != Location::Kind::registry || loc.ref.registry != registry) return std::nullopt;
  Location out = loc;
  out.ref.registry = host;
  out.ref.repository = prefix.empty() ? loc.ref.repository : prefix + "/" + loc.ref.repository;
  return out;
}

std::vector<Mirror> parse_mirrors(const std::vector<std::string> &specs) {
  std::vector<Mirror> out;
  for (const auto &s : specs)
    out.push_back(Mirror::parse(s));
  return out;
}

OpenedSource open_source_with_mirrors(const Location &loc, const RegistryAccess &access,
                                      const std::vector<Mirror> &mirrors) {
  OpenedSource out;
  // The user's credentials were given for the source registry, never for a mirror:
  // a mirror authenticates with what the keychain (docker config, helpers, ECR)
  // holds for its own host.
  RegistryAccess mirror_access = access;
  mirror_access.creds.clear();
  for (const auto &m : mirrors) {
    auto through = m.rewrite(loc);
    if (!through) continue;
    try {
      auto source = open_source(*through, mirror_access);
      (void)source->manifest(""); // the mirror has it (a pull-through cache fetches it now)
      out.source = std::move(source);
      out.location = *through;
      out.mirror = through->str();
      return out;
    } catch (const Error &e) {
      switch (e.code()) {
      case Errc::not_found:
      case Errc::auth:
      case Errc::denied:
      case Errc::network:
      case Errc::timeout:
      case Errc::server:
      case Errc::throttled: out.skipped.push_back(through->str() + ": " + e.what()); continue;
      default: throw;
      }
    }
  }
  out.source = open_source(loc, access);
  out.location = loc;
  return out;
}

} // namespace berth::ops
