// ABI 2 through the Go binding: struct versions of ABI 1 refused, one
// berth_registry_options reaching every call, results read from JSON, the
// defaults of berth/defaults.h, and a build at the epoch.
package berth_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	berth "github.com/berth-project/berth/bindings/go"
	"github.com/berth-project/berth/bindings/go/internal/abiprobe"
)

// localImage builds a one-layer image into an OCI layout (no registry, no
// tools) and returns its reference and digest.
func localImage(t *testing.T) (ref, digest string) {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, filepath.Join(dir, "root"), map[string]string{"etc/hello": "hello\n"})
	ref = "oci:" + filepath.Join(dir, "layout") + ":v1"
	r, err := berth.Build(bg, berth.BuildOptions{Output: ref, Layers: []string{filepath.Join(dir, "root")},
		Created: buildTime})
	if err != nil {
		t.Fatal(err)
	}
	return ref, r.Digest
}

func TestABI1CopyOptionsVersionRefused(t *testing.T) {
	if abiprobe.CopyOptionsVersion != 7 {
		t.Fatalf("BERTH_COPY_OPTIONS_VERSION = %d, want 7 (the first of ABI 2)", abiprobe.CopyOptionsVersion)
	}
	for v := uint32(1); v <= 6; v++ {
		rc, msg := abiprobe.CopyOptionsInit(v)
		if rc != berth.EInvalid || !strings.Contains(msg, "ABI 1") || !strings.Contains(msg, "berth_copy_options") {
			t.Errorf("berth_copy_options_init(version %d) = %d %q, want EInvalid naming ABI 1", v, rc, msg)
		}
	}
	if rc, msg := abiprobe.CopyOptionsInit(abiprobe.CopyOptionsVersion); rc != 0 {
		t.Fatalf("berth_copy_options_init(version 7) = %d %q", rc, msg)
	}

	src, _ := localImage(t)
	out := filepath.Join(t.TempDir(), "out")
	rc, msg, outNull := abiprobe.Copy(6, src, "oci:"+out+":v1")
	if rc != berth.EInvalid || !strings.Contains(msg, "ABI 1") || !strings.Contains(msg, "version 6") {
		t.Errorf("berth_copy with a version 6 struct = %d %q, want EInvalid naming ABI 1", rc, msg)
	}
	if !outNull {
		t.Error("berth_copy failed but left *out_json set")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused copy wrote %s: %v", out, err)
	}
	// The same call at version 7 copies: only the version differed.
	if rc, msg, outNull := abiprobe.Copy(7, src, "oci:"+out+":v1"); rc != 0 || outNull {
		t.Fatalf("berth_copy at version 7 = %d %q (out NULL: %v)", rc, msg, outNull)
	}
}

// The defaults: the constants equal what berth/defaults.h says (read here as
// text, not through cgo) and what the loaded library reports.
func TestDefaultsAreTheHeaders(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "include", "berth", "defaults.h"))
	if err != nil {
		t.Skip("no berth/defaults.h beside the binding: ", err)
	}
	macros := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^#define (BERTH_\w+) (.+)$`).FindAllStringSubmatch(string(raw), -1) {
		macros[m[1]] = strings.TrimSpace(m[2])
	}
	integer := func(name string) int64 {
		t.Helper()
		v, ok := macros[name]
		if !ok {
			t.Fatalf("%s is not in defaults.h", name)
		}
		// Plain numbers, or "(NULL << S)".
		if m := regexp.MustCompile(`^\((\d+)U?L*L* << (\d+)\)$`).FindStringSubmatch(v); m != nil {
			a, _ := strconv.ParseInt(m[1], 10, 64)
			s, _ := strconv.Atoi(m[2])
			return a << s
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("%s: %q is not a number this test reads", name, v)
		}
		return n
	}
	platform, err := strconv.Unquote(macros["BERTH_DEFAULT_PLATFORM"])
	if err != nil {
		t.Fatalf("BERTH_DEFAULT_PLATFORM %q: %v", macros["BERTH_DEFAULT_PLATFORM"], err)
	}
	ratio, err := strconv.ParseFloat(macros["BERTH_DEFAULT_MAX_EXPANSION_RATIO"], 64)
	if err != nil {
		t.Fatalf("BERTH_DEFAULT_MAX_EXPANSION_RATIO: %v", err)
	}
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"DefaultJobs", berth.DefaultJobs, integer("BERTH_DEFAULT_JOBS")},
		{"MaxJobs", berth.MaxJobs, integer("BERTH_MAX_JOBS")},
		{"DefaultStallTimeout", int64(berth.DefaultStallTimeout / time.Millisecond), integer("BERTH_DEFAULT_STALL_TIMEOUT_MS")},
		{"DefaultPageSize", berth.DefaultPageSize, integer("BERTH_DEFAULT_PAGE_SIZE")},
		{"DefaultMaxExportBytes", int64(berth.DefaultMaxExportBytes), integer("BERTH_DEFAULT_MAX_EXPORT_BYTES")},
		{"DefaultScanTimeout", int64(berth.DefaultScanTimeout / time.Second), integer("BERTH_DEFAULT_SCAN_TIMEOUT_S")},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, defaults.h says %d", c.name, c.got, c.want)
		}
	}
	if berth.DefaultPlatform != platform {
		t.Errorf("DefaultPlatform = %q, defaults.h says %q", berth.DefaultPlatform, platform)
	}
	if berth.DefaultMaxExpansionRatio != ratio {
		t.Errorf("DefaultMaxExpansionRatio = %v, defaults.h says %v", berth.DefaultMaxExpansionRatio, ratio)
	}

	lib, err := berth.Defaults()
	if err != nil {
		t.Fatal(err)
	}
	want := berth.LibraryDefaults{Jobs: berth.DefaultJobs, MaxJobs: berth.MaxJobs, Platform: berth.DefaultPlatform,
		StallTimeoutMs: int64(berth.DefaultStallTimeout / time.Millisecond), PageSize: berth.DefaultPageSize,
		MaxExportBytes: berth.DefaultMaxExportBytes, MaxExpansionRatio: berth.DefaultMaxExpansionRatio,
		ScanTimeoutSecs: int64(berth.DefaultScanTimeout / time.Second)}
	if *lib != want {
		t.Errorf("berth_defaults() = %+v, the constants are %+v", *lib, want)
	}

	// Jobs past MaxJobs are refused before libberth is called.
	src, _ := localImage(t)
	_, err = berth.Copy(bg, src, "oci:"+filepath.Join(t.TempDir(), "o")+":v1", &berth.CopyOptions{Jobs: berth.MaxJobs + 1})
	if !errors.Is(err, berth.ErrInvalid) {
		t.Errorf("Jobs MaxJobs+1: want EInvalid, got %v", err)
	}
	if _, err := berth.Copy(bg, src, "oci:"+filepath.Join(t.TempDir(), "o")+":v1", &berth.CopyOptions{Jobs: berth.MaxJobs}); err != nil {
		t.Errorf("Jobs MaxJobs: %v", err)
	}
}

// configCreated builds into a fresh layout and returns the config's "created".
func configCreated(t *testing.T, created time.Time) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, filepath.Join(dir, "root"), map[string]string{"a": "a\n"})
	layout := filepath.Join(dir, "layout")
	r, err := berth.Build(bg, berth.BuildOptions{Output: "oci:" + layout + ":v1",
		Layers: []string{filepath.Join(dir, "root")}, Created: created})
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Created string `json:"created"`
		History []struct {
			Created string `json:"created"`
		} `json:"history"`
	}
	if err := json.Unmarshal(readBlob(t, layout, r.ConfigDigest), &cfg); err != nil {
		t.Fatal(err)
	}
	for _, h := range cfg.History {
		if h.Created != cfg.Created {
			t.Errorf("history created %q, config %q", h.Created, cfg.Created)
		}
	}
	return cfg.Created
}

func TestBuildCreatedAtTheEpoch(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	// time.Unix(0, 0) is the epoch itself, not "unset": SOURCE_DATE_EPOCH does not apply.
	if got := configCreated(t, time.Unix(0, 0)); got != "1970-01-01T00:00:00Z" {
		t.Errorf("Created time.Unix(0, 0): config created %q", got)
	}
	// The zero Time is unset: SOURCE_DATE_EPOCH.
	if got := configCreated(t, time.Time{}); got != "2023-11-14T22:13:20Z" {
		t.Errorf("zero Created with SOURCE_DATE_EPOCH=1700000000: config created %q", got)
	}
	// Unset without SOURCE_DATE_EPOCH: now.
	os.Unsetenv("SOURCE_DATE_EPOCH")
	before := time.Now().Add(-time.Minute)
	got, err := time.Parse(time.RFC3339, configCreated(t, time.Time{}))
	if err != nil || got.Before(before) || got.After(time.Now().Add(time.Minute)) {
		t.Errorf("zero Created: config created %v (%v), want about now", got, err)
	}
	_, err = berth.Build(bg, berth.BuildOptions{Output: "oci:" + filepath.Join(t.TempDir(), "x") + ":v1",
		Created: time.Unix(-1, 0)})
	if !errors.Is(err, berth.ErrInvalid) {
		t.Errorf("Created before the epoch: want EInvalid, got %v", err)
	}
}

// ---------------------------------------------------------------------------
// Registry options reach the call

func TestRegistryCredsReachBuildExportSignVerify(t *testing.T) {
	host := authStack.host(t)
	creds := berth.RegistryOptions{Creds: authUser + ":" + authPass}
	wrong := berth.RegistryOptions{Creds: authUser + ":wrong"}
	dir := t.TempDir()
	writeFiles(t, filepath.Join(dir, "root"), map[string]string{"srv/app": "app\n"})
	ref := "docker://" + host + "/bind-go/abi2-creds:v1"
	build := func(dst berth.RegistryOptions) (*berth.BuildResult, error) {
		return berth.Build(bg, berth.BuildOptions{Output: ref, Layers: []string{filepath.Join(dir, "root")},
			Created: buildTime, Dst: dst})
	}
	if _, err := build(wrong); !errors.Is(err, berth.ErrAuth) {
		t.Fatalf("build with Dst.Creds wrong: want EAuth, got %v", err)
	}
	built, err := build(creds)
	if err != nil {
		t.Fatal(err)
	}
	// The base comes from the registry with Src's credentials.
	_, err = berth.Build(bg, berth.BuildOptions{Output: "oci:" + filepath.Join(dir, "on") + ":v1", From: ref,
		Src: wrong})
	if !errors.Is(err, berth.ErrAuth) {
		t.Errorf("build from a base with Src.Creds wrong: want EAuth, got %v", err)
	}
	on, err := berth.Build(bg, berth.BuildOptions{Output: "oci:" + filepath.Join(dir, "on") + ":v1", From: ref,
		Src: creds})
	if err != nil || on.BaseDigest != built.Digest || !strings.Contains(on.BaseName, "abi2-creds") {
		t.Errorf("build on the registry base: %+v, %v", on, err)
	}

	if err := berth.Export(bg, ref, filepath.Join(dir, "x1"), &berth.ExportOptions{Src: wrong}); !errors.Is(err, berth.ErrAuth) {
		t.Errorf("export with Src.Creds wrong: want EAuth, got %v", err)
	}
	if err := berth.Export(bg, ref, filepath.Join(dir, "x2"), &berth.ExportOptions{Src: creds}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "x2", "srv", "app")); err != nil || string(b) != "app\n" {
		t.Errorf("exported srv/app: %q, %v", b, err)
	}

	key, pub := filepath.Join(dir, "k.key"), filepath.Join(dir, "k.pub")
	for _, args := range [][]string{{"ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key},
		{"ec", "-in", key, "-pubout", "-out", pub}} {
		if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl: %v %s", err, out)
		}
	}
	if _, err := berth.Sign(bg, ref, key, &berth.SignOptions{Registry: wrong}); !errors.Is(err, berth.ErrAuth) {
		t.Errorf("sign with Registry.Creds wrong: want EAuth, got %v", err)
	}
	digest, err := berth.Sign(bg, ref, key, &berth.SignOptions{Registry: creds})
	if err != nil || digest != built.Digest {
		t.Fatalf("sign: %q %v", digest, err)
	}
	if _, err := berth.Verify(bg, ref, pub, &berth.VerifyOptions{Registry: wrong}); !errors.Is(err, berth.ErrAuth) {
		t.Errorf("verify with Registry.Creds wrong: want EAuth, got %v", err)
	}
	v, err := berth.Verify(bg, ref, pub, &berth.VerifyOptions{Registry: creds})
	if err != nil || v.Valid != 1 || v.Digest != built.Digest {
		t.Errorf("verify: %+v %v", v, err)
	}
	doc, err := berth.SBOM(bg, ref, &berth.SBOMOptions{Registry: creds})
	if err != nil || !strings.Contains(string(doc), "SPDX-2.3") {
		t.Errorf("sbom with Registry.Creds: %v", err)
	}
	if _, err := berth.SBOM(bg, ref, &berth.SBOMOptions{Registry: wrong}); !errors.Is(err, berth.ErrAuth) {
		t.Errorf("sbom with Registry.Creds wrong: want EAuth, got %v", err)
	}
	idx, err := berth.Index(bg, []string{ref}, "docker://"+host+"/bind-go/abi2-creds:idx",
		&berth.IndexOptions{Src: creds, Dst: creds, Annotations: map[string]string{"a": "b"}})
	if err != nil || idx.MediaType != ociIndex {
		t.Errorf("index with Src and Dst creds: %+v %v", idx, err)
	}
	if _, err := berth.Index(bg, []string{ref}, "docker://"+host+"/bind-go/abi2-creds:idx2",
		&berth.IndexOptions{Src: creds, Dst: wrong}); !errors.Is(err, berth.ErrAuth) {
		t.Errorf("index with Dst.Creds wrong: want EAuth, got %v", err)
	}
}

func TestMirrorServesReads(t *testing.T) {
	img := image(t)
	host := plainStack.host(t)
	// The image lives only in the mirror, under HOST/mirror/<repository>. Its
	// source registry is a closed port: only the mirror can serve it.
	mustCopy(t, img.Ref, "docker://"+host+"/mirror/bind-go/mirrored:v1", nil)
	const origin = "127.0.0.1:1"
	src := "docker://" + origin + "/bind-go/mirrored:v1"
	mirrors := []string{origin + "=" + host + "/mirror"}
	out := "oci:" + filepath.Join(t.TempDir(), "out") + ":v1"

	if _, err := berth.Copy(bg, src, out, nil); err == nil {
		t.Fatal("the copy without the mirror reached a closed port")
	}
	r := mustCopy(t, src, out, &berth.CopyOptions{Src: berth.RegistryOptions{Mirrors: mirrors}})
	if r.Digest != img.Digest || !strings.Contains(r.Mirror, host+"/mirror") {
		t.Errorf("copy through the mirror: digest %s, mirror %q; want %s through %s/mirror", r.Digest, r.Mirror, img.Digest, host)
	}
	if got := rawDigest(t, out); got != img.Digest {
		t.Errorf("the layout holds %s, want %s", got, img.Digest)
	}
	// A build's base, read through the mirror too (Src), recorded as such.
	built, err := berth.Build(bg, berth.BuildOptions{From: src, Output: "oci:" + filepath.Join(t.TempDir(), "b") + ":v1",
		Src: berth.RegistryOptions{Mirrors: mirrors}})
	if err != nil || built.BaseDigest != img.Digest || !strings.Contains(built.BaseMirror, host+"/mirror") {
		t.Errorf("build on a base through the mirror: %+v, %v", built, err)
	}
}

func TestMirrorOnACopysDestinationRefused(t *testing.T) {
	img := image(t)
	host := plainStack.host(t)
	dst := repo(t) + ":v1"
	_, err := berth.Copy(bg, img.Ref, dst, &berth.CopyOptions{
		Dst: berth.RegistryOptions{Mirrors: []string{host + "=" + host + "/mirror"}}})
	var be *berth.Error
	if !errors.As(err, &be) || be.Code != berth.EInvalid || !strings.Contains(strings.ToLower(be.Message), "mirror") {
		t.Fatalf("a mirror on the destination: want EInvalid naming mirrors, got %v", err)
	}
	assertAbsent(t, dst)
}

// ---------------------------------------------------------------------------
// Copy results from JSON

func TestCopyResultSignatureReferrersWarnings(t *testing.T) {
	img := image(t)
	_, key := attestFixture(t)
	r := repo(t)
	hexDigest := strings.TrimPrefix(img.Digest, "sha256:")

	signed := mustCopy(t, img.Ref, r+":v1", &berth.CopyOptions{SignKey: key})
	if !strings.HasSuffix(signed.Signature, "sha256-"+hexDigest+".sig") || signed.Digest != img.Digest {
		t.Errorf("Signature %q, want REPO:sha256-%s.sig", signed.Signature, hexDigest)
	}
	if signed.Duration <= 0 || len(signed.Warnings) != 0 {
		t.Errorf("Duration %v, Warnings %q", signed.Duration, signed.Warnings)
	}
	if plain := mustCopy(t, img.Ref, r+":plain", nil); plain.Signature != "" {
		t.Errorf("a copy without SignKey reports a signature %q", plain.Signature)
	}

	// The signature follows the image as a referrer under cosign's digest tag.
	layout := filepath.Join(t.TempDir(), "out")
	down := mustCopy(t, r+":v1", "oci:"+layout+":v1", nil)
	if down.Referrers < 1 || down.DigestTags < 1 || down.DigestTags > down.Referrers {
		t.Errorf("copy of a signed image: Referrers %d, DigestTags %d", down.Referrers, down.DigestTags)
	}
	if d, _ := layoutManifest(t, layout, "sha256-"+hexDigest+".sig"); d == "" {
		t.Error("no signature tag in the layout")
	}
	if none := mustCopy(t, r+":v1", "oci:"+filepath.Join(t.TempDir(), "none")+":v1",
		&berth.CopyOptions{NoReferrers: true}); none.Referrers != 0 || none.DigestTags != 0 {
		t.Errorf("NoReferrers: Referrers %d, DigestTags %d", none.Referrers, none.DigestTags)
	}

	// A registry without the referrers API keeps the referrers index at tag
	// sha256-<hex>; an image manifest there is no such index: a warning, and the
	// copy goes on.
	w := repo(t) + "-warn"
	mustCopy(t, img.Ref, w+":v1", nil)
	mustCopy(t, img.Ref, w+":sha256-"+hexDigest, nil)
	got := mustCopy(t, w+":v1", "oci:"+filepath.Join(t.TempDir(), "w")+":v1", nil)
	if len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], "not a referrers index") || got.Digest != img.Digest {
		t.Errorf("Warnings %q, want one about the tag that is not a referrers index", got.Warnings)
	}
}
