#include "ops/transfer/location.hpp"

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
  if (s.rfind("oci-archive:", 0) == 0 || s.rfind("docker-archive:", 0) == 0) {
    const bool docker = s[0] == 'd';
    const std::string transport = docker ? "docker-archive:" : "oci-archive:";
    const std::string usage = docker ? "docker-archive:FILE[:REF]" : "oci-archive:FILE[:TAG]";
    auto rest = s.substr(transport.size());
    std::size_t colon = 0;
    while ((colon = rest.find(':', colon)) != std::string_view::npos && colon + 1 < rest.size() &&
           rest[colon + 1] == '/')
      ++colon;
    loc.kind = docker ? Kind::docker_archive : Kind::oci_archive;
    loc.path = std::string(rest.substr(0, colon));
    if (loc.path.empty())
      throw Error(Errc::invalid_argument, transport + " needs a file, as in " + usage);
    if (colon == std::string_view::npos) return loc;
    auto suffix = rest.substr(colon + 1);
    if (suffix.empty())
      throw Error(Errc::invalid_argument,
                  "'" + std::string(s) + "' ends in ':'; write " + usage + " without it");
    if (!docker) {
      loc.tag = std::string(suffix);
      return loc;
    }
    if (suffix[0] == '@') {
      auto digits = suffix.substr(1);
      if (digits.empty() || digits.size() > 6 ||
          digits.find_first_not_of("0123456789") != std::string_view::npos)
        throw Error(Errc::invalid_argument, "'" + std::string(s) +
                                                "': @ must be followed by an image number, "
                                                "as in docker-archive:FILE:@0");
      loc.image_index = std::stoi(std::string(digits));
      return loc;
    }
    loc.ref = image::Reference::parse(suffix);
    if (!loc.ref.digest.empty())
      throw Error(Errc::invalid_argument,
                  "'" + std::string(s) + "': a docker-archive REF names a tag, not a digest");
    if (loc.ref.tag.empty()) loc.ref.tag = "latest";
    return loc;
  }
  for (auto t : {"dir:", "containers-storage:", "docker-daemon:"})
    if (s.rfind(t, 0) == 0)
      throw Error(Errc::unsupported,
                  "transport '" + std::string(t) +
                      "' is not supported yet; use docker://, oci:, oci-archive: or "
                      "docker-archive:");
  loc.ref = image::Reference::parse(s);
  return loc;
}

std::string Location::str() const {
  if (kind == Kind::oci_layout) return "oci:" + path + (tag.empty() ? "" : ":" + tag);
  if (kind == Kind::oci_archive) return "oci-archive:" + path + (tag.empty() ? "" : ":" + tag);
  if (kind == Kind::docker_archive) {
    std::string out = "docker-archive:" + path;
    if (image_index >= 0)
      out.append(":@").append(std::to_string(image_index));
    else if (!ref.repository.empty())
      out.append(":").append(ref.str());
    return out;
  }
  return "docker://" + ref.str();
}

} // namespace berth::ops
