/*
 * berth/defaults.h — the defaults every front end shares.
 *
 * One definition for the C ABI (berth.h includes this file), the C++ API (its option
 * structs initialise from these), the Go package (cgo reads the macros) and the
 * Python package (berth_defaults() returns them as JSON). A zero in an options
 * struct field documented "0 = default" means the value here.
 */
#ifndef BERTH_DEFAULTS_H
#define BERTH_DEFAULTS_H

/* Parallel blob transfers (copy, replicate, index, build, validate). */
#define BERTH_DEFAULT_JOBS 4
/* The most parallel transfers a call accepts. */
#define BERTH_MAX_JOBS 64
/* The image of an index taken where one image is needed (export, sbom, a build's
 * base) and no platform was given. */
#define BERTH_DEFAULT_PLATFORM "linux/amd64"
/* A transfer moving under 1 KiB/s this long is abandoned (and resumed where safe). */
#define BERTH_DEFAULT_STALL_TIMEOUT_MS 60000
/* Entries asked per page of a tag or repository list. */
#define BERTH_DEFAULT_PAGE_SIZE 1000
/* Export's decompression-bomb caps: file bytes in all, bytes per compressed byte. */
#define BERTH_DEFAULT_MAX_EXPORT_BYTES (64ULL << 30)
#define BERTH_DEFAULT_MAX_EXPANSION_RATIO 200.0
/* How long a scan gate waits for ECR's scan. */
#define BERTH_DEFAULT_SCAN_TIMEOUT_S 600

#endif /* BERTH_DEFAULTS_H */
