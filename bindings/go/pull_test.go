package berth_test

// berth.Pull against the test stack's docker-registry: the destination read as the
// CLI reads it (the library's berth::pull_destination), what was written judged by
// skopeo.

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	berth "github.com/berth-project/berth/bindings/go"
)

func configDigest(t *testing.T, raw []byte) string {
	t.Helper()
	var m struct {
		MediaType string `json:"mediaType"`
		Config    struct {
			Digest string `json:"digest"`
		} `json:"config"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m.Config.Digest
}

func TestPullDestinations(t *testing.T) {
	img := image(t)
	src := repo(t) + ":v1"
	mustCopy(t, img.Ref, src, nil)
	ref := strings.TrimPrefix(src, "docker://")
	manifest, err := os.ReadFile(blobPath(img.Layout, img.Digest))
	if err != nil {
		t.Fatal(err)
	}
	config := configDigest(t, manifest)
	ctx := context.Background()
	dir := t.TempDir()

	// FILE.tar: a docker-archive, which skopeo (and docker load) reads.
	tarFile := filepath.Join(dir, "out.tar")
	r, err := berth.Pull(ctx, ref, tarFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Destination != "docker-archive:"+tarFile || r.Digest != img.Digest || r.BlobsCopied != 2 ||
		r.VerifiedDigest != "" {
		t.Errorf("Pull to a .tar: %+v", r)
	}
	raw, err := run("skopeo", "inspect", "--raw", "docker-archive:"+tarFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := configDigest(t, raw); got != config {
		t.Errorf("skopeo reads config %s from the docker-archive, want %s", got, config)
	}

	// /DIR:TAG: an OCI layout, with the options of Copy (Jobs, Format).
	layout := filepath.Join(dir, "layout")
	r, err = berth.Pull(ctx, "docker://"+ref, layout+":v1",
		&berth.PullOptions{CopyOptions: berth.CopyOptions{Jobs: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Destination != "oci:"+layout+":v1" {
		t.Errorf("Pull to /DIR:TAG: %+v", r)
	}
	if got := rawDigest(t, "oci:"+layout+":v1"); got != img.Digest {
		t.Errorf("skopeo sees %s in the layout, want %s", got, img.Digest)
	}

	// A bare word would be a Docker Hub name: refused, naming the forms.
	_, err = berth.Pull(ctx, ref, "outdir-bare", nil)
	if !errors.Is(err, berth.ErrInvalid) || !strings.Contains(err.Error(), "write oci:outdir-bare (a directory)") {
		t.Errorf("bare word: want EInvalid naming the forms, got %v", err)
	}
	if _, serr := os.Stat("outdir-bare"); !os.IsNotExist(serr) {
		t.Errorf("a bare word left something behind: %v", serr)
	}
	// A local source is Copy's.
	_, err = berth.Pull(ctx, img.Ref, filepath.Join(dir, "x"), nil)
	if !errors.Is(err, berth.ErrInvalid) || !strings.Contains(err.Error(), "pull reads from a registry") {
		t.Errorf("local source: want EInvalid, got %v", err)
	}
}
