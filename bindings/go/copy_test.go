package berth_test

// berth.Copy against a real registry: Debian's docker-registry on 127.0.0.1,
// started with the repository's test stack (tests/servers/stack.py) on first
// use and stopped by TestMain. The source image is an OCI layout made with umoci
// (no daemon); skopeo is the independent judge of what the registry and the
// layouts hold. Nothing leaves the loopback interface.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	berth "github.com/berth-project/berth/bindings/go"
)

const (
	ociManifest = "application/vnd.oci.image.manifest.v1+json"
	dataSize    = 2 << 20 // several of the transport's 512 KiB reads: BlobProgress takes steps
	authUser    = "binder"
	authPass    = "S3cret-pa55word"
)

// workDir holds the test image, the stacks' state and an empty DOCKER_CONFIG.
var workDir string

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "berth-go-copy-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		workDir = dir
		// No credentials from the user's docker config: tests pass them explicitly.
		config := filepath.Join(dir, "docker-config")
		if err := os.Mkdir(config, 0o700); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		os.Setenv("DOCKER_CONFIG", config)
		os.Unsetenv("REGISTRY_AUTH_FILE")
		defer plainStack.down()
		defer authStack.down()
		defer moto.stop() // aws_test.go
		return m.Run()
	}()
	os.Exit(code)
}

// ---------------------------------------------------------------------------
// The registry stack

type testStack struct {
	name string
	args []string

	once     sync.Once
	stateDir string
	hostport string
	skip     string
	err      error
}

var (
	plainStack = &testStack{name: "plain", args: []string{"--kind", "plain"}}
	authStack  = &testStack{name: "htpasswd",
		args: []string{"--kind", "htpasswd", "--user", authUser + ":" + authPass}}
)

func stackScript() string {
	if p := os.Getenv("BERTH_STACK_PY"); p != "" {
		return p
	}
	p, _ := filepath.Abs(filepath.Join("..", "..", "tests", "servers", "stack.py"))
	return p
}

func missingTools() string {
	registry := os.Getenv("BERTH_DOCKER_REGISTRY")
	if registry == "" {
		registry = "docker-registry"
	}
	var missing []string
	for _, tool := range []string{"python3", registry, "umoci", "skopeo"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if _, err := os.Stat(stackScript()); err != nil {
		missing = append(missing, stackScript())
	}
	return strings.Join(missing, ", ")
}

// host starts the stack on first use and returns the registry's HOST:PORT. It
// skips the test when the tools are missing.
func (s *testStack) host(t *testing.T) string {
	t.Helper()
	s.once.Do(func() {
		if missing := missingTools(); missing != "" {
			s.skip = "needs " + missing
			return
		}
		s.stateDir = filepath.Join(workDir, "stack-"+s.name)
		cmd := exec.Command("python3", append([]string{stackScript(), "up", "--state-dir", s.stateDir}, s.args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			s.err = fmt.Errorf("stack.py up: %v\n%s", err, out)
			return
		}
		raw, err := os.ReadFile(filepath.Join(s.stateDir, "stack.json"))
		if err != nil {
			s.err = err
			return
		}
		var state struct {
			Registry struct {
				Hostport string `json:"hostport"`
			} `json:"registry"`
		}
		if err := json.Unmarshal(raw, &state); err != nil || state.Registry.Hostport == "" {
			s.err = fmt.Errorf("stack.json without registry.hostport (%v): %s", err, raw)
			return
		}
		s.hostport = state.Registry.Hostport
	})
	if s.skip != "" {
		t.Skip(s.skip)
	}
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s.hostport
}

func (s *testStack) down() {
	if s.stateDir == "" {
		return
	}
	cmd := exec.Command("python3", stackScript(), "down", "--state-dir", s.stateDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "stack.py down: %v\n%s", err, out)
	}
}

// repo returns a fresh repository for the test: docker://HOST/bind-go/<test>.
func repo(t *testing.T) string {
	name := strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-"))
	return "docker://" + plainStack.host(t) + "/bind-go/" + strings.Trim(name, "-")
}

// ---------------------------------------------------------------------------
// The test image

type testImage struct {
	Layout string
	Ref    string           // "oci:LAYOUT:v1"
	Digest string           // of its manifest
	Blobs  map[string]int64 // config and layer: digest -> size
}

var (
	imageOnce sync.Once
	theImage  *testImage
	imageErr  error
)

func run(name string, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

func blobPath(layout, digest string) string {
	algo, hexpart, _ := strings.Cut(digest, ":")
	return filepath.Join(layout, "blobs", algo, hexpart)
}

func makeImage() (*testImage, error) {
	dir := filepath.Join(workDir, "image")
	layout, src := filepath.Join(dir, "layout"), filepath.Join(dir, "src")
	if err := os.MkdirAll(filepath.Join(src, "data"), 0o755); err != nil {
		return nil, err
	}
	data := make([]byte, dataSize)
	if _, err := rand.Read(data); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(src, "data", "random.bin"), data, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(src, "hello.txt"), []byte("hello from the berth Go binding\n"), 0o644); err != nil {
		return nil, err
	}
	insert := []string{"insert"}
	if os.Geteuid() != 0 {
		insert = append(insert, "--rootless")
	}
	for _, args := range [][]string{
		{"init", "--layout", layout},
		{"new", "--image", layout + ":v1"},
		append(insert, "--image", layout+":v1", src, "/app"),
	} {
		if _, err := run("umoci", args...); err != nil {
			return nil, err
		}
	}
	var index struct {
		Manifests []struct {
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	raw, err := os.ReadFile(filepath.Join(layout, "index.json"))
	if err == nil {
		err = json.Unmarshal(raw, &index)
	}
	if err != nil {
		return nil, err
	}
	img := &testImage{Layout: layout, Ref: "oci:" + layout + ":v1", Blobs: map[string]int64{}}
	for _, m := range index.Manifests {
		if m.Annotations["org.opencontainers.image.ref.name"] == "v1" {
			img.Digest = m.Digest
		}
	}
	type descriptor struct {
		Digest string `json:"digest"`
		Size   int64  `json:"size"`
	}
	var manifest struct {
		Config descriptor   `json:"config"`
		Layers []descriptor `json:"layers"`
	}
	raw, err = os.ReadFile(blobPath(layout, img.Digest))
	if err == nil {
		err = json.Unmarshal(raw, &manifest)
	}
	if err != nil {
		return nil, err
	}
	for _, d := range append(manifest.Layers, manifest.Config) {
		img.Blobs[d.Digest] = d.Size
	}
	if len(img.Blobs) != 2 {
		return nil, fmt.Errorf("want a config and one layer, got %v", img.Blobs)
	}
	return img, nil
}

func image(t *testing.T) *testImage {
	t.Helper()
	if missing := missingTools(); missing != "" {
		t.Skip("needs " + missing)
	}
	imageOnce.Do(func() { theImage, imageErr = makeImage() })
	if imageErr != nil {
		t.Fatal(imageErr)
	}
	return theImage
}

func (img *testImage) total() uint64 {
	var n int64
	for _, size := range img.Blobs {
		n += size
	}
	return uint64(n)
}

func (img *testImage) digests() []string {
	var out []string
	for d := range img.Blobs {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// rawDigest is the sha256 of the manifest skopeo reads at ref.
func rawDigest(t *testing.T, ref string) string {
	t.Helper()
	out, err := run("skopeo", "inspect", "--raw", "--tls-verify=false", ref)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(out)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func mustCopy(t *testing.T, src, dst string, opts *berth.CopyOptions) *berth.CopyResult {
	t.Helper()
	r, err := berth.Copy(context.Background(), src, dst, opts)
	if err != nil {
		t.Fatalf("Copy(%s, %s): %v", src, dst, err)
	}
	return r
}

func assertAbsent(t *testing.T, ref string) {
	t.Helper()
	_, err := berth.Copy(context.Background(), ref, "oci:"+filepath.Join(t.TempDir(), "o")+":x", nil)
	if !errors.Is(err, berth.ErrNotFound) {
		t.Errorf("%s: want ENotFound (the tag must not exist), got %v", ref, err)
	}
}

func sortedDigests(events []berth.Progress, kind berth.ProgressEvent) []string {
	var out []string
	for _, e := range events {
		if e.Event == kind {
			out = append(out, e.Digest)
		}
	}
	sort.Strings(out)
	return out
}

// ---------------------------------------------------------------------------
// Round trip

// copyCounts is the comparable part of a CopyResult: what moved.
type copyCounts struct {
	Digest, MediaType                                  string
	BytesCopied                                        uint64
	BlobsCopied, BlobsSkipped, BlobsMounted, Manifests int
}

func counts(r *berth.CopyResult) copyCounts {
	return copyCounts{r.Digest, r.MediaType, r.BytesCopied, r.BlobsCopied, r.BlobsSkipped, r.BlobsMounted, r.Manifests}
}

func TestCopyRoundTrip(t *testing.T) {
	img := image(t)
	dst := repo(t) + ":v1"
	up := mustCopy(t, img.Ref, dst, nil)
	want := copyCounts{Digest: img.Digest, MediaType: ociManifest, BytesCopied: img.total(),
		BlobsCopied: 2, Manifests: 1}
	if counts(up) != want {
		t.Errorf("oci -> registry: %+v, want %+v", *up, want)
	}
	if got := rawDigest(t, dst); got != img.Digest {
		t.Errorf("skopeo sees %s in the registry, want %s", got, img.Digest)
	}

	out := filepath.Join(t.TempDir(), "out")
	down := mustCopy(t, dst, "oci:"+out+":copied", &berth.CopyOptions{Jobs: 2})
	if counts(down) != (copyCounts{Digest: img.Digest, MediaType: ociManifest, BytesCopied: img.total(),
		BlobsCopied: 2, Manifests: 1}) {
		t.Errorf("registry -> oci: %+v", *down)
	}
	if got := rawDigest(t, "oci:"+out+":copied"); got != img.Digest {
		t.Errorf("skopeo sees %s in the layout, want %s", got, img.Digest)
	}
	for _, d := range append(img.digests(), img.Digest) {
		a, errA := os.ReadFile(blobPath(img.Layout, d))
		b, errB := os.ReadFile(blobPath(out, d))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("blob %s differs between the layouts (%v, %v)", d, errA, errB)
		}
	}
}

func TestCopySkipsWhatIsThere(t *testing.T) {
	img := image(t)
	r := repo(t)
	if first := mustCopy(t, img.Ref, r+":a", nil); first.BlobsCopied != 2 {
		t.Fatalf("first copy: %+v", *first)
	}
	var events []berth.Progress
	second := mustCopy(t, img.Ref, r+":b", &berth.CopyOptions{Progress: func(p berth.Progress) bool {
		events = append(events, p)
		return false
	}})
	if counts(second) != (copyCounts{Digest: img.Digest, MediaType: ociManifest, BlobsSkipped: 2, Manifests: 1}) {
		t.Errorf("second copy: %+v", *second)
	}
	if got := sortedDigests(events, berth.BlobSkipped); fmt.Sprint(got) != fmt.Sprint(img.digests()) {
		t.Errorf("BlobSkipped events for %v, want %v", got, img.digests())
	}
	for _, e := range events {
		if e.Event != berth.BlobSkipped && e.Event != berth.ManifestDone {
			t.Errorf("unexpected event %v", e.Event)
		}
	}
	// The tag already names the digest: nothing moves, nothing is written.
	again := mustCopy(t, img.Ref, r+":b", nil)
	if counts(again) != (copyCounts{Digest: img.Digest, MediaType: ociManifest}) {
		t.Errorf("copy onto the same tag: %+v", *again)
	}
}

func TestCopyWithinTheRegistryMounts(t *testing.T) {
	img := image(t)
	r := repo(t)
	mustCopy(t, img.Ref, r+"-src:v1", nil)
	var events []berth.Progress
	got := mustCopy(t, r+"-src:v1", r+"-dst:v1", &berth.CopyOptions{Progress: func(p berth.Progress) bool {
		events = append(events, p)
		return false
	}})
	if got.Digest != img.Digest || got.BlobsMounted != 2 || got.BlobsCopied != 0 || got.BytesCopied != 0 {
		t.Errorf("registry -> registry: %+v", *got)
	}
	if mounted := sortedDigests(events, berth.BlobMounted); fmt.Sprint(mounted) != fmt.Sprint(img.digests()) {
		t.Errorf("BlobMounted events for %v", mounted)
	}
	if d := rawDigest(t, r+"-dst:v1"); d != img.Digest {
		t.Errorf("skopeo sees %s", d)
	}
}

func TestCopyFromManyGoroutines(t *testing.T) {
	img := image(t)
	r := repo(t)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	results := make([]*berth.CopyResult, 6)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			results[i], errs[i] = berth.Copy(ctx, img.Ref, fmt.Sprintf("%s-%d:v1", r, i),
				&berth.CopyOptions{Jobs: 2, Progress: func(berth.Progress) bool { return false }})
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil || results[i].Digest != img.Digest {
			t.Errorf("copy %d: %v %+v", i, err, results[i])
		}
	}
}

// ---------------------------------------------------------------------------
// Progress

func TestCopyProgress(t *testing.T) {
	img := image(t)
	var (
		events  []berth.Progress
		busy    bool
		overlap bool
	)
	r := mustCopy(t, img.Ref, repo(t)+":v1", &berth.CopyOptions{Jobs: 4, Progress: func(p berth.Progress) bool {
		// No lock: the binding promises that calls are ordered (run with -race).
		if busy {
			overlap = true
		}
		busy = true
		events = append(events, p)
		busy = false
		return false
	}})
	if overlap {
		t.Error("two progress calls overlapped")
	}
	seen := map[berth.ProgressEvent]int{}
	for _, e := range events {
		seen[e.Event]++
	}
	for _, kind := range []berth.ProgressEvent{berth.BlobStarted, berth.BlobProgress, berth.BlobDone, berth.ManifestDone} {
		if seen[kind] == 0 {
			t.Errorf("no %v event in %v", kind, seen)
		}
	}
	if seen[berth.BlobSkipped]+seen[berth.BlobMounted] != 0 || seen[berth.ManifestDone] != 1 {
		t.Errorf("events %v", seen)
	}
	if done := sortedDigests(events, berth.BlobDone); fmt.Sprint(done) != fmt.Sprint(img.digests()) {
		t.Errorf("BlobDone for %v, want %v", done, img.digests())
	}
	var layer string
	for d, size := range img.Blobs {
		if layer == "" || size > img.Blobs[layer] {
			layer = d
		}
	}
	var steps []uint64
	var last uint64
	for i, e := range events {
		if e.Event == berth.BlobDone && (e.Bytes != e.Total || e.Total != uint64(img.Blobs[e.Digest])) {
			t.Errorf("BlobDone %s: %d of %d bytes, size %d", e.Digest, e.Bytes, e.Total, img.Blobs[e.Digest])
		}
		if e.Event == berth.BlobProgress && e.Digest == layer {
			steps = append(steps, e.Bytes)
		}
		if e.OverallBytes < last || e.OverallBytes > e.OverallTotal {
			t.Errorf("event %d: overall %d of %d after %d", i, e.OverallBytes, e.OverallTotal, last)
		}
		last = e.OverallBytes
	}
	if len(steps) < 2 || !sort.SliceIsSorted(steps, func(i, j int) bool { return steps[i] < steps[j] }) ||
		steps[len(steps)-1] != uint64(img.Blobs[layer]) {
		t.Errorf("layer progress steps %v, size %d", steps, img.Blobs[layer])
	}
	end := events[len(events)-1]
	if end.Event != berth.ManifestDone || end.Digest != r.Digest || r.Digest != img.Digest {
		t.Errorf("last event %+v, result %+v", end, *r)
	}
	if end.OverallBytes != end.OverallTotal || end.OverallTotal != img.total() || r.BytesCopied != img.total() {
		t.Errorf("overall %d of %d, copied %d, image %d", end.OverallBytes, end.OverallTotal, r.BytesCopied, img.total())
	}
}

func TestProgressEventString(t *testing.T) {
	for e, want := range map[berth.ProgressEvent]string{
		berth.BlobStarted: "blob_started", berth.BlobProgress: "blob_progress", berth.BlobDone: "blob_done",
		berth.BlobSkipped: "blob_skipped", berth.BlobMounted: "blob_mounted", berth.ManifestDone: "manifest_done",
		42: "event_42", -1: "event_-1",
	} {
		if got := e.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(e), got, want)
		}
	}
}

// ---------------------------------------------------------------------------
// Cancellation

func TestCopyCancelFromProgress(t *testing.T) {
	img := image(t)
	for _, stopAt := range []berth.ProgressEvent{berth.BlobStarted, berth.BlobProgress} {
		t.Run(stopAt.String(), func(t *testing.T) {
			dst := repo(t) + ":v1"
			var calls []berth.ProgressEvent
			r, err := berth.Copy(context.Background(), img.Ref, dst, &berth.CopyOptions{
				Progress: func(p berth.Progress) bool {
					calls = append(calls, p.Event)
					return p.Event == stopAt
				}})
			var be *berth.Error
			if !errors.As(err, &be) || be.Code != berth.ECancelled || r != nil {
				t.Fatalf("want an ECancelled *Error, got %v (result %+v)", err, r)
			}
			if !errors.Is(err, berth.ErrCancelled) || errors.Is(err, context.Canceled) {
				t.Errorf("errors.Is: ErrCancelled %v, context.Canceled %v", errors.Is(err, berth.ErrCancelled),
					errors.Is(err, context.Canceled))
			}
			if calls[len(calls)-1] != stopAt {
				t.Errorf("progress was called after it cancelled: %v", calls)
			}
			assertAbsent(t, dst)
		})
	}
}

func TestCopyContextCancelled(t *testing.T) {
	img := image(t)

	t.Run("during the copy", func(t *testing.T) {
		dst := repo(t) + ":v1"
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		calls := 0
		_, err := berth.Copy(ctx, img.Ref, dst, &berth.CopyOptions{Progress: func(p berth.Progress) bool {
			calls++
			if p.Event == berth.BlobStarted {
				cancel() // the binding notices at the next report, before calling here
			}
			return false
		}})
		if !errors.Is(err, berth.ErrCancelled) || !errors.Is(err, context.Canceled) {
			t.Fatalf("want ECancelled wrapping context.Canceled, got %v", err)
		}
		var be *berth.Error
		if !errors.As(err, &be) || be.Code != berth.ECancelled || !strings.Contains(err.Error(), "context canceled") {
			t.Errorf("error %v", err)
		}
		if calls != 1 {
			t.Errorf("progress called %d times, want once (before the cancel)", calls)
		}
		assertAbsent(t, dst)
	})

	t.Run("without a progress func", func(t *testing.T) {
		// The binding installs its own callback to watch the context. This one
		// ends right after Copy has checked it, so the callback must notice.
		ctx := &endsAfterFirstCheck{Context: context.Background(), done: make(chan struct{})}
		dst := repo(t) + ":v1"
		_, err := berth.Copy(ctx, img.Ref, dst, nil)
		if !errors.Is(err, berth.ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want ECancelled wrapping context.DeadlineExceeded, got %v", err)
		}
		if ctx.checks.Load() < 2 {
			t.Errorf("the context was checked %d times", ctx.checks.Load())
		}
		assertAbsent(t, dst)
	})

	t.Run("deadline passed before the start", func(t *testing.T) {
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		_, err := berth.Copy(ctx, img.Ref, repo(t)+":v1", nil)
		if !errors.Is(err, berth.ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want ECancelled wrapping context.DeadlineExceeded, got %v", err)
		}
	})

	t.Run("already cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		called := false
		_, err := berth.Copy(ctx, img.Ref, repo(t)+":v1", &berth.CopyOptions{
			Progress: func(berth.Progress) bool { called = true; return false }})
		if !errors.Is(err, berth.ErrCancelled) || !errors.Is(err, context.Canceled) || called {
			t.Fatalf("want ECancelled wrapping context.Canceled and no progress, got %v (called %v)", err, called)
		}
	})

	t.Run("a context that never ends", func(t *testing.T) {
		r := mustCopy(t, img.Ref, repo(t)+":v1", nil)
		if r.BlobsCopied != 2 {
			t.Errorf("%+v", *r)
		}
	})
}

// endsAfterFirstCheck is a context whose Err is nil once, then DeadlineExceeded.
type endsAfterFirstCheck struct {
	context.Context
	done   chan struct{}
	checks atomic.Int32
}

func (c *endsAfterFirstCheck) Done() <-chan struct{} { return c.done }

func (c *endsAfterFirstCheck) Err() error {
	if c.checks.Add(1) == 1 {
		return nil
	}
	return context.DeadlineExceeded
}

type boom struct{ n int }

func TestCopyPanicInProgressIsReRaised(t *testing.T) {
	img := image(t)
	dst := repo(t) + ":v1"
	calls := 0
	func() {
		defer func() {
			got := recover()
			if b, ok := got.(*boom); !ok || b.n != 7 {
				t.Errorf("recovered %v, want the callback's *boom", got)
			}
		}()
		berth.Copy(context.Background(), img.Ref, dst, &berth.CopyOptions{Progress: func(berth.Progress) bool {
			calls++
			panic(&boom{7})
		}})
		t.Error("Copy returned instead of panicking")
	}()
	if calls != 1 {
		t.Errorf("progress called %d times after panicking", calls)
	}
	assertAbsent(t, dst)
}

// ---------------------------------------------------------------------------
// Errors

func TestCopyBadReference(t *testing.T) {
	img := image(t)
	host := plainStack.host(t)
	out := "oci:" + filepath.Join(t.TempDir(), "o") + ":x"
	for _, c := range []struct{ src, dst string }{
		{"docker://" + host + "/UPPER:v1", out},
		{"docker://", out},
		{img.Ref, "docker://" + host + "/bind-go/bad repo:v1"},
		{img.Ref, "docker://" + host + "/bind-go/r:bad tag!"},
		{img.Ref, "docker://" + host + "/bind-go/r@sha256:abc"},
		{img.Ref, "oci:"},
	} {
		_, err := berth.Copy(context.Background(), c.src, c.dst, nil)
		var be *berth.Error
		if !errors.As(err, &be) || be.Code != berth.EInvalid || be.Message == "" {
			t.Errorf("Copy(%q, %q): want EInvalid with a message, got %v", c.src, c.dst, err)
		}
	}
}

func TestCopyNotFound(t *testing.T) {
	img := image(t)
	r := repo(t)
	mustCopy(t, img.Ref, r+":v1", nil)
	out := "oci:" + filepath.Join(t.TempDir(), "o") + ":x"

	_, err := berth.Copy(context.Background(), r+":no-such-tag", out, nil)
	var be *berth.Error
	if !errors.As(err, &be) || be.Code != berth.ENotFound || be.HTTPStatus != 404 ||
		!strings.Contains(be.Message, "no-such-tag") {
		t.Errorf("missing tag: want ENotFound with HTTP 404, got %#v", err)
	}
	for _, src := range []string{r + "-never-pushed:v1", "oci:" + img.Layout + ":no-such-tag"} {
		if _, err := berth.Copy(context.Background(), src, out, nil); !errors.Is(err, berth.ErrNotFound) {
			t.Errorf("%s: want ENotFound, got %v", src, err)
		}
	}
}

func TestCopyBadOptions(t *testing.T) {
	img := image(t)
	dst := repo(t) + ":v1"
	for name, c := range map[string]struct {
		src, dst string
		opts     *berth.CopyOptions
	}{
		"negative jobs":   {img.Ref, dst, &berth.CopyOptions{Jobs: -1}},
		"huge jobs":       {img.Ref, dst, &berth.CopyOptions{Jobs: 1 << 40}},
		"NUL in src":      {img.Ref + "\x00", dst, nil},
		"NUL in dst":      {img.Ref, dst + "\x00", nil},
		"NUL in creds":    {img.Ref, dst, &berth.CopyOptions{Dst: berth.RegistryOptions{Creds: "u:" + authPass + "\x00"}}},
		"NUL in platform": {img.Ref, dst, &berth.CopyOptions{Platform: "linux/amd64\x00"}},
	} {
		_, err := berth.Copy(context.Background(), c.src, c.dst, c.opts)
		if !errors.Is(err, berth.ErrInvalid) {
			t.Errorf("%s: want EInvalid, got %v", name, err)
		} else if strings.Contains(err.Error(), authPass) {
			t.Errorf("%s: the error shows the password: %v", name, err)
		}
	}
	if _, err := berth.Copy(nil, img.Ref, dst, nil); !errors.Is(err, berth.ErrInvalid) {
		t.Errorf("nil context: want EInvalid, got %v", err)
	}
	assertAbsent(t, dst)
}

func TestCopyCredentials(t *testing.T) {
	img := image(t)
	host := authStack.host(t)
	dst := "docker://" + host + "/bind-go/creds:v1"

	_, err := berth.Copy(context.Background(), img.Ref, dst, nil)
	var be *berth.Error
	if !errors.As(err, &be) || be.Code != berth.EAuth || be.HTTPStatus != 401 {
		t.Errorf("no credentials: want EAuth with HTTP 401, got %v", err)
	}
	_, err = berth.Copy(context.Background(), img.Ref, dst, &berth.CopyOptions{Dst: berth.RegistryOptions{Creds: authUser + ":wrong"}})
	if !errors.Is(err, berth.ErrAuth) {
		t.Errorf("wrong password: want EAuth, got %v", err)
	}
	r := mustCopy(t, img.Ref, dst, &berth.CopyOptions{Dst: berth.RegistryOptions{Creds: authUser + ":" + authPass}})
	if r.Digest != img.Digest || r.BlobsCopied != 2 {
		t.Errorf("push with credentials: %+v", *r)
	}
	out := "oci:" + filepath.Join(t.TempDir(), "o") + ":v1"
	if _, err := berth.Copy(context.Background(), dst, out, &berth.CopyOptions{Src: berth.RegistryOptions{Creds: authUser + ":nope"}}); !errors.Is(err, berth.ErrAuth) {
		t.Errorf("pull with a wrong password: want EAuth, got %v", err)
	}
	if r := mustCopy(t, dst, out, &berth.CopyOptions{Src: berth.RegistryOptions{Creds: authUser + ":" + authPass}}); r.Digest != img.Digest {
		t.Errorf("pull with credentials: %+v", *r)
	}
}
