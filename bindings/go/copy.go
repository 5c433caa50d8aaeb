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

// As berth_go_set_progress, for index options.
static void berth_go_set_index_progress(berth_index_options *opts, uintptr_t handle) {
	opts->progress = berth_go_progress_trampoline;
	opts->progress_user_data = (void *)handle;
}
*/
import "C"

import (
	"context"
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

// CopyOptions configures [Copy], [Push] and [Replicate]. The zero value (or a
// nil *CopyOptions) copies with the docker keychain's credentials, TLS
// verification and [DefaultJobs] parallel blob transfers.
type CopyOptions struct {
	// Src and Dst say how to reach the source and destination registries
	// (credentials, plain HTTP, TLS, stall timeout, chunking, mirrors). Dst
	// applies to every destination of [Replicate]; Dst.Mirrors is refused
	// (EInvalid): nothing is read there.
	Src, Dst RegistryOptions
	// Platform ("os/arch[/variant]") copies only that image of an index; "" copies
	// the whole index.
	Platform string
	// Jobs is the number of parallel blob transfers, at most [MaxJobs]; 0 means
	// [DefaultJobs].
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
	// [Replicate] decides it per destination.
	Format ImageFormat
	// Timeout bounds the whole operation (ETimeout); 0 means none. The ctx
	// deadline is honoured as well (ECancelled unwrapping to ctx.Err()).
	Timeout time.Duration
	// Referrers (signatures, SBOMs, attestations of each copied image) follow
	// unless NoReferrers; ArtifactTypes, when set, keeps only those types.
	NoReferrers   bool
	ArtifactTypes []string
	// CreateRepository creates a missing ECR destination repository first (with
	// the source repository's settings when the source is in ECR too), with the
	// AWS credentials of the environment, instead of failing with NAME_UNKNOWN.
	CreateRepository bool
	// SignKey (a cosign key file, password SignKeyPassword) signs the image once
	// it landed in a registry or an oci: layout, as `berth push --sign-key` does;
	// [CopyResult].Signature says where the signature lives. Copy and Push only:
	// Replicate refuses it.
	SignKey, SignKeyPassword string
}

// CopyResult is what a copy (or an [Index]) did.
type CopyResult struct {
	// Digest and MediaType describe the top manifest or index written: the
	// source's (berth copies manifests byte for byte) unless Format converted it,
	// then the new digest every tag points at.
	Digest    string `json:"digest"`
	MediaType string `json:"mediaType"`
	// BytesCopied counts the bytes of the blobs that were sent; skipped and
	// mounted blobs move none.
	BytesCopied  uint64 `json:"bytesCopied"`
	BlobsCopied  int    `json:"blobsCopied"`
	BlobsSkipped int    `json:"blobsSkipped"` // the destination already had them
	BlobsMounted int    `json:"blobsMounted"` // mounted from another repository of the same registry
	// Manifests counts the manifests and indexes written. A copy onto a tag that
	// already names the digest writes nothing and reports zeros.
	Manifests int `json:"manifests"`
	// Referrers counts the referrer manifests (signatures, SBOMs, attestations)
	// copied or already there, cosign's digest tags included; DigestTags those
	// of them under cosign's "sha256-<hex>.sig|.att|.sbom" tags.
	Referrers  int `json:"referrers"`
	DigestTags int `json:"digestTags"`
	// Warnings say what was left out and why (referrers that could not be
	// listed); the copy itself succeeded.
	Warnings []string `json:"warnings"`
	// Mirror is the source as read through a mirror ([RegistryOptions].Mirrors),
	// "" when it was read from where it lives.
	Mirror string `json:"mirror"`
	// Signature is where the signature of [CopyOptions].SignKey lives
	// (REPO:sha256-<hex>.sig), "" without one.
	Signature string `json:"signature"`
	// Duration is how long the call took.
	Duration time.Duration `json:"-"`
}

// copyJSON is CopyResult as libberth's JSON has it ("seconds" a number).
type copyJSON struct {
	CopyResult
	Seconds float64 `json:"seconds"`
}

func (j *copyJSON) result() CopyResult {
	r := j.CopyResult
	r.Duration = seconds(j.Seconds)
	return r
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

// progressCall is the Go side of one call that reports progress (copy,
// replicate, index, build): the state the trampoline reaches through its
// cgo.Handle. A nil *progressCall needs no callback.
type progressCall struct {
	state  *copyState
	handle cgo.Handle
}

// newProgress returns the progress state when fn is set or ctx can end;
// context.Background() and friends never end, so they need no callback.
func newProgress(ctx context.Context, fn func(Progress) bool) *progressCall {
	if fn == nil && ctx.Done() == nil {
		return nil
	}
	p := &progressCall{state: &copyState{ctx: ctx, fn: fn}}
	p.handle = cgo.NewHandle(p.state)
	return p
}

// free deletes the handle; berth has made its last callback once its call
// returned.
func (p *progressCall) free() {
	if p != nil && p.handle != 0 {
		p.handle.Delete()
		p.handle = 0
	}
}

// finish turns rc into the call's error. It runs on the OS thread of the call,
// before any other berth call on it, and re-raises a panic of the Progress func.
func (p *progressCall) finish(rc C.int) error {
	var err error
	if rc != C.BERTH_OK {
		err = lastError(rc) // before any other berth call on this thread
	}
	if p == nil {
		return err
	}
	return p.state.settle(err)
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

// decodeCopy decodes one copy result (of berth_copy or berth_index).
func decodeCopy(what, raw string) (*CopyResult, error) {
	var j copyJSON
	if err := decodeReply(what, raw, &j); err != nil {
		return nil, err
	}
	r := j.result()
	return &r, nil
}

// copyCall is one call of berth_copy or berth_replicate: its options in C form
// and what must outlive the call.
type copyCall struct {
	strs cStrings
	// co is an allocation of its own: cgo checks the whole Go object a pointer
	// argument points into, and copyCall itself holds Go pointers.
	co       *C.berth_copy_options
	progress *progressCall
}

// newCopyCall checks opts and the strings named in args, then fills the C
// options. The caller holds runtime.LockOSThread (a failing init reports
// through the thread's last error) and calls free, also after an error.
func newCopyCall(ctx context.Context, what string, opts *CopyOptions, args ...namedString) (*copyCall, error) {
	c := &copyCall{}
	if ctx == nil {
		return c, invalid(what + " needs a non-nil context (use context.Background())")
	}
	if opts == nil {
		opts = &CopyOptions{}
	}
	args = append(args, namedString{"Platform", opts.Platform}, namedString{"SignKey", opts.SignKey},
		namedString{"SignKeyPassword", opts.SignKeyPassword})
	for i, t := range opts.ArtifactTypes {
		args = append(args, namedString{"ArtifactTypes[" + strconv.Itoa(i) + "]", t})
	}
	for i, t := range opts.ExtraTags {
		args = append(args, namedString{"ExtraTags[" + strconv.Itoa(i) + "]", t})
	}
	if err := checkNUL(args); err != nil {
		return c, err
	}
	if err := opts.Src.check("Src"); err != nil {
		return c, err
	}
	if err := opts.Dst.check("Dst"); err != nil {
		return c, err
	}
	if err := checkJobs("CopyOptions", opts.Jobs); err != nil {
		return c, err
	}
	if err := checkFormat(opts.Format); err != nil {
		return c, err
	}
	timeout, err := timeoutMillis("CopyOptions", opts.Timeout)
	if err != nil {
		return c, err
	}
	if err := notStarted(ctx, what); err != nil {
		return c, err
	}

	c.co = new(C.berth_copy_options)
	co := c.co
	if rc := C.berth_copy_options_init(co, C.BERTH_COPY_OPTIONS_VERSION); rc != C.BERTH_OK {
		return c, lastError(rc)
	}
	if co.src, err = c.strs.registry(&opts.Src); err != nil {
		return c, err
	}
	if co.dst, err = c.strs.registry(&opts.Dst); err != nil {
		return c, err
	}
	co.platform = c.strs.optional(opts.Platform)
	co.jobs = C.int32_t(opts.Jobs) // 0: BERTH_DEFAULT_JOBS
	co.format = C.int32_t(opts.Format)
	co.timeout_ms = timeout
	co.extra_tags, co.n_extra_tags = c.strs.array(opts.ExtraTags)
	co.no_referrers = cBool(opts.NoReferrers)
	co.artifact_types, co.n_artifact_types = c.strs.array(opts.ArtifactTypes)
	co.create_repository = cBool(opts.CreateRepository)
	co.sign_key = c.strs.optional(opts.SignKey)
	co.sign_key_password = c.strs.optional(opts.SignKeyPassword)
	if c.progress = newProgress(ctx, opts.Progress); c.progress != nil {
		C.berth_go_set_progress(co, C.uintptr_t(c.progress.handle))
	}
	return c, nil
}

func (c *copyCall) free() {
	c.strs.free()
	c.progress.free()
}

func checkFormat(f ImageFormat) error {
	switch f {
	case FormatAuto, FormatOCI, FormatDocker:
		return nil
	}
	return invalid("Format must be FormatAuto, FormatOCI or FormatDocker, not " + f.String())
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
// ends, the copy stops within about a second, even while a registry sends
// nothing, and fails with an *Error of code ECancelled that unwraps to
// ctx.Err(). A copy that completes is reported as such even if ctx ended at
// its very end.
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
	cc := cancelOnDone(ctx) // ctx ending stops the call (ECancelled wrapping ctx.Err())
	defer cc.release()
	c, err := newCopyCall(ctx, "Copy", opts, namedString{"src", src}, namedString{"dst", dst})
	defer c.free()
	if err != nil {
		return nil, err
	}
	var out *C.char
	rc := C.berth_copy(&out, c.strs.add(src), c.strs.add(dst), c.co)
	err = cc.wrap(c.progress.finish(rc)) // before any other berth call on this thread
	raw := takeReply(out)
	if err != nil {
		return nil, err
	}
	return decodeCopy("Copy", raw)
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
// destination, in the order of dsts. opts is as for [Copy]; its Dst applies to
// every destination, and SignKey is refused.
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
	cc := cancelOnDone(ctx) // ctx ending stops the call (ECancelled wrapping ctx.Err())
	defer cc.release()
	c, err := newCopyCall(ctx, "Replicate", opts, args...)
	defer c.free()
	if err != nil {
		return nil, err
	}
	cdsts, n := c.strs.array(dsts)
	var out *C.char
	rc := C.berth_replicate(&out, c.strs.add(src), cdsts, n, c.co)
	err = cc.wrap(c.progress.finish(rc))
	raw := takeReply(out)
	if err != nil {
		return nil, err
	}
	var r struct {
		Results []copyJSON `json:"results"`
	}
	if err := decodeReply("Replicate", raw, &r); err != nil {
		return nil, err
	}
	if len(r.Results) != len(dsts) {
		return nil, &Error{Code: EProtocol, Message: "Replicate: libberth returned " +
			strconv.Itoa(len(r.Results)) + " results for " + strconv.Itoa(len(dsts)) + " destinations"}
	}
	res := make([]CopyResult, len(r.Results))
	for i := range r.Results {
		res[i] = r.Results[i].result()
	}
	return res, nil
}

// IndexOptions configures [Index]. The zero value (or nil) reads and writes
// with the docker keychain's credentials and verified TLS.
type IndexOptions struct {
	// Src reaches the source images, Dst the index's registry.
	Src, Dst RegistryOptions
	// Jobs is the number of parallel blob transfers, at most [MaxJobs]; 0 means
	// [DefaultJobs].
	Jobs int
	// Format chooses the media types of each child and of the index.
	Format ImageFormat
	// Timeout bounds the whole operation; 0 means none.
	Timeout time.Duration
	// Progress is as for [CopyOptions.Progress].
	Progress func(Progress) bool
	// ExtraTags are more tags for the index.
	ExtraTags []string
	// Annotations go on the index, which is then always an OCI image index
	// (Docker manifest lists have none).
	Annotations map[string]string
}

// Index assembles a multi-arch index from the images srcs (children by digest,
// platforms from their configs; an index among srcs contributes its entries)
// and tags it at dst (and opts.ExtraTags). opts may be nil; the context ends
// the call at libberth's next progress report, as for [Copy].
func Index(ctx context.Context, srcs []string, dst string, opts *IndexOptions) (*CopyResult, error) {
	if err := CheckABI(); err != nil {
		return nil, err
	}
	if ctx == nil {
		return nil, invalid("Index needs a non-nil context (use context.Background())")
	}
	if len(srcs) == 0 {
		return nil, invalid("Index needs at least one source image")
	}
	if opts == nil {
		opts = &IndexOptions{}
	}
	annotations, err := keyValues(opts.Annotations, "Annotations")
	if err != nil {
		return nil, err
	}
	args := []namedString{{"dst", dst}}
	for _, list := range []struct {
		name string
		vals []string
	}{{"srcs", srcs}, {"ExtraTags", opts.ExtraTags}, {"Annotations", annotations}} {
		for i, v := range list.vals {
			args = append(args, namedString{list.name + "[" + strconv.Itoa(i) + "]", v})
		}
	}
	if err := checkNUL(args); err != nil {
		return nil, err
	}
	if err := opts.Src.check("Src"); err != nil {
		return nil, err
	}
	if err := opts.Dst.check("Dst"); err != nil {
		return nil, err
	}
	if err := checkJobs("IndexOptions", opts.Jobs); err != nil {
		return nil, err
	}
	if err := checkFormat(opts.Format); err != nil {
		return nil, err
	}
	timeout, err := timeoutMillis("IndexOptions", opts.Timeout)
	if err != nil {
		return nil, err
	}
	if err := notStarted(ctx, "Index"); err != nil {
		return nil, err
	}

	var strs cStrings
	defer strs.free()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cc := cancelOnDone(ctx) // ctx ending stops the call (ECancelled wrapping ctx.Err())
	defer cc.release()
	io := new(C.berth_index_options)
	if rc := C.berth_index_options_init(io, C.BERTH_INDEX_OPTIONS_VERSION); rc != C.BERTH_OK {
		return nil, lastError(rc)
	}
	if io.src, err = strs.registry(&opts.Src); err != nil {
		return nil, err
	}
	if io.dst, err = strs.registry(&opts.Dst); err != nil {
		return nil, err
	}
	io.jobs = C.int32_t(opts.Jobs)
	io.format = C.int32_t(opts.Format)
	io.timeout_ms = timeout
	io.extra_tags, io.n_extra_tags = strs.array(opts.ExtraTags)
	io.annotations, io.n_annotations = strs.array(annotations)
	progress := newProgress(ctx, opts.Progress)
	defer progress.free()
	if progress != nil {
		C.berth_go_set_index_progress(io, C.uintptr_t(progress.handle))
	}
	csrcs, n := strs.array(srcs)
	var out *C.char
	rc := C.berth_index(&out, csrcs, n, strs.add(dst), io)
	err = cc.wrap(progress.finish(rc))
	raw := takeReply(out)
	if err != nil {
		return nil, err
	}
	return decodeCopy("Index", raw)
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
// with the docker keychain's credentials and TLS verification, takes the
// [DefaultPlatform] image of an index, and applies the decompression-bomb caps
// [DefaultMaxExportBytes] and [DefaultMaxExpansionRatio].
type ExportOptions struct {
	// Src reaches the source's registry.
	Src RegistryOptions
	// Platform ("os/arch[/variant]") is the image of an index to export; ""
	// means [DefaultPlatform].
	Platform string
	// MaxSize caps the bytes of all files (ETooLarge); 0 means
	// [DefaultMaxExportBytes].
	MaxSize uint64
	// MaxExpansionRatio caps bytes written per compressed byte read (ETooLarge),
	// checked past the first 16 MiB; 0 means [DefaultMaxExpansionRatio], a
	// negative value turns the check off.
	MaxExpansionRatio float64
	// Devices creates character and block devices (as root, mode 0600 at most);
	// by default they are skipped.
	Devices bool
	// Timeout bounds the whole call; 0 means none.
	Timeout time.Duration
}

// Export flattens the image src into the directory dir, like "docker export":
// layers are applied in order with their whiteouts, and anything that would
// land outside dir (absolute or ".." paths, links leading out) fails with
// EUnsafe. ctx cancels it as for [AWSCredentials].
func Export(ctx context.Context, src, dir string, opts *ExportOptions) error {
	if err := CheckABI(); err != nil {
		return err
	}
	if ctx == nil {
		return invalid("Export needs a non-nil context (use context.Background())")
	}
	if opts == nil {
		opts = &ExportOptions{}
	}
	if dir == "" {
		return invalid("Export needs a directory")
	}
	if err := checkNUL([]namedString{{"src", src}, {"dir", dir}, {"Platform", opts.Platform}}); err != nil {
		return err
	}
	if err := opts.Src.check("Src"); err != nil {
		return err
	}
	timeout, err := timeoutMillis("ExportOptions", opts.Timeout)
	if err != nil {
		return err
	}
	if err := notStarted(ctx, "Export"); err != nil {
		return err
	}
	var strs cStrings
	defer strs.free()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cc := cancelOnDone(ctx) // ctx ending stops the call (ECancelled wrapping ctx.Err())
	defer cc.release()
	var eo C.berth_export_options
	if rc := C.berth_export_options_init(&eo, C.BERTH_EXPORT_OPTIONS_VERSION); rc != C.BERTH_OK {
		return lastError(rc)
	}
	if eo.src, err = strs.registry(&opts.Src); err != nil {
		return err
	}
	eo.platform = strs.optional(opts.Platform)
	eo.timeout_ms = timeout
	eo.max_total_bytes = C.uint64_t(opts.MaxSize)
	eo.max_expansion_ratio = C.double(opts.MaxExpansionRatio)
	eo.devices = cBool(opts.Devices)
	return cc.wrap(lastError(C.berth_export(strs.add(src), strs.add(dir), &eo)))
}
