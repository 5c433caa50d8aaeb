package berth

/*
#include <berth.h>
*/
import "C"

import (
	"runtime"
	"time"
)

// The defaults of berth/defaults.h, read from the header through cgo so that
// there is one definition for C, C++, Python and Go. A zero option field
// documented "0 means the default" takes these values.
const (
	// DefaultJobs is the number of parallel blob transfers of a copy,
	// replicate, index, build or validate whose Jobs is 0.
	DefaultJobs = C.BERTH_DEFAULT_JOBS
	// MaxJobs is the most parallel transfers a call accepts.
	MaxJobs = C.BERTH_MAX_JOBS
	// DefaultPlatform is the image of an index taken where one image is needed
	// (Export, SBOM, a build's base) and no platform was given.
	DefaultPlatform = C.BERTH_DEFAULT_PLATFORM
	// DefaultStallTimeout abandons (and resumes where safe) a transfer moving
	// under 1 KiB/s for that long; [RegistryOptions].StallTimeout 0 means it.
	DefaultStallTimeout = C.BERTH_DEFAULT_STALL_TIMEOUT_MS * time.Millisecond
	// DefaultPageSize is the entries asked per page of a tag or repository list.
	DefaultPageSize = C.BERTH_DEFAULT_PAGE_SIZE
	// DefaultMaxExportBytes caps the file bytes an [Export] writes.
	DefaultMaxExportBytes uint64 = C.BERTH_DEFAULT_MAX_EXPORT_BYTES
	// DefaultMaxExpansionRatio caps the bytes an [Export] writes per compressed
	// byte read (checked past the first 16 MiB).
	DefaultMaxExpansionRatio = C.BERTH_DEFAULT_MAX_EXPANSION_RATIO
	// DefaultScanTimeout is how long [ECRScanGate] waits for ECR's scan.
	DefaultScanTimeout = C.BERTH_DEFAULT_SCAN_TIMEOUT_S * time.Second
)

// LibraryDefaults are the defaults the loaded libberth applies, as
// berth_defaults() reports them. They equal the constants above unless the
// library was built from a different berth/defaults.h than this package.
type LibraryDefaults struct {
	Jobs              int     `json:"jobs"`
	MaxJobs           int     `json:"maxJobs"`
	Platform          string  `json:"platform"`
	StallTimeoutMs    int64   `json:"stallTimeoutMs"`
	PageSize          int     `json:"pageSize"`
	MaxExportBytes    uint64  `json:"maxExportBytes"`
	MaxExpansionRatio float64 `json:"maxExpansionRatio"`
	ScanTimeoutSecs   int64   `json:"scanTimeoutSeconds"`
}

// Defaults returns the defaults of the loaded library (berth_defaults).
func Defaults() (*LibraryDefaults, error) {
	if err := CheckABI(); err != nil {
		return nil, err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var out *C.char
	raw, err := replyAndError(C.berth_defaults(&out), out)
	if err != nil {
		return nil, err
	}
	var d LibraryDefaults
	if err := decodeReply("Defaults", raw, &d); err != nil {
		return nil, err
	}
	return &d, nil
}
