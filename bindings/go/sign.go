package berth

/*
#include <stdlib.h>
#include <berth.h>
*/
import "C"

import (
	"context"
	"encoding/json"
	"runtime"
)

// SignOptions configures [Sign]: the registry access options of [CopyOptions]
// (DestCreds, PlainHTTP, Insecure, CABundle) and the key's password.
type SignOptions struct {
	CopyOptions
	// Password of an encrypted cosign key ("" for cosign's empty password).
	Password string
}

// Sign signs the image ref ("docker://REF" or "oci:DIR[:TAG]") as
// `cosign sign --key` does, with the private key file key (cosign's, encrypted
// with opts.Password, or a PEM EC P-256 key), and returns the signed digest.
// EAuth for a wrong password, EConfig for a file that is no key.
func Sign(ctx context.Context, ref, key string, opts *SignOptions) (string, error) {
	if err := CheckABI(); err != nil {
		return "", err
	}
	if opts == nil {
		opts = &SignOptions{}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c, err := newCopyCall(ctx, "Sign", &opts.CopyOptions, namedString{"ref", ref},
		namedString{"key", key}, namedString{"Password", opts.Password})
	if err != nil {
		return "", err
	}
	defer c.free()
	var out *C.char
	rc := C.berth_sign(&out, c.strs.add(ref), c.strs.add(key), c.strs.add(opts.Password), c.co)
	err = c.finish(rc) // before any other berth call on this thread
	return takeReply(out), err
}

// Attest attaches a signed in-toto attestation about ref: predicate (one JSON
// document) of predicateType (a URI, e.g. "https://spdx.dev/Document") in a DSSE
// envelope signed with key, where `cosign verify-attestation --key` finds it.
// Returns the image's digest. Keys and opts as for [Sign].
func Attest(ctx context.Context, ref, key, predicateType string, predicate []byte, opts *SignOptions) (string, error) {
	if err := CheckABI(); err != nil {
		return "", err
	}
	if opts == nil {
		opts = &SignOptions{}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c, err := newCopyCall(ctx, "Attest", &opts.CopyOptions, namedString{"ref", ref},
		namedString{"key", key}, namedString{"predicateType", predicateType},
		namedString{"predicate", string(predicate)}, namedString{"Password", opts.Password})
	if err != nil {
		return "", err
	}
	defer c.free()
	var out *C.char
	rc := C.berth_attest(&out, c.strs.add(ref), c.strs.add(key), c.strs.add(opts.Password),
		c.strs.add(predicateType), c.strs.add(string(predicate)), c.co)
	err = c.finish(rc) // before any other berth call on this thread
	return takeReply(out), err
}

// VerifyResult is what [Verify] found.
type VerifyResult struct {
	Digest     string            `json:"digest"`
	Signatures int               `json:"signatures"` // signature layers found
	Valid      int               `json:"valid"`      // of them, by the key, for this digest
	Payloads   []json.RawMessage `json:"payloads"`   // the valid ones' payloads
}

// Verify checks the cosign signatures of ref with the PEM public key file: at
// least one must be signed by it and name ref's digest, else EGate. opts gives
// registry access (SrcCreds, PlainHTTP, ...) and may be nil. Nothing is written.
func Verify(ctx context.Context, ref, publicKey string, opts *CopyOptions) (*VerifyResult, error) {
	if err := CheckABI(); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &CopyOptions{}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c, err := newCopyCall(ctx, "Verify", opts, namedString{"ref", ref},
		namedString{"publicKey", publicKey})
	if err != nil {
		return nil, err
	}
	defer c.free()
	var out *C.char
	rc := C.berth_verify(&out, c.strs.add(ref), c.strs.add(publicKey), c.co)
	err = c.finish(rc) // before any other berth call on this thread
	raw := takeReply(out)
	if err != nil {
		return nil, err
	}
	var r VerifyResult
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return nil, &Error{Code: EProtocol, Message: "berth_verify: " + err.Error()}
	}
	return &r, nil
}
