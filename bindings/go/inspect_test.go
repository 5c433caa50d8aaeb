package berth_test

// The inspection calls against a real registry (the stacks of copy_test.go)
// and OCI layouts; skopeo is the judge of what the registry holds.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	berth "github.com/berth-project/berth/bindings/go"
)

// pushed copies the test image to a fresh repository and returns the bare
// reference HOST/REPO:v1 and its repository.
func pushed(t *testing.T) (ref, repository string) {
	t.Helper()
	img := image(t)
	repository = strings.TrimPrefix(repo(t), "docker://")
	mustCopy(t, img.Ref, "docker://"+repository+":v1", nil)
	return repository + ":v1", repository
}

func skopeoRaw(t *testing.T, ref string) []byte {
	t.Helper()
	out, err := run("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://"+ref)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func TestGetManifestIsTheRegistryBytes(t *testing.T) {
	ctx := context.Background()
	ref, repository := pushed(t)
	img := image(t)
	m, err := berth.GetManifest(ctx, ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Raw, skopeoRaw(t, ref)) {
		t.Errorf("GetManifest bytes differ from skopeo's:\n%s", m.Raw)
	}
	if m.Digest != img.Digest || digestOf(m.Raw) != img.Digest {
		t.Errorf("digest %s, want %s", m.Digest, img.Digest)
	}
	if m.MediaType != ociManifest {
		t.Errorf("media type %q", m.MediaType)
	}
	if _, err := berth.GetManifest(ctx, repository+":nope", nil); !errors.Is(err, berth.ErrNotFound) {
		t.Errorf("missing tag: want ENotFound, got %v", err)
	}
}

func TestInspectRegistryAndLayoutAgree(t *testing.T) {
	ctx := context.Background()
	ref, _ := pushed(t)
	img := image(t)
	reg, err := berth.Inspect(ctx, ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	lay, err := berth.Inspect(ctx, img.Ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	if reg.IsIndex() || reg.Digest != img.Digest || len(reg.Images) != 1 || len(reg.Manifests) != 0 {
		t.Fatalf("unexpected inspection: %+v", reg)
	}
	reg.Reference, lay.Reference = "", ""
	if !reflect.DeepEqual(reg, lay) {
		t.Errorf("registry and layout differ:\n%+v\n%+v", reg, lay)
	}
	got := reg.Images[0]
	if got.Platform != "linux/amd64" {
		t.Errorf("platform %q", got.Platform)
	}
	blobs := map[string]int64{got.Config.Digest: got.Config.Size}
	total := got.Size + got.Config.Size
	for _, l := range got.Layers {
		blobs[l.Digest] = l.Size
		total += l.Size
	}
	if !reflect.DeepEqual(blobs, img.Blobs) || got.TotalSize != total {
		t.Errorf("blobs %v (total %d), want %v (total %d)", blobs, got.TotalSize, img.Blobs, total)
	}
	if got.Created == "" {
		t.Error("no created time from the config")
	}
}

func TestIndexAnnotationsAndPlatform(t *testing.T) {
	ctx := context.Background()
	img := image(t)
	repository := strings.TrimPrefix(repo(t), "docker://")
	r, err := berth.Index(ctx, []string{img.Ref}, "docker://"+repository+":idx", &berth.IndexOptions{
		Annotations: map[string]string{"org.opencontainers.image.source": "https://example.com/go"}})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		MediaType   string            `json:"mediaType"`
		Annotations map[string]string `json:"annotations"`
	}
	raw := skopeoRaw(t, repository+":idx")
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.MediaType != "application/vnd.oci.image.index.v1+json" || digestOf(raw) != r.Digest ||
		doc.Annotations["org.opencontainers.image.source"] != "https://example.com/go" {
		t.Errorf("index %s: %s", r.Digest, raw)
	}
	ins, err := berth.Inspect(ctx, repository+":idx", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !ins.IsIndex() || len(ins.Manifests) != 1 || ins.Manifests[0].Platform == nil ||
		ins.Manifests[0].Platform.String() != "linux/amd64" || ins.Manifests[0].Digest != img.Digest {
		t.Errorf("index inspection: %+v", ins)
	}
	child, err := berth.GetManifest(ctx, repository+":idx", &berth.InspectOptions{Platform: "linux/amd64"})
	if err != nil || child.Digest != img.Digest {
		t.Errorf("--platform child: %v, %v", child, err)
	}
	if _, err := berth.Index(ctx, []string{img.Ref}, "docker://"+repository+":x",
		&berth.IndexOptions{Annotations: map[string]string{"a=b": "c"}}); !errors.Is(err, berth.ErrInvalid) {
		t.Errorf("key with '=': want EInvalid, got %v", err)
	}
}

func TestTagThenListTagsAndCatalog(t *testing.T) {
	ctx := context.Background()
	ref, repository := pushed(t)
	img := image(t)
	r, err := berth.Tag(ctx, ref, []string{"a", "b"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Digest != img.Digest || !reflect.DeepEqual(r.Tagged, []string{"a", "b"}) || len(r.Skipped) != 0 {
		t.Errorf("first Tag: %+v", r)
	}
	r, err = berth.Tag(ctx, ref, []string{"b", "c"}, nil)
	if err != nil || !reflect.DeepEqual(r.Tagged, []string{"c"}) || !reflect.DeepEqual(r.Skipped, []string{"b"}) {
		t.Errorf("second Tag: %+v, %v", r, err)
	}
	for _, tag := range []string{"a", "c"} {
		if d := digestOf(skopeoRaw(t, repository+":"+tag)); d != img.Digest {
			t.Errorf("tag %s points at %s", tag, d)
		}
	}
	tags, err := berth.ListTags(ctx, repository, nil)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(tags)
	if !reflect.DeepEqual(tags, []string{"a", "b", "c", "v1"}) {
		t.Errorf("ListTags: %v", tags)
	}
	host, name, _ := strings.Cut(repository, "/")
	repos, err := berth.Catalog(ctx, host, &berth.InspectOptions{PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range repos {
		found = found || r == name
	}
	if !found {
		t.Errorf("Catalog (one per page) lacks %s: %v", name, repos)
	}
	if _, err := berth.Tag(ctx, ref, []string{"not a tag"}, nil); !errors.Is(err, berth.ErrInvalid) {
		t.Errorf("bad tag: want EInvalid, got %v", err)
	}
}

func TestDeleteManifestByTag(t *testing.T) {
	ctx := context.Background()
	ref, repository := pushed(t)
	img := image(t)
	d, err := berth.DeleteManifest(ctx, ref, nil)
	if err != nil || d != img.Digest {
		t.Fatalf("DeleteManifest: %q, %v", d, err)
	}
	if _, err := berth.GetManifest(ctx, repository+"@"+img.Digest, nil); !errors.Is(err, berth.ErrNotFound) {
		t.Errorf("after delete: want ENotFound, got %v", err)
	}
	if _, err := berth.DeleteManifest(ctx, ref, nil); !errors.Is(err, berth.ErrNotFound) {
		t.Errorf("second delete: want ENotFound, got %v", err)
	}
}

func TestValidateFindsTheCorruptLayer(t *testing.T) {
	ctx := context.Background()
	ref, _ := pushed(t)
	img := image(t)
	ok, err := berth.Validate(ctx, ref, &berth.InspectOptions{Jobs: 2})
	if err != nil || !ok.OK || ok.Manifests != 1 || ok.Blobs != 2 || ok.Bytes != img.total() {
		t.Fatalf("sound image: %+v, %v", ok, err)
	}

	bad := filepath.Join(t.TempDir(), "bad")
	if out, err := exec.Command("cp", "-r", img.Layout, bad).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	var layer string
	for d, size := range img.Blobs {
		if size > 1000 {
			layer = d
		}
	}
	p := blobPath(bad, layer)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// A corrupt image is the report's answer (OK false), not an error: the same
	// shape as Python's validate.
	r, err := berth.Validate(ctx, "oci:"+bad+":v1", nil)
	if err != nil {
		t.Fatalf("corrupt layout: want the report and no error, got %v", err)
	}
	if r == nil || r.OK || len(r.Failures) != 1 || r.Failures[0].Digest != layer ||
		r.Failures[0].Kind != "layer" || r.Failures[0].Code != berth.EDigest {
		t.Errorf("report: %+v", r)
	}
	if r, err := berth.Validate(ctx, "oci:"+bad+":nope", nil); r != nil || !errors.Is(err, berth.ErrNotFound) {
		t.Errorf("missing tag: want ENotFound alone, got %+v, %v", r, err)
	}
}

func TestInspectCredentialsAndArguments(t *testing.T) {
	ctx := context.Background()
	img := image(t)
	host := authStack.host(t)
	creds := authUser + ":" + authPass
	mustCopy(t, img.Ref, "docker://"+host+"/inspect/auth:v1", &berth.CopyOptions{Dst: berth.RegistryOptions{Creds: creds}})
	tags, err := berth.ListTags(ctx, host+"/inspect/auth", &berth.InspectOptions{Registry: berth.RegistryOptions{Creds: creds}})
	if err != nil || !reflect.DeepEqual(tags, []string{"v1"}) {
		t.Errorf("ListTags with credentials: %v, %v", tags, err)
	}
	_, err = berth.GetManifest(ctx, host+"/inspect/auth:v1", &berth.InspectOptions{Registry: berth.RegistryOptions{Creds: authUser + ":wrong"}})
	if !errors.Is(err, berth.ErrAuth) || strings.Contains(err.Error(), authPass) {
		t.Errorf("wrong password: want EAuth without the password, got %v", err)
	}
	if _, err := berth.Inspect(nil, img.Ref, nil); !errors.Is(err, berth.ErrInvalid) {
		t.Errorf("nil context: %v", err)
	}
	if _, err := berth.Inspect(ctx, img.Ref+"\x00", nil); !errors.Is(err, berth.ErrInvalid) {
		t.Errorf("NUL: %v", err)
	}
	if _, err := berth.Validate(ctx, img.Ref, &berth.InspectOptions{Jobs: -1}); !errors.Is(err, berth.ErrInvalid) {
		t.Errorf("Jobs -1: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := berth.ListTags(cancelled, "oci:"+img.Layout, nil); !errors.Is(err, berth.ErrCancelled) ||
		!errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}
