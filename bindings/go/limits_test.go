package berth_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	berth "github.com/berth-project/berth/bindings/go"
)

// writeLayout writes a one-layer OCI layout tagged v1 and returns "oci:DIR:v1".
func writeLayout(t *testing.T, dir string, layer []byte) string {
	t.Helper()
	blob := func(data []byte) map[string]any {
		sum := sha256.Sum256(data)
		d := hex.EncodeToString(sum[:])
		if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", d), data, 0o644); err != nil {
			t.Fatal(err)
		}
		return map[string]any{"digest": "sha256:" + d, "size": len(data)}
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(layer)
	zw.Close()
	diff := sha256.Sum256(layer)
	cfg, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + hex.EncodeToString(diff[:])}}})
	c := blob(cfg)
	c["mediaType"] = "application/vnd.oci.image.config.v1+json"
	l := blob(gz.Bytes())
	l["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip"
	m, _ := json.Marshal(map[string]any{"schemaVersion": 2,
		"mediaType": "application/vnd.oci.image.manifest.v1+json", "config": c, "layers": []any{l}})
	md := blob(m)
	md["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
	md["annotations"] = map[string]string{"org.opencontainers.image.ref.name": "v1"}
	idx, _ := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": []any{md}})
	os.WriteFile(filepath.Join(dir, "index.json"), idx, 0o644)
	os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
	return "oci:" + dir + ":v1"
}

func tarOf(t *testing.T, add func(tw *tar.Writer)) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add(tw)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExportStopsABombUnlessTheRatioIsOff(t *testing.T) {
	tmp := t.TempDir()
	layer := tarOf(t, func(tw *tar.Writer) {
		tw.WriteHeader(&tar.Header{Name: "zeros", Mode: 0o644, Size: 40 << 20, Typeflag: tar.TypeReg})
		tw.Write(make([]byte, 40<<20))
	})
	src := writeLayout(t, filepath.Join(tmp, "bomb"), layer)
	ctx := context.Background()
	err := berth.Export(ctx, src, filepath.Join(tmp, "out"), nil)
	var be *berth.Error
	if !errors.As(err, &be) || be.Code != berth.ETooLarge || !strings.Contains(be.Message, "expansion ratio") {
		t.Fatalf("want ETooLarge for the bomb, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(tmp, "out")); !os.IsNotExist(err) {
		t.Fatalf("a failed export left its directory: %v", err)
	}
	if err := berth.Export(ctx, src, filepath.Join(tmp, "ok"), &berth.ExportOptions{MaxExpansionRatio: -1}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(tmp, "ok", "zeros")); err != nil || st.Size() != 40<<20 {
		t.Fatalf("zeros: %v %v", st, err)
	}
	err = berth.Export(ctx, src, filepath.Join(tmp, "small"), &berth.ExportOptions{MaxExpansionRatio: -1, MaxSize: 1 << 20})
	if !errors.As(err, &be) || be.Code != berth.ETooLarge {
		t.Fatalf("want ETooLarge past MaxSize, got %v", err)
	}
}

// NaN compared false with everything and switched the cap off (issue 20, item 9): the
// C ABI refuses it, whatever binding passed it.
func TestExportRefusesARatioThatIsNotANumber(t *testing.T) {
	tmp := t.TempDir()
	layer := tarOf(t, func(tw *tar.Writer) {
		tw.WriteHeader(&tar.Header{Name: "zeros", Mode: 0o644, Size: 1 << 20, Typeflag: tar.TypeReg})
		tw.Write(make([]byte, 1<<20))
	})
	src := writeLayout(t, filepath.Join(tmp, "bomb"), layer)
	for _, bad := range []float64{math.NaN(), math.Inf(1)} {
		err := berth.Export(context.Background(), src, filepath.Join(tmp, "out"),
			&berth.ExportOptions{MaxExpansionRatio: bad})
		var be *berth.Error
		if !errors.As(err, &be) || be.Code != berth.EInvalid || !strings.Contains(be.Message, "max_expansion_ratio") {
			t.Fatalf("ratio %v: want EInvalid, got %v", bad, err)
		}
	}
}

func TestExportDevicesOnlyWhenAsked(t *testing.T) {
	tmp := t.TempDir()
	layer := tarOf(t, func(tw *tar.Writer) {
		tw.WriteHeader(&tar.Header{Name: "dev/sda", Mode: 0o666, Typeflag: tar.TypeBlock, Devmajor: 8})
		tw.WriteHeader(&tar.Header{Name: "etc/motd", Mode: 0o644, Size: 3, Typeflag: tar.TypeReg})
		tw.Write([]byte("hi\n"))
	})
	src := writeLayout(t, filepath.Join(tmp, "img"), layer)
	ctx := context.Background()
	if err := berth.Export(ctx, src, filepath.Join(tmp, "skipped"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(tmp, "skipped", "dev", "sda")); !os.IsNotExist(err) {
		t.Fatalf("a device node was made without Devices: %v", err)
	}
	if err := berth.Export(ctx, src, filepath.Join(tmp, "made"), &berth.ExportOptions{Devices: true}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Lstat(filepath.Join(tmp, "made", "dev", "sda"))
	if os.Geteuid() != 0 {
		if !os.IsNotExist(err) {
			t.Fatalf("only root makes devices: %v", err)
		}
		return
	}
	if err != nil || st.Mode()&os.ModeDevice == 0 || st.Mode().Perm() != 0o600 {
		t.Fatalf("want a block device with mode 0600, got %v %v", st, err)
	}
}

func TestCopyTimeouts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // never answered
		}
	}()
	ref := ln.Addr().String() + "/app:v1"
	dst := "oci:" + filepath.Join(t.TempDir(), "l") + ":v1"
	start := time.Now()
	_, err = berth.Copy(context.Background(), ref, dst, &berth.CopyOptions{Timeout: 1500 * time.Millisecond,
		Src: berth.RegistryOptions{StallTimeout: -1}})
	var be *berth.Error
	if !errors.As(err, &be) || be.Code != berth.ETimeout || !strings.Contains(be.Message, "time limit") {
		t.Fatalf("want ETimeout from Timeout, got %v", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("Timeout 1.5s took %v", d)
	}
	if _, err := berth.Copy(context.Background(), ref, dst, &berth.CopyOptions{Dst: berth.RegistryOptions{ChunkSize: 1000}}); err == nil {
		t.Fatal("ChunkSize under 1 MiB was accepted")
	}
}

func TestSignAndVerifyALayout(t *testing.T) {
	tmp := t.TempDir()
	layer := tarOf(t, func(tw *tar.Writer) {
		tw.WriteHeader(&tar.Header{Name: "app", Mode: 0o644, Size: 4, Typeflag: tar.TypeReg})
		tw.Write([]byte("app\n"))
	})
	src := writeLayout(t, filepath.Join(tmp, "img"), layer)
	keys := map[string][2]string{}
	for _, n := range []string{"a", "b"} {
		key, pub := filepath.Join(tmp, n+".key"), filepath.Join(tmp, n+".pub")
		for _, args := range [][]string{{"ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key},
			{"ec", "-in", key, "-pubout", "-out", pub}} {
			if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
				t.Fatalf("openssl: %v %s", err, out)
			}
		}
		keys[n] = [2]string{key, pub}
	}
	ctx := context.Background()
	var be *berth.Error
	if _, err := berth.Verify(ctx, src, keys["a"][1], nil); !errors.As(err, &be) || be.Code != berth.EGate {
		t.Fatalf("an unsigned image: want EGate, got %v", err)
	}
	digest, err := berth.Sign(ctx, src, keys["a"][0], nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := berth.Verify(ctx, src, keys["a"][1], nil)
	if err != nil || r.Digest != digest || r.Valid != 1 || len(r.Payloads) != 1 {
		t.Fatalf("verify: %+v %v", r, err)
	}
	if _, err := berth.Verify(ctx, src, keys["b"][1], nil); !errors.As(err, &be) || be.Code != berth.EGate {
		t.Fatalf("another key: want EGate, got %v", err)
	}
	// An attestation: a DSSE envelope in the layout, under the ".att" tag.
	d, err := berth.Attest(ctx, src, keys["a"][0], "https://spdx.dev/Document", []byte(`{"spdxVersion":"SPDX-2.3"}`), nil)
	if err != nil || d != digest {
		t.Fatalf("attest: %s %v", d, err)
	}
	idx, _ := os.ReadFile(filepath.Join(tmp, "img", "index.json"))
	if !strings.Contains(string(idx), strings.Replace(digest, ":", "-", 1)+".att") {
		t.Fatalf("no .att tag in %s", idx)
	}
	if _, err := berth.Attest(ctx, src, keys["a"][0], "https://spdx.dev/Document", []byte(`{not json`), nil); !errors.As(err, &be) || be.Code != berth.EProtocol {
		t.Fatalf("a predicate that is no JSON: want EProtocol, got %v", err)
	}
}
