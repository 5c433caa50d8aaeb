package berth_test

// BuildDockerfile: a busybox base made with Build from Debian's busybox-static, then
// Dockerfiles with RUN, COPY and config instructions built through the C ABI.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	berth "github.com/berth-project/berth/bindings/go"
)

func busyboxBase(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the Dockerfile tests run as root here")
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("busybox-static is missing: %v", err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin", "busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	list, err := exec.Command("/bin/busybox", "--list").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range strings.Fields(string(list)) {
		if name != "busybox" {
			if err := os.Symlink("busybox", filepath.Join(root, "bin", name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	writeFiles(t, root, map[string]string{"etc/passwd": "root:x:0:0:root:/root:/bin/sh\n"})
	ref := "oci:" + filepath.Join(t.TempDir(), "base") + ":busybox"
	if _, err := berth.Build(context.Background(), berth.BuildOptions{Output: ref, Layers: []string{root},
		Created: time.Unix(0, 0)}); err != nil {
		t.Fatal(err)
	}
	return ref
}

func TestBuildDockerfile(t *testing.T) {
	base := busyboxBase(t)
	ctx := t.TempDir()
	writeFiles(t, ctx, map[string]string{"greeting": "hello\n"})
	state := t.TempDir()
	out := "oci:" + filepath.Join(t.TempDir(), "out") + ":v1"
	var mu sync.Mutex
	var logged strings.Builder
	opts := berth.DockerfileOptions{
		Output: out, Context: ctx, StateDir: state,
		DockerfileText: "FROM " + base + "\nARG WHO\nCOPY greeting /g\n" +
			"RUN echo \"$(cat /g) $WHO\" > /made && echo ran\nENV MODE=test\nCMD [\"cat\", \"/made\"]\n",
		BuildArgs: map[string]string{"WHO": "go"},
		Created:   time.Unix(0, 0),
		Log: func(s string) {
			mu.Lock()
			defer mu.Unlock()
			logged.WriteString(s)
		},
	}
	r, err := berth.BuildDockerfile(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.LayersBuilt != 2 || !strings.Contains(logged.String(), "ran") {
		t.Fatalf("result %+v, log %q", r, logged.String())
	}
	var cfg struct {
		Config struct {
			Env []string
			Cmd []string
		} `json:"config"`
	}
	layout := strings.TrimSuffix(strings.TrimPrefix(out, "oci:"), ":v1")
	if err := json.Unmarshal(readBlob(t, layout, r.ConfigDigest), &cfg); err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.Config.Cmd, " ") != "cat /made" || !contains(cfg.Config.Env, "MODE=test") {
		t.Fatalf("config %+v", cfg.Config)
	}
	dir := filepath.Join(t.TempDir(), "rootfs")
	if err := berth.Export(context.Background(), out, dir, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "made")); string(b) != "hello go\n" {
		t.Fatalf("made: %q", b)
	}
	// Again: from the step cache, the same digest.
	opts.Log = nil
	again, err := berth.BuildDockerfile(context.Background(), opts)
	if err != nil || again.Digest != r.Digest {
		t.Fatalf("again: %+v, %v (first %s)", again, err, r.Digest)
	}
}

func TestBuildDockerfileFailingRun(t *testing.T) {
	base := busyboxBase(t)
	out := filepath.Join(t.TempDir(), "out")
	_, err := berth.BuildDockerfile(context.Background(), berth.DockerfileOptions{
		Output: "oci:" + out + ":v1", Context: t.TempDir(), StateDir: t.TempDir(),
		DockerfileText: "FROM " + base + "\nRUN echo boom; exit 4\n"})
	e := berthError(t, err, berth.EBuild)
	if !strings.Contains(e.Message, "exit code 4") || !strings.Contains(e.Message, "boom") {
		t.Fatalf("message %q", e.Message)
	}
	if _, err := os.Stat(filepath.Join(out, "index.json")); err == nil {
		t.Fatal("a failed build stored an image")
	}
	if _, err := berth.BuildDockerfile(context.Background(), berth.DockerfileOptions{Output: "oci:" + out + ":v1",
		Network: "bridge"}); err == nil {
		t.Fatal("Network bridge accepted")
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func TestBuildDockerfileSecretsAndCacheMounts(t *testing.T) {
	base := busyboxBase(t)
	dir := t.TempDir()
	const secret = "go-secret-91bd"
	if err := os.WriteFile(filepath.Join(dir, "tok"), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	layout := filepath.Join(t.TempDir(), "out")
	out := "oci:" + layout + ":v1"
	var logged strings.Builder
	var mu sync.Mutex
	_, err := berth.BuildDockerfile(context.Background(), berth.DockerfileOptions{
		Output: out, Context: dir, StateDir: t.TempDir(), Created: time.Unix(0, 0),
		Secrets: []string{"id=tok,src=" + filepath.Join(dir, "tok")},
		DockerfileText: "FROM " + base + "\n" +
			"RUN --mount=type=secret,id=tok wc -c < /run/secrets/tok > /len\n" +
			"RUN --mount=type=tmpfs,target=/t --mount=type=cache,target=/c echo x > /t/x && ls /t > /seen\n",
		Log: func(s string) { mu.Lock(); defer mu.Unlock(); logged.WriteString(s) },
	})
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "rootfs")
	if err := berth.Export(context.Background(), out, root, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "len")); strings.TrimSpace(string(b)) != fmt.Sprint(len(secret)) {
		t.Fatalf("len: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "seen")); string(b) != "x\n" {
		t.Fatalf("seen: %q", b)
	}
	entries, _ := os.ReadDir(filepath.Join(layout, "blobs", "sha256"))
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(layout, "blobs", "sha256", e.Name()))
		if strings.Contains(string(b), secret) {
			t.Fatalf("the secret is in blob %s", e.Name())
		}
	}
	if strings.Contains(logged.String(), secret) {
		t.Fatal("the secret is in the log")
	}
	_, err = berth.BuildDockerfile(context.Background(), berth.DockerfileOptions{
		Output: out, Context: dir, DockerfileText: "FROM " + base + "\n", Secrets: []string{"src=/x"}})
	if !errors.Is(err, berth.ErrInvalid) {
		t.Fatalf("a secret without id: %v", err)
	}
}

func TestBuildDockerfileCacheSpecsAreCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"f": "x\n"})
	layout := filepath.Join(t.TempDir(), "out")
	opts := berth.DockerfileOptions{Output: "oci:" + layout + ":v1", Context: dir, StateDir: t.TempDir(),
		DockerfileText: "FROM scratch\nCOPY f /f\n"}
	for _, c := range []struct {
		from []string
		to   string
		code int
		text string
	}{
		{nil, "type=gha", berth.EUnsupported, "type=gha"},
		{nil, "type=registry", berth.EInvalid, "ref="},
		{nil, "type=registry,ref=127.0.0.1:1/c,mode=all", berth.EInvalid, "mode"},
		{[]string{"type=s3"}, "", berth.EUnsupported, "type=s3"},
		{[]string{"type=registry"}, "", berth.EInvalid, "ref="},
		{[]string{"127.0.0.1:1/c\x00"}, "", berth.EInvalid, "CacheFrom[0]"},
	} {
		o := opts
		o.CacheFrom, o.CacheTo = c.from, c.to
		_, err := berth.BuildDockerfile(context.Background(), o)
		if e := berthError(t, err, c.code); !strings.Contains(e.Message, c.text) {
			t.Errorf("%q %q: %q does not say %q", c.from, c.to, e.Message, c.text)
		}
	}
	if _, err := os.Stat(layout); err == nil {
		t.Fatal("a refused build wrote its output")
	}
}

func TestBuildDockerfileOnAnOlderLibrary(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"f": "x\n"})
	opts := func(name string) berth.DockerfileOptions {
		return berth.DockerfileOptions{Output: "oci:" + filepath.Join(t.TempDir(), name) + ":v1", Context: dir,
			StateDir: t.TempDir(), DockerfileText: "FROM scratch\nCOPY f /f\n"}
	}
	// Knowing version 2: asked for 3 first, then given 2; cache options are refused.
	asked, undo := berth.PlayOlderDockerfileLibrary(2)
	defer undo()
	o := opts("v2")
	o.Secrets = []string{"id=x,src=" + filepath.Join(dir, "f")}
	if _, err := berth.BuildDockerfile(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(*asked) != "[3 2]" {
		t.Fatalf("versions asked: %v", *asked)
	}
	o = opts("refused")
	o.CacheTo = "type=registry,ref=127.0.0.1:1/c"
	_, err := berth.BuildDockerfile(context.Background(), o)
	if e := berthError(t, err, berth.EUnsupported); !strings.Contains(e.Message, "CacheFrom and CacheTo need berth_dockerfile_options version 3") {
		t.Fatalf("message %q", e.Message)
	}
	undo()
	// Knowing version 1 only: a build without secrets or caches still works.
	asked, undo = berth.PlayOlderDockerfileLibrary(1)
	defer undo()
	if _, err := berth.BuildDockerfile(context.Background(), opts("v1")); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(*asked) != "[3 2 1]" {
		t.Fatalf("versions asked: %v", *asked)
	}
	o = opts("refused")
	o.Secrets = []string{"id=x"}
	_, err = berth.BuildDockerfile(context.Background(), o)
	if e := berthError(t, err, berth.EUnsupported); !strings.Contains(e.Message, "Secrets need berth_dockerfile_options version 2") {
		t.Fatalf("message %q", e.Message)
	}
}

// A CI runner that starts empty: the first build exports its steps to a real
// registry (CacheTo); a second with a new StateDir takes each from there
// (CacheFrom), runs nothing, and makes the same image.
func TestBuildDockerfileRegistryCache(t *testing.T) {
	host := plainStack.host(t)
	base := busyboxBase(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.txt": "alpha\n"})
	text := "FROM " + base + "\nCOPY a.txt /a.txt\nRUN echo ran-go | tr a-z A-Z && wc -c /a.txt > /size\n"
	cache := host + "/bind-go/cache"
	build := func(state string, o berth.DockerfileOptions) (*berth.BuildResult, string) {
		t.Helper()
		var mu sync.Mutex
		var logged strings.Builder
		o.Output = "oci:" + filepath.Join(t.TempDir(), "out") + ":v1"
		o.Context, o.StateDir, o.DockerfileText, o.Created = dir, state, text, time.Unix(0, 0)
		o.Log = func(s string) { mu.Lock(); defer mu.Unlock(); logged.WriteString(s) }
		r, err := berth.BuildDockerfile(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		return r, logged.String()
	}
	first, log1 := build(t.TempDir(), berth.DockerfileOptions{CacheTo: "type=registry,ref=" + cache})
	if !strings.Contains(log1, "RAN-GO") || !strings.Contains(log1, "build cache "+cache+":buildcache: 2 steps") {
		t.Fatalf("first build's log:\n%s", log1)
	}
	second, log2 := build(t.TempDir(), berth.DockerfileOptions{CacheFrom: []string{"type=registry,ref=" + cache}})
	if strings.Contains(log2, "RAN-GO") {
		t.Fatalf("a step ran again:\n%s", log2)
	}
	steps := regexp.MustCompile(`(?m)^#\d+ (?:COPY|RUN) .*\n(.*)`).FindAllStringSubmatch(log2, -1)
	if len(steps) != 2 || steps[0][1] != "  CACHED" || steps[1][1] != "  CACHED" {
		t.Fatalf("not every step CACHED:\n%s", log2)
	}
	if second.Digest != first.Digest {
		t.Fatalf("digests %s and %s", first.Digest, second.Digest)
	}
}
