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
	"runtime/cgo"
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
	Platform        string   // "os/arch[/variant]"
	// Created fixes the image's time, so that the same inputs give the same
	// digest; the zero Time means SOURCE_DATE_EPOCH or now.
	Created time.Time
	// ExtraTags tags the output more than once.
	ExtraTags []string
	// Mirrors ("SRC_REGISTRY=HOST[/PREFIX]") read a registry base through a
	// mirror or an ECR pull-through cache, as [CopyOptions.Mirrors]. A registry
	// base is recorded in OCI manifests as the org.opencontainers.image.base.name
	// and .base.digest annotations.
	Mirrors []string
	// CacheDir keeps built layers, keyed by CacheKey: "metadata" ("", paths,
	// sizes and mtimes) or "content" (hashes). "" means no cache.
	CacheDir, CacheKey string
	// SrcCreds and DestCreds are "USER:PASSWORD" for the base's and the
	// output's registry; PlainHTTP, Insecure and CABundle apply to both.
	SrcCreds, DestCreds string
	PlainHTTP, Insecure bool
	CABundle            string
	Jobs                int // parallel blob transfers; 0 means 4
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
	Digest       string // of the image manifest
	ConfigDigest string
	MediaType    string
	LayersBuilt  int // new layers, built or taken from the cache
	LayersCached int // of which reused from CacheDir
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
		{"CacheDir", opts.CacheDir}, {"CacheKey", opts.CacheKey}, {"SrcCreds", opts.SrcCreds},
		{"DestCreds", opts.DestCreds}, {"CABundle", opts.CABundle}}
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
	jobs := opts.Jobs
	if jobs == 0 {
		jobs = 4
	}
	if jobs < 1 || jobs > math.MaxInt32 {
		return nil, invalid("Jobs must be at least 1 (0 means 4), not " + strconv.Itoa(opts.Jobs))
	}
	level := opts.Level
	if level == 0 {
		level = -1
	}
	if level < -1 || level > math.MaxInt32 {
		return nil, invalid("Level must be positive (0 means the default), not " + strconv.Itoa(opts.Level))
	}
	var created int64
	if !opts.Created.IsZero() {
		if created = opts.Created.Unix(); created <= 0 {
			return nil, invalid("Created must be after 1970-01-01T00:00:00Z")
		}
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

	var bo C.berth_build_options
	if rc := C.berth_build_options_init(&bo, C.BERTH_BUILD_OPTIONS_VERSION); rc != C.BERTH_OK {
		return nil, lastError(rc)
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
	bo.mirrors, bo.n_mirrors = strs.array(opts.Mirrors)
	bo.cache_dir = strs.optional(opts.CacheDir)
	bo.cache_key = strs.optional(opts.CacheKey)
	bo.src_creds = strs.optional(opts.SrcCreds)
	bo.dst_creds = strs.optional(opts.DestCreds)
	bo.plain_http = cBool(opts.PlainHTTP)
	bo.insecure = cBool(opts.Insecure)
	bo.ca_bundle = strs.optional(opts.CABundle)
	bo.jobs = C.int32_t(jobs)
	if (opts.SignKey != "" || opts.BuilderID != "") && !opts.SBOM && !opts.Provenance {
		return nil, invalid("BuildOptions.SignKey and BuilderID go with SBOM or Provenance")
	}
	bo.sbom = cBool(opts.SBOM)
	bo.provenance = cBool(opts.Provenance)
	bo.sign_key = strs.optional(opts.SignKey)
	bo.sign_key_password = strs.optional(opts.SignKeyPassword)
	bo.builder_id = strs.optional(opts.BuilderID)

	var state *copyState
	if opts.Progress != nil || ctx.Done() != nil {
		state = &copyState{ctx: ctx, fn: opts.Progress}
		h := cgo.NewHandle(state)
		defer h.Delete() // berth_build returns after its last callback
		C.berth_go_set_build_progress(&bo, C.uintptr_t(h))
	}

	var res C.berth_build_result
	rc := C.berth_build(&res, &bo)
	var callErr error
	if rc != C.BERTH_OK {
		callErr = lastError(rc)
	}
	if err := state.settle(callErr); err != nil {
		return nil, err
	}
	return &BuildResult{
		Digest:       C.GoString(&res.digest[0]),
		ConfigDigest: C.GoString(&res.config_digest[0]),
		MediaType:    C.GoString(&res.media_type[0]),
		LayersBuilt:  int(res.layers_built),
		LayersCached: int(res.layers_cached),
	}, nil
}
