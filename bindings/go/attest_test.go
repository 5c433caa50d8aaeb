// Build's SBOM and provenance, and Copy's signature, through the Go binding: the
// build -> SBOM -> provenance -> attest sequence and push's signature, which lived in
// the CLI, are the library's (issue 21, item 3). Judged in OCI layouts: the in-toto
// statements read back from the blobs, cosign's tags from index.json.
package berth_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	berth "github.com/berth-project/berth/bindings/go"
)

type layoutIndex struct {
	Manifests []struct {
		Digest       string            `json:"digest"`
		ArtifactType string            `json:"artifactType"`
		Annotations  map[string]string `json:"annotations"`
	} `json:"manifests"`
}

func readIndex(t *testing.T, layout string) layoutIndex {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(layout, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx layoutIndex
	if err := json.Unmarshal(raw, &idx); err != nil {
		t.Fatal(err)
	}
	return idx
}

func readBlob(t *testing.T, layout, digest string) []byte {
	t.Helper()
	alg, hex, _ := strings.Cut(digest, ":")
	raw, err := os.ReadFile(filepath.Join(layout, "blobs", alg, hex))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func attestFixture(t *testing.T) (app, key string) {
	t.Helper()
	dir := t.TempDir()
	app = filepath.Join(dir, "app")
	if err := os.MkdirAll(filepath.Join(app, "srv"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(app, "srv", "app.py"), []byte("print('attested')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	key = filepath.Join(dir, "signing.key")
	if out, err := exec.Command("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key).CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	return app, key
}

func TestBuildAttachesSBOMAndProvenance(t *testing.T) {
	app, _ := attestFixture(t)
	out := filepath.Join(t.TempDir(), "out")
	r, err := berth.Build(context.Background(), berth.BuildOptions{
		Output: "oci:" + out + ":v1", Layers: []string{app}, SBOM: true, Provenance: true,
		Created: time.Unix(1_700_000_000, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	for _, m := range readIndex(t, out).Manifests {
		if m.Annotations["org.opencontainers.image.ref.name"] != "" {
			continue
		}
		var manifest struct {
			Subject struct{ Digest string }   `json:"subject"`
			Layers  []struct{ Digest string } `json:"layers"`
		}
		if err := json.Unmarshal(readBlob(t, out, m.Digest), &manifest); err != nil {
			t.Fatal(err)
		}
		if manifest.Subject.Digest != r.Digest {
			t.Fatalf("referrer of %s, want %s", manifest.Subject.Digest, r.Digest)
		}
		var statement struct{ PredicateType string }
		if err := json.Unmarshal(readBlob(t, out, manifest.Layers[0].Digest), &statement); err != nil {
			t.Fatal(err)
		}
		types[statement.PredicateType] = true
	}
	if !types["https://spdx.dev/Document"] || !types["https://slsa.dev/provenance/v1"] || len(types) != 2 {
		t.Fatalf("attestations: %v", types)
	}
}

func TestBuildRefusesAttestationsForAnArchive(t *testing.T) {
	app, _ := attestFixture(t)
	archive := filepath.Join(t.TempDir(), "img.tar")
	_, err := berth.Build(context.Background(), berth.BuildOptions{
		Output: "oci-archive:" + archive + ":v1", Layers: []string{app}, Provenance: true,
	})
	var be *berth.Error
	if !errors.As(err, &be) || be.Code != berth.EInvalid || !strings.Contains(be.Message, "archive") {
		t.Fatalf("want EInvalid naming the archive, got %v", err)
	}
	if _, err := os.Stat(archive); !os.IsNotExist(err) {
		t.Fatalf("an archive was written: %v", err)
	}
}

func TestCopySignsWhatItCopied(t *testing.T) {
	app, key := attestFixture(t)
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	built, err := berth.Build(context.Background(), berth.BuildOptions{
		Output: "oci:" + src + ":v1", Layers: []string{app}, Created: time.Unix(1_700_000_000, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := berth.Copy(context.Background(), "oci:"+src+":v1", "oci:"+dst+":v1",
		&berth.CopyOptions{SignKey: key}); err != nil {
		t.Fatal(err)
	}
	want := "sha256-" + strings.TrimPrefix(built.Digest, "sha256:") + ".sig"
	found := false
	for _, m := range readIndex(t, dst).Manifests {
		found = found || m.Annotations["org.opencontainers.image.ref.name"] == want
	}
	if !found {
		t.Fatalf("no %s in the destination layout", want)
	}
}
