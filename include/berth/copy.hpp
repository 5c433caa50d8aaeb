// Copying images between registries and local formats (skopeo-style transports):
//   docker://REF            a registry (a bare REF means the same)
//   oci:DIR[:TAG]           an OCI image-layout directory
//   oci-archive:FILE[:TAG]  an OCI layout in a tar file
//   docker-archive:FILE[:REF]  the docker save / docker load format
#pragma once

#include <berth/defaults.h>
#include <berth/progress.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace berth {

class Signer; // berth/sign.hpp

struct RegistryAccess {
  std::string creds;       // "USER:PASS" overriding the keychain; "" = keychain
  bool plain_http = false; // http:// even for non-loopback hosts
  bool insecure = false;   // skip TLS verification
  std::string ca_bundle;   // extra trusted CAs (PEM)
  // A transfer moving under 1 KiB/s for this long is abandoned (resumed where safe);
  // zero: never.
  std::chrono::seconds stall_timeout{BERTH_DEFAULT_STALL_TIMEOUT_MS / 1000};
  // The whole operation's time limit, counted from when it connects; zero: none.
  std::chrono::milliseconds timeout{0};
  // Push blobs above 16 MiB in PATCHes of this many bytes (for proxies that cap request
  // bodies); zero: one streamed request per blob, resumed from the registry's offset.
  std::uint64_t chunk_size = 0;
  // A docker config.json or containers auth.json read for logins instead of the default
  // files ($REGISTRY_AUTH_FILE, docker's config.json, auth.json); "" = those. ECR hosts
  // still get tokens from the AWS chain. Ignored when creds is set.
  std::string auth_file;
};

// The media types a copy writes. Converting rewrites the manifests (and an index's
// entries) with the other family's media types — manifest, config, layers; index <->
// manifest list — so their digests change, while every blob stays as it is.
// Conversions that would lose meaning fail with Errc::unsupported: zstd or encrypted
// layers, artifacts and subjects to Docker; unknown config or layer types either way.
enum class ImageFormat {
  // What the source has. An image synthesised from a docker-archive (docker save
  // stores no manifest) becomes OCI in an oci: or oci-archive: destination.
  automatic,
  oci,    // OCI image manifests and indexes
  docker, // Docker schema 2 manifests and manifest lists
};

struct CopyOptions {
  RegistryAccess src, dst;
  std::string platform;          // "os/arch[/variant]": copy only that image of an index
  int jobs = BERTH_DEFAULT_JOBS; // parallel blob transfers
  ProgressFn progress;
  // More tags for the top manifest at the destination (push --tag): each a manifest
  // PUT, skipped when the tag already points at the digest (immutable repositories).
  std::vector<std::string> extra_tags;
  // Referrers (signatures, SBOMs, attestations: manifests whose subject is a copied
  // image or index child) follow, recursively, through the referrers API or the
  // "sha256-<hex>" tag scheme, as regctl --referrers and oras cp -r do; so do
  // cosign's tags "sha256-<hex>.sig", ".att" and ".sbom" (as regctl --digest-tags),
  // under the same tag, except into archives. Not when the copy converts the format
  // (the digests they name change). Failing to find them is a warning; a referrer
  // found but not copied fails the copy after the image is in place.
  bool referrers = true;
  // Only referrers of these artifact types (and theirs); empty: all. A cosign tag is
  // chosen by "application/vnd.dev.cosign.artifact.<sig|att|sbom>.v1+json" or by the
  // media type of one of its layers ("application/vnd.dev.cosign.simplesigning.v1+json",
  // "application/vnd.dsse.envelope.v1+json").
  std::vector<std::string> referrer_types;
  ImageFormat format = ImageFormat::automatic;
  // Create a missing ECR destination repository first (with the source repository's
  // settings when it is in ECR too) instead of failing with NAME_UNKNOWN. Uses the
  // AWS credentials of the environment; other registries are left alone.
  bool create_repository = false;
  // "SRC_REGISTRY=HOST[/PREFIX]": a registry source in SRC_REGISTRY is read through
  // HOST/PREFIX/<repository> (an ECR pull-through cache, a registry mirror) when the
  // mirror has it — or fetches it, as a pull-through cache does — else from
  // SRC_REGISTRY itself. The first mirror that serves wins.
  std::vector<std::string> mirrors;
  // Signs the image once it landed (a registry, by digest, or an oci: layout), as
  // `berth sign` does: cosign's "sha256-<hex>.sig" beside it. An archive destination
  // is refused before anything moves.
  std::shared_ptr<Signer> signer;
};

struct CopyResult {
  // Of the top manifest or index written: the source's, unless the copy converted it
  // (ImageFormat), in which case the new one every tag points at.
  std::string digest;
  std::string media_type;
  std::uint64_t bytes_copied = 0;
  int blobs_copied = 0, blobs_skipped = 0, blobs_mounted = 0;
  int manifests = 0;
  // Referrer manifests copied (or already there), cosign's digest tags included.
  int referrers = 0;
  int digest_tags = 0; // of those, cosign's "sha256-<hex>.sig|.att|.sbom" tags
  // What was left out and why (referrers that could not be listed); the copy itself
  // succeeded.
  std::vector<std::string> warnings;
  std::string mirror;        // the source as read through a mirror ("docker://..."), else ""
  std::string signature_ref; // with CopyOptions::signer: where the signature lives
  // Of CopyOptions::extra_tags, those written (the others already held the digest).
  std::vector<std::string> tags_added;
  std::chrono::milliseconds duration{0};
};

// The result as the C ABI gives it (the CLI's --json prints it with snake_case keys
// and "tags_added"): {"digest","mediaType","bytesCopied",
// "blobsCopied","blobsSkipped","blobsMounted","manifests","referrers","digestTags",
// "warnings":[..],"seconds", and "mirror", "signature" when set}.
std::string to_json(const CopyResult &result);

// Throws berth::Error. Nothing is written under a destination tag unless every blob
// and child manifest it references arrived and verified.
CopyResult copy_image(const std::string &src, const std::string &dst,
                      const CopyOptions &options = {});

// One source to many destinations (registries, regions, layouts) at once: each blob
// is read from the source once and streamed to every destination that lacks it in
// parallel; destinations on the source's registry mount instead. options.dst
// applies to every destination. Results are in the order of dsts.
std::vector<CopyResult> replicate_image(const std::string &src,
                                        const std::vector<std::string> &dsts,
                                        const CopyOptions &options = {});

// Where `berth pull REF DST` writes, as a location: DST with a transport (oci:,
// oci-archive:, docker-archive:, docker://) as written; a plain path as crane reads it
// (FILE.tar that is not a directory: a docker-archive, which docker load reads; a
// directory that exists, or a path written ".", "..", "./DIR", "../DIR" or "/DIR": an
// OCI layout; "~" is not expanded); a registry reference ("HOST/REPO...", HOST with a '.' or ':'
// or "localhost") as it is. Anything else would be read as a Docker Hub name, which no
// one pulling means: Errc::invalid_argument naming the local forms.
std::string pull_destination(const std::string &dst);

struct PullResult {
  CopyResult copy;
  std::string destination; // pull_destination(dst): where the image went
  // With a verify key: the digest that verified (the image pulled by it) and the
  // valid signatures found.
  std::string verified_digest;
  int signatures_verified = 0;
};

// `berth pull`: the registry image ref ("docker://REF" or a bare REF; a local source
// is Errc::invalid_argument: that is copy's) into pull_destination(dst), as
// copy_image. With verify_key (a cosign PEM public key file) the image is verified
// first, as verify_image does with options.src, then pulled by the digest that
// verified, so a tag that moves in between cannot slip an unsigned image in; nothing
// is written when it fails (Errc::gate_failed).
PullResult pull_image(const std::string &ref, const std::string &dst,
                      const CopyOptions &options = {}, const std::string &verify_key = {});

// A multi-arch index from per-platform images: each image (and its blobs) goes to
// dst by digest, then the index — with each child's platform from its config —
// under dst's tag. A source that is an index contributes its entries. annotations
// go on the index itself (which makes it an OCI index: Docker manifest lists have
// none).
CopyResult assemble_index(const std::vector<std::string> &sources, const std::string &dst,
                          const CopyOptions &options = {},
                          const std::map<std::string, std::string> &annotations = {});

struct ExportOptions {
  RegistryAccess access;
  std::string platform; // for index sources; default linux/amd64
  // Decompression-bomb caps: bytes written in all, and bytes written per compressed
  // byte read (checked while streaming, past the first 16 MiB). 0: off.
  std::uint64_t max_total_bytes = BERTH_DEFAULT_MAX_EXPORT_BYTES;
  double max_expansion_ratio = BERTH_DEFAULT_MAX_EXPANSION_RATIO;
  // Create character and block devices the image holds (as root, mode 0600 at most);
  // by default they are skipped.
  bool devices = false;
  // Read-through mirrors of a registry source, as CopyOptions::mirrors.
  std::vector<std::string> mirrors;
};

// Flattens an image's layers in order into dir (created if missing), applying OCI
// whiteouts and refusing entries that would land outside it (Errc::unsafe).
void export_image(const std::string &src, const std::string &dir,
                  const ExportOptions &options = {});

} // namespace berth
