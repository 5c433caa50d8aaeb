package berth

/*
#include <stdint.h>
#include <stdlib.h>
#include <berth.h>

// Defined in copy_callback.go (//export berthGoProgress).
extern int berthGoProgress(berth_progress *p, uintptr_t handle);

static int berth_go_build_progress_trampoline(const berth_progress *p, void *user_data) {
	return berthGoProgress((berth_progress *)p, (uintptr_t)user_data);
}

// As berth_go_set_progress in copy.go, for build options.
static void berth_go_set_build_progress(berth_build_options *opts, uintptr_t handle) {
	opts->progress = berth_go_build_progress_trampoline;
	opts->progress_user_data = (void *)handle;
}
*/
import "C"

import (
	"context"
	"encoding/json"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// BuildOptions configures [Build]. Output is required; every other field may
// be left zero.
type BuildOptions struct {
	// Output is where the image goes: "oci:DIR[:TAG]" or "docker://REF".
	Output string
	// From is the base image: "" or "scratch", "docker://REF" (or a bare REF)
	// or "oci:DIR[:TAG]".
	From string
	// Layers are directories (their content at /), "DIR:/dest" or tar files,
	// one layer each, on top of the base's.
	Layers []string
	// Compression is "gzip" (""), "zstd" or "none"; Level its level, 0 for the
	// default.
	Compression string
	Level       int
	// Entrypoint and Cmd replace the base's when not nil (an empty non-nil
	// slice clears them).
	Entrypoint, Cmd []string
	Env             []string          // "K=V"
	Labels          map[string]string // config labels
	Annotations     map[string]string // manifest annotations
	Workdir, User   string
	Expose          []string // "8080", "53/udp"
	// Platform ("os/arch[/variant]") of the image; "" means the base's, else
	// [DefaultPlatform].
	Platform string
	// Created fixes the image's time, so that the same inputs give the same
	// digest; the zero Time means SOURCE_DATE_EPOCH when set, else now.
	// time.Unix(0, 0), the epoch itself, is a valid time (as reproducible
	// builds use); times before it are EInvalid.
	Created time.Time
	// ExtraTags tags the output more than once.
	ExtraTags []string
	// CacheDir keeps built layers, keyed by CacheKey: "metadata" ("", paths,
	// sizes and mtimes) or "content" (hashes). "" means no cache.
	CacheDir, CacheKey string
	// Src reaches a registry base (its Mirrors read the base through a mirror or
	// an ECR pull-through cache, as [RegistryOptions].Mirrors), Dst a registry
	// output. A registry base is recorded in OCI manifests as the
	// org.opencontainers.image.base.name and .base.digest annotations.
	Src, Dst RegistryOptions
	// Jobs is the number of parallel blob transfers, at most [MaxJobs]; 0 means
	// [DefaultJobs].
	Jobs int
	// Progress is as for [CopyOptions.Progress].
	Progress func(Progress) bool
	// SBOM and Provenance attach the built image's SPDX 2.3 SBOM and SLSA
	// provenance v1 to it (a registry or oci: output) as in-toto statements, as
	// `berth build --sbom --provenance` does: signed with the cosign key file
	// SignKey (password SignKeyPassword) where `cosign verify-attestation` finds
	// them, else unsigned OCI referrers. BuilderID names the builder in the
	// provenance ("" = the GitHub workflow, or berth).
	SBOM, Provenance bool
	SignKey          string
	SignKeyPassword  string
	BuilderID        string
}

// BuildResult is what [Build] wrote.
type BuildResult struct {
	Digest       string `json:"digest"` // of the image manifest
	ConfigDigest string `json:"config"`
	MediaType    string `json:"mediaType"`
	LayersBuilt  int    `json:"-"` // new layers, built or taken from the cache (len(Layers))
	LayersCached int    `json:"-"` // of which reused from CacheDir
	// Layers are the new layers, in order.
	Layers []BuiltLayer `json:"layers"`
	// BaseName and BaseDigest are a registry base as resolved (the digest it
	// pointed at, of the index when it was one), BaseMirror the mirror that
	// served it; "" for scratch and local bases.
	BaseName   string `json:"baseName"`
	BaseDigest string `json:"baseDigest"`
	BaseMirror string `json:"baseMirror"`
	// Attestations are what SBOM and Provenance attached, in that order.
	Attestations []Attestation `json:"attestations"`
	// Warnings are the SBOM's (files it could not read as packages).
	Warnings []string `json:"warnings"`
	// Duration is how long the build took.
	Duration time.Duration `json:"-"`
}

// BuiltLayer is one new layer of a [BuildResult].
type BuiltLayer struct {
	Digest string `json:"digest"` // of the compressed blob
	DiffID string `json:"diffID"` // of the uncompressed tar
	Size   uint64 `json:"size"`
	Cached bool   `json:"cached"` // taken from CacheDir
}

// Attestation is one in-toto statement [Build] attached.
type Attestation struct {
	PredicateType string `json:"predicateType"` // "https://spdx.dev/Document", "https://slsa.dev/provenance/v1"
	Signed        bool   `json:"signed"`
	// Location is REPO:sha256-<hex>.att when signed, else REF@<digest> of the
	// unsigned referrer.
	Location string `json:"location"`
	Digest   string `json:"digest"` // of the manifest written
}

func keyValues(m map[string]string, what string) ([]string, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k == "" || strings.ContainsRune(k, '=') {
			return nil, invalid(what + " keys must be non-empty and without '=', not " + strconv.Quote(k))
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + "=" + m[k]
	}
	return out, nil
}

// Build builds an image and writes it to opts.Output: the layers of
// opts.Layers on top of opts.From, with the config opts describes. The context
// ends the build at libberth's next progress report, as for [Copy].
//
// Errors are *Error: EInvalid (bad option), ENotFound (the base, a layer
// source), and the transfer errors of [Copy].
func Build(ctx context.Context, opts BuildOptions) (*BuildResult, error) {
	if err := CheckABI(); err != nil {
		return nil, err
	}
	if ctx == nil {
		return nil, invalid("Build needs a non-nil context (use context.Background())")
	}
	if opts.Output == "" {
		return nil, invalid("Build needs BuildOptions.Output (oci:DIR[:TAG] or docker://REF)")
	}
	labels, err := keyValues(opts.Labels, "Labels")
	if err != nil {
		return nil, err
	}
	annotations, err := keyValues(opts.Annotations, "Annotations")
	if err != nil {
		return nil, err
	}
	args := []namedString{{"Output", opts.Output}, {"From", opts.From}, {"Compression", opts.Compression},
		{"Workdir", opts.Workdir}, {"User", opts.User}, {"Platform", opts.Platform},
		{"CacheDir", opts.CacheDir}, {"CacheKey", opts.CacheKey}, {"SignKey", opts.SignKey},
		{"SignKeyPassword", opts.SignKeyPassword}, {"BuilderID", opts.BuilderID}}
	for _, list := range []struct {
		name string
		vals []string
	}{{"Layers", opts.Layers}, {"Env", opts.Env}, {"Labels", labels}, {"Annotations", annotations},
		{"Expose", opts.Expose}, {"ExtraTags", opts.ExtraTags}, {"Entrypoint", opts.Entrypoint}, {"Cmd", opts.Cmd}} {
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
	if err := checkJobs("BuildOptions", opts.Jobs); err != nil {
		return nil, err
	}
	level := opts.Level
	if level == 0 {
		level = -1
	}
	if level < -1 || level > math.MaxInt32 {
		return nil, invalid("Level must be positive (0 means the default), not " + strconv.Itoa(opts.Level))
	}
	created := int64(-1) // SOURCE_DATE_EPOCH when set, else now
	if !opts.Created.IsZero() {
		if created = opts.Created.Unix(); created < 0 {
			return nil, invalid("Created must not be before 1970-01-01T00:00:00Z (the zero Time means unset)")
		}
	}
	if (opts.SignKey != "" || opts.BuilderID != "") && !opts.SBOM && !opts.Provenance {
		return nil, invalid("BuildOptions.SignKey and BuilderID go with SBOM or Provenance")
	}
	jsonArray := func(v []string) (string, bool) {
		if v == nil {
			return "", false
		}
		b, _ := json.Marshal(v) // []string always marshals
		return string(b), true
	}
	if err := notStarted(ctx, "Build"); err != nil {
		return nil, err
	}

	var strs cStrings
	defer strs.free()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cc := cancelOnDone(ctx) // ctx ending stops the call (ECancelled wrapping ctx.Err())
	defer cc.release()

	bo := new(C.berth_build_options)
	if rc := C.berth_build_options_init(bo, C.BERTH_BUILD_OPTIONS_VERSION); rc != C.BERTH_OK {
		return nil, lastError(rc)
	}
	if bo.src, err = strs.registry(&opts.Src); err != nil {
		return nil, err
	}
	if bo.dst, err = strs.registry(&opts.Dst); err != nil {
		return nil, err
	}
	bo.from = strs.optional(opts.From)
	bo.layers, bo.n_layers = strs.array(opts.Layers)
	bo.compression = strs.optional(opts.Compression)
	bo.level = C.int32_t(level)
	if s, ok := jsonArray(opts.Entrypoint); ok {
		bo.entrypoint_json = strs.add(s)
	}
	if s, ok := jsonArray(opts.Cmd); ok {
		bo.cmd_json = strs.add(s)
	}
	bo.env, bo.n_env = strs.array(opts.Env)
	bo.labels, bo.n_labels = strs.array(labels)
	bo.annotations, bo.n_annotations = strs.array(annotations)
	bo.workdir = strs.optional(opts.Workdir)
	bo.user = strs.optional(opts.User)
	bo.expose, bo.n_expose = strs.array(opts.Expose)
	bo.platform = strs.optional(opts.Platform)
	bo.created = C.int64_t(created)
	bo.output = strs.add(opts.Output)
	bo.extra_tags, bo.n_extra_tags = strs.array(opts.ExtraTags)
	bo.cache_dir = strs.optional(opts.CacheDir)
	bo.cache_key = strs.optional(opts.CacheKey)
	bo.jobs = C.int32_t(opts.Jobs) // 0: BERTH_DEFAULT_JOBS
	bo.sbom = cBool(opts.SBOM)
	bo.provenance = cBool(opts.Provenance)
	bo.sign_key = strs.optional(opts.SignKey)
	bo.sign_key_password = strs.optional(opts.SignKeyPassword)
	bo.builder_id = strs.optional(opts.BuilderID)

	progress := newProgress(ctx, opts.Progress)
	defer progress.free() // berth_build returns after its last callback
	if progress != nil {
		C.berth_go_set_build_progress(bo, C.uintptr_t(progress.handle))
	}

	var out *C.char
	rc := C.berth_build(&out, bo)
	err = cc.wrap(progress.finish(rc)) // before any other berth call on this thread
	raw := takeReply(out)
	if err != nil {
		return nil, err
	}
	var j struct {
		BuildResult
		Seconds float64 `json:"seconds"`
	}
	if err := decodeReply("Build", raw, &j); err != nil {
		return nil, err
	}
	r := j.BuildResult
	r.Duration = seconds(j.Seconds)
	r.LayersBuilt = len(r.Layers)
	for _, l := range r.Layers {
		if l.Cached {
			r.LayersCached++
		}
	}
	return &r, nil
}
