package berth_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	berth "github.com/berth-project/berth/bindings/go"
)

// hungRegistry accepts connections and never answers: without cancellation a
// call waits out two stalls of 60 s before it fails.
func hungRegistry(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan net.Conn, 64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held <- c // kept open, never read or written
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for {
			select {
			case c := <-held:
				c.Close()
			default:
				return
			}
		}
	})
	return ln.Addr().String()
}

// A context deadline reaches a call that is waiting on a silent registry, with
// or without a progress func, and the error unwraps to context.DeadlineExceeded.
func TestContextDeadlineStopsAHungRegistry(t *testing.T) {
	host := hungRegistry(t)
	dst := "oci:" + filepath.Join(t.TempDir(), "l") + ":v1"
	calls := map[string]func(context.Context) error{
		"Inspect": func(ctx context.Context) error {
			_, err := berth.Inspect(ctx, host+"/hung/app:v1", nil)
			return err
		},
		"GetManifest": func(ctx context.Context) error {
			_, err := berth.GetManifest(ctx, host+"/hung/app:v1", nil)
			return err
		},
		"Copy": func(ctx context.Context) error {
			_, err := berth.Copy(ctx, host+"/hung/app:v1", dst, nil)
			return err
		},
		"ListTags": func(ctx context.Context) error {
			_, err := berth.ListTags(ctx, host+"/hung/app", nil)
			return err
		},
		"SBOM": func(ctx context.Context) error {
			_, err := berth.SBOM(ctx, host+"/hung/app:v1", nil)
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			start := time.Now()
			err := call(ctx)
			took := time.Since(start)
			if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, berth.ErrCancelled) {
				t.Fatalf("want ECancelled wrapping context.DeadlineExceeded, got %v", err)
			}
			// Without the cancel this is two 60 s stalls; 20 s leaves room for a
			// loaded machine and still fails clearly when ctx is not seen.
			if took > 20*time.Second {
				t.Fatalf("returned after %v", took)
			}
		})
	}
}

// Cancelling by hand works the same, and the next call on a fresh context is
// not affected by the token of the last one (a locked thread is reused).
func TestContextCancelThenAFreshCall(t *testing.T) {
	host := hungRegistry(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	_, err := berth.Inspect(ctx, host+"/hung/app:v1", nil)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, berth.ErrCancelled) {
		t.Fatalf("want ECancelled wrapping context.Canceled, got %v", err)
	}
	img := image(t)
	if _, err := berth.Inspect(context.Background(), img.Ref, nil); err != nil {
		t.Fatalf("a call after a cancelled one: %v", err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), time.Minute)
	defer cancel2()
	if _, err := berth.Inspect(short, img.Ref, nil); err != nil {
		t.Fatalf("a call under a live deadline: %v", err)
	}
}
