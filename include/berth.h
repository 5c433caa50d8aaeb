/*
 * berth.h — the C ABI of berth, a daemonless container-image toolkit.
 *
 * This is the only extern "C" surface of libberth. Python (ctypes), Go (cgo) and C
 * programs use it; C++ programs may use it or the C++ API in <berth/...>.
 *
 * Conventions (they hold for every function below):
 *
 *  - Every call that can fail returns int: 0 (BERTH_OK) on success, a negative
 *    BERTH_E* code otherwise. Codes never change value; new ones are only added.
 *  - Outputs come first (berth_x **out, char **out_json), inputs follow, the options
 *    struct is last. On failure *out is set to NULL (out_json of a call that reports
 *    a failed gate — validate, scan gate — is set in both outcomes).
 *  - Results are JSON documents in char **out_json (camelCase keys; keys are only
 *    added, never removed or renamed within an ABI version), freed with berth_free().
 *    The only other outputs are raw bytes asked for (a manifest) and handles. Any
 *    out_json may be NULL when the caller does not want the result.
 *  - berth_last_error() describes the calling thread's last failure: message, and
 *    when known the HTTP status, AWS error code and request id. It stays valid until
 *    the next berth call on the same thread.
 *  - Strings are UTF-8 and NUL-terminated. String arguments are borrowed for the
 *    duration of the call only. Strings and buffers berth returns are owned by the
 *    caller and released with berth_free() (never free()), unless a comment says they
 *    belong to a handle.
 *  - Opaque handles: berth_x_new(&out, opts) / berth_x_free(x). Free accepts NULL.
 *  - Options structs begin with uint32_t version. Initialise them with the
 *    BERTH_X_OPTIONS_INIT macro or berth_x_options_init(&opts, BERTH_X_OPTIONS_VERSION)
 *    (the function suits ctypes and cgo). Passing NULL means "all defaults"; a 0
 *    field documented "0 = default" takes the value of berth/defaults.h.
 *    Fields are only ever appended; the version tells berth which fields you know.
 *    A version newer than the library's is BERTH_EINVAL (its fields would otherwise
 *    be ignored without a word), and so is one from an older ABI (its layout is not
 *    this one); JSON arguments that do not parse are BERTH_EINVAL.
 *  - Registry access (credentials, plain http, TLS, stall timeout, chunking,
 *    mirrors) is one struct, berth_registry_options, that every call reaching a
 *    registry points to (src / dst / registry); NULL there means the defaults.
 *  - No C++ exception ever crosses this boundary; a failure inside berth becomes a
 *    negative code (BERTH_EINTERNAL at worst).
 *  - Thread safety is stated per function and per handle. Functions without handles
 *    may be called from any thread concurrently.
 *
 * Only symbols starting with berth_ are exported from libberth.so.
 */
#ifndef BERTH_H
#define BERTH_H

#include <stddef.h>
#include <stdint.h>

#include "berth/defaults.h"

#if defined(BERTH_BUILDING_LIBRARY)
#define BERTH_API __attribute__((visibility("default")))
#else
#define BERTH_API
#endif

/* Marks a function kept only so that programs built against an older berth.h keep
 * linking; its message names the replacement. */
#if defined(__GNUC__) || defined(__clang__)
#define BERTH_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
#define BERTH_DEPRECATED(msg)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------ */
/* Versions                                                                        */
/* ------------------------------------------------------------------------------ */

/* The ABI version this header describes. Bindings compare it with
 * berth_abi_version() at load time and refuse a mismatch. berth is pre-1.0: an ABI
 * version may still change between minor releases (docs/c-abi.md keeps the
 * history). 2: results as JSON, berth_registry_options, own options for index,
 * export, sign and verify. */
#define BERTH_ABI_VERSION 2

/* Library version as MAJOR * 10000 + MINOR * 100 + PATCH (0.1.0 is 100). */
BERTH_API uint32_t berth_version(void);

/* Library version as static text, e.g. "0.1.0". Never NULL; do not free. */
BERTH_API const char *berth_version_string(void);

/* ABI version of the loaded library (see BERTH_ABI_VERSION). */
BERTH_API uint32_t berth_abi_version(void);

/* The defaults of berth/defaults.h as JSON, for front ends that cannot read C macros:
 * {"jobs","maxJobs","platform","stallTimeoutMs","pageSize","maxExportBytes",
 *  "maxExpansionRatio","scanTimeoutSeconds"}. Free with berth_free. */
BERTH_API int berth_defaults(char **out_json);

/* ------------------------------------------------------------------------------ */
/* Errors                                                                          */
/* ------------------------------------------------------------------------------ */

#define BERTH_OK 0
#define BERTH_EINVAL (-1)        /* invalid argument, malformed input */
#define BERTH_ENOMEM (-2)        /* out of memory */
#define BERTH_EIO (-3)           /* local file-system error */
#define BERTH_ENETWORK (-4)      /* connection failed, reset, DNS, TLS */
#define BERTH_ETIMEOUT (-5)      /* an operation or wait timed out */
#define BERTH_EAUTH (-6)         /* missing, invalid or expired credentials (401) */
#define BERTH_EDENIED (-7)       /* authenticated but not allowed (403, AccessDenied) */
#define BERTH_ENOTFOUND (-8)     /* repository, manifest, blob, file or profile missing */
#define BERTH_EEXISTS (-9)       /* already exists, or an immutable tag */
#define BERTH_EDIGEST (-10)      /* content does not match its digest */
#define BERTH_EPROTOCOL (-11)    /* a server broke the protocol or sent garbage */
#define BERTH_EUNSUPPORTED (-12) /* valid but not supported (media type, option) */
#define BERTH_ECANCELLED (-13)   /* a callback or berth_cancel_fire asked to stop */
#define BERTH_ETOOLARGE (-14)    /* size limit exceeded (manifest, bomb, policy) */
#define BERTH_ETHROTTLED (-15)   /* rate limited after all retries (429, Throttling) */
#define BERTH_ECONFIG (-16)      /* malformed configuration file or environment */
#define BERTH_EUNSAFE (-17)      /* refused for safety (path escape, credential leak) */
#define BERTH_EGATE (-18)        /* a policy gate failed (e.g. scan findings) */
#define BERTH_ESERVER (-19)      /* the server failed (5xx after all retries) */
#define BERTH_EBUILD (-20)       /* a build step failed (a Dockerfile RUN exited non-zero) */
#define BERTH_EINTERNAL (-99)    /* a bug in berth; please report it */

/* Static text for a code, e.g. "invalid argument". Never NULL; do not free. */
BERTH_API const char *berth_strerror(int code);

/* Details of the calling thread's last failure. */
typedef struct berth_error_info {
  int32_t code;           /* the BERTH_E* code, BERTH_OK when there was none */
  int32_t http_status;    /* HTTP status of the failing reply, 0 when none */
  const char *message;    /* human-readable, never NULL, "" when none */
  const char *aws_code;   /* e.g. "AccessDenied", "" when none */
  const char *request_id; /* x-amzn-RequestId / x-amz-request-id, "" when none */
} berth_error_info;

/* The calling thread's last error. Never NULL. The struct and its strings belong to
 * berth and stay valid until the next berth call on this thread. Thread-local. */
BERTH_API const berth_error_info *berth_last_error(void);

/* Releases a string or buffer berth returned. NULL is accepted. */
BERTH_API void berth_free(void *p);

/* ------------------------------------------------------------------------------ */
/* Cancellation                                                                    */
/* ------------------------------------------------------------------------------ */

/* A token that stops a running call from another thread or a signal handler: a Go
 * context that ends, a Ctrl-C. Attached to a thread, it is seen by every berth call
 * that thread makes (and by the threads the call starts) until detached; once fired,
 * a call waiting on the network (a stalled registry included), a retry's backoff, a
 * scan gate's poll, a RUN step or a layer being written stops within about a second
 * and returns BERTH_ECANCELLED ("cancelled by the caller"). A call that completes
 * before it notices returns its result. */
typedef struct berth_cancel berth_cancel;

/* A new token, not fired. Free it with berth_cancel_free. */
BERTH_API int berth_cancel_new(berth_cancel **out);

/* Fires the token. Any thread; async-signal-safe. NULL is ignored. */
BERTH_API void berth_cancel_fire(berth_cancel *cancel);

/* 1 once fired, else 0 (NULL: 0). */
BERTH_API int berth_cancel_fired(const berth_cancel *cancel);

/* Attaches cancel to the calling thread (NULL detaches). The thread keeps its own
 * reference: freeing the token while attached is safe. Returns BERTH_OK and leaves
 * berth_last_error() as it was, so a call's error can be read after detaching. */
BERTH_API int berth_cancel_attach(berth_cancel *cancel);

/* Releases the caller's reference. NULL is accepted. */
BERTH_API void berth_cancel_free(berth_cancel *cancel);

/* A new handle on the token attached to the calling thread (*out NULL when none), so
 * that a call made from inside another (a progress callback that calls berth)
 * can attach its own token and put the outer one back after. */
BERTH_API int berth_cancel_current(berth_cancel **out);

/* ------------------------------------------------------------------------------ */
/* AWS Signature Version 4                                                         */
/* ------------------------------------------------------------------------------ */

/* One HTTP header. Both strings are borrowed. */
typedef struct berth_header {
  const char *name;
  const char *value;
} berth_header;

#define BERTH_SIGN_OPTIONS_VERSION 1

typedef struct berth_sign_options {
  uint32_t version;              /* BERTH_SIGN_OPTIONS_VERSION */
  const char *region;            /* required, e.g. "us-east-1" */
  const char *service;           /* required, e.g. "ecr", "sts", "s3" */
  const char *access_key_id;     /* required */
  const char *secret_access_key; /* required */
  const char *session_token;     /* NULL or "" when none */
  /* Signing time in seconds since the Unix epoch; 0 means now. */
  int64_t timestamp;
  /* > 0: presign — put the signature in the query with X-Amz-Expires set to this
   * many seconds (at most 604800). 0: sign with the Authorization header. */
  int64_t presign_expires;
  /* Non-zero: add and sign an x-amz-content-sha256 header (S3, ECR uploads). */
  int32_t content_sha256_header;
  /* Non-zero: use UNSIGNED-PAYLOAD instead of hashing the body. */
  int32_t unsigned_payload;
  /* Non-zero (default): remove "." and ".." segments and collapse "//" before
   * encoding the path. Zero is S3 style. */
  int32_t normalize_path;
  /* Non-zero (default): URI-encode the path once more for the canonical request, as
   * every service but S3 expects. Zero takes the wire form of the path as is. */
  int32_t double_encode;
  /* Non-zero (default): include the session token in what is signed. Zero adds it to
   * the request after signing (services that want it unsigned). */
  int32_t sign_session_token;
  /* Hex SHA-256 of the body when the caller has already computed it (streaming
   * uploads); NULL means hash the body given. */
  const char *payload_hash;
} berth_sign_options;

#define BERTH_SIGN_OPTIONS_INIT                                                                    \
  { BERTH_SIGN_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 1, 1, 1, NULL }

/* Fills *opts with defaults for the given struct version. Returns BERTH_EINVAL when
 * the version is unknown to this library. */
BERTH_API int berth_sign_options_init(berth_sign_options *opts, uint32_t version);

/* The result of signing: the request as it must be sent, plus each signing stage.
 * Opaque; read it with the accessors below. Not thread-safe to free concurrently
 * with reads; reads from several threads are fine. */
typedef struct berth_signed_request berth_signed_request;

/*
 * Signs one HTTP request with SigV4.
 *
 *   out      receives the signed request; free it with berth_signed_request_free().
 *   method   e.g. "GET".
 *   url      absolute http(s) URL. The path is taken literally: characters that are
 *            not allowed on the wire (space, non-ASCII) are percent-encoded in the
 *            result, and with double_encode the canonical path encodes the given
 *            path once more (so "%2F" is signed as "%252F", as AWS expects).
 *   headers  n_headers headers (may be NULL when n_headers is 0). A Host header is
 *            added from the URL when missing.
 *   body     the payload (may be NULL when body_len is 0); used only for its hash.
 *   opts     options; region, service and credentials are required.
 *
 * Returns BERTH_OK, or BERTH_EINVAL for a malformed URL, missing option or bad
 * header. Thread-safe; derived signing keys are cached per (secret, date, region,
 * service) across calls.
 */
BERTH_API int berth_sign_request(berth_signed_request **out, const char *method, const char *url,
                                 const berth_header *headers, size_t n_headers, const void *body,
                                 size_t body_len, const berth_sign_options *opts);

BERTH_API void berth_signed_request_free(berth_signed_request *req);

/* The accessors return strings owned by req, valid until berth_signed_request_free. */
BERTH_API const char *berth_signed_request_method(const berth_signed_request *req);
/* The URL as sent on the wire (presigned requests carry the signature in it). */
BERTH_API const char *berth_signed_request_url(const berth_signed_request *req);
/* The given headers followed by those signing added (Host, X-Amz-Date, ...). */
BERTH_API size_t berth_signed_request_header_count(const berth_signed_request *req);
/* Header i (0-based) into *out_name and *out_value (both required); returns
 * BERTH_EINVAL when i is out of range. */
BERTH_API int berth_signed_request_header_at(const char **out_name, const char **out_value,
                                             const berth_signed_request *req, size_t i);
/* berth_signed_request_header_at with the outputs last, as berth 0.2.0 declared it:
 * kept so that programs built against that header keep working; removed at ABI 3. */
BERTH_API int berth_signed_request_header(const berth_signed_request *req, size_t i,
                                          const char **name, const char **value)
    BERTH_DEPRECATED("use berth_signed_request_header_at (outputs first)");
BERTH_API const char *berth_signed_request_canonical_request(const berth_signed_request *req);
BERTH_API const char *berth_signed_request_string_to_sign(const berth_signed_request *req);
/* Lower-case hex signature. */
BERTH_API const char *berth_signed_request_signature(const berth_signed_request *req);

/* ------------------------------------------------------------------------------ */
/* Progress                                                                        */
/* ------------------------------------------------------------------------------ */

#define BERTH_PROGRESS_BLOB_STARTED 0
#define BERTH_PROGRESS_BLOB_PROGRESS 1
#define BERTH_PROGRESS_BLOB_DONE 2
#define BERTH_PROGRESS_BLOB_SKIPPED 3 /* the destination already had it */
#define BERTH_PROGRESS_BLOB_MOUNTED 4 /* mounted from another repository */
#define BERTH_PROGRESS_MANIFEST_DONE 5

#define BERTH_PROGRESS_VERSION 1

typedef struct berth_progress {
  uint32_t version;       /* BERTH_PROGRESS_VERSION of the library calling: fields past
                           * the ones a version has are absent */
  int32_t event;          /* BERTH_PROGRESS_* */
  const char *digest;     /* the blob or manifest ("" for a layer being built); valid
                           * during the callback only */
  uint64_t bytes;         /* bytes of this item moved so far */
  uint64_t total;         /* size of this item; 0 while unknown (a layer being built) */
  uint64_t overall_bytes; /* all items, moved so far */
  uint64_t overall_total; /* all items known so far; 0 while unknown (a layer is being
                           * built); never below overall_bytes */
} berth_progress;

/* Called from berth's worker threads, never two calls at once. Return non-zero to
 * cancel: the operation then fails with BERTH_ECANCELLED. */
typedef int (*berth_progress_fn)(const berth_progress *progress, void *user_data);

/* ------------------------------------------------------------------------------ */
/* Registry access                                                                 */
/* ------------------------------------------------------------------------------ */

#define BERTH_REGISTRY_OPTIONS_VERSION 1

/* How to reach a registry: one side of a copy (src, dst), the registry an inspect,
 * sbom, sign or verify reads, a build's base or output. Pointed to, never embedded,
 * so it grows on its own version. Every field may be NULL/0. */
typedef struct berth_registry_options {
  uint32_t version;      /* BERTH_REGISTRY_OPTIONS_VERSION */
  const char *creds;     /* "USER:PASS" overriding the keychain (docker config.json,
                          * credential helpers, ECR), or NULL */
  int32_t plain_http;    /* non-zero: http:// (loopback hosts use it anyway) */
  int32_t insecure;      /* non-zero: skip TLS verification */
  const char *ca_bundle; /* extra trusted CAs (PEM file), or NULL */
  /* Abandon (and resume where safe) a transfer moving under 1 KiB/s this long;
   * 0 = BERTH_DEFAULT_STALL_TIMEOUT_MS, negative = never. */
  int64_t stall_timeout_ms;
  /* When pushing: blobs over 16 MiB go in PATCHes of this many bytes (at least
   * 1 MiB); 0 = one streamed request per blob. */
  uint64_t chunk_size;
  /* When reading: "SRC_REGISTRY=HOST[/PREFIX]": an image in SRC_REGISTRY is read
   * through HOST/PREFIX/<repository> (an ECR pull-through cache, a registry mirror),
   * and from SRC_REGISTRY when the mirror cannot serve it: copy/index/export/build
   * sources, berth_manifest_get and berth_inspect. Refused elsewhere (a copy's dst,
   * sign, verify, sbom, listing, tagging, deleting, validating, login), never ignored. */
  const char *const *mirrors;
  size_t n_mirrors;
} berth_registry_options;

#define BERTH_REGISTRY_OPTIONS_INIT                                                                \
  { BERTH_REGISTRY_OPTIONS_VERSION, NULL, 0, 0, NULL, 0, 0, NULL, 0 }

BERTH_API int berth_registry_options_init(berth_registry_options *opts, uint32_t version);

/* ------------------------------------------------------------------------------ */
/* Copy                                                                            */
/* ------------------------------------------------------------------------------ */

/* 7 is the first version of ABI 2; 1-6 were ABI 1's layout and are refused. */
#define BERTH_COPY_OPTIONS_VERSION 7

/* berth_copy_options.format: the media types a copy writes. Converting rewrites the
 * manifests (media types of manifest, config and layers; index <-> manifest list), so
 * their digests change and the result's digest is the new one; blobs stay as they
 * are. What cannot be converted fails with BERTH_EUNSUPPORTED: zstd or encrypted
 * layers, artifacts and subjects to Docker, unknown config or layer types. */
/* BERTH_FORMAT_AUTO: the source's; a docker-archive image is OCI in oci: and
 * oci-archive: destinations (docker save has no manifest). */
#define BERTH_FORMAT_AUTO 0
#define BERTH_FORMAT_OCI 1    /* OCI image manifests and indexes */
#define BERTH_FORMAT_DOCKER 2 /* Docker schema 2 manifests and manifest lists */

/* Options of berth_copy and berth_replicate. */
typedef struct berth_copy_options {
  uint32_t version;                  /* BERTH_COPY_OPTIONS_VERSION */
  const berth_registry_options *src; /* NULL = defaults */
  const berth_registry_options *dst; /* every destination of berth_replicate */
  const char *platform;              /* "os/arch[/variant]": one image of an index;
                                      * NULL = all */
  int32_t jobs;                      /* parallel blob transfers; 0 = BERTH_DEFAULT_JOBS */
  int32_t format;                    /* BERTH_FORMAT_*; other values are BERTH_EINVAL */
  int64_t timeout_ms;                /* the whole operation; 0 = none */
  berth_progress_fn progress;        /* NULL: no reports */
  void *progress_user_data;
  /* More tags for the top manifest at the destination, each a manifest PUT skipped
   * when the tag already points at the digest. */
  const char *const *extra_tags;
  size_t n_extra_tags;
  /* Referrers (signatures, SBOMs, attestations of each copied image) follow by
   * default, through the referrers API or the "sha256-<hex>" tag scheme, unless
   * no_referrers is non-zero; artifact_types, when given, keeps only those. */
  int32_t no_referrers;
  const char *const *artifact_types;
  size_t n_artifact_types;
  /* Non-zero creates a missing ECR destination repository first (with the source
   * repository's settings when the source is in ECR), using the AWS credentials of
   * the environment, instead of failing with NAME_UNKNOWN. */
  int32_t create_repository;
  /* berth_copy only (berth_replicate refuses it): the cosign key file that signs the
   * image once it landed in a registry (by digest) or an oci: layout, as berth_sign
   * does; NULL = no signature. sign_key_password: its password (NULL = ""). An
   * archive destination is BERTH_EINVAL. */
  const char *sign_key;
  const char *sign_key_password;
} berth_copy_options;

#define BERTH_COPY_OPTIONS_INIT                                                                    \
  {                                                                                                \
    BERTH_COPY_OPTIONS_VERSION, NULL, NULL, NULL, 0, BERTH_FORMAT_AUTO, 0, NULL, NULL, NULL, 0, 0, \
        NULL, 0, 0, NULL, NULL                                                                     \
  }

BERTH_API int berth_copy_options_init(berth_copy_options *opts, uint32_t version);

/*
 * Copies an image or index. src and dst use skopeo's transports: "docker://REF"
 * (or a bare REF), "oci:DIR[:TAG]", "oci-archive:FILE[:TAG]" and
 * "docker-archive:FILE[:REF]". Blobs the destination has are skipped,
 * blobs in another repository of the same registry are mounted, the rest stream
 * (never held whole in memory) with `jobs` in parallel; the destination tag is
 * written last, after everything it references verified.
 *
 * *out_json (may be NULL; free with berth_free):
 * {"digest" (of the top manifest or index written; converted: the new one),
 *  "mediaType","bytesCopied","blobsCopied","blobsSkipped","blobsMounted","manifests",
 *  "referrers","digestTags","warnings":[what was left out, e.g. referrers that could
 *  not be listed],"seconds", and when they apply "mirror" (the source as read through
 *  a mirror) and "signature" (where sign_key's signature lives)}.
 *
 * Errors: BERTH_EINVAL (bad reference), BERTH_ENOTFOUND, BERTH_EAUTH, BERTH_EDENIED,
 * BERTH_ENETWORK, BERTH_EDIGEST, BERTH_ECANCELLED, BERTH_EUNSUPPORTED (a conversion
 * that cannot be done), ... Thread-safe.
 */
BERTH_API int berth_copy(char **out_json, const char *src, const char *dst,
                         const berth_copy_options *opts);

/* One source to n_dsts destinations: each blob read once and streamed to every
 * destination that lacks it; destinations on the source's registry mount. *out_json
 * (may be NULL): {"results":[one berth_copy result per destination, in the order of
 * dsts]}. opts->dst applies to every destination. */
BERTH_API int berth_replicate(char **out_json, const char *src, const char *const *dsts,
                              size_t n_dsts, const berth_copy_options *opts);

/*
 * `berth pull REF DST`: the registry image ref ("docker://REF" or a bare REF; a local
 * source is BERTH_EINVAL, that is berth_copy's) into dst, as berth_copy. dst is taken
 * as the CLI and crane take it: with a transport ("oci:DIR[:TAG]", "oci-archive:",
 * "docker-archive:", "docker://") as written; "FILE.tar" (not a directory) a
 * docker-archive; a directory that exists, or a path written ".", "./DIR", "../DIR"
 * or "/DIR", an OCI layout ("~" is not expanded); "HOST/REPO..." a registry; anything else (a bare
 * word, which would be a Docker Hub name) BERTH_EINVAL naming those forms.
 * verify_key (NULL or "" = none): a cosign PEM public key; the image is verified first
 * (as berth_verify, with opts->src) and pulled by the digest that verified; nothing is
 * written when it fails (BERTH_EGATE). *out_json (may be NULL): berth_copy's keys plus
 * "destination" (the location written, e.g. "docker-archive:out.tar") and, with
 * verify_key, "verified": {"digest","valid"}. opts->sign_key is refused.
 */
BERTH_API int berth_pull(char **out_json, const char *ref, const char *dst, const char *verify_key,
                         const berth_copy_options *opts);

/* ------------------------------------------------------------------------------ */
/* Multi-arch indexes                                                              */
/* ------------------------------------------------------------------------------ */

#define BERTH_INDEX_OPTIONS_VERSION 1

typedef struct berth_index_options {
  uint32_t version;                  /* BERTH_INDEX_OPTIONS_VERSION */
  const berth_registry_options *src; /* NULL = defaults */
  const berth_registry_options *dst;
  int32_t jobs;   /* 0 = BERTH_DEFAULT_JOBS */
  int32_t format; /* BERTH_FORMAT_*: of each child and the index */
  int64_t timeout_ms;
  berth_progress_fn progress;
  void *progress_user_data;
  const char *const *extra_tags; /* more tags for the index */
  size_t n_extra_tags;
  /* "KEY=VALUE" annotations on the index, which is then always an OCI index (Docker
   * manifest lists have none). */
  const char *const *annotations;
  size_t n_annotations;
} berth_index_options;

#define BERTH_INDEX_OPTIONS_INIT                                                                   \
  { BERTH_INDEX_OPTIONS_VERSION, NULL, NULL, 0, BERTH_FORMAT_AUTO, 0, NULL, NULL, NULL, 0, NULL, 0 }

BERTH_API int berth_index_options_init(berth_index_options *opts, uint32_t version);

/* A multi-arch index from n_srcs images (children by digest, platforms from their
 * configs; an index source contributes its entries), tagged at dst. *out_json: as
 * berth_copy's, for the index. */
BERTH_API int berth_index(char **out_json, const char *const *srcs, size_t n_srcs, const char *dst,
                          const berth_index_options *opts);

/* ------------------------------------------------------------------------------ */
/* Export                                                                          */
/* ------------------------------------------------------------------------------ */

#define BERTH_EXPORT_OPTIONS_VERSION 1

typedef struct berth_export_options {
  uint32_t version;                  /* BERTH_EXPORT_OPTIONS_VERSION */
  const berth_registry_options *src; /* NULL = defaults */
  const char *platform;              /* of an index; NULL = BERTH_DEFAULT_PLATFORM */
  int64_t timeout_ms;                /* 0 = none */
  uint64_t max_total_bytes;          /* file bytes in all; 0 = BERTH_DEFAULT_MAX_EXPORT_BYTES */
  double max_expansion_ratio;        /* bytes written per compressed byte, checked past
                                      * 16 MiB; 0 = BERTH_DEFAULT_MAX_EXPANSION_RATIO,
                                      * negative = off */
  int32_t devices;                   /* non-zero creates character/block devices (root
                                      * only, mode 0600 at most); else they are skipped */
} berth_export_options;

#define BERTH_EXPORT_OPTIONS_INIT                                                                  \
  { BERTH_EXPORT_OPTIONS_VERSION, NULL, NULL, 0, 0, 0.0, 0 }

BERTH_API int berth_export_options_init(berth_export_options *opts, uint32_t version);

/* Flattens an image into dir, applying whiteouts and refusing anything that would
 * land outside dir (BERTH_EUNSAFE). */
BERTH_API int berth_export(const char *src, const char *dir, const berth_export_options *opts);

/* ------------------------------------------------------------------------------ */
/* Registry login: docker login / docker logout for any registry                   */
/* ------------------------------------------------------------------------------ */

/* The file both functions edit, where docker, skopeo and berth read credentials:
 * config_path when not NULL or "", else $REGISTRY_AUTH_FILE, else
 * $DOCKER_CONFIG/config.json, else ~/.docker/config.json. It is replaced atomically,
 * keeping its other entries; a new file is made 0600. An ECR registry needs no stored
 * password (berth gets a token from the AWS credentials when it connects);
 * berth_ecr_docker_login writes one for other tools. */

#define BERTH_LOGIN_OPTIONS_VERSION 1

/* Options of berth_registry_login. */
typedef struct berth_login_options {
  uint32_t version; /* BERTH_LOGIN_OPTIONS_VERSION */
  /* How to reach the registry for the check (plain_http, insecure, ca_bundle,
   * stall_timeout_ms); NULL = defaults. Its creds and mirrors are BERTH_EINVAL: the
   * credentials checked are the call's, and nothing is read through a mirror. */
  const berth_registry_options *registry;
  /* Non-zero: write the credentials without checking them (berth login --no-verify). */
  int32_t no_verify;
  int64_t timeout_ms; /* the check's time limit; 0 = none */
} berth_login_options;

#define BERTH_LOGIN_OPTIONS_INIT                                                                   \
  { BERTH_LOGIN_OPTIONS_VERSION, NULL, 0, 0 }

BERTH_API int berth_login_options_init(berth_login_options *opts, uint32_t version);

/*
 * Logs in to registry ("HOST[:PORT]"; "docker.io" and its spellings are Docker Hub's
 * key) as `docker login` does: unless opts->no_verify, the registry's /v2/ is asked
 * with username and password (a token registry exchanges them for a token first);
 * then the registry's "auths" entry, {"auth": base64("USERNAME:PASSWORD")}, replaces
 * any entry for the same registry in the file described above. config_path NULL or
 * "" means that default. opts may be NULL.
 *
 * *out_json (may be NULL; free with berth_free): {"path"} (the file written).
 *
 * Errors: BERTH_EINVAL (a NULL or empty registry, username or password, a username
 * holding ':', creds or mirrors in opts->registry), BERTH_EAUTH (the registry refused
 * the credentials, 401 or 403: nothing is written), BERTH_ENETWORK / BERTH_ETIMEOUT
 * (the registry cannot be reached), BERTH_ECONFIG (the file is not JSON),
 * BERTH_EIO. The password never appears in berth_last_error()'s message.
 * Thread-safe; two logins writing the same file at once each replace it whole.
 */
BERTH_API int berth_registry_login(char **out_json, const char *registry, const char *username,
                                   const char *password, const char *config_path,
                                   const berth_login_options *opts);

/*
 * Logs out of registry as `docker logout` does: removes its entries (every spelling
 * of its key) from the file described above (config_path NULL or "" = that default).
 * Reaches no registry. *out_json (may be NULL; free with berth_free): {"removed":
 * true} when there were entries, false when there were none (or no file).
 * Errors: BERTH_EINVAL (a NULL or empty registry), BERTH_ECONFIG (the file is not
 * JSON), BERTH_EIO. Thread-safe.
 */
BERTH_API int berth_registry_logout(char **out_json, const char *registry, const char *config_path);

/* ------------------------------------------------------------------------------ */
/* AWS credentials, STS and ECR                                                    */
/* ------------------------------------------------------------------------------ */

#define BERTH_AWS_OPTIONS_VERSION 1

/* How to find AWS credentials and endpoints. Every field may be NULL/0: the AWS
 * CLI's chain then applies (environment, web identity, GitHub Actions OIDC when a
 * role is set, shared config profile, ECS, IMDSv2), with AWS_REGION,
 * AWS_ENDPOINT_URL_ECR / _STS / AWS_ENDPOINT_URL and AWS_CA_BUNDLE honoured. */
typedef struct berth_aws_options {
  uint32_t version; /* BERTH_AWS_OPTIONS_VERSION */
  const char *region;
  const char *profile;
  const char *role_arn; /* assume this role */
  const char *role_session_name;
  const char *external_id;
  int64_t role_duration_seconds; /* 0 = 3600 */
  const char *ecr_endpoint;      /* e.g. "http://127.0.0.1:5000"; for public.ecr.aws, the
                                  * ecr-public API's */
  const char *sts_endpoint;
  const char *ca_bundle;
} berth_aws_options;

#define BERTH_AWS_OPTIONS_INIT                                                                     \
  { BERTH_AWS_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL }

BERTH_API int berth_aws_options_init(berth_aws_options *opts, uint32_t version);

/* Resolves credentials through the chain. *out_json receives credential_process
 * JSON: {"Version":1,"AccessKeyId","SecretAccessKey","SessionToken","Expiration",
 * "Provider"}; free it with berth_free. It holds secrets: handle with care.
 * Errors: BERTH_EAUTH (none found, or a provider failed), BERTH_EDENIED,
 * BERTH_ECONFIG (malformed config file). Thread-safe. */
BERTH_API int berth_aws_credentials(char **out_json, const berth_aws_options *opts);

/* sts:GetCallerIdentity: {"Account","Arn","UserId"}; free with berth_free. */
BERTH_API int berth_aws_caller_identity(char **out_json, const berth_aws_options *opts);

/* ecr:GetAuthorizationToken for an ECR registry host (or NULL: the caller's default
 * registry in the region); for ECR Public (public.ecr.aws, ecr-public.aws.com)
 * ecr-public:GetAuthorizationToken in us-east-1. *out_json:
 * {"registry","username","password","expiresAt"} (expiresAt in seconds since the epoch); free with
 * berth_free. */
BERTH_API int berth_ecr_login(char **out_json, const char *registry, const berth_aws_options *opts);

/* Writes the registry's AWS:<password> entry into docker's config.json
 * (config_path, or $DOCKER_CONFIG/config.json, or ~/.docker/config.json),
 * atomically, keeping other entries. *out_json (may be NULL): {"path"} (the file
 * written). */
BERTH_API int berth_ecr_docker_login(char **out_json, const char *registry, const char *config_path,
                                     const berth_aws_options *opts);

/* Any ECR API operation ("DescribeRepositories", "PutLifecyclePolicy", ...) with a
 * JSON request body (NULL = "{}"); *out_json receives the JSON reply. AWS errors come
 * back as codes with berth_last_error()->aws_code and request_id set. */
BERTH_API int berth_ecr_call(char **out_json, const char *operation, const char *json_body,
                             const berth_aws_options *opts);

/* ------------------------------------------------------------------------------ */
/* Build                                                                           */
/* ------------------------------------------------------------------------------ */

/* 4 is the first version of ABI 2; 1-3 were ABI 1's layout and are refused. */
#define BERTH_BUILD_OPTIONS_VERSION 4

typedef struct berth_build_options {
  uint32_t version;          /* BERTH_BUILD_OPTIONS_VERSION */
  const char *from;          /* NULL/"scratch", docker://REF, REF or oci:DIR[:TAG] */
  const char *const *layers; /* "DIR", "DIR:/dest" or a tar file */
  size_t n_layers;
  const char *compression;     /* NULL = "gzip"; "zstd", "none" */
  int32_t level;               /* -1 = default */
  const char *entrypoint_json; /* JSON array, NULL = inherit */
  const char *cmd_json;        /* JSON array, NULL = inherit */
  const char *const *env;      /* "K=V" */
  size_t n_env;
  const char *const *labels; /* "K=V" */
  size_t n_labels;
  const char *const *annotations; /* "K=V", on the manifest */
  size_t n_annotations;
  const char *workdir;
  const char *user;
  const char *const *expose; /* "8080", "53/udp" */
  size_t n_expose;
  const char *platform; /* "os/arch[/variant]"; NULL = the base's, else
                         * BERTH_DEFAULT_PLATFORM */
  /* Seconds since the epoch (0 is the epoch itself, as reproducible builds use);
   * -1 = SOURCE_DATE_EPOCH when set, else now. */
  int64_t created;
  const char *output; /* required: oci:DIR[:TAG] or docker://REF */
  const char *const *extra_tags;
  size_t n_extra_tags;
  const char *cache_dir; /* NULL = no layer cache */
  const char *cache_key; /* "metadata" (default) or "content" */
  /* Reaching the base (its mirrors apply to a registry base; a registry base is
   * recorded in OCI manifests as org.opencontainers.image.base.name / .base.digest)
   * and the output. NULL = defaults. */
  const berth_registry_options *src;
  const berth_registry_options *dst;
  int32_t jobs; /* 0 = BERTH_DEFAULT_JOBS */
  berth_progress_fn progress;
  void *progress_user_data;
  /* Attestations of the built image, attached once it is stored (a registry or oci:
   * output; an archive output is BERTH_EINVAL): non-zero sbom adds its SPDX 2.3 SBOM,
   * non-zero provenance its SLSA provenance v1, as in-toto statements — signed with
   * the cosign key file sign_key (password sign_key_password, NULL = "") where
   * `cosign verify-attestation` finds them, else unsigned OCI referrers. builder_id:
   * provenance's builder id (NULL = the GitHub workflow, or berth). */
  int32_t sbom;
  int32_t provenance;
  const char *sign_key;
  const char *sign_key_password;
  const char *builder_id;
} berth_build_options;

#define BERTH_BUILD_OPTIONS_INIT                                                                   \
  {                                                                                                \
    BERTH_BUILD_OPTIONS_VERSION, NULL, NULL, 0, NULL, -1, NULL, NULL, NULL, 0, NULL, 0, NULL, 0,   \
        NULL, NULL, NULL, 0, NULL, -1, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL, 0, 0, \
        NULL, NULL, NULL                                                                           \
  }

BERTH_API int berth_build_options_init(berth_build_options *opts, uint32_t version);

/* Builds and writes the image. *out_json (may be NULL; free with berth_free):
 * {"digest","mediaType","config","layers":[{"digest","diffID","size","cached"}],
 *  "baseName","baseDigest","baseMirror" (a registry base),"attestations":
 *  [{"predicateType","signed","location","digest"}],"warnings":[..],"seconds"}.
 * Errors: BERTH_EINVAL (bad option), BERTH_ENOTFOUND (a missing layer source or base
 * image), transfer errors as for copy. */
BERTH_API int berth_build(char **out_json, const berth_build_options *opts);

/* Dockerfile builds, without a daemon: BuildKit's Dockerfile semantics; each RUN in a
 * sandbox berth makes itself (namespaces and overlayfs; rootless when the caller is
 * not root); base layers unpacked once and every step cached under state_dir. */
#define BERTH_DOCKERFILE_OPTIONS_VERSION 3

/* The steps ("#3 RUN make") and what a RUN prints, as it comes, in whole lines (not
 * NUL-terminated; outside text: neutralise it before printing it in a CI log). Stages
 * built at the same time call it from their threads, one call at a time. */
typedef void (*berth_log_fn)(const char *text, size_t len, void *user_data);

typedef struct berth_dockerfile_options {
  uint32_t version;              /* BERTH_DOCKERFILE_OPTIONS_VERSION */
  const char *context;           /* the build context directory; NULL = "." */
  const char *dockerfile;        /* NULL = <context>/Dockerfile */
  const char *dockerfile_text;   /* the Dockerfile itself (wins over dockerfile) */
  const char *const *build_args; /* "K=V" */
  size_t n_build_args;
  const char *target;        /* the stage to build; NULL = the last */
  const char *const *labels; /* "K=V", over the Dockerfile's */
  size_t n_labels;
  const char *platform;    /* "os/arch[/variant]"; NULL = BERTH_DEFAULT_PLATFORM */
  const char *network;     /* RUN's network: NULL/"host" or "none" */
  const char *state_dir;   /* base layers and the step cache; NULL = ~/.cache/berth */
  int32_t no_cache;        /* non-zero: run every step again (the cache is still updated) */
  const char *compression; /* NULL = "gzip"; "zstd", "none" */
  int32_t level;           /* -1 = default */
  int64_t created;         /* as berth_build_options.created */
  const char *output;      /* required: oci:DIR[:TAG], docker://REF, an archive */
  const char *const *extra_tags;
  size_t n_extra_tags;
  const berth_registry_options *src; /* registry bases (mirrors apply); NULL = defaults */
  const berth_registry_options *dst; /* the output */
  int32_t jobs;                      /* 0 = BERTH_DEFAULT_JOBS; also stages at once */
  berth_progress_fn progress;
  void *progress_user_data;
  berth_log_fn log;
  void *log_user_data;
  /* As in berth_build_options. */
  int32_t sbom;
  int32_t provenance;
  const char *sign_key;
  const char *sign_key_password;
  const char *builder_id;
  /* version 2: secrets for RUN --mount=type=secret, each "id=ID[,src=FILE|,env=VAR]"
   * (with neither, the environment variable ID). Never in the image, its history or
   * the log. */
  const char *const *secrets;
  size_t n_secrets;
  /* version 3: build caches in registries, buildx's form. cache_from: each
   * "type=registry,ref=REPO[:TAG]" (or a bare "REPO[:TAG]"; the tag defaults to
   * "buildcache"); a step found there runs no more; a missing, unreadable or expired
   * cache is a warning in the log and a miss, never an error. cache_to (NULL = none):
   * "type=registry,ref=REPO[:TAG][,mode=min|max][,ignore-error=true]", replaced after
   * the build with the steps it used (min, the default: the final image's; max: every
   * stage's), as an OCI image manifest. Both use dst's access. Before anything runs: a
   * spec without ref=, or with an option berth does not know (another type's too, as
   * type=local's src=), is BERTH_EINVAL; a type other than registry (gha, s3, ...)
   * BERTH_EUNSUPPORTED. */
  const char *const *cache_from;
  size_t n_cache_from;
  const char *cache_to;
} berth_dockerfile_options;

#define BERTH_DOCKERFILE_OPTIONS_INIT                                                              \
  {                                                                                                \
    BERTH_DOCKERFILE_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL, NULL,  \
        0, NULL, -1, -1, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL,   \
        NULL, NULL, 0, NULL, 0, NULL                                                               \
  }

BERTH_API int berth_dockerfile_options_init(berth_dockerfile_options *opts, uint32_t version);

/* Builds the Dockerfile's target stage and stores it at output. *out_json as
 * berth_build's. A failing RUN is BERTH_EBUILD (the message names the line, the exit
 * code and the end of the output); nothing is stored then. */
BERTH_API int berth_build_dockerfile(char **out_json, const berth_dockerfile_options *opts);

/* ------------------------------------------------------------------------------ */
/* CI pipeline: tags, repositories, lifecycle policies, scan gates                 */
/* ------------------------------------------------------------------------------ */

/* Tags with docker/metadata-action semantics. request_json (NULL = "{}"):
 * {"rules":["type=ref,event=branch",...], "latest":"auto", "prefix":"", "suffix":"",
 *  "context":{"event","ref","sha","default_branch","repository","server_url",
 *             "created": seconds since the epoch}}
 * — a missing context is read from GITHUB_*. *out_json: {"tags":[...],"version":"..",
 * "labels":{...}}; free with berth_free. */
BERTH_API int berth_tags_compute(char **out_json, const char *request_json);

/* Describes the repository and creates it when missing. settings_json (NULL = "{}"):
 * {"scanOnPush":bool,"immutable":bool,"mutabilityExclusions":["latest","dev-*"],
 *  "encryption":"AES256"|"KMS","kmsKey":".."}. mutabilityExclusions are ECR WILDCARD
 * tag filters that keep the opposite mutability (IMMUTABLE_WITH_EXCLUSION). With
 * apply, scan-on-push and tag mutability (with its exclusions) of an existing
 * repository are changed to these.
 * *out_json: {"created":bool,"uri":"..","differences":[..],"updated":bool}. */
BERTH_API int berth_ecr_ensure_repository(char **out_json, const char *name,
                                          const char *settings_json, int32_t apply,
                                          const berth_aws_options *opts);

/* A pull-through cache rule: created when missing (as berth_ecr_ensure_repository
 * does for repositories). rule_json: {"prefix":"docker-hub","upstreamUrl":
 * "registry-1.docker.io","credentialArn":".."}. *out_json: {"created","uri":
 * "<registry>/<prefix>","differences":[..],"updated"}; with apply a different
 * credential ARN is changed (an upstream cannot change). */
BERTH_API int berth_ecr_ensure_pull_through_cache(char **out_json, const char *rule_json,
                                                  int32_t apply, const berth_aws_options *opts);

/* A repository creation template: created when missing, differences reported and,
 * with apply, changed. template_json: {"prefix":"team"|"ROOT","appliedFor":
 * ["CREATE_ON_PUSH","PULL_THROUGH_CACHE","REPLICATION"],"immutable":bool,
 * "mutabilityExclusions":[..],"encryption","kmsKey","lifecyclePolicy":"<JSON text>",
 * "description"}. *out_json as for berth_ecr_ensure_pull_through_cache ("uri" is the
 * prefix). */
BERTH_API int berth_ecr_ensure_creation_template(char **out_json, const char *template_json,
                                                 int32_t apply, const berth_aws_options *opts);

/* A lifecycle policy from the shorthand (pass 0 to leave a rule out). */
BERTH_API int berth_lifecycle_policy_shorthand(char **out_json, int32_t keep_last,
                                               int32_t expire_untagged_days);

/* policy_json (NULL or "" = no rules yet) with a build cache rule put first: images
 * tagged with tag_prefix (NULL = "buildcache", berth_dockerfile_options.cache_to's
 * default tag) expire when not pushed for `days` days; the other rules' priorities move
 * up by one, so no other rule (a keep-last count) ever counts a cache image.
 * *out_json: the policy's JSON text (validated), {"rules":[{"rulePriority":1,
 * "selection":{"tagStatus":"tagged","tagPrefixList":[PREFIX],"countType":
 * "sinceImagePushed","countUnit":"days","countNumber":DAYS},..},..]}; free with
 * berth_free. Pure: reaches no service, callable from any thread. BERTH_EINVAL for
 * days < 1, an empty or over-long prefix (or one with '*' or '"'), or a policy ECR
 * would refuse. */
BERTH_API int berth_lifecycle_policy_with_build_cache(char **out_json, const char *policy_json,
                                                      int32_t days, const char *tag_prefix);

/* Validates a policy against ECR's rules (BERTH_EINVAL naming the rule and field). */
BERTH_API int berth_lifecycle_policy_validate(const char *policy_json);

/* The images of the repository the policy would expire now:
 * {"images":[{"digest","tags":[..],"pushedAt","rulePriority","unit"}],"total":N}. An
 * index, its children and the referrers of any of them are one unit, judged by its
 * top image ("unit": that image's digest) and expiring together. */
BERTH_API int berth_ecr_lifecycle_preview(char **out_json, const char *repository,
                                          const char *policy_json, const berth_aws_options *opts);

/* Validates, then ecr:PutLifecyclePolicy. */
BERTH_API int berth_ecr_put_lifecycle_policy(const char *repository, const char *policy_json,
                                             const berth_aws_options *opts);

/* Starts a scan if none exists, waits up to timeout_seconds (0 = 600) for it, then
 * counts findings at or above fail_on (NULL = "CRITICAL"). *out_json:
 * {"status","counts":{..},"counted":N,"passed":bool,"table":"markdown"} is set in both
 * outcomes; returns BERTH_EGATE when counted > max, BERTH_ETIMEOUT when the scan did
 * not finish. image: a tag or "sha256:..". */
BERTH_API int berth_ecr_scan_gate(char **out_json, const char *repository, const char *image,
                                  const char *fail_on, int32_t max, int64_t timeout_seconds,
                                  const berth_aws_options *opts);

/* ------------------------------------------------------------------------------ */
/* Signatures (cosign-compatible)                                                  */
/* ------------------------------------------------------------------------------ */

#define BERTH_COSIGN_OPTIONS_VERSION 1

/* Options of berth_sign and berth_attest. */
typedef struct berth_cosign_options {
  uint32_t version;                       /* BERTH_COSIGN_OPTIONS_VERSION */
  const char *key_password;               /* of an encrypted cosign key; NULL = "" */
  const berth_registry_options *registry; /* NULL = defaults */
  int64_t timeout_ms;                     /* 0 = none */
} berth_cosign_options;

#define BERTH_COSIGN_OPTIONS_INIT                                                                  \
  { BERTH_COSIGN_OPTIONS_VERSION, NULL, NULL, 0 }

BERTH_API int berth_cosign_options_init(berth_cosign_options *opts, uint32_t version);

/*
 * Signs ref ("docker://REF" or "oci:DIR[:TAG]") as `cosign sign --key` does: a
 * simple-signing payload naming the image digest, ECDSA P-256 signed, added to the
 * manifest tagged "sha256-<hex>.sig". key_path is a cosign private key (encrypted
 * with opts->key_password) or a PEM EC key. *out_json (may be NULL):
 * {"digest" (signed),"signature" (where it lives: REPO:sha256-<hex>.sig)}.
 * BERTH_EAUTH for a wrong password, BERTH_ECONFIG for a file that is no key.
 */
BERTH_API int berth_sign(char **out_json, const char *ref, const char *key_path,
                         const berth_cosign_options *opts);

/*
 * Attaches a signed in-toto attestation about ref: predicate_json (one JSON document)
 * of predicate_type (a URI, e.g. "https://spdx.dev/Document"), in a DSSE envelope
 * signed with the key, where `cosign verify-attestation --key` finds it (tag
 * "sha256-<hex>.att"). Keys as for berth_sign; *out_json: {"digest","attestation"}.
 */
BERTH_API int berth_attest(char **out_json, const char *ref, const char *key_path,
                           const char *predicate_type, const char *predicate_json,
                           const berth_cosign_options *opts);

#define BERTH_VERIFY_OPTIONS_VERSION 1

typedef struct berth_verify_options {
  uint32_t version;                       /* BERTH_VERIFY_OPTIONS_VERSION */
  const berth_registry_options *registry; /* NULL = defaults */
  int64_t timeout_ms;                     /* 0 = none */
} berth_verify_options;

#define BERTH_VERIFY_OPTIONS_INIT                                                                  \
  { BERTH_VERIFY_OPTIONS_VERSION, NULL, 0 }

BERTH_API int berth_verify_options_init(berth_verify_options *opts, uint32_t version);

/*
 * Verifies ref's cosign signatures with a PEM public key: at least one must be signed
 * by it and name ref's digest, else BERTH_EGATE. *out_json (may be NULL) gets
 * {"digest","signatures","valid","payloads":[...]}. Nothing is written.
 */
BERTH_API int berth_verify(char **out_json, const char *ref, const char *public_key_path,
                           const berth_verify_options *opts);

/* ------------------------------------------------------------------------------ */
/* Software bills of materials                                                     */
/* ------------------------------------------------------------------------------ */

/* 2 is the first version of ABI 2; 1 was ABI 1's layout and is refused. */
#define BERTH_SBOM_OPTIONS_VERSION 2

typedef struct berth_sbom_options {
  uint32_t version;                       /* BERTH_SBOM_OPTIONS_VERSION */
  const berth_registry_options *registry; /* NULL = defaults */
  /* "os/arch[/variant]": the image of an index to describe; NULL =
   * BERTH_DEFAULT_PLATFORM. */
  const char *platform;
  /* creationInfo.created, RFC 3339 ("2026-12-04T10:00:00Z"); NULL = SOURCE_DATE_EPOCH
   * when set, else now. */
  const char *created;
  int64_t timeout_ms; /* the whole call's time limit; 0 = none */
} berth_sbom_options;

#define BERTH_SBOM_OPTIONS_INIT                                                                    \
  { BERTH_SBOM_OPTIONS_VERSION, NULL, NULL, NULL, 0 }

BERTH_API int berth_sbom_options_init(berth_sbom_options *opts, uint32_t version);

/*
 * An SPDX 2.3 JSON SBOM of the image ref names ("docker://REF" or a bare REF,
 * "oci:DIR[:TAG]", "oci-archive:FILE[:TAG]", "docker-archive:FILE[:REF|:@N]"): every
 * file with SHA1 and SHA256, and the dpkg, apk, Python and Go packages installed, with
 * purls; files deleted by upper layers are left out. Layers stream; nothing is
 * unpacked. What could not be read (a malformed database, unreadable Go build info)
 * is skipped and listed in the document's creationInfo.comment. *out_json receives
 * the document, freed with berth_free. opts may be NULL. Thread-safe. Errors:
 * BERTH_EINVAL, BERTH_ENOTFOUND, BERTH_EAUTH, transfer errors, BERTH_EPROTOCOL (a
 * corrupt layer).
 */
BERTH_API int berth_sbom(char **out_json, const char *ref, const berth_sbom_options *opts);

/* ------------------------------------------------------------------------------ */
/* Inspection: manifests, image details, tag and repository lists, tagging,        */
/* deletion and validation                                                         */
/* ------------------------------------------------------------------------------ */

/* References use the transports of berth_copy: "docker://REF" (or a bare REF) and
 * "oci:DIR[:TAG]" for every function below; oci-archive: and docker-archive: also
 * for berth_manifest_get, berth_inspect and berth_validate. All are thread-safe. */

/* 2 is the first version of ABI 2; 1 was ABI 1's layout and is refused. */
#define BERTH_INSPECT_OPTIONS_VERSION 2

typedef struct berth_inspect_options {
  uint32_t version;                       /* BERTH_INSPECT_OPTIONS_VERSION */
  const berth_registry_options *registry; /* NULL = defaults */
  /* "os/arch[/variant]": berth_manifest_get and berth_inspect take that image of an
   * index; NULL takes the reference as it is. */
  const char *platform;
  int32_t jobs;       /* berth_validate: blobs read in parallel; 0 = BERTH_DEFAULT_JOBS */
  int32_t page_size;  /* tag and repository lists: entries per page; 0 =
                       * BERTH_DEFAULT_PAGE_SIZE */
  int64_t timeout_ms; /* the whole call's time limit; 0 = none */
} berth_inspect_options;

#define BERTH_INSPECT_OPTIONS_INIT                                                                 \
  { BERTH_INSPECT_OPTIONS_VERSION, NULL, NULL, 0, 0, 0 }

BERTH_API int berth_inspect_options_init(berth_inspect_options *opts, uint32_t version);

/* The manifest or index ref names, exactly as served (its digest is computed over
 * these bytes). *out_raw receives the bytes plus a NUL; *out_json (may be NULL)
 * {"digest" (of the bytes: the reference's digest when it names one),"mediaType"
 * (from the document, else the Content-Type),"size" (bytes in *out_raw)}. Free both
 * with berth_free. Errors: BERTH_ENOTFOUND, BERTH_EDIGEST (the bytes do not match the
 * digest asked for), BERTH_EAUTH, BERTH_ENETWORK, ... */
BERTH_API int berth_manifest_get(char **out_raw, char **out_json, const char *ref,
                                 const berth_inspect_options *opts);

/* Describes an image or index. *out_json (free with berth_free):
 * {"reference","digest","mediaType","size","annotations":{..},
 *  "manifests":[OCI descriptors of an index's entries],
 *  "images":[{"digest","mediaType","size","platform":"os/arch[/variant]","config":
 *    descriptor,"layers":[descriptors],"totalSize","annotations","created","author",
 *    "user","workingDir","entrypoint":[..],"cmd":[..],"env":[..],"labels":{..}}]}
 * "images" holds the image, or each image manifest of an index. */
BERTH_API int berth_inspect(char **out_json, const char *ref, const berth_inspect_options *opts);

/* The tags of a repository ("REGISTRY/REPO", docker://..., or "oci:DIR"), following
 * the registry's Link pagination. *out_json: {"repository","tags":[..]}. */
BERTH_API int berth_tags_list(char **out_json, const char *repository,
                              const berth_inspect_options *opts);

/* The repositories of a registry ("HOST[:PORT]"), following Link pagination.
 * *out_json: {"registry","repositories":[..]}. */
BERTH_API int berth_catalog(char **out_json, const char *registry,
                            const berth_inspect_options *opts);

/* Adds n_tags tags to the manifest ref names, without moving blobs: one manifest PUT
 * per tag, skipped when the tag already points at the digest. *out_json (may be
 * NULL): {"digest","tagged":[..],"skipped":[..]}. */
BERTH_API int berth_tag(char **out_json, const char *ref, const char *const *tags, size_t n_tags,
                        const berth_inspect_options *opts);

/* Deletes the manifest ref names from its registry; a tag is resolved to its digest
 * first (the registry drops every tag on it). *out_json (may be NULL):
 * {"digest"} deleted. BERTH_EUNSUPPORTED when the registry does not allow deletion. */
BERTH_API int berth_manifest_delete(char **out_json, const char *ref,
                                    const berth_inspect_options *opts);

/* Reads every manifest and blob ref reaches (index children, configs, layers) and
 * verifies each digest and size. *out_json is set whether or not the image is
 * valid: {"reference","digest","mediaType","ok","manifests","blobs","skipped",
 * "bytes","failures":[{"digest","kind":"index|manifest|config|layer","message",
 * "code":BERTH_E*}]}. Returns BERTH_EGATE when anything failed; other errors
 * (authentication, network, no such image) are returned as themselves. */
BERTH_API int berth_validate(char **out_json, const char *ref, const berth_inspect_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* BERTH_H */
