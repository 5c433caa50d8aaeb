package berth

/*
#include <stdlib.h>
#include <berth.h>
*/
import "C"

import (
	"strconv"
	"time"
	"unsafe"
)

// RegistryOptions says how to reach a registry: one side of a copy
// ([CopyOptions].Src and Dst), the registries of an index, a build's base and
// output, the registry an export, inspection, SBOM, signature or verification
// reads. It is berth_registry_options. The zero value uses the docker
// keychain's credentials, verified TLS and the default stall timeout.
type RegistryOptions struct {
	// Creds is "USER:PASSWORD", overriding the keychain (docker config.json,
	// credential helpers, ECR).
	Creds string
	// PlainHTTP uses http:// (loopback registries use it anyway).
	PlainHTTP bool
	// Insecure skips TLS verification.
	Insecure bool
	// CABundle is a PEM file of extra trusted CAs.
	CABundle string
	// StallTimeout abandons, and resumes where that is safe, a transfer moving
	// under 1 KiB/s for that long; 0 means [DefaultStallTimeout], a negative
	// value never.
	StallTimeout time.Duration
	// ChunkSize pushes blobs over 16 MiB in PATCHes of that many bytes (at
	// least 1 MiB), for proxies that cap request bodies; 0 means one streamed
	// request per blob. It applies where berth writes.
	ChunkSize uint64
	// Mirrors ("SRC_REGISTRY=HOST[/PREFIX]", e.g. an ECR pull-through cache)
	// read an image of SRC_REGISTRY through HOST/PREFIX/<repository>, and from
	// SRC_REGISTRY when the mirror cannot serve it. The sources of [Copy],
	// [Replicate] and [Index] and a [Build]'s base take them; every other
	// RegistryOptions (a destination, an export, inspection, SBOM, signing,
	// verification) refuses them with EInvalid.
	Mirrors []string
}

func (r *RegistryOptions) isZero() bool {
	return r.Creds == "" && !r.PlainHTTP && !r.Insecure && r.CABundle == "" && r.StallTimeout == 0 &&
		r.ChunkSize == 0 && len(r.Mirrors) == 0
}

// check refuses what C would misread; name is the field's, e.g. "Src".
func (r *RegistryOptions) check(name string) error {
	args := []namedString{{name + ".Creds", r.Creds}, {name + ".CABundle", r.CABundle}}
	for i, m := range r.Mirrors {
		args = append(args, namedString{name + ".Mirrors[" + strconv.Itoa(i) + "]", m})
	}
	if err := checkNUL(args); err != nil {
		return err
	}
	if r.ChunkSize != 0 && r.ChunkSize < 1<<20 {
		return invalid(name + ".ChunkSize must be 0 or at least 1 MiB")
	}
	return nil
}

// registry returns r as a berth_registry_options in C memory, freed with the
// strings — C memory because the options structs that point to it may live in
// Go memory, and cgo forbids Go pointers inside memory passed to C. The zero
// value is NULL (the defaults). The caller holds runtime.LockOSThread (a
// failing init reports through the thread's last error).
func (s *cStrings) registry(r *RegistryOptions) (*C.berth_registry_options, error) {
	if r == nil || r.isZero() {
		return nil, nil
	}
	ro := (*C.berth_registry_options)(C.calloc(1, C.size_t(unsafe.Sizeof(C.berth_registry_options{}))))
	if ro == nil {
		return nil, &Error{Code: ENoMem, Message: "berth_registry_options"}
	}
	*s = append(*s, (*C.char)(unsafe.Pointer(ro)))
	if rc := C.berth_registry_options_init(ro, C.BERTH_REGISTRY_OPTIONS_VERSION); rc != C.BERTH_OK {
		return nil, lastError(rc)
	}
	ro.creds = s.optional(r.Creds)
	ro.plain_http = cBool(r.PlainHTTP)
	ro.insecure = cBool(r.Insecure)
	ro.ca_bundle = s.optional(r.CABundle)
	ro.stall_timeout_ms = C.int64_t(durationMillis(r.StallTimeout))
	ro.chunk_size = C.uint64_t(r.ChunkSize)
	ro.mirrors, ro.n_mirrors = s.array(r.Mirrors)
	return ro, nil
}

// checkJobs refuses a Jobs outside 0..MaxJobs (0 means DefaultJobs).
func checkJobs(what string, jobs int) error {
	if jobs < 0 || jobs > MaxJobs {
		return invalid(what + ".Jobs must be 0.." + strconv.Itoa(MaxJobs) + " (0 means " +
			strconv.Itoa(DefaultJobs) + "), not " + strconv.Itoa(jobs))
	}
	return nil
}

// timeoutMillis is a call's time limit in milliseconds (0: none); negative is
// refused.
func timeoutMillis(what string, d time.Duration) (C.int64_t, error) {
	if d < 0 {
		return 0, invalid(what + ".Timeout must not be negative")
	}
	return C.int64_t(durationMillis(d)), nil
}

// seconds converts a result's "seconds" to a Duration.
func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second))
}
