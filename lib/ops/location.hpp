// Where an image lives, in skopeo's transport syntax.
#pragma once

#include <berth/reference.hpp>

#include <string>
#include <string_view>

namespace berth::ops {

struct Location {
  enum class Kind { registry, oci_layout };
  Kind kind = Kind::registry;
  image::Reference ref; // registry
  std::string path;     // oci_layout: the directory
  std::string tag;      // oci_layout: the ref name, "" = the only image

  // "docker://REF", "oci:DIR[:TAG]", or a bare REF (a registry). Throws
  // Error(invalid_argument) / Error(unsupported) for unknown transports.
  static Location parse(std::string_view s);
  std::string str() const;
};

} // namespace berth::ops
