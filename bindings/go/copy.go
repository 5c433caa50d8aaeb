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
	"time"
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
	Digest string // the blob or manifest concerned; "" for a layer being built
	Bytes  uint64 // bytes of this item moved so far
	Total  uint64 // size of this item; 0 while unknown (a layer being built)
	// OverallBytes of OverallTotal bytes of all items known so far have moved.
	// The total grows as manifests are read; it is final once the last blob of
	// the last image has started. It is 0 while unknown: a layer being built has
	// no size until it is complete.
	OverallBytes uint64
	OverallTotal uint64
}

// ImageFormat is the media types a copy writes (BERTH_FORMAT_*). Converting
// rewrites the manifests — media types of manifest, config and layers; index <->
// manifest list — so their digests change and [CopyResult].Digest is the new one;
// the blobs stay as they are. What cannot be converted (zstd or encrypted layers,
// artifacts and subjects to Docker, unknown types) fails with EUnsupported
// before anything is written.
type ImageFormat int32

const (
	// FormatAuto keeps the source's manifests, except that an image read from a
	// docker-archive (docker save stores no manifest) becomes OCI in an oci: or
	// oci-archive: destination.
	FormatAuto   ImageFormat = C.BERTH_FORMAT_AUTO
	FormatOCI    ImageFormat = C.BERTH_FORMAT_OCI    // OCI image manifests and indexes
	FormatDocker ImageFormat = C.BERTH_FORMAT_DOCKER // Docker schema 2 manifests and lists
)

// String returns "auto", "oci" or "docker" (the CLI's --format values), or
// "format_N" for a value berth does not know.
func (f ImageFormat) String() string {
	switch f {
	case FormatAuto:
		return "auto"
	case FormatOCI:
		return "oci"
	case FormatDocker:
		return "docker"
	}
	return "format_" + strconv.Itoa(int(f))
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
	// ExtraTags are more tags for the top manifest at the destination, each
	// written (after the main tag) only when it does not already point at the
	// digest. [Push] fills it from its tags.
	ExtraTags []string
	// Format chooses the media types written; the zero value is FormatAuto.
	// [Replicate] decides it per destination, [Index] per child.
	Format ImageFormat
	// Timeout bounds the whole operation (ETimeout); 0 means none. The ctx
	// deadline is honoured as well, between progress reports.
	Timeout time.Duration
	// StallTimeout abandons, and resumes where that is safe, a transfer moving
	// under 1 KiB/s for that long; 0 means 60 s, a negative value never.
	StallTimeout time.Duration
	// ChunkSize pushes blobs over 16 MiB in PATCHes of that many bytes, for
	// proxies that cap request bodies; 0 means one streamed request per blob.
	ChunkSize uint64
	// Referrers (signatures, SBOMs, attestations of each copied image) follow
	// unless NoReferrers; ArtifactTypes, when set, keeps only those types.
	NoReferrers   bool
	ArtifactTypes []string
	// CreateRepository creates a missing ECR destination repository first (with
	// the source repository's settings when the source is in ECR too), with the
	// AWS credentials of the environment, instead of failing with NAME_UNKNOWN.
	CreateRepository bool
	// Mirrors ("SRC_REGISTRY=HOST[/PREFIX]", e.g. an ECR pull-through cache) read
	// a registry source through the first mirror that serves it, else from
	// SRC_REGISTRY.
	Mirrors []string
	// SignKey (a cosign key file, password SignKeyPassword) signs the image once
	// it landed in a registry or an oci: layout, as `berth push --sign-key` does.
	// Copy and Push only; other calls refuse it.
	SignKey, SignKeyPassword string
}

// CopyResult is what a copy did.
type CopyResult struct {
	// Digest and MediaType describe the top manifest or index written: the
	// source's (berth copies manifests byte for byte) unless Format converted it,
	// then the new digest every tag points at.
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

// copyCall is one call of berth_copy, berth_replicate, berth_index or
// berth_export: its options in C form and what must outlive the call.
type copyCall struct {
	strs cStrings
	// co is an allocation of its own: cgo checks the whole Go object a pointer
	// argument points into, and copyCall itself holds Go pointers.
	co     *C.berth_copy_options
	state  *copyState
	handle cgo.Handle
}

// newCopyCall checks opts and the strings named in args, then fills the C
// options. The caller holds runtime.LockOSThread (a failing init reports
// through the thread's last error) and calls free.
func newCopyCall(ctx context.Context, what string, opts *CopyOptions, args ...namedString) (*copyCall, error) {
	if ctx == nil {
		return nil, invalid(what + " needs a non-nil context (use context.Background())")
	}
	if opts == nil {
		opts = &CopyOptions{}
	}
	args = append(args, namedString{"SrcCreds", opts.SrcCreds}, namedString{"DestCreds", opts.DestCreds},
		namedString{"CABundle", opts.CABundle}, namedString{"Platform", opts.Platform})
	for i, t := range opts.ArtifactTypes {
		args = append(args, namedString{"ArtifactTypes[" + strconv.Itoa(i) + "]", t})
	}
	for i, t := range opts.ExtraTags {
		args = append(args, namedString{"ExtraTags[" + strconv.Itoa(i) + "]", t})
	}
	for i, m := range opts.Mirrors {
		args = append(args, namedString{"Mirrors[" + strconv.Itoa(i) + "]", m})
	}
	if err := checkNUL(args); err != nil {
		return nil, err
	}
	jobs := opts.Jobs
	if jobs == 0 {
		jobs = 4
	}
	if jobs < 1 || jobs > math.MaxInt32 {
		return nil, invalid("Jobs must be at least 1 (0 means 4), not " + strconv.Itoa(opts.Jobs))
	}
	switch opts.Format {
	case FormatAuto, FormatOCI, FormatDocker:
	default:
		return nil, invalid("Format must be FormatAuto, FormatOCI or FormatDocker, not " + opts.Format.String())
	}
	if opts.Timeout < 0 {
		return nil, invalid("Timeout must not be negative")
	}
	if opts.ChunkSize != 0 && opts.ChunkSize < 1<<20 {
		return nil, invalid("ChunkSize must be 0 or at least 1 MiB")
	}
	if err := notStarted(ctx, what); err != nil {
		return nil, err
	}

	c := &copyCall{co: new(C.berth_copy_options)}
	co := c.co
	if rc := C.berth_copy_options_init(co, C.BERTH_COPY_OPTIONS_VERSION); rc != C.BERTH_OK {
		c.free()
		return nil, lastError(rc)
	}
	co.src_creds = c.strs.optional(opts.SrcCreds)
	co.dst_creds = c.strs.optional(opts.DestCreds)
	co.src_plain_http = cBool(opts.PlainHTTP || opts.SrcPlainHTTP)
	co.dst_plain_http = cBool(opts.PlainHTTP || opts.DestPlainHTTP)
	co.src_insecure = cBool(opts.Insecure || opts.SrcInsecure)
	co.dst_insecure = cBool(opts.Insecure || opts.DestInsecure)
	bundle := c.strs.optional(opts.CABundle)
	co.src_ca_bundle, co.dst_ca_bundle = bundle, bundle
	co.platform = c.strs.optional(opts.Platform)
	co.jobs = C.int32_t(jobs)
	co.extra_tags, co.n_extra_tags = c.strs.array(opts.ExtraTags)
	co.format = C.int32_t(opts.Format)
	co.timeout_ms = C.int64_t(durationMillis(opts.Timeout))
	co.stall_timeout_ms = C.int64_t(durationMillis(opts.StallTimeout))
	co.chunk_size = C.uint64_t(opts.ChunkSize)
	co.no_referrers = cBool(opts.NoReferrers)
	co.artifact_types, co.n_artifact_types = c.strs.array(opts.ArtifactTypes)
	co.create_repository = cBool(opts.CreateRepository)
	co.mirrors, co.n_mirrors = c.strs.array(opts.Mirrors)
	co.sign_key = c.strs.optional(opts.SignKey)
	co.sign_key_password = c.strs.optional(opts.SignKeyPassword)

	// The callback is needed for the Progress func and to notice the end of ctx;
	// context.Background() and friends never end, so they need none.
	if opts.Progress != nil || ctx.Done() != nil {
		c.state = &copyState{ctx: ctx, fn: opts.Progress}
		c.handle = cgo.NewHandle(c.state)
		C.berth_go_set_progress(co, C.uintptr_t(c.handle))
	}
	return c, nil
}

// free releases the C strings and the handle; berth has made its last
// callback once its call returned.
func (c *copyCall) free() {
	c.strs.free()
	if c.handle != 0 {
		c.handle.Delete()
		c.handle = 0
	}
}

// finish turns rc into the call's error. It runs on the OS thread of the call,
// before any other berth call on it, and re-raises a panic of the Progress func.
func (c *copyCall) finish(rc C.int) error {
	var err error
	if rc != C.BERTH_OK {
		err = lastError(rc) // before any other berth call on this thread
	}
	return c.state.settle(err)
}

// settle orders every callback before what follows, re-raises a panic of the
// Progress func and attaches the context's error to a cancellation.
func (s *copyState) settle(err error) error {
	if s == nil {
		return err
	}
	s.mu.Lock()
	panicked, panicVal, ctxErr := s.panicked, s.panicVal, s.ctxErr
	s.mu.Unlock()
	if panicked {
		panic(panicVal)
	}
	if be, ok := err.(*Error); ok && be.Code == ECancelled && ctxErr != nil {
		be.cause = ctxErr
	}
	return err
}

type namedString struct{ name, v string }

// checkNUL refuses strings that C would silently cut at a NUL byte.
func checkNUL(args []namedString) error {
	for _, f := range args {
		if strings.IndexByte(f.v, 0) >= 0 {
			return invalid(f.name + " contains a NUL byte")
		}
	}
	return nil
}

func copyResult(res *C.berth_copy_result) CopyResult {
	return CopyResult{
		Digest:       C.GoString(&res.digest[0]),
		MediaType:    C.GoString(&res.media_type[0]),
		BytesCopied:  uint64(res.bytes_copied),
		BlobsCopied:  int(res.blobs_copied),
		BlobsSkipped: int(res.blobs_skipped),
		BlobsMounted: int(res.blobs_mounted),
		Manifests:    int(res.manifests),
	}
}

// Copy copies an image or index from src to dst and reports what it did.
//
// src and dst use skopeo's transports: "docker://HOST/REPO:TAG" (or @sha256:...;
// a bare reference means the same) and "oci:DIR[:TAG]" for an OCI image layout.
// Blobs the destination has are skipped, blobs in another repository of the
// same registry are mounted, the rest stream with opts.Jobs in parallel; the
// destination tag is written last, after everything it references arrived and
// verified, then opts.ExtraTags. opts may be nil.
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
	// berth_last_error() is thread-local: the failing call and the read of its
	// error must happen on the same OS thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c, err := newCopyCall(ctx, "Copy", opts, namedString{"src", src}, namedString{"dst", dst})
	if err != nil {
		return nil, err
	}
	defer c.free()
	var res C.berth_copy_result
	rc := C.berth_copy(c.strs.add(src), c.strs.add(dst), c.co, &res)
	if err := c.finish(rc); err != nil {
		return nil, err
	}
	r := copyResult(&res)
	return &r, nil
}

// Push copies src to the registry reference ref ("HOST/REPO:TAG"; docker://
// may be given) and tags it with tags too, like "berth push --tag". Without a
// tag in ref the first of tags is the main one; one of the two is needed. The
// main tag is written once every blob arrived, then each other tag that does
// not already point at the digest. opts (may be nil) is as for [Copy]; its
// ExtraTags are added to tags.
func Push(ctx context.Context, src, ref string, tags []string, opts *CopyOptions) (*CopyResult, error) {
	var o CopyOptions
	if opts != nil {
		o = *opts
	}
	all := append(append([]string(nil), tags...), o.ExtraTags...)
	for _, t := range all {
		if !validTag(t) {
			return nil, invalid("invalid tag " + strconv.Quote(t))
		}
	}
	dst := ref
	if !strings.Contains(dst, "://") {
		dst = "docker://" + dst
	}
	main, hasDigest := refTag(dst)
	if main == "" && !hasDigest {
		if len(all) == 0 {
			return nil, invalid("Push needs a tag: " + strconv.Quote(ref) + " has none and tags is empty")
		}
		main = all[0]
		dst += ":" + main
	}
	seen := map[string]bool{main: true}
	o.ExtraTags = nil
	for _, t := range all {
		if !seen[t] {
			seen[t] = true
			o.ExtraTags = append(o.ExtraTags, t)
		}
	}
	return Copy(ctx, src, dst, &o)
}

// refTag returns the tag of a docker reference and whether it names a digest.
func refTag(ref string) (tag string, digest bool) {
	name := strings.TrimPrefix(ref, "docker://")
	if strings.Contains(name, "@") {
		return "", true
	}
	if colon := strings.LastIndexByte(name, ':'); colon > strings.LastIndexByte(name, '/') {
		return name[colon+1:], false
	}
	return "", false
}

// validTag reports whether t is a tag as the distribution spec allows it:
// [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
func validTag(t string) bool {
	if t == "" || len(t) > 128 || t[0] == '.' || t[0] == '-' {
		return false
	}
	for _, c := range []byte(t) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// Replicate copies one source to every destination of dsts, reading each blob
// once: it streams to every destination that lacks it, and destinations on the
// source's registry mount it instead. It returns one CopyResult per
// destination, in the order of dsts. opts is as for [Copy]; its Dest* fields
// apply to every destination.
func Replicate(ctx context.Context, src string, dsts []string, opts *CopyOptions) ([]CopyResult, error) {
	if err := CheckABI(); err != nil {
		return nil, err
	}
	if len(dsts) == 0 {
		return nil, invalid("Replicate needs at least one destination")
	}
	args := []namedString{{"src", src}}
	for i, d := range dsts {
		args = append(args, namedString{"dsts[" + strconv.Itoa(i) + "]", d})
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c, err := newCopyCall(ctx, "Replicate", opts, args...)
	if err != nil {
		return nil, err
	}
	defer c.free()
	cdsts, n := c.strs.array(dsts)
	res := make([]C.berth_copy_result, len(dsts)) // plain data: Go memory is fine
	rc := C.berth_replicate(&res[0], c.strs.add(src), cdsts, n, c.co)
	if err := c.finish(rc); err != nil {
		return nil, err
	}
	out := make([]CopyResult, len(res))
	for i := range res {
		out[i] = copyResult(&res[i])
	}
	return out, nil
}

// Index assembles a multi-arch index from the images srcs (children by digest,
// platforms from their configs; an index among srcs contributes its entries)
// and tags it at dst (and opts.ExtraTags). opts is as for [Copy].
func Index(ctx context.Context, srcs []string, dst string, opts *CopyOptions) (*CopyResult, error) {
	if err := CheckABI(); err != nil {
		return nil, err
	}
	if len(srcs) == 0 {
		return nil, invalid("Index needs at least one source image")
	}
	args := []namedString{{"dst", dst}}
	for i, s := range srcs {
		args = append(args, namedString{"srcs[" + strconv.Itoa(i) + "]", s})
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c, err := newCopyCall(ctx, "Index", opts, args...)
	if err != nil {
		return nil, err
	}
	defer c.free()
	csrcs, n := c.strs.array(srcs)
	var res C.berth_copy_result
	rc := C.berth_index(&res, csrcs, n, c.strs.add(dst), c.co)
	if err := c.finish(rc); err != nil {
		return nil, err
	}
	r := copyResult(&res)
	return &r, nil
}

// durationMillis rounds a positive duration up to whole milliseconds, so that a
// sub-millisecond value is not read as "unset"; negative stays negative.
func durationMillis(d time.Duration) int64 {
	if d > 0 {
		return int64((d + time.Millisecond - 1) / time.Millisecond)
	}
	if d < 0 {
		return -1
	}
	return 0
}

// ExportOptions configures [Export]. The zero value (or nil) reads the source
// with the docker keychain's credentials and TLS verification, and applies the
// decompression-bomb caps: 64 GiB of files, 200 bytes written per compressed byte
// (checked while streaming, past the first 16 MiB).
type ExportOptions struct {
	Platform  string // "os/arch[/variant]": the image of an index to export
	SrcCreds  string // "USER:PASSWORD", overriding the docker keychain
	PlainHTTP bool   // http:// for the source registry
	Insecure  bool   // skip TLS verification
	CABundle  string // PEM file of extra trusted CAs
	// MaxSize caps the bytes of all files (ETooLarge); 0 means 64 GiB.
	MaxSize uint64
	// MaxExpansionRatio caps bytes written per compressed byte read (ETooLarge);
	// 0 means 200, a negative value turns the check off.
	MaxExpansionRatio float64
	// Devices creates character and block devices (as root, mode 0600 at most);
	// by default they are skipped.
	Devices bool
	// Timeout and StallTimeout are as in [CopyOptions].
	Timeout, StallTimeout time.Duration
}

// Export flattens the image src into the directory dir, like "docker export":
// layers are applied in order with their whiteouts, and anything that would
// land outside dir (absolute or ".." paths, links leading out) fails with
// EUnsafe. ctx is checked before the call only.
func Export(ctx context.Context, src, dir string, opts *ExportOptions) error {
	if err := CheckABI(); err != nil {
		return err
	}
	if opts == nil {
		opts = &ExportOptions{}
	}
	if dir == "" {
		return invalid("Export needs a directory")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c, err := newCopyCall(ctx, "Export", &CopyOptions{Platform: opts.Platform, SrcCreds: opts.SrcCreds,
		SrcPlainHTTP: opts.PlainHTTP, SrcInsecure: opts.Insecure, CABundle: opts.CABundle,
		Timeout: opts.Timeout, StallTimeout: opts.StallTimeout},
		namedString{"src", src}, namedString{"dir", dir})
	if err != nil {
		return err
	}
	defer c.free()
	c.co.max_total_bytes = C.uint64_t(opts.MaxSize)
	c.co.max_expansion_ratio = C.double(opts.MaxExpansionRatio)
	c.co.devices = cBool(opts.Devices)
	return c.finish(C.berth_export(c.strs.add(src), c.strs.add(dir), c.co))
}
