package berth_test

// berth.Copy from a registry whose connections are slow into a layout: a large
// blob comes as parallel Range GETs (issue 11). The registry is a few handlers on
// Go's own HTTP server, whose http.ServeContent answers Range as net/http does for
// any Go registry (an independent implementation of the ranges berth asks for);
// each connection is held to 8 MB/s. The test judges the bytes in the layout and
// the requests the server saw, never a time.

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// slowReader hands out at most 64 KiB per Read, at rate bytes per second.
type slowReader struct {
	io.ReadSeeker
	rate float64
}

func (r slowReader) Read(p []byte) (int, error) {
	if len(p) > 64<<10 {
		p = p[:64<<10]
	}
	n, err := r.ReadSeeker.Read(p)
	time.Sleep(time.Duration(float64(n) / r.rate * float64(time.Second)))
	return n, err
}

func TestCopySlowLargeBlobInParallelRanges(t *testing.T) {
	layer := make([]byte, 40<<20)
	if _, err := rand.Read(layer); err != nil {
		t.Fatal(err)
	}
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": ociManifest,
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json",
			"digest": digestOf(config), "size": len(config)},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar",
			"digest": digestOf(layer), "size": len(layer)}},
	})
	blobs := map[string][]byte{digestOf(config): config, digestOf(layer): layer}

	var mu sync.Mutex
	var ranges []string
	active, mostActive := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v2/app/manifests/v1":
			w.Header().Set("Content-Type", ociManifest)
			w.Header().Set("Docker-Content-Digest", digestOf(manifest))
			w.Write(manifest)
		case strings.HasPrefix(r.URL.Path, "/v2/app/blobs/"):
			b, ok := blobs[strings.TrimPrefix(r.URL.Path, "/v2/app/blobs/")]
			if !ok {
				http.NotFound(w, r)
				return
			}
			mu.Lock()
			if len(b) == len(layer) {
				ranges = append(ranges, r.Header.Get("Range"))
			}
			active++
			mostActive = max(mostActive, active)
			mu.Unlock()
			defer func() { mu.Lock(); active--; mu.Unlock() }()
			http.ServeContent(w, r, "", time.Time{}, slowReader{bytes.NewReader(b), 8e6})
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	host := strings.TrimPrefix(srv.URL, "http://")
	out := filepath.Join(t.TempDir(), "l")
	r := mustCopy(t, host+"/app:v1", "oci:"+out+":v1", nil)
	if r.Digest != digestOf(manifest) || r.BlobsCopied != 2 {
		t.Errorf("copy result %+v", *r)
	}
	got, err := os.ReadFile(blobPath(out, digestOf(layer)))
	if err != nil || !bytes.Equal(got, layer) {
		t.Fatalf("the layer in the layout differs from the served one (%v)", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ranges) < 3 || ranges[0] != "" || mostActive < 3 {
		t.Errorf("want one plain GET split into >= 3 concurrent ranges; got %q, %d at once",
			ranges, mostActive)
	}
}
