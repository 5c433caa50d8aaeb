package berth_test

// Build, Index, Export, Push and Replicate: images built from temporary
// directories into OCI layouts (no daemon), pushed to the plain registry of the
// test stack that TestMain stops (copy_test.go), with skopeo judging the tags;
// TagsCompute and lifecycle policies locally; the ECR pipeline calls against
// moto (aws_test.go). Nothing leaves the loopback interface.

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	berth "github.com/berth-project/berth/bindings/go"
)

const ociIndex = "application/vnd.oci.image.index.v1+json"

var buildTime = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// tree reads every regular file under root: relative path -> content.
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || !info.Mode().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// layoutManifest reads the descriptor tagged tag in an OCI layout and the
// manifest (or index) it names.
func layoutManifest(t *testing.T, layout, tag string) (digest string, doc map[string]any) {
	t.Helper()
	var index struct {
		Manifests []struct {
			Digest      string
			Annotations map[string]string
		}
	}
	raw, err := os.ReadFile(filepath.Join(layout, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &index); err != nil {
		t.Fatal(err)
	}
	for _, m := range index.Manifests {
		if m.Annotations["org.opencontainers.image.ref.name"] == tag {
			b, err := os.ReadFile(blobPath(layout, m.Digest))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			return m.Digest, doc
		}
	}
	t.Fatalf("no tag %s in %s", tag, layout)
	return "", nil
}

type buildFixture struct {
	work, base, app string
	baseRef         string
	baseResult      *berth.BuildResult
}

func newBuildFixture(t *testing.T) *buildFixture {
	t.Helper()
	f := &buildFixture{work: t.TempDir()}
	f.base, f.app = filepath.Join(f.work, "src-base"), filepath.Join(f.work, "src-app")
	writeFiles(t, f.base, map[string]string{
		"etc/motd":     "built by the berth Go binding\n",
		"bin/data.bin": strings.Repeat("0123456789abcdef", 1024),
	})
	writeFiles(t, f.app, map[string]string{"srv/app.sh": "echo hello\n"})
	f.baseRef = "oci:" + filepath.Join(f.work, "base") + ":v1"
	f.baseResult = f.buildBase(t, f.baseRef, buildTime)
	return f
}

func (f *buildFixture) buildBase(t *testing.T, output string, created time.Time) *berth.BuildResult {
	t.Helper()
	r, err := berth.Build(bg, berth.BuildOptions{
		Output: output, Layers: []string{f.base},
		Entrypoint: []string{"/bin/sh", "-c"}, Cmd: []string{"echo hi"},
		Env: []string{"LANG=C.UTF-8"}, Labels: map[string]string{"org.example.kind": "base"},
		Annotations: map[string]string{"org.example.note": "test"},
		Workdir:     "/srv", User: "1000:1000", Expose: []string{"8080", "53/udp"},
		Created: created,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestBuildDeterministicLayeredExport(t *testing.T) {
	f := newBuildFixture(t)
	first := f.baseResult
	if first.MediaType != ociManifest || first.LayersBuilt != 1 || first.LayersCached != 0 ||
		!strings.HasPrefix(first.Digest, "sha256:") {
		t.Fatalf("first build: %+v", first)
	}
	again := f.buildBase(t, "oci:"+filepath.Join(f.work, "again")+":v1", buildTime)
	if again.Digest != first.Digest || again.ConfigDigest != first.ConfigDigest ||
		!reflect.DeepEqual(again.Layers, first.Layers) || again.LayersBuilt != first.LayersBuilt {
		t.Fatalf("same inputs, different results:\n%+v\n%+v", first, again)
	}
	later := f.buildBase(t, "oci:"+filepath.Join(f.work, "later")+":v1", buildTime.Add(time.Second))
	if later.Digest == first.Digest {
		t.Fatal("another Created gave the same digest")
	}
	digest, manifest := layoutManifest(t, filepath.Join(f.work, "base"), "v1")
	if digest != first.Digest || manifest["config"].(map[string]any)["digest"] != first.ConfigDigest {
		t.Fatalf("layout has %s, config %v; build said %+v", digest, manifest["config"], first)
	}
	cfgRaw, err := os.ReadFile(blobPath(filepath.Join(f.work, "base"), first.ConfigDigest))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Created string
		Config  struct {
			Entrypoint, Cmd, Env []string
			WorkingDir, User     string
			Labels               map[string]string
			ExposedPorts         map[string]any
		}
	}
	if err := json.Unmarshal(cfgRaw, &cfg); err != nil {
		t.Fatal(err)
	}
	c := cfg.Config
	if !reflect.DeepEqual(c.Entrypoint, []string{"/bin/sh", "-c"}) || !reflect.DeepEqual(c.Cmd, []string{"echo hi"}) ||
		c.WorkingDir != "/srv" || c.User != "1000:1000" || c.Labels["org.example.kind"] != "base" ||
		len(c.ExposedPorts) != 2 || !strings.HasPrefix(cfg.Created, "2024-05-01T12:00:00") {
		t.Fatalf("config: %s", cfgRaw)
	}

	// On top of it: one more layer, under /opt, zstd, with a second tag.
	out := "oci:" + filepath.Join(f.work, "app") + ":v2"
	var events int
	r, err := berth.Build(bg, berth.BuildOptions{
		Output: out, From: f.baseRef, Layers: []string{f.app + ":/opt"}, Compression: "zstd",
		Cmd: []string{"/bin/sh", "/opt/srv/app.sh"}, Created: buildTime, ExtraTags: []string{"latest"},
		Progress: func(berth.Progress) bool { events++; return false },
	})
	if err != nil {
		t.Fatal(err)
	}
	_, m := layoutManifest(t, filepath.Join(f.work, "app"), "v2")
	layers := m["layers"].([]any)
	if r.LayersBuilt != 1 || len(layers) != 2 ||
		!strings.Contains(layers[1].(map[string]any)["mediaType"].(string), "zstd") {
		t.Fatalf("layered build: %+v, manifest %v", r, m)
	}
	if d, _ := layoutManifest(t, filepath.Join(f.work, "app"), "latest"); d != r.Digest {
		t.Fatalf("ExtraTags: latest is %s, want %s", d, r.Digest)
	}

	rootfs := filepath.Join(t.TempDir(), "rootfs")
	if err := berth.Export(bg, out, rootfs, nil); err != nil {
		t.Fatal(err)
	}
	want := tree(t, f.base)
	for k, v := range tree(t, f.app) {
		want[filepath.Join("opt", k)] = v
	}
	if got := tree(t, rootfs); !reflect.DeepEqual(got, want) {
		t.Fatalf("exported files differ: got %v keys, want %v keys", keys(got), keys(want))
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestIndexOfTwoPlatforms(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"hello.txt": "hello\n"})
	layout := filepath.Join(t.TempDir(), "multi")
	for _, p := range []struct{ platform, tag string }{{"linux/amd64", "amd64"}, {"linux/arm64", "arm64"}} {
		if _, err := berth.Build(bg, berth.BuildOptions{Output: "oci:" + layout + ":" + p.tag,
			Layers: []string{src}, Platform: p.platform, Created: buildTime}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := berth.Index(bg, []string{"oci:" + layout + ":amd64", "oci:" + layout + ":arm64"},
		"oci:"+layout+":multi", &berth.IndexOptions{ExtraTags: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	digest, idx := layoutManifest(t, layout, "multi")
	if res.MediaType != ociIndex || digest != res.Digest {
		t.Fatalf("index result %+v, layout has %s", res, digest)
	}
	var platforms []string
	for _, m := range idx["manifests"].([]any) {
		p := m.(map[string]any)["platform"].(map[string]any)
		platforms = append(platforms, p["os"].(string)+"/"+p["architecture"].(string))
	}
	sort.Strings(platforms)
	if !reflect.DeepEqual(platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Fatalf("platforms %v", platforms)
	}
	if d, _ := layoutManifest(t, layout, "all"); d != res.Digest {
		t.Fatalf("ExtraTags: all is %s", d)
	}
	dir := filepath.Join(t.TempDir(), "arm")
	if err := berth.Export(bg, "oci:"+layout+":multi", dir, &berth.ExportOptions{Platform: "linux/arm64"}); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, dir); !reflect.DeepEqual(got, tree(t, src)) {
		t.Fatalf("export: %v", got)
	}
}

// A build's progress callback runs on berth's worker threads: a panic there comes
// back as the same panic from Build, and returning true cancels; either way nothing
// is tagged.
func TestBuildProgressPanicsAndCancels(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.txt": "panic and cancel\n"})
	dir := t.TempDir()
	noImage := func(name string) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(dir, name, "index.json"))
		if err != nil {
			return // no layout at all
		}
		var idx struct{ Manifests []json.RawMessage }
		if err := json.Unmarshal(data, &idx); err != nil || len(idx.Manifests) != 0 {
			t.Errorf("%s: an image was tagged after the callback stopped the build: %s", name, data)
		}
	}
	calls := 0
	func() {
		defer func() {
			if b, ok := recover().(*boom); !ok || b.n != 9 {
				t.Errorf("recovered %v, want the callback's *boom", b)
			}
		}()
		berth.Build(bg, berth.BuildOptions{Output: "oci:" + filepath.Join(dir, "p") + ":v1",
			Layers: []string{src}, Created: buildTime,
			Progress: func(berth.Progress) bool { calls++; panic(&boom{9}) }})
		t.Error("Build returned instead of panicking")
	}()
	if calls != 1 {
		t.Errorf("progress called %d times after panicking", calls)
	}
	noImage("p")
	_, err := berth.Build(bg, berth.BuildOptions{Output: "oci:" + filepath.Join(dir, "c") + ":v1",
		Layers: []string{src}, Created: buildTime,
		Progress: func(berth.Progress) bool { return true }})
	if !errors.Is(err, berth.ErrCancelled) {
		t.Errorf("cancelling progress: %v", err)
	}
	noImage("c")
}

func TestBuildBadArguments(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		opts berth.BuildOptions
		code int
	}{
		"no output":     {berth.BuildOptions{}, berth.EInvalid},
		"bad label":     {berth.BuildOptions{Output: "oci:" + dir + "/x:v1", Labels: map[string]string{"a=b": "c"}}, berth.EInvalid},
		"NUL":           {berth.BuildOptions{Output: "oci:" + dir + "/x:v1", Env: []string{"A=\x00"}}, berth.EInvalid},
		"bad level":     {berth.BuildOptions{Output: "oci:" + dir + "/x:v1", Level: -5}, berth.EInvalid},
		"before epoch":  {berth.BuildOptions{Output: "oci:" + dir + "/x:v1", Created: time.Unix(-5, 0)}, berth.EInvalid},
		"bad compress":  {berth.BuildOptions{Output: "oci:" + dir + "/x:v1", Compression: "lzma"}, 0},
		"missing layer": {berth.BuildOptions{Output: "oci:" + dir + "/x:v1", Layers: []string{dir + "/missing"}}, 0},
	} {
		_, err := berth.Build(bg, tc.opts)
		var be *berth.Error
		if !errors.As(err, &be) || (tc.code != 0 && be.Code != tc.code) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if _, err := berth.Build(ctx, berth.BuildOptions{Output: "oci:" + dir + "/x:v1"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	if _, err := berth.Push(bg, "oci:/nowhere:v1", "127.0.0.1:1/app", nil, nil); !errors.Is(err, berth.ErrInvalid) {
		t.Errorf("Push without a tag: %v", err)
	}
	if _, err := berth.Push(bg, "oci:/nowhere:v1", "127.0.0.1:1/app:v1", []string{"bad tag"}, nil); !errors.Is(err, berth.ErrInvalid) {
		t.Errorf("Push with a bad tag: %v", err)
	}
	if _, err := berth.Replicate(bg, "oci:/nowhere:v1", nil, nil); !errors.Is(err, berth.ErrInvalid) {
		t.Errorf("Replicate without destinations: %v", err)
	}
	if _, err := berth.Index(bg, nil, "oci:/nowhere:v1", nil); !errors.Is(err, berth.ErrInvalid) {
		t.Errorf("Index without sources: %v", err)
	}
}

func listTags(t *testing.T, ref string) []string {
	t.Helper()
	out, err := exec.Command("skopeo", "list-tags", "--tls-verify=false", ref).Output()
	if err != nil {
		t.Fatalf("skopeo list-tags %s: %v", ref, err)
	}
	var d struct{ Tags []string }
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatal(err)
	}
	sort.Strings(d.Tags)
	return d.Tags
}

func TestPushWithTagsAndReplicate(t *testing.T) {
	host := plainStack.host(t)
	f := newBuildFixture(t)
	digest := f.baseResult.Digest
	app := host + "/bind-go-build/app"
	r, err := berth.Push(bg, f.baseRef, app, []string{"1.0.0", "1.0", "latest"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Digest != digest || r.BlobsCopied != 2 || r.Manifests != 1 {
		t.Fatalf("push: %+v", r)
	}
	if got := listTags(t, "docker://"+app); !reflect.DeepEqual(got, []string{"1.0", "1.0.0", "latest"}) {
		t.Fatalf("tags after push: %v", got)
	}
	r, err = berth.Push(bg, f.baseRef, "docker://"+app+":1.0.0", []string{"edge"}, nil)
	if err != nil || r.BlobsCopied != 0 || r.Digest != digest {
		t.Fatalf("second push: %+v, %v", r, err)
	}
	if got := listTags(t, "docker://"+app); !reflect.DeepEqual(got, []string{"1.0", "1.0.0", "edge", "latest"}) {
		t.Fatalf("tags after the second push: %v", got)
	}

	// From the layout to a new repository, then from the registry to two: one
	// has the image already, the other mounts the blobs.
	mirrorA, mirrorB := host+"/bind-go-build/mirror-a", host+"/bind-go-build/mirror-b"
	if _, err := berth.Replicate(bg, f.baseRef, []string{mirrorA + ":v1"}, nil); err != nil {
		t.Fatal(err)
	}
	res, err := berth.Replicate(bg, "docker://"+app+":1.0.0", []string{mirrorA + ":v1", mirrorB + ":v1"},
		&berth.CopyOptions{ExtraTags: []string{"stable"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Digest != digest || res[1].Digest != digest ||
		res[0].BlobsCopied != 0 || res[1].BlobsMounted != 2 || res[1].BlobsCopied != 0 {
		t.Fatalf("replicate: %+v", res)
	}
	if got := listTags(t, "docker://"+mirrorB); !reflect.DeepEqual(got, []string{"stable", "v1"}) {
		t.Fatalf("mirror-b tags: %v", got)
	}
	// libberth skips a destination that already holds the tag at the digest,
	// extra tags included (lib/ops/replicate.cpp): mirror-a's are not checked.
}

// ---------------------------------------------------------------------------
// Tags and lifecycle policies (local)

func TestTagsCompute(t *testing.T) {
	ctx := &berth.CIContext{Event: "push", Ref: "refs/tags/v1.2.3", SHA: "0123456789abcdef0123456789abcdef01234567",
		DefaultBranch: "main", Repository: "octo/app", ServerURL: "https://github.com", Created: time.Unix(1700000000, 0)}
	r, err := berth.TagsCompute(berth.TagOptions{Rules: []string{"type=semver,pattern={{version}}",
		"type=semver,pattern={{major}}.{{minor}}", "type=sha"}, Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Tags, []string{"1.2.3", "1.2", "sha-0123456", "latest"}) || r.Version != "1.2.3" ||
		r.Labels["org.opencontainers.image.revision"] != ctx.SHA ||
		r.Labels["org.opencontainers.image.created"] != "2023-11-14T22:13:20Z" {
		t.Fatalf("%+v", r)
	}
	branch := *ctx
	branch.Ref = "refs/heads/feature/x"
	r, err = berth.TagsCompute(berth.TagOptions{Rules: []string{"type=ref,event=branch"}, Latest: "false",
		Prefix: "dev-", Context: &branch})
	if err != nil || !reflect.DeepEqual(r.Tags, []string{"dev-feature-x"}) {
		t.Fatalf("branch: %+v, %v", r, err)
	}
	if _, err := berth.TagsCompute(berth.TagOptions{Rules: []string{"type=nonsense"}, Context: ctx}); !errors.Is(err, berth.ErrInvalid) {
		t.Fatalf("bad rule: %v", err)
	}
}

func TestLifecyclePolicies(t *testing.T) {
	policy, err := berth.LifecyclePolicyShorthand(10, 7)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Rules []struct {
			Selection struct {
				TagStatus   string
				CountNumber int
			}
		}
	}
	if err := json.Unmarshal([]byte(policy), &p); err != nil || len(p.Rules) != 2 {
		t.Fatalf("%s: %v", policy, err)
	}
	if err := berth.LifecyclePolicyValidate(policy); err != nil {
		t.Fatal(err)
	}
	bad := `{"rules":[{"rulePriority":0,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`
	err = berth.LifecyclePolicyValidate(bad)
	if be := berthError(t, err, berth.EInvalid); !strings.Contains(be.Message, "rulePriority") {
		t.Fatalf("message %q does not name the field", be.Message)
	}
	if _, err := berth.LifecyclePolicyShorthand(0, 0); !errors.Is(err, berth.ErrInvalid) {
		t.Fatalf("empty shorthand: %v", err)
	}
}

type cacheRule struct {
	RulePriority int
	Selection    struct {
		TagStatus     string
		TagPrefixList []string
		CountType     string
		CountUnit     string
		CountNumber   int
	}
	Action struct{ Type string }
}

func rulesOf(t *testing.T, policy string) []cacheRule {
	t.Helper()
	var p struct{ Rules []cacheRule }
	if err := json.Unmarshal([]byte(policy), &p); err != nil {
		t.Fatalf("%s: %v", policy, err)
	}
	return p.Rules
}

func TestLifecyclePolicyWithBuildCache(t *testing.T) {
	alone, err := berth.LifecyclePolicyWithBuildCache("", 14, "")
	if err != nil {
		t.Fatal(err)
	}
	rules := rulesOf(t, alone)
	if len(rules) != 1 {
		t.Fatalf("rules: %s", alone)
	}
	r := rules[0]
	if r.RulePriority != 1 || r.Selection.TagStatus != "tagged" ||
		!reflect.DeepEqual(r.Selection.TagPrefixList, []string{"buildcache"}) ||
		r.Selection.CountType != "sinceImagePushed" || r.Selection.CountUnit != "days" ||
		r.Selection.CountNumber != 14 || r.Action.Type != "expire" {
		t.Fatalf("the build cache rule: %s", alone)
	}
	if !strings.Contains(alone, `"tagPrefixList":["buildcache"]`) {
		t.Fatalf("%s", alone)
	}

	// First, before the shorthand's rules, which move down one priority each.
	shorthand, err := berth.LifecyclePolicyShorthand(10, 7)
	if err != nil {
		t.Fatal(err)
	}
	before := rulesOf(t, shorthand)
	with, err := berth.LifecyclePolicyWithBuildCache(shorthand, 3, "ci-cache")
	if err != nil {
		t.Fatal(err)
	}
	after := rulesOf(t, with)
	if len(after) != len(before)+1 || after[0].RulePriority != 1 ||
		!reflect.DeepEqual(after[0].Selection.TagPrefixList, []string{"ci-cache"}) || after[0].Selection.CountNumber != 3 {
		t.Fatalf("with the cache rule: %s", with)
	}
	for i, b := range before {
		b.RulePriority++
		if !reflect.DeepEqual(after[i+1], b) {
			t.Fatalf("rule %d: %+v, want %+v", i+1, after[i+1], b)
		}
	}
	if err := berth.LifecyclePolicyValidate(with); err != nil {
		t.Fatal(err)
	}

	for _, bad := range []struct {
		policy string
		days   int
		prefix string
	}{{"", 0, ""}, {"", -1, ""}, {"", 7, "cache*"}, {"{not json", 7, ""}, {`{"rules": 5}`, 7, ""},
		{"", 7, "a\x00b"}} {
		if _, err := berth.LifecyclePolicyWithBuildCache(bad.policy, bad.days, bad.prefix); !errors.Is(err, berth.ErrInvalid) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

// ---------------------------------------------------------------------------
// ECR pipeline against moto

func TestECRPipeline(t *testing.T) {
	opts := withEnvKeys(t)
	repo := uniqueRepo(t)
	made, err := berth.ECREnsureRepository(bg, repo, berth.RepositorySettings{ScanOnPush: true}, true, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !made.Created || !strings.HasSuffix(made.URI, "/"+repo) {
		t.Fatalf("ensure: %+v", made)
	}
	again, err := berth.ECREnsureRepository(bg, repo, berth.RepositorySettings{ScanOnPush: true}, false, opts)
	if err != nil || again.Created || len(again.Differences) != 0 {
		t.Fatalf("ensure again: %+v, %v", again, err)
	}
	drift, err := berth.ECREnsureRepository(bg, repo, berth.RepositorySettings{ScanOnPush: true, Immutable: true}, false, opts)
	if err != nil || len(drift.Differences) == 0 || drift.Updated {
		t.Fatalf("drift: %+v, %v", drift, err)
	}
	// IMMUTABLE_WITH_EXCLUSION: applied, and read back from DescribeRepositories.
	except := berth.RepositorySettings{ScanOnPush: true, Immutable: true, MutabilityExclusions: []string{"latest"}}
	fixed, err := berth.ECREnsureRepository(bg, repo, except, true, opts)
	if err != nil || !fixed.Updated {
		t.Fatalf("exclusions: %+v, %v", fixed, err)
	}
	var described struct {
		Repositories []struct {
			ImageTagMutability                 string
			ImageTagMutabilityExclusionFilters []struct{ Filter, FilterType string }
		}
	}
	if _, err := berth.ECRCall(bg, "DescribeRepositories", map[string]any{"repositoryNames": []string{repo}}, &described, opts); err != nil {
		t.Fatal(err)
	}
	if r := described.Repositories; len(r) != 1 || r[0].ImageTagMutability != "IMMUTABLE_WITH_EXCLUSION" ||
		len(r[0].ImageTagMutabilityExclusionFilters) != 1 || r[0].ImageTagMutabilityExclusionFilters[0].Filter != "latest" {
		t.Fatalf("described: %+v", described)
	}

	// moto needs an image reported through PutImage before it can scan one.
	manifest, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": ociManifest,
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json",
			"digest": "sha256:" + strings.Repeat("a", 64), "size": 2},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
			"digest": "sha256:" + strings.Repeat("b", 64), "size": 3}}})
	var put struct {
		Image struct {
			ImageID struct{ ImageDigest string } `json:"imageId"`
		}
	}
	if _, err := berth.ECRCall(bg, "PutImage", map[string]any{"repositoryName": repo, "imageTag": "v1",
		"imageManifest": string(manifest)}, &put, opts); err != nil {
		t.Fatal(err)
	}

	policy, _ := berth.LifecyclePolicyShorthand(1, 0)
	preview, err := berth.ECRLifecyclePreview(bg, repo, policy, opts)
	if err != nil || preview.Total != 1 || len(preview.Images) != 0 {
		t.Fatalf("preview: %+v, %v", preview, err)
	}
	if err := berth.ECRPutLifecyclePolicy(bg, repo, policy, opts); err != nil {
		t.Fatal(err)
	}
	var stored struct{ LifecyclePolicyText string }
	if _, err := berth.ECRCall(bg, "GetLifecyclePolicy", map[string]any{"repositoryName": repo}, &stored, opts); err != nil {
		t.Fatal(err)
	}
	var a, b any
	json.Unmarshal([]byte(stored.LifecyclePolicyText), &a)
	json.Unmarshal([]byte(policy), &b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("stored policy %s, put %s", stored.LifecyclePolicyText, policy)
	}
	if err := berth.ECRPutLifecyclePolicy(bg, repo, `{"rules":[]}`, opts); !errors.Is(err, berth.ErrInvalid) {
		t.Fatalf("empty policy: %v", err)
	}
	// The build cache rule first, as `berth ecr put-lifecycle-policy --expire-cache-after`.
	withCache, err := berth.LifecyclePolicyWithBuildCache(policy, 14, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := berth.ECRPutLifecyclePolicy(bg, repo, withCache, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := berth.ECRCall(bg, "GetLifecyclePolicy", map[string]any{"repositoryName": repo}, &stored, opts); err != nil {
		t.Fatal(err)
	}
	if rules := rulesOf(t, stored.LifecyclePolicyText); len(rules) != 2 ||
		!reflect.DeepEqual(rules[0].Selection.TagPrefixList, []string{"buildcache"}) {
		t.Fatalf("stored policy %s", stored.LifecyclePolicyText)
	}

	pass, err := berth.ECRScanGate(bg, repo, "v1", berth.ScanGateOptions{FailOn: "CRITICAL", Timeout: time.Minute}, opts)
	if err != nil || !pass.Passed || pass.Counted != 0 || pass.Status != "COMPLETE" {
		t.Fatalf("CRITICAL gate: %+v, %v", pass, err)
	}
	fail, err := berth.ECRScanGate(bg, repo, put.Image.ImageID.ImageDigest, berth.ScanGateOptions{FailOn: "HIGH", Timeout: time.Minute}, opts)
	berthError(t, err, berth.EGate)
	if !errors.Is(err, berth.ErrGate) || fail == nil || fail.Passed || fail.Counted < 1 || fail.Counts["HIGH"] < 1 ||
		!strings.Contains(fail.Table, "HIGH") {
		t.Fatalf("HIGH gate: %+v, %v", fail, err)
	}
	ok, err := berth.ECRScanGate(bg, repo, "v1", berth.ScanGateOptions{FailOn: "HIGH", Max: fail.Counted}, opts)
	if err != nil || !ok.Passed {
		t.Fatalf("HIGH gate within Max: %+v, %v", ok, err)
	}

	if _, err := berth.ECRLifecyclePreview(bg, uniqueRepo(t)+"-missing", policy, opts); !errors.Is(err, berth.ErrNotFound) {
		t.Fatalf("preview of a missing repository: %v", err)
	}
	if _, err := berth.ECRScanGate(bg, repo, "v1", berth.ScanGateOptions{Timeout: time.Millisecond}, opts); !errors.Is(err, berth.ErrInvalid) {
		t.Fatalf("sub-second timeout: %v", err)
	}
}
