// Copying images between registries and local formats (skopeo-style transports):
//   docker://REF            a registry (a bare REF means the same)
//   oci:DIR[:TAG]           an OCI image-layout directory
#pragma once

#include <berth/progress.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace berth {

struct RegistryAccess {
  std::string creds;       // "USER:PASS" overriding the keychain; "" = keychain
  bool plain_http = false; // http:// even for non-loopback hosts
  bool insecure = false;   // skip TLS verification
  std::string ca_bundle;   // extra trusted CAs (PEM)
};

struct CopyOptions {
  RegistryAccess src, dst;
  std::string platform; // "os/arch[/variant]": copy only that image of an index
  int jobs = 4;         // parallel blob transfers
  ProgressFn progress;
};

struct CopyResult {
  std::string digest; // of the top manifest or index written
  std::string media_type;
  std::uint64_t bytes_copied = 0;
  int blobs_copied = 0, blobs_skipped = 0, blobs_mounted = 0;
  int manifests = 0;
};

// Throws berth::Error. Nothing is written under a destination tag unless every blob
// and child manifest it references arrived and verified.
CopyResult copy_image(const std::string &src, const std::string &dst,
                      const CopyOptions &options = {});

} // namespace berth
