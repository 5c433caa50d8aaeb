// Software bills of materials: `berth sbom` reads an image's layers as they stream
// (never unpacked, memory bounded by the number of paths, not their size) and writes
// an SPDX 2.3 JSON document listing every file of the image with its SHA1 and SHA256,
// and the packages installed in it — dpkg (status and status.d/), apk, Python
// distributions (*.dist-info/METADATA) and Go binaries (their embedded build info) —
// each with its package URL. Whiteouts are honoured: a file an upper layer deleted is
// not listed.
#pragma once

#include <berth/copy.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace berth {

struct SbomOptions {
  RegistryAccess access;
  // "os/arch[/variant]": the image of an index to describe; "" = linux/amd64.
  std::string platform;
  // creationInfo.created (RFC 3339, "2026-12-04T10:00:00Z"); "" = SOURCE_DATE_EPOCH
  // when set, else now.
  std::string created;
};

struct SbomResult {
  std::string spdx_json; // the document
  std::string digest;    // of the image manifest described
  std::size_t files = 0, packages = 0;
  // What could not be read (malformed databases, unreadable build info), also listed
  // in the document's creationInfo.comment.
  std::vector<std::string> warnings;
};

// ref: "docker://REF" (or a bare REF), "oci:DIR[:TAG]", "oci-archive:FILE[:TAG]",
// "docker-archive:FILE[:REF|:@N]". Throws berth::Error (not_found, auth, transfer
// errors, protocol for a corrupt layer).
SbomResult generate_sbom(const std::string &ref, const SbomOptions &options = {});

} // namespace berth
