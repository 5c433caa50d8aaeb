package berth

/*
#include <stdlib.h>
#include <berth.h>
*/
import "C"

import (
	"context"
	"runtime"
)

// PullOptions configures [Pull]: the options of [Copy] that apply (Src for the
// registry read; Dst only when dst is a registry; ExtraTags, CreateRepository and
// SignKey are Copy's and Push's) and VerifyKey.
type PullOptions struct {
	CopyOptions
	// VerifyKey is a cosign PEM public key file: the image's signatures are
	// verified first (as [Verify] does, with Src) and the image is pulled by the
	// digest that verified, so a tag that moves in between cannot slip an
	// unsigned image in. No valid signature is EGate, with nothing written.
	// "" verifies nothing.
	VerifyKey string
}

// PullResult is what [Pull] did: a [CopyResult], the location written and, with
// a VerifyKey, what verified.
type PullResult struct {
	CopyResult
	// Destination is where the image went, as [Copy] names locations:
	// "docker-archive:out.tar", "oci:./dir:v1", ...
	Destination string
	// VerifiedDigest is the digest that verified ("" without a VerifyKey);
	// SignaturesVerified counts its valid signatures.
	VerifiedDigest     string
	SignaturesVerified int
}

// Pull pulls the registry image ref ("HOST/REPO:TAG" or @sha256:...; docker://
// may be given) into dst, as "berth pull REF DST" does; a local source is
// EInvalid (that is [Copy]'s). dst is read as the CLI and crane read it: with a
// transport as written ("oci:DIR[:TAG]", "oci-archive:FILE[:TAG]",
// "docker-archive:FILE[:REF]", "docker://..."); "FILE.tar" (not a directory) a
// docker-archive, which docker load reads; a directory that exists, or a path
// written ".", "./DIR", "../DIR" or "/DIR", an OCI layout ("~" is not expanded); "HOST/REPO..."
// a registry. A bare word ("outdir"), which would name a Docker Hub repository,
// is EInvalid naming those forms. opts may be nil; cancellation by ctx is as
// for [Copy].
func Pull(ctx context.Context, ref, dst string, opts *PullOptions) (*PullResult, error) {
	if err := CheckABI(); err != nil {
		return nil, err
	}
	var o PullOptions
	if opts != nil {
		o = *opts
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cc := cancelOnDone(ctx) // ctx ending stops the call (ECancelled wrapping ctx.Err())
	defer cc.release()
	c, err := newCopyCall(ctx, "Pull", &o.CopyOptions, namedString{"ref", ref},
		namedString{"dst", dst}, namedString{"VerifyKey", o.VerifyKey})
	defer c.free()
	if err != nil {
		return nil, err
	}
	var out *C.char
	rc := C.berth_pull(&out, c.strs.add(ref), c.strs.add(dst), c.strs.optional(o.VerifyKey), c.co)
	err = cc.wrap(c.progress.finish(rc)) // before any other berth call on this thread
	raw := takeReply(out)
	if err != nil {
		return nil, err
	}
	var j struct {
		copyJSON
		Destination string `json:"destination"`
		Verified    *struct {
			Digest string `json:"digest"`
			Valid  int    `json:"valid"`
		} `json:"verified"`
	}
	if err := decodeReply("Pull", raw, &j); err != nil {
		return nil, err
	}
	r := &PullResult{CopyResult: j.copyJSON.result(), Destination: j.Destination}
	if j.Verified != nil {
		r.VerifiedDigest, r.SignaturesVerified = j.Verified.Digest, j.Verified.Valid
	}
	return r, nil
}
