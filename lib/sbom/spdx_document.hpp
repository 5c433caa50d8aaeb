// The SPDX 2.3 JSON document berth sbom writes (https://spdx.github.io/spdx-spec/v2.3/):
// one package for the image, one per installed package found, every file of the
// image with SHA1 and SHA256, and the relationships between them.
#pragma once

#include "sbom/file_checksums.hpp"
#include "sbom/package.hpp"

#include <string>
#include <vector>

namespace berth::sbom {

struct SbomFile {
  std::string path; // normalised, without "./"
  Checksums sums;
};

struct SpdxInput {
  std::string name;       // the image as the user named it
  std::string digest;     // the image manifest's digest
  std::string image_purl; // pkg:oci/..., or "" when there is none to make
  std::string created;    // "2026-12-04T10:00:00Z"
  std::string tool;       // "berth-0.1.0"
  std::vector<Package> packages;
  std::vector<SbomFile> files;
  Warnings warnings; // recorded in creationInfo.comment, so no consumer loses them
};

// Deterministic: packages and files are sorted, identifiers numbered in that order,
// and the namespace derives from the image digest.
std::string write_spdx_json(SpdxInput input);

} // namespace berth::sbom
