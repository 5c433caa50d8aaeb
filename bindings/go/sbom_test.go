package berth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"testing"

	berth "github.com/berth-project/berth/bindings/go"
)

// TestSBOM builds an image holding an apk database and a file an upper layer
// deletes, and reads its SPDX document back: the packages with their purls, the
// surviving files with their SHA256, the deleted one absent.
func TestSBOM(t *testing.T) {
	work := t.TempDir()
	lower, upper := filepath.Join(work, "lower"), filepath.Join(work, "upper")
	writeFiles(t, lower, map[string]string{
		"lib/apk/db/installed": "C:Q1x=\nP:musl\nV:1.2.4-r2\nA:x86_64\no:musl\nL:MIT\n\n" +
			"P:busybox\nV:1.36.1-r5\nA:x86_64\n\n",
		"etc/os-release": "ID=alpine\nVERSION_ID=3.19.1\n",
		"etc/gone":       "deleted above\n",
	})
	writeFiles(t, upper, map[string]string{"etc/.wh.gone": ""})
	layout := filepath.Join(work, "layout")
	if _, err := berth.Build(bg, berth.BuildOptions{Output: "oci:" + layout + ":base", Layers: []string{lower}, Created: buildTime}); err != nil {
		t.Fatal(err)
	}
	if _, err := berth.Build(bg, berth.BuildOptions{Output: "oci:" + layout + ":v1", From: "oci:" + layout + ":base", Layers: []string{upper}, Created: buildTime}); err != nil {
		t.Fatal(err)
	}
	raw, err := berth.SBOM(bg, "oci:"+layout+":v1", &berth.SBOMOptions{Created: "2026-01-02T03:04:05Z"})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := berth.ParseSPDX(raw)
	if err != nil {
		t.Fatal(err)
	}
	if doc.SPDXVersion != "SPDX-2.3" || doc.CreationInfo.Created != "2026-01-02T03:04:05Z" {
		t.Fatalf("document header: %q %q", doc.SPDXVersion, doc.CreationInfo.Created)
	}
	purls := map[string]bool{}
	for _, p := range doc.Packages {
		for _, r := range p.ExternalRefs {
			purls[r.ReferenceLocator] = true
		}
	}
	for _, want := range []string{
		"pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1",
		"pkg:apk/alpine/busybox@1.36.1-r5?arch=x86_64&distro=alpine-3.19.1",
	} {
		if !purls[want] {
			t.Errorf("purl %s missing; have %v", want, purls)
		}
	}
	files := map[string]string{}
	for _, f := range doc.Files {
		for _, c := range f.Checksums {
			if c.Algorithm == "SHA256" {
				files[f.FileName] = c.ChecksumValue
			}
		}
	}
	if _, ok := files["./etc/gone"]; ok {
		t.Error("./etc/gone is listed although an upper layer deleted it")
	}
	sum := sha256.Sum256([]byte("ID=alpine\nVERSION_ID=3.19.1\n"))
	if files["./etc/os-release"] != hex.EncodeToString(sum[:]) {
		t.Errorf("./etc/os-release SHA256 = %q", files["./etc/os-release"])
	}
}

func TestSBOMErrors(t *testing.T) {
	_, err := berth.SBOM(bg, "oci:"+filepath.Join(t.TempDir(), "none")+":v1", nil)
	var be *berth.Error
	if !errors.As(err, &be) || be.Code != berth.ENotFound {
		t.Fatalf("missing layout: %v", err)
	}
	if _, err := berth.SBOM(bg, "", nil); !errors.As(err, &be) || be.Code != berth.EInvalid {
		t.Fatalf("empty ref: %v", err)
	}
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if _, err := berth.SBOM(ctx, "oci:x:v1", nil); !errors.As(err, &be) || be.Code != berth.ECancelled {
		t.Fatalf("cancelled context: %v", err)
	}
}
