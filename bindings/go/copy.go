package berth

/*
#include <stdint.h>
#include <stdlib.h>
#include <berth.h>

// Defined in copy_callback.go (//export berthGoProgress).
extern int berthGoProgress(berth_progress *p, uintptr_t handle);

// berth calls this from its worker threads; it hands the event and the
// runtime/cgo.Handle of the Go state to the exported Go function.
static int berth_go_progress_trampoline(const berth_progress *p, void *user_data) {
	return berthGoProgress((berth_progress *)p, (uintptr_t)user_data);
}

// Installs the trampoline. The handle travels as user_data, an integer and not a
// Go pointer, so the cgo pointer rules hold and go vet has nothing to flag.
static void berth_go_set_progress(berth_copy_options *opts, uintptr_t handle) {
	opts->progress = berth_go_progress_trampoline;
	opts->progress_user_data = (void *)handle;
}
*/
import "C"

import (
	"context"
	"math"
	"runtime"
	"runtime/cgo"
	"strconv"
	"strings"
	"sync"
)

// ProgressEvent says what a [Progress] report is about (BERTH_PROGRESS_*).
type ProgressEvent int

// Progress events. A newer libberth may report others; their String is "event_N".
const (
	BlobStarted  ProgressEvent = C.BERTH_PROGRESS_BLOB_STARTED  // a blob transfer begins (Total known)
	BlobProgress ProgressEvent = C.BERTH_PROGRESS_BLOB_PROGRESS // more bytes of the blob moved
	BlobDone     ProgressEvent = C.BERTH_PROGRESS_BLOB_DONE     // the blob is stored at the destination
	BlobSkipped  ProgressEvent = C.BERTH_PROGRESS_BLOB_SKIPPED  // the destination already had it
	BlobMounted  ProgressEvent = C.BERTH_PROGRESS_BLOB_MOUNTED  // mounted from another repository
	ManifestDone ProgressEvent = C.BERTH_PROGRESS_MANIFEST_DONE // a manifest or index was written
)

var eventNames = [...]string{
	BlobStarted:  "blob_started",
	BlobProgress: "blob_progress",
	BlobDone:     "blob_done",
	BlobSkipped:  "blob_skipped",
	BlobMounted:  "blob_mounted",
	ManifestDone: "manifest_done",
}

// String returns the event's name as the Python binding reports it, e.g.
// "blob_done".
func (e ProgressEvent) String() string {
	if e >= 0 && int(e) < len(eventNames) {
		return eventNames[e]
	}
	return "event_" + strconv.Itoa(int(e))
}

// Progress is one report of a running copy.
type Progress struct {
	Event  ProgressEvent
	Digest string // the blob or manifest concerned
	Bytes  uint64 // bytes of this item moved so far
	Total  uint64 // size of this item
	// OverallBytes of OverallTotal bytes of all items known so far have moved.
	// The total grows as manifests are read; it is final once the last blob of
	// the last image has started.
	OverallBytes uint64
	OverallTotal uint64
}

// CopyOptions configures [Copy]. The zero value (or a nil *CopyOptions) copies
// with the docker keychain's credentials, TLS verification and 4 parallel blob
// transfers.
type CopyOptions struct {
	// SrcCreds and DestCreds are "USER:PASSWORD", overriding the docker keychain
	// (config.json, credential helpers) for the source and destination registry.
	SrcCreds, DestCreds string
	// PlainHTTP uses http:// for both registries, SrcPlainHTTP and DestPlainHTTP
	// for one. Loopback registries use plain HTTP anyway.
	PlainHTTP, SrcPlainHTTP, DestPlainHTTP bool
	// Insecure skips TLS verification for both registries, SrcInsecure and
	// DestInsecure for one.
	Insecure, SrcInsecure, DestInsecure bool
	// CABundle is a PEM file of extra trusted CAs, for both registries.
	CABundle string
	// Platform ("os/arch[/variant]") copies only that image of an index; "" copies
	// the whole index.
	Platform string
	// Jobs is the number of parallel blob transfers; 0 means 4.
	Jobs int
	// Progress, when set, receives every progress report; returning true cancels
	// the copy, which then fails with ECancelled. It is called from libberth's
	// threads, never two calls at once, and each call happens before the next
	// and before Copy returns, so it may update the caller's variables without
	// locking. A panic in it cancels the copy and is re-raised by Copy once
	// libberth has stopped. It must not call runtime.Goexit (t.Fatal, t.FailNow,
	// t.SkipNow): it does not run on a goroutine of its own.
	Progress func(Progress) bool
}

// CopyResult is what a copy did.
type CopyResult struct {
	// Digest and MediaType describe the top manifest or index written; berth
	// copies manifests byte for byte, so the digest is the source's.
	Digest    string
	MediaType string
	// BytesCopied counts the bytes of the blobs that were sent; skipped and
	// mounted blobs move none.
	BytesCopied  uint64
	BlobsCopied  int
	BlobsSkipped int // the destination already had them
	BlobsMounted int // mounted from another repository of the same registry
	// Manifests counts the manifests and indexes written. A copy onto a tag that
	// already names the digest writes nothing and reports zeros.
	Manifests int
}

// copyState is what the progress trampoline reaches through its cgo.Handle.
type copyState struct {
	ctx context.Context
	fn  func(Progress) bool

	mu       sync.Mutex // berth never overlaps calls; this also orders them for Go
	stopped  bool
	ctxErr   error // the context's error when it cancelled the copy
	panicked bool
	panicVal any
}

func (s *copyState) report(p *C.berth_progress) (rc C.int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return 1
	}
	if err := s.ctx.Err(); err != nil {
		s.stopped, s.ctxErr = true, err
		return 1
	}
	if s.fn == nil {
		return 0
	}
	ev := Progress{
		Event:        ProgressEvent(p.event),
		Digest:       C.GoString(p.digest),
		Bytes:        uint64(p.bytes),
		Total:        uint64(p.total),
		OverallBytes: uint64(p.overall_bytes),
		OverallTotal: uint64(p.overall_total),
	}
	// A panic must not unwind into libberth's C++ frames: it is kept, the copy
	// is cancelled, and Copy re-raises it on the caller's goroutine.
	defer func() {
		if r := recover(); r != nil {
			s.stopped, s.panicked, s.panicVal = true, true, r
			rc = 1
		}
	}()
	if s.fn(ev) {
		s.stopped = true
		return 1
	}
	return 0
}

// Copy copies an image or index from src to dst and reports what it did.
//
// src and dst use skopeo's transports: "docker://HOST/REPO:TAG" (or @sha256:...;
// a bare reference means the same) and "oci:DIR[:TAG]" for an OCI image layout.
// Blobs the destination has are skipped, blobs in another repository of the
// same registry are mounted, the rest stream with opts.Jobs in parallel; the
// destination tag is written last, after everything it references arrived and
// verified. opts may be nil.
//
// Copy blocks its goroutine (and OS thread) until libberth returns. When ctx
// ends, the copy stops at libberth's next progress report (reports come with
// every chunk of a blob moved) and fails with an *Error of code ECancelled that
// unwraps to ctx.Err(). A copy that completes is reported as such even if ctx
// ended after its last report.
//
// Errors are *Error: EInvalid (bad reference or option), ENotFound, EAuth,
// EDenied, ENetwork, EDigest, ECancelled, ...
func Copy(ctx context.Context, src, dst string, opts *CopyOptions) (*CopyResult, error) {
	if err := CheckABI(); err != nil {
		return nil, err
	}
	if ctx == nil {
		return nil, invalid("Copy needs a non-nil context (use context.Background())")
	}
	if opts == nil {
		opts = &CopyOptions{}
	}
	for _, f := range []struct{ name, v string }{
		{"src", src}, {"dst", dst}, {"SrcCreds", opts.SrcCreds}, {"DestCreds", opts.DestCreds},
		{"CABundle", opts.CABundle}, {"Platform", opts.Platform},
	} {
		if strings.IndexByte(f.v, 0) >= 0 {
			return nil, invalid(f.name + " contains a NUL byte")
		}
	}
	jobs := opts.Jobs
	if jobs == 0 {
		jobs = 4
	}
	if jobs < 1 || jobs > math.MaxInt32 {
		return nil, invalid("Jobs must be at least 1 (0 means 4), not " + strconv.Itoa(opts.Jobs))
	}
	if err := ctx.Err(); err != nil {
		return nil, &Error{Code: ECancelled, Message: "the context ended before the copy started", cause: err}
	}

	var strs cStrings
	defer strs.free()
	optional := func(v string) *C.char {
		if v == "" {
			return nil
		}
		return strs.add(v)
	}
	csrc, cdst := strs.add(src), strs.add(dst)

	// berth_last_error() is thread-local: the failing call and the read of its
	// error must happen on the same OS thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	var co C.berth_copy_options
	if rc := C.berth_copy_options_init(&co, C.BERTH_COPY_OPTIONS_VERSION); rc != C.BERTH_OK {
		return nil, lastError(rc)
	}
	co.src_creds = optional(opts.SrcCreds)
	co.dst_creds = optional(opts.DestCreds)
	co.src_plain_http = cBool(opts.PlainHTTP || opts.SrcPlainHTTP)
	co.dst_plain_http = cBool(opts.PlainHTTP || opts.DestPlainHTTP)
	co.src_insecure = cBool(opts.Insecure || opts.SrcInsecure)
	co.dst_insecure = cBool(opts.Insecure || opts.DestInsecure)
	bundle := optional(opts.CABundle)
	co.src_ca_bundle, co.dst_ca_bundle = bundle, bundle
	co.platform = optional(opts.Platform)
	co.jobs = C.int32_t(jobs)

	// The callback is needed for the Progress func and to notice the end of ctx;
	// context.Background() and friends never end, so they need none.
	var state *copyState
	if opts.Progress != nil || ctx.Done() != nil {
		state = &copyState{ctx: ctx, fn: opts.Progress}
		h := cgo.NewHandle(state)
		// berth_copy returns only after its last callback, so the handle may go.
		defer h.Delete()
		C.berth_go_set_progress(&co, C.uintptr_t(h))
	}

	var res C.berth_copy_result
	rc := C.berth_copy(csrc, cdst, &co, &res)
	var err error
	if rc != C.BERTH_OK {
		err = lastError(rc) // before any other berth call on this thread
	}
	if state != nil {
		state.mu.Lock() // orders every callback before what follows
		panicked, panicVal, ctxErr := state.panicked, state.panicVal, state.ctxErr
		state.mu.Unlock()
		if panicked {
			panic(panicVal)
		}
		if be, ok := err.(*Error); ok && be.Code == ECancelled && ctxErr != nil {
			be.cause = ctxErr
		}
	}
	if err != nil {
		return nil, err
	}
	return &CopyResult{
		Digest:       C.GoString(&res.digest[0]),
		MediaType:    C.GoString(&res.media_type[0]),
		BytesCopied:  uint64(res.bytes_copied),
		BlobsCopied:  int(res.blobs_copied),
		BlobsSkipped: int(res.blobs_skipped),
		BlobsMounted: int(res.blobs_mounted),
		Manifests:    int(res.manifests),
	}, nil
}
