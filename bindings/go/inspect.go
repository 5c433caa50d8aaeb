package berth

/*
#include <stdlib.h>
#include <berth.h>
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// InspectOptions configures the inspection calls ([GetManifest], [Inspect],
// [ListTags], [Catalog], [Tag], [DeleteManifest], [Validate]). The zero value
// (or nil) uses the docker keychain's credentials and verified TLS.
type InspectOptions struct {
	// Registry reaches the registry (credentials, TLS, mirrors for reads).
	Registry RegistryOptions
	// Platform ("os/arch[/variant]") makes GetManifest and Inspect take that
	// image of an index; "" takes the reference as it is.
	Platform string
	// Jobs is Validate's blobs read in parallel, at most [MaxJobs]; 0 means
	// [DefaultJobs].
	Jobs int
	// PageSize is the entries ListTags and Catalog ask per page; 0 means
	// [DefaultPageSize].
	PageSize int
	Timeout  time.Duration // the whole call's time limit; 0: none
}

// Manifest is a manifest or index exactly as served: Raw are the bytes Digest
// is computed over.
type Manifest struct {
	Raw       []byte
	Digest    string
	MediaType string // from the document, else the Content-Type
}

// Platform is an OCI platform.
type Platform struct {
	Architecture string   `json:"architecture"`
	OS           string   `json:"os"`
	Variant      string   `json:"variant,omitempty"`
	OSVersion    string   `json:"os.version,omitempty"`
	OSFeatures   []string `json:"os.features,omitempty"`
}

// String returns "os/arch[/variant]".
func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Descriptor is an OCI content descriptor.
type Descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	URLs         []string          `json:"urls,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Platform     *Platform         `json:"platform,omitempty"`
}

// ImageDetails is one image manifest and what its config says (the config
// fields are empty for artifacts whose config is not an image config).
type ImageDetails struct {
	Digest      string            `json:"digest"`
	MediaType   string            `json:"mediaType"`
	Size        int64             `json:"size"`     // of the manifest
	Platform    string            `json:"platform"` // "os/arch[/variant]", "" when unknown
	Config      Descriptor        `json:"config"`
	Layers      []Descriptor      `json:"layers"`
	TotalSize   int64             `json:"totalSize"` // manifest + config + layers
	Annotations map[string]string `json:"annotations"`
	Created     string            `json:"created"`
	Author      string            `json:"author"`
	User        string            `json:"user"`
	WorkingDir  string            `json:"workingDir"`
	Entrypoint  []string          `json:"entrypoint"`
	Cmd         []string          `json:"cmd"`
	Env         []string          `json:"env"`
	Labels      map[string]string `json:"labels"`
}

// Inspection describes an image or index: Manifests are an index's entries
// (none for an image), Images the image or each image manifest of the index.
type Inspection struct {
	Reference   string            `json:"reference"`
	Digest      string            `json:"digest"`
	MediaType   string            `json:"mediaType"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations"`
	Manifests   []Descriptor      `json:"manifests"`
	Images      []ImageDetails    `json:"images"`
}

// IsIndex reports whether the inspected reference is an index (OCI image index
// or Docker manifest list).
func (i *Inspection) IsIndex() bool {
	return strings.HasSuffix(i.MediaType, "index.v1+json") || strings.HasSuffix(i.MediaType, "manifest.list.v2+json")
}

// TagImageResult is what [Tag] did.
type TagImageResult struct {
	Digest  string   `json:"digest"`
	Tagged  []string `json:"tagged"`  // written, a manifest PUT each
	Skipped []string `json:"skipped"` // already pointed at the digest
}

// ValidationFailure is one manifest or blob that failed validation. Kind is
// "index", "manifest", "config" or "layer"; Code the BERTH_E* code (EDigest for
// content that does not match its digest or size, ENotFound for a missing blob).
type ValidationFailure struct {
	Digest  string `json:"digest"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Code    int    `json:"code"`
}

// ValidationReport is what [Validate] read and verified.
type ValidationReport struct {
	Reference string              `json:"reference"`
	Digest    string              `json:"digest"`
	MediaType string              `json:"mediaType"`
	OK        bool                `json:"ok"`
	Manifests int                 `json:"manifests"`
	Blobs     int                 `json:"blobs"`
	Skipped   int                 `json:"skipped"` // foreign layers, which live at their URLs
	Bytes     uint64              `json:"bytes"`
	Failures  []ValidationFailure `json:"failures"`
}

// inspectCall runs one inspection function on a locked OS thread with opts in C
// form and the string arguments args, and returns the string it gave back
// through char **out (also when it failed, as berth_validate does).
func inspectCall(ctx context.Context, what string, opts *InspectOptions, args []string,
	call func(out **C.char, a []*C.char, o *C.berth_inspect_options) C.int) (string, error) {
	if err := CheckABI(); err != nil {
		return "", err
	}
	if ctx == nil {
		return "", invalid(what + " needs a non-nil context (use context.Background())")
	}
	if opts == nil {
		opts = &InspectOptions{}
	}
	named := []namedString{{"Platform", opts.Platform}}
	for i, a := range args {
		named = append(named, namedString{what + " argument " + strconv.Itoa(i+1), a})
	}
	if err := checkNUL(named); err != nil {
		return "", err
	}
	if err := opts.Registry.check("Registry"); err != nil {
		return "", err
	}
	if err := checkJobs("InspectOptions", opts.Jobs); err != nil {
		return "", err
	}
	if opts.PageSize < 0 || opts.PageSize > 10000 {
		return "", invalid("InspectOptions.PageSize must be 0..10000, not " + strconv.Itoa(opts.PageSize))
	}
	timeout, err := timeoutMillis("InspectOptions", opts.Timeout)
	if err != nil {
		return "", err
	}
	if err := notStarted(ctx, what); err != nil {
		return "", err
	}

	var strs cStrings
	defer strs.free()
	cargs := make([]*C.char, len(args))
	for i, a := range args {
		cargs[i] = strs.add(a)
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cc := cancelOnDone(ctx) // ctx ending stops the call (ECancelled wrapping ctx.Err())
	defer cc.release()
	co := new(C.berth_inspect_options)
	if rc := C.berth_inspect_options_init(co, C.BERTH_INSPECT_OPTIONS_VERSION); rc != C.BERTH_OK {
		return "", lastError(rc)
	}
	if co.registry, err = strs.registry(&opts.Registry); err != nil {
		return "", err
	}
	co.platform = strs.optional(opts.Platform)
	co.jobs = C.int32_t(opts.Jobs)          // 0: BERTH_DEFAULT_JOBS
	co.page_size = C.int32_t(opts.PageSize) // 0: BERTH_DEFAULT_PAGE_SIZE
	co.timeout_ms = timeout

	var out *C.char
	rc := call(&out, cargs, co)
	raw, err := replyAndError(rc, out)
	return raw, cc.wrap(err)
}

// GetManifest returns the manifest or index ref names, byte for byte as served.
// ref is "docker://HOST/REPO:TAG" (or a bare reference, or @sha256:...),
// "oci:DIR[:TAG]", "oci-archive:FILE[:TAG]" or "docker-archive:FILE[:REF]".
// opts.Platform takes that image's manifest from an index. ctx cancels it as
// for [AWSCredentials]; so for every function of this file.
func GetManifest(ctx context.Context, ref string, opts *InspectOptions) (*Manifest, error) {
	if ref == "" {
		return nil, invalid("GetManifest needs a reference")
	}
	var m Manifest
	info, err := inspectCall(ctx, "GetManifest", opts, []string{ref},
		func(out **C.char, a []*C.char, o *C.berth_inspect_options) C.int {
			// The bytes are taken here, with their length: GoString would stop at
			// a NUL. *out is the JSON {"digest","mediaType","size"}.
			var raw *C.char
			rc := C.berth_manifest_get(&raw, out, a[0], o)
			if rc == C.BERTH_OK {
				var d struct {
					Size uint64 `json:"size"`
				}
				if *out != nil && json.Unmarshal([]byte(C.GoString(*out)), &d) == nil && raw != nil &&
					d.Size <= math.MaxInt32 {
					m.Raw = C.GoBytes(unsafe.Pointer(raw), C.int(d.Size))
				}
			}
			C.berth_free(unsafe.Pointer(raw))
			return rc
		})
	if err != nil {
		return nil, err
	}
	var d struct {
		Digest    string `json:"digest"`
		MediaType string `json:"mediaType"`
		Size      uint64 `json:"size"`
	}
	if err := decodeReply("GetManifest", info, &d); err != nil {
		return nil, err
	}
	if m.Raw == nil || uint64(len(m.Raw)) != d.Size {
		return nil, &Error{Code: EProtocol, Message: "GetManifest: libberth returned no manifest of the size it reported"}
	}
	m.Digest, m.MediaType = d.Digest, d.MediaType
	return &m, nil
}

// Inspect describes the image or index ref names: digest, media type, size, an
// index's entries, and for each image its config, layers and sizes.
// opts.Platform keeps only that image of an index.
func Inspect(ctx context.Context, ref string, opts *InspectOptions) (*Inspection, error) {
	if ref == "" {
		return nil, invalid("Inspect needs a reference")
	}
	raw, err := inspectCall(ctx, "Inspect", opts, []string{ref},
		func(out **C.char, a []*C.char, o *C.berth_inspect_options) C.int {
			return C.berth_inspect(out, a[0], o)
		})
	if err != nil {
		return nil, err
	}
	var r Inspection
	if err := decodeReply("Inspect", raw, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ListTags returns the tags of repository ("HOST/REPO", "docker://...", or
// "oci:DIR" for a layout's tags), following the registry's Link pagination, in
// the registry's order.
func ListTags(ctx context.Context, repository string, opts *InspectOptions) ([]string, error) {
	if repository == "" {
		return nil, invalid("ListTags needs a repository")
	}
	raw, err := inspectCall(ctx, "ListTags", opts, []string{repository},
		func(out **C.char, a []*C.char, o *C.berth_inspect_options) C.int {
			return C.berth_tags_list(out, a[0], o)
		})
	if err != nil {
		return nil, err
	}
	var r struct {
		Tags []string `json:"tags"`
	}
	if err := decodeReply("ListTags", raw, &r); err != nil {
		return nil, err
	}
	return r.Tags, nil
}

// Catalog returns the repositories of registry ("HOST[:PORT]"), following the
// registry's Link pagination.
func Catalog(ctx context.Context, registry string, opts *InspectOptions) ([]string, error) {
	if registry == "" {
		return nil, invalid("Catalog needs a registry")
	}
	raw, err := inspectCall(ctx, "Catalog", opts, []string{registry},
		func(out **C.char, a []*C.char, o *C.berth_inspect_options) C.int {
			return C.berth_catalog(out, a[0], o)
		})
	if err != nil {
		return nil, err
	}
	var r struct {
		Repositories []string `json:"repositories"`
	}
	if err := decodeReply("Catalog", raw, &r); err != nil {
		return nil, err
	}
	return r.Repositories, nil
}

// Tag adds tags to the manifest ref names (in a registry or an oci: layout)
// without moving any blob: a manifest PUT per tag, skipped when the tag already
// points at the digest.
func Tag(ctx context.Context, ref string, tags []string, opts *InspectOptions) (*TagImageResult, error) {
	if ref == "" || len(tags) == 0 {
		return nil, invalid("Tag needs a reference and at least one tag")
	}
	args := append([]string{ref}, tags...)
	raw, err := inspectCall(ctx, "Tag", opts, args,
		func(out **C.char, a []*C.char, o *C.berth_inspect_options) C.int {
			// The tags as a C array in C memory, as cgo's pointer rules want.
			size := C.size_t(len(a)-1) * C.size_t(unsafe.Sizeof((*C.char)(nil)))
			arr := (**C.char)(C.malloc(size))
			defer C.free(unsafe.Pointer(arr))
			copy(unsafe.Slice(arr, len(a)-1), a[1:])
			return C.berth_tag(out, a[0], arr, C.size_t(len(a)-1), o)
		})
	if err != nil {
		return nil, err
	}
	var r TagImageResult
	if err := decodeReply("Tag", raw, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// DeleteManifest deletes the manifest ref names from its registry and returns
// its digest. A tag is resolved to its digest first; the registry drops every
// tag on it. A registry that does not allow deletion fails with EUnsupported.
func DeleteManifest(ctx context.Context, ref string, opts *InspectOptions) (string, error) {
	if ref == "" {
		return "", invalid("DeleteManifest needs a reference")
	}
	raw, err := inspectCall(ctx, "DeleteManifest", opts, []string{ref},
		func(out **C.char, a []*C.char, o *C.berth_inspect_options) C.int {
			return C.berth_manifest_delete(out, a[0], o)
		})
	if err != nil {
		return "", err
	}
	var r struct {
		Digest string `json:"digest"`
	}
	if err := decodeReply("DeleteManifest", raw, &r); err != nil {
		return "", err
	}
	return r.Digest, nil
}

// Validate reads every manifest and blob ref reaches (index children, configs,
// layers) and verifies each digest and size, opts.Jobs blobs at a time.
//
// It returns the report whether or not the image is sound, as Python's
// validate does: check report.OK and report.Failures (every corrupt, truncated
// or missing manifest or blob). The error is for failures to run, which say
// nothing about the image's content: no such image, authentication, network,
// a bad option.
func Validate(ctx context.Context, ref string, opts *InspectOptions) (*ValidationReport, error) {
	if ref == "" {
		return nil, invalid("Validate needs a reference")
	}
	raw, err := inspectCall(ctx, "Validate", opts, []string{ref},
		func(out **C.char, a []*C.char, o *C.berth_inspect_options) C.int {
			return C.berth_validate(out, a[0], o)
		})
	// berth_validate fails with BERTH_EGATE when the image is not sound, its
	// report set all the same: that report is the answer here, not an error.
	if err != nil && (raw == "" || !errors.Is(err, ErrGate)) {
		return nil, err
	}
	var r ValidationReport
	if derr := decodeReply("Validate", raw, &r); derr != nil {
		return nil, derr
	}
	return &r, nil
}
