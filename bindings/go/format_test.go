package berth_test

// CopyOptions.Format: Docker <-> OCI media types between OCI layouts and
// archives on disk (no registry). umoci, which refuses Docker manifests, is the
// judge that converted OCI layouts are usable.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	berth "github.com/berth-project/berth/bindings/go"
)

const (
	dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	dockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
)

var (
	ociTypes    = []string{"application/vnd.oci.image.config.v1+json", "application/vnd.oci.image.layer.v1.tar+gzip"}
	dockerTypes = []string{"application/vnd.docker.container.image.v1+json", "application/vnd.docker.image.rootfs.diff.tar.gzip"}
)

// mediaTypes lists a manifest's config and layer media types.
func mediaTypes(doc map[string]any) []string {
	out := []string{doc["config"].(map[string]any)["mediaType"].(string)}
	for _, l := range doc["layers"].([]any) {
		out = append(out, l.(map[string]any)["mediaType"].(string))
	}
	return out
}

// blobSHA is the sha256 of the blob digest names in layout.
func blobSHA(t *testing.T, layout, digest string) string {
	t.Helper()
	b, err := os.ReadFile(blobPath(layout, digest))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func TestCopyFormatConvertsBothWays(t *testing.T) {
	img := image(t)
	out := filepath.Join(t.TempDir(), "out")
	ctx := context.Background()

	r := mustCopy(t, img.Ref, "oci:"+out+":docker", &berth.CopyOptions{Format: berth.FormatDocker, ExtraTags: []string{"also"}})
	if r.MediaType != dockerManifest || r.Digest == img.Digest {
		t.Fatalf("FormatDocker: got %s %s (source %s)", r.MediaType, r.Digest, img.Digest)
	}
	digest, doc := layoutManifest(t, out, "docker")
	if digest != r.Digest || blobSHA(t, out, digest) != r.Digest {
		t.Errorf("the tag names %s, the result says %s", digest, r.Digest)
	}
	if also, _ := layoutManifest(t, out, "also"); also != r.Digest {
		t.Errorf("ExtraTags point at %s, want the converted %s", also, r.Digest)
	}
	if doc["mediaType"] != dockerManifest || !reflect.DeepEqual(mediaTypes(doc), dockerTypes) {
		t.Errorf("stored manifest: %v", doc)
	}
	for d := range img.Blobs { // blobs travel unchanged
		if blobSHA(t, out, d) != d {
			t.Errorf("blob %s changed", d)
		}
	}

	back, err := berth.Copy(ctx, "oci:"+out+":docker", "oci:"+out+":oci", &berth.CopyOptions{Format: berth.FormatOCI})
	if err != nil {
		t.Fatal(err)
	}
	if back.MediaType != ociManifest || back.BlobsSkipped != 2 {
		t.Errorf("FormatOCI: %+v", back)
	}
	if _, doc := layoutManifest(t, out, "oci"); !reflect.DeepEqual(mediaTypes(doc), ociTypes) {
		t.Errorf("converted back: %v", mediaTypes(doc))
	}
	if _, err := run("umoci", "unpack", "--rootless", "--image", out+":oci", filepath.Join(t.TempDir(), "rootfs")); err != nil {
		t.Error(err)
	}

	// The zero value keeps the source's manifest.
	if kept := mustCopy(t, img.Ref, "oci:"+out+":kept", nil); kept.Digest != img.Digest {
		t.Errorf("no Format: digest %s, want the source's %s", kept.Digest, img.Digest)
	}
}

func TestCopyDockerArchiveIntoLayoutIsOCI(t *testing.T) {
	img := image(t)
	dir := t.TempDir()
	archive := filepath.Join(dir, "saved.tar")
	mustCopy(t, img.Ref, "docker-archive:"+archive+":example.com/app:v1", nil)
	r := mustCopy(t, "docker-archive:"+archive, "oci:"+filepath.Join(dir, "l")+":v1", nil)
	digest, doc := layoutManifest(t, filepath.Join(dir, "l"), "v1")
	if r.MediaType != ociManifest || digest != r.Digest || !reflect.DeepEqual(mediaTypes(doc), ociTypes) {
		t.Errorf("docker-archive -> oci: %+v, stored %s %v", r, digest, mediaTypes(doc))
	}
	if _, err := run("umoci", "unpack", "--rootless", "--image", filepath.Join(dir, "l")+":v1", filepath.Join(dir, "rootfs")); err != nil {
		t.Error(err)
	}
}

func TestReplicateAndIndexFormat(t *testing.T) {
	img := image(t)
	dir := t.TempDir()
	ctx := context.Background()
	rs, err := berth.Replicate(ctx, img.Ref, []string{"oci:" + filepath.Join(dir, "a") + ":v1", "oci:" + filepath.Join(dir, "b") + ":v1"},
		&berth.CopyOptions{Format: berth.FormatDocker})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"a", "b"} {
		if d, _ := layoutManifest(t, filepath.Join(dir, name), "v1"); rs[i].MediaType != dockerManifest || d != rs[i].Digest {
			t.Errorf("Replicate to %s: %+v, stored %s", name, rs[i], d)
		}
	}
	ix, err := berth.Index(ctx, []string{img.Ref}, "oci:"+filepath.Join(dir, "i")+":v1", &berth.IndexOptions{Format: berth.FormatDocker})
	if err != nil {
		t.Fatal(err)
	}
	if d, doc := layoutManifest(t, filepath.Join(dir, "i"), "v1"); ix.MediaType != dockerList || d != ix.Digest ||
		doc["manifests"].([]any)[0].(map[string]any)["mediaType"] != dockerManifest {
		t.Errorf("Index with FormatDocker: %+v, stored %s %v", ix, d, doc)
	}
}

func TestCopyFormatRefusals(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	writeFiles(t, filepath.Join(dir, "tree"), map[string]string{"f": "x"})
	if _, err := berth.Build(ctx, berth.BuildOptions{Layers: []string{filepath.Join(dir, "tree")},
		Compression: "zstd", Output: "oci:" + filepath.Join(dir, "z") + ":v1"}); err != nil {
		t.Fatal(err)
	}
	_, err := berth.Copy(ctx, "oci:"+filepath.Join(dir, "z")+":v1", "oci:"+filepath.Join(dir, "out")+":v1",
		&berth.CopyOptions{Format: berth.FormatDocker})
	if !errors.Is(err, berth.ErrUnsupported) || !strings.Contains(err.Error(), "zstd") {
		t.Errorf("zstd to Docker: want EUnsupported naming zstd, got %v", err)
	}
	_, err = berth.Copy(ctx, "oci:"+filepath.Join(dir, "z")+":v1", "oci:"+filepath.Join(dir, "out")+":v1",
		&berth.CopyOptions{Format: berth.ImageFormat(7)})
	if !errors.Is(err, berth.ErrInvalid) || !strings.Contains(err.Error(), "format_7") {
		t.Errorf("unknown Format: want EInvalid, got %v", err)
	}
}

func TestImageFormatString(t *testing.T) {
	for f, want := range map[berth.ImageFormat]string{berth.FormatAuto: "auto", berth.FormatOCI: "oci",
		berth.FormatDocker: "docker", 9: "format_9"} {
		if got := f.String(); got != want {
			t.Errorf("%d: %q, want %q", int(f), got, want)
		}
	}
}
