// Python distributions: the METADATA file of an installed *.dist-info directory (or
// PKG-INFO of an *.egg-info one)
// (core metadata, https://packaging.python.org/en/latest/specifications/core-metadata/),
// email-header fields Name and Version (and License) before the first blank line.
#pragma once

#include "sbom/package.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace berth::sbom {

// PEP 503 normalised name: lower case, runs of '-', '_' and '.' become one '-'
// (the form pip and the pypi purl type use).
std::string normalize_python_name(std::string_view name);

// The distribution METADATA describes; nullopt (with a warning) when Name or Version
// is missing or not a valid name/version string.
std::optional<Package> parse_python_metadata(std::string_view text, const std::string &path,
                                             Warnings &warnings);

// True for ".../NAME.dist-info/METADATA" and ".../NAME.egg-info/PKG-INFO"
// (site-packages and dist-packages of any Python).
bool is_python_metadata_path(std::string_view path);

} // namespace berth::sbom
