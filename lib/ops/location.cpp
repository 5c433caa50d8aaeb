#include "ops/location.hpp"

#include <berth/error.hpp>

namespace berth::ops {

Location Location::parse(std::string_view s) {
  Location loc;
  if (s.rfind("docker://", 0) == 0) {
    loc.ref = image::Reference::parse(s.substr(9));
    return loc;
  }
  if (s.rfind("oci:", 0) == 0) {
    auto rest = s.substr(4);
    if (rest.empty())
      throw Error(Errc::invalid_argument, "oci: needs a directory, as in oci:DIR[:TAG]");
    loc.kind = Kind::oci_layout;
    // The tag follows the last ':' unless that ':' belongs to the path (a '/' after it).
    auto colon = rest.rfind(':');
    if (colon != std::string_view::npos && rest.find('/', colon) == std::string_view::npos) {
      loc.path = std::string(rest.substr(0, colon));
      loc.tag = std::string(rest.substr(colon + 1));
    } else {
      loc.path = std::string(rest);
    }
    if (loc.path.empty())
      throw Error(Errc::invalid_argument, "oci: needs a directory, as in oci:DIR[:TAG]");
    return loc;
  }
  for (auto t :
       {"oci-archive:", "docker-archive:", "dir:", "containers-storage:", "docker-daemon:"})
    if (s.rfind(t, 0) == 0)
      throw Error(Errc::unsupported,
                  "transport '" + std::string(t) + "' is not supported yet; use docker:// or oci:");
  loc.ref = image::Reference::parse(s);
  return loc;
}

std::string Location::str() const {
  if (kind == Kind::oci_layout) return "oci:" + path + (tag.empty() ? "" : ":" + tag);
  return "docker://" + ref.str();
}

} // namespace berth::ops
