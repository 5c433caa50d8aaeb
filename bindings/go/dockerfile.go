package berth

/*
#include <stdint.h>
#include <stdlib.h>
#include <berth.h>

// Defined in copy_callback.go and log_callback.go.
extern int berthGoProgress(berth_progress *p, uintptr_t handle);
extern void berthGoLog(char *text, size_t n, uintptr_t handle);

static int berth_go_dockerfile_progress_trampoline(const berth_progress *p, void *user_data) {
	return berthGoProgress((berth_progress *)p, (uintptr_t)user_data);
}

static void berth_go_log_trampoline(const char *text, size_t n, void *user_data) {
	berthGoLog((char *)text, n, (uintptr_t)user_data);
}

static void berth_go_set_dockerfile_callbacks(berth_dockerfile_options *opts, uintptr_t progress,
                                              uintptr_t log) {
	if (progress) {
		opts->progress = berth_go_dockerfile_progress_trampoline;
		opts->progress_user_data = (void *)progress;
	}
	if (log) {
		opts->log = berth_go_log_trampoline;
		opts->log_user_data = (void *)log;
	}
}
*/
import "C"

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/cgo"
	"strconv"
	"sync"
	"time"
	"unsafe"
)

// DockerfileOptions configures [BuildDockerfile]. Output is required; every other
// field may be left zero.
type DockerfileOptions struct {
	// Output is where the image goes: "oci:DIR[:TAG]", "docker://REF" or an archive.
	Output string
	// Context is the directory COPY and ADD read ("" means "."); its
	// .dockerignore (or "<Dockerfile>.dockerignore") leaves files out.
	Context string
	// Dockerfile is its path ("" means Context/Dockerfile); DockerfileText, when
	// not empty, is the Dockerfile itself.
	Dockerfile, DockerfileText string
	// BuildArgs set the Dockerfile's ARGs; Labels are added to the image's.
	BuildArgs, Labels map[string]string
	// Target is the stage to build ("" means the last); Platform the image's
	// ("" means [DefaultPlatform]).
	Target, Platform string
	// Network is what RUN steps see: "" or "host", or "none".
	Network string
	// StateDir keeps unpacked base layers and the step cache ("" means
	// ~/.cache/berth); NoCache runs every step again.
	StateDir string
	NoCache  bool
	// Compression ("" means gzip), Level (0 means the default), Created (the zero
	// Time means SOURCE_DATE_EPOCH, else now), ExtraTags and Jobs as in [BuildOptions].
	Compression string
	Level       int
	Created     time.Time
	ExtraTags   []string
	Jobs        int
	// Src reaches registry bases (its Mirrors apply), Dst the output.
	Src, Dst RegistryOptions
	Progress func(Progress) bool
	// Log receives the steps as they start and what RUN steps print (outside text:
	// neutralise it before a CI log shows it). It runs on a libberth thread.
	Log func(text string)
	// SBOM, Provenance, SignKey, SignKeyPassword and BuilderID as in [BuildOptions].
	SBOM, Provenance                    bool
	SignKey, SignKeyPassword, BuilderID string
	// Secrets for RUN --mount=type=secret, each "id=ID[,src=FILE|,env=VAR]" (with
	// neither, the environment variable ID). A secret never reaches the image, its
	// history or the log.
	Secrets []string
	// CacheFrom and CacheTo are build caches in registries, buildx's form, for CI
	// runners that start with an empty StateDir. Each CacheFrom is
	// "type=registry,ref=REPO[:TAG]" (or a bare "REPO[:TAG]"; the tag defaults to
	// "buildcache"): a step found there runs no more, and a missing, unreadable or
	// expired cache is a warning in the log and a miss, never an error. CacheTo
	// ("" for none), "type=registry,ref=REPO[:TAG][,mode=min|max][,ignore-error=true]",
	// is replaced after the build with the steps it used (min, the default: the final
	// image's; max: every stage's). Both use Dst's access. Another type (gha, local,
	// s3) is an *Error of code EUnsupported, a spec without ref= EInvalid, before
	// anything runs.
	CacheFrom []string
	CacheTo   string
}

type logState struct {
	mu       sync.Mutex
	fn       func(string)
	panicked any
}

func (l *logState) write(b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.panicked != nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			l.panicked = r
		}
	}()
	l.fn(string(b))
}

// dockerfileOptionsInit is berth_dockerfile_options_init (o is a
// *C.berth_dockerfile_options); tests replace it to play a libberth older than this
// package.
var dockerfileOptionsInit = func(o unsafe.Pointer, version uint32) int {
	return int(C.berth_dockerfile_options_init((*C.berth_dockerfile_options)(o), C.uint32_t(version)))
}

// dockerfileFieldsAdded names what each version of berth_dockerfile_options added.
var dockerfileFieldsAdded = map[int]string{2: "Secrets", 3: "CacheFrom and CacheTo"}

// initDockerfileOptions initialises o as the newest version of
// berth_dockerfile_options the loaded libberth knows, down to the oldest that holds
// every field opts sets: a libberth older than this package refuses the newer
// versions, and reads only the fields of the version it is given. The caller has
// locked the OS thread (the last error is read on failure).
func initDockerfileOptions(o *C.berth_dockerfile_options, opts DockerfileOptions) error {
	needs := 1
	if len(opts.Secrets) > 0 {
		needs = 2
	}
	if len(opts.CacheFrom) > 0 || opts.CacheTo != "" {
		needs = 3
	}
	rc := int(C.BERTH_OK)
	for v := int(C.BERTH_DOCKERFILE_OPTIONS_VERSION); v >= needs; v-- {
		if rc = dockerfileOptionsInit(unsafe.Pointer(o), uint32(v)); rc == C.BERTH_OK {
			return nil
		}
	}
	if needs > 1 {
		return &Error{Code: EUnsupported, Message: fmt.Sprintf(
			"DockerfileOptions.%s need berth_dockerfile_options version %d, which the loaded "+
				"libberth (%s) does not know; install a newer libberth",
			dockerfileFieldsAdded[needs], needs, Version())}
	}
	return lastError(C.int(rc))
}

// BuildDockerfile builds a Dockerfile's target stage without a daemon —
// BuildKit's semantics, each RUN in a sandbox libberth makes itself (rootless when
// the process is not root) — and writes it to opts.Output.
//
// Errors are *Error: EBuild when a RUN fails (its line, exit code and the end of
// its output in the message; nothing is stored), ENotFound (the context, the
// Dockerfile, a base), EInvalid (a malformed Dockerfile or option), and the
// transfer errors of [Copy], EUnsupported (a cache type other than registry, or
// Secrets, CacheFrom or CacheTo with a libberth too old for them). A panic in
// opts.Log is raised again here.
func BuildDockerfile(ctx context.Context, opts DockerfileOptions) (*BuildResult, error) {
	if err := CheckABI(); err != nil {
		return nil, err
	}
	if ctx == nil {
		return nil, invalid("BuildDockerfile needs a non-nil context (use context.Background())")
	}
	if opts.Output == "" {
		return nil, invalid("BuildDockerfile needs DockerfileOptions.Output")
	}
	if opts.Network != "" && opts.Network != "host" && opts.Network != "none" {
		return nil, invalid("DockerfileOptions.Network is host or none, not " + strconv.Quote(opts.Network))
	}
	buildArgs, err := keyValues(opts.BuildArgs, "BuildArgs")
	if err != nil {
		return nil, err
	}
	labels, err := keyValues(opts.Labels, "Labels")
	if err != nil {
		return nil, err
	}
	args := []namedString{{"Output", opts.Output}, {"Context", opts.Context},
		{"Dockerfile", opts.Dockerfile}, {"DockerfileText", opts.DockerfileText},
		{"Target", opts.Target}, {"Platform", opts.Platform}, {"StateDir", opts.StateDir},
		{"Compression", opts.Compression}, {"SignKey", opts.SignKey},
		{"SignKeyPassword", opts.SignKeyPassword}, {"BuilderID", opts.BuilderID}}
	for i, v := range append(append(append([]string{}, buildArgs...), labels...), opts.ExtraTags...) {
		args = append(args, namedString{"item[" + strconv.Itoa(i) + "]", v})
	}
	for i, v := range opts.CacheFrom {
		args = append(args, namedString{"CacheFrom[" + strconv.Itoa(i) + "]", v})
	}
	args = append(args, namedString{"CacheTo", opts.CacheTo})
	if err := checkNUL(args); err != nil {
		return nil, err
	}
	if err := checkJobs("DockerfileOptions", opts.Jobs); err != nil {
		return nil, err
	}
	level := opts.Level
	if level == 0 {
		level = -1
	}
	if level < -1 || level > math.MaxInt32 {
		return nil, invalid(fmt.Sprintf("Level must be positive (0 means the default), not %d", opts.Level))
	}
	created := int64(-1)
	if !opts.Created.IsZero() {
		if created = opts.Created.Unix(); created < 0 {
			return nil, invalid("Created must not be before 1970-01-01T00:00:00Z (the zero Time means unset)")
		}
	}
	if (opts.SignKey != "" || opts.BuilderID != "") && !opts.SBOM && !opts.Provenance {
		return nil, invalid("DockerfileOptions.SignKey and BuilderID go with SBOM or Provenance")
	}
	if err := notStarted(ctx, "BuildDockerfile"); err != nil {
		return nil, err
	}

	var strs cStrings
	defer strs.free()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cc := cancelOnDone(ctx) // ctx ending stops the call (ECancelled wrapping ctx.Err())
	defer cc.release()

	do := new(C.berth_dockerfile_options)
	if err := initDockerfileOptions(do, opts); err != nil {
		return nil, err
	}
	if do.src, err = strs.registry(&opts.Src); err != nil {
		return nil, err
	}
	if do.dst, err = strs.registry(&opts.Dst); err != nil {
		return nil, err
	}
	do.context = strs.optional(opts.Context)
	do.dockerfile = strs.optional(opts.Dockerfile)
	do.dockerfile_text = strs.optional(opts.DockerfileText)
	do.build_args, do.n_build_args = strs.array(buildArgs)
	do.target = strs.optional(opts.Target)
	do.labels, do.n_labels = strs.array(labels)
	do.platform = strs.optional(opts.Platform)
	do.network = strs.optional(opts.Network)
	do.state_dir = strs.optional(opts.StateDir)
	do.no_cache = cBool(opts.NoCache)
	do.compression = strs.optional(opts.Compression)
	do.level = C.int32_t(level)
	do.created = C.int64_t(created)
	do.output = strs.add(opts.Output)
	do.extra_tags, do.n_extra_tags = strs.array(opts.ExtraTags)
	do.jobs = C.int32_t(opts.Jobs)
	do.sbom = cBool(opts.SBOM)
	do.provenance = cBool(opts.Provenance)
	do.sign_key = strs.optional(opts.SignKey)
	do.sign_key_password = strs.optional(opts.SignKeyPassword)
	do.builder_id = strs.optional(opts.BuilderID)
	if len(opts.Secrets) > 0 {
		do.secrets, do.n_secrets = strs.array(opts.Secrets)
	}
	if len(opts.CacheFrom) > 0 || opts.CacheTo != "" {
		do.cache_from, do.n_cache_from = strs.array(opts.CacheFrom)
		do.cache_to = strs.optional(opts.CacheTo)
	}

	progress := newProgress(ctx, opts.Progress)
	defer progress.free()
	var progressHandle, logHandle C.uintptr_t
	if progress != nil {
		progressHandle = C.uintptr_t(progress.handle)
	}
	var log *logState
	if opts.Log != nil {
		log = &logState{fn: opts.Log}
		h := cgo.NewHandle(log)
		defer h.Delete()
		logHandle = C.uintptr_t(h)
	}
	C.berth_go_set_dockerfile_callbacks(do, progressHandle, logHandle)

	var out *C.char
	rc := C.berth_build_dockerfile(&out, do)
	err = cc.wrap(progress.finish(rc))
	raw := takeReply(out)
	if log != nil && log.panicked != nil {
		panic(log.panicked)
	}
	if err != nil {
		return nil, err
	}
	var j struct {
		BuildResult
		Seconds float64 `json:"seconds"`
	}
	if err := decodeReply("BuildDockerfile", raw, &j); err != nil {
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
