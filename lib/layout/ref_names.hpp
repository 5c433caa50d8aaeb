// The tags of an OCI index's entries: the org.opencontainers.image.ref.name annotation
// that OCI layouts and oci-archives tag their images with.
#pragma once

#include <berth/manifest.hpp>

#include <string>
#include <vector>

namespace berth::layout {

// The entry's tag; "" when it has none.
std::string ref_name_of(const image::Descriptor &d);

// The entries for a message: their tags, "<untagged DIGEST>" for the others, comma
// separated; "none" for no entries.
std::string describe_entries(const std::vector<image::Descriptor> &entries);

} // namespace berth::layout
