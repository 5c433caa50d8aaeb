// Where an image lives, in skopeo's transport syntax.
#pragma once

#include <berth/reference.hpp>

#include <string>
#include <string_view>

namespace berth::ops {

struct Location {
  enum class Kind { registry, oci_layout, oci_archive, docker_archive };
  Kind kind = Kind::registry;
  image::Reference ref; // registry; docker_archive: the REF (repository "" = none)
  std::string path;     // oci_layout: the directory; archives: the file
  std::string tag;      // oci_layout, oci_archive: the ref name, "" = the only image
  int image_index = -1; // docker_archive source "FILE:@N": the Nth image (from 0)

  // "docker://REF", "oci:DIR[:TAG]", "oci-archive:FILE[:TAG]",
  // "docker-archive:FILE[:REF|:@N]", or a bare REF (a registry). In archive
  // locations the file name ends at the first ':' that is not followed by '/' (as in
  // skopeo, where it ends at the first ':'); a docker-archive REF without a tag means
  // ":latest" and may not hold a digest. Throws Error(invalid_argument) /
  // Error(unsupported) for unknown transports.
  static Location parse(std::string_view s);
  std::string str() const;
};

} // namespace berth::ops
