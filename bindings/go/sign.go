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
	"time"
)

// SignOptions configures [Sign] and [Attest]. The zero value (or nil) uses the
// docker keychain's credentials, verified TLS and cosign's empty password.
type SignOptions struct {
	// Registry reaches the image's registry.
	Registry RegistryOptions
	// Password of an encrypted cosign key ("" for cosign's empty password).
	Password string
	// Timeout bounds the whole call; 0 means none.
	Timeout time.Duration
}

// VerifyOptions configures [Verify]. The zero value (or nil) uses the docker
// keychain's credentials and verified TLS.
type VerifyOptions struct {
	// Registry reaches the image's registry.
	Registry RegistryOptions
	// Timeout bounds the whole call; 0 means none.
	Timeout time.Duration
}

// signCall fills berth_cosign_options from opts, runs call on a locked OS
// thread and returns the JSON it gave back.
func signCall(ctx context.Context, what string, opts *SignOptions, args []namedString,
	call func(out **C.char, a []*C.char, o *C.berth_cosign_options) C.int) (string, error) {
	if err := CheckABI(); err != nil {
		return "", err
	}
	if ctx == nil {
		return "", invalid(what + " needs a non-nil context (use context.Background())")
	}
	if opts == nil {
		opts = &SignOptions{}
	}
	if err := checkNUL(append(args, namedString{"Password", opts.Password})); err != nil {
		return "", err
	}
	if err := opts.Registry.check("Registry"); err != nil {
		return "", err
	}
	timeout, err := timeoutMillis("SignOptions", opts.Timeout)
	if err != nil {
		return "", err
	}
	if err := notStarted(ctx, what); err != nil {
		return "", err
	}
	var strs cStrings
	defer strs.free()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cc := cancelOnDone(ctx) // ctx ending stops the call (ECancelled wrapping ctx.Err())
	defer cc.release()
	co := new(C.berth_cosign_options)
	if rc := C.berth_cosign_options_init(co, C.BERTH_COSIGN_OPTIONS_VERSION); rc != C.BERTH_OK {
		return "", lastError(rc)
	}
	if co.registry, err = strs.registry(&opts.Registry); err != nil {
		return "", err
	}
	co.key_password = strs.optional(opts.Password)
	co.timeout_ms = timeout
	cargs := make([]*C.char, len(args))
	for i, a := range args {
		cargs[i] = strs.add(a.v)
	}
	var out *C.char
	raw, err := replyAndError(call(&out, cargs, co), out)
	return raw, cc.wrap(err)
}

// Sign signs the image ref ("docker://REF" or "oci:DIR[:TAG]") as
// `cosign sign --key` does, with the private key file key (cosign's, encrypted
// with opts.Password, or a PEM EC P-256 key), and returns the signed digest.
// EAuth for a wrong password, EConfig for a file that is no key. ctx
// cancels it as for [AWSCredentials].
func Sign(ctx context.Context, ref, key string, opts *SignOptions) (string, error) {
	raw, err := signCall(ctx, "Sign", opts, []namedString{{"ref", ref}, {"key", key}},
		func(out **C.char, a []*C.char, o *C.berth_cosign_options) C.int {
			return C.berth_sign(out, a[0], a[1], o)
		})
	if err != nil {
		return "", err
	}
	var r struct {
		Digest string `json:"digest"`
	}
	if err := decodeReply("Sign", raw, &r); err != nil {
		return "", err
	}
	return r.Digest, nil
}

// Attest attaches a signed in-toto attestation about ref: predicate (one JSON
// document) of predicateType (a URI, e.g. "https://spdx.dev/Document") in a DSSE
// envelope signed with key, where `cosign verify-attestation --key` finds it.
// Returns the image's digest. Keys and opts as for [Sign]; a predicate that is
// not JSON is EInvalid.
func Attest(ctx context.Context, ref, key, predicateType string, predicate []byte, opts *SignOptions) (string, error) {
	raw, err := signCall(ctx, "Attest", opts, []namedString{{"ref", ref}, {"key", key},
		{"predicateType", predicateType}, {"predicate", string(predicate)}},
		func(out **C.char, a []*C.char, o *C.berth_cosign_options) C.int {
			return C.berth_attest(out, a[0], a[1], a[2], a[3], o)
		})
	if err != nil {
		return "", err
	}
	var r struct {
		Digest string `json:"digest"`
	}
	if err := decodeReply("Attest", raw, &r); err != nil {
		return "", err
	}
	return r.Digest, nil
}

// VerifyResult is what [Verify] found.
type VerifyResult struct {
	Digest     string            `json:"digest"`
	Signatures int               `json:"signatures"` // signature layers found
	Valid      int               `json:"valid"`      // of them, by the key, for this digest
	Payloads   []json.RawMessage `json:"payloads"`   // the valid ones' payloads
}

// Verify checks the cosign signatures of ref with the PEM public key file: at
// least one must be signed by it and name ref's digest, else it fails with an
// *Error of code EGate (errors.Is(err, berth.ErrGate)). opts may be nil.
// Nothing is written; ctx cancels it as for [AWSCredentials].
func Verify(ctx context.Context, ref, publicKey string, opts *VerifyOptions) (*VerifyResult, error) {
	if err := CheckABI(); err != nil {
		return nil, err
	}
	if ctx == nil {
		return nil, invalid("Verify needs a non-nil context (use context.Background())")
	}
	if opts == nil {
		opts = &VerifyOptions{}
	}
	if err := checkNUL([]namedString{{"ref", ref}, {"publicKey", publicKey}}); err != nil {
		return nil, err
	}
	if err := opts.Registry.check("Registry"); err != nil {
		return nil, err
	}
	timeout, err := timeoutMillis("VerifyOptions", opts.Timeout)
	if err != nil {
		return nil, err
	}
	if err := notStarted(ctx, "Verify"); err != nil {
		return nil, err
	}
	var strs cStrings
	defer strs.free()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cc := cancelOnDone(ctx) // ctx ending stops the call (ECancelled wrapping ctx.Err())
	defer cc.release()
	vo := new(C.berth_verify_options)
	if rc := C.berth_verify_options_init(vo, C.BERTH_VERIFY_OPTIONS_VERSION); rc != C.BERTH_OK {
		return nil, lastError(rc)
	}
	if vo.registry, err = strs.registry(&opts.Registry); err != nil {
		return nil, err
	}
	vo.timeout_ms = timeout
	var out *C.char
	rc := C.berth_verify(&out, strs.add(ref), strs.add(publicKey), vo)
	raw, err := replyAndError(rc, out)
	if err = cc.wrap(err); err != nil {
		return nil, err
	}
	var r VerifyResult
	if err := decodeReply("Verify", raw, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
