// Writes descriptors as OCI JSON, fields in the specification's order.
#pragma once

#include <berth/manifest.hpp>

#include "core/json.hpp"

namespace berth::image {

template <typename Writer> void write_descriptor(Writer &w, const Descriptor &d) {
  w.StartObject();
  w.Key("mediaType");
  w.String(d.media_type);
  w.Key("digest");
  w.String(d.digest);
  w.Key("size");
  w.Int64(d.size);
  if (!d.urls.empty()) {
    w.Key("urls");
    w.StartArray();
    for (const auto &u : d.urls)
      w.String(u);
    w.EndArray();
  }
  if (!d.annotations.empty()) {
    w.Key("annotations");
    w.StartObject();
    for (const auto &[k, v] : d.annotations) {
      w.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
      w.String(v);
    }
    w.EndObject();
  }
  if (!d.artifact_type.empty()) {
    w.Key("artifactType");
    w.String(d.artifact_type);
  }
  if (d.platform) {
    w.Key("platform");
    w.StartObject();
    w.Key("architecture");
    w.String(d.platform->architecture);
    w.Key("os");
    w.String(d.platform->os);
    if (!d.platform->os_version.empty()) {
      w.Key("os.version");
      w.String(d.platform->os_version);
    }
    if (!d.platform->os_features.empty()) {
      w.Key("os.features");
      w.StartArray();
      for (const auto &f : d.platform->os_features)
        w.String(f);
      w.EndArray();
    }
    if (!d.platform->variant.empty()) {
      w.Key("variant");
      w.String(d.platform->variant);
    }
    w.EndObject();
  }
  w.EndObject();
}

} // namespace berth::image
