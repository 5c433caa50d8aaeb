package berth

/*
#include <stdlib.h>
#include <berth.h>
*/
import "C"

import (
	"runtime"
	"strings"
	"time"
	"unsafe"
)

// Header is one HTTP header.
type Header struct {
	Name  string
	Value string
}

// SignInput describes one request to sign with AWS Signature Version 4. It
// mirrors the Python binding's berth.sign_request; options that default to on
// there have inverted names here so that Go's zero value is the default.
type SignInput struct {
	Method  string   // e.g. "GET"
	URL     string   // absolute http(s) URL; the path is taken literally
	Headers []Header // request headers; a Host header is added from URL when missing
	Body    []byte   // the payload, used only for its hash

	Region       string // required, e.g. "us-east-1"
	Service      string // required, e.g. "ecr", "sts", "s3"
	AccessKey    string // required access key id
	SecretKey    string // required secret access key
	SessionToken string // "" when none

	// Time is the signing time; the zero Time means now. It is used with
	// one-second resolution and must lie after the Unix epoch.
	Time time.Time
	// PresignExpires > 0 presigns: the signature goes into the URL's query with
	// X-Amz-Expires set to this duration, a whole number of seconds, at most 7
	// days. 0 signs with the Authorization header.
	PresignExpires time.Duration
	// ContentSHA256Header adds and signs an x-amz-content-sha256 header (S3,
	// ECR uploads).
	ContentSHA256Header bool
	// UnsignedPayload uses UNSIGNED-PAYLOAD instead of the body's hash.
	UnsignedPayload bool
	// NoNormalizePath keeps "." and ".." segments and "//" in the path (S3
	// style). By default they are normalised away before encoding.
	NoNormalizePath bool
	// NoDoubleEncode takes the wire form of the path as the canonical path (S3
	// style). By default the path is URI-encoded once more, as every other
	// service expects.
	NoDoubleEncode bool
	// UnsignedSessionToken adds the session token to the request after signing,
	// for services that want it unsigned. By default it is signed.
	UnsignedSessionToken bool
	// PayloadHash is the hex SHA-256 of the body when the caller has already
	// computed it (streaming uploads); "" hashes Body.
	PayloadHash string
}

// SignedRequest is a signed request as it must be sent, with every signing stage.
type SignedRequest struct {
	Method string
	// URL is the URL as sent on the wire; a presigned URL carries the signature
	// (X-Amz-Signature) in its query.
	URL string
	// Headers are the given headers followed by those signing added (Host,
	// X-Amz-Date, Authorization, X-Amz-Security-Token, x-amz-content-sha256).
	Headers          []Header
	CanonicalRequest string
	StringToSign     string
	Signature        string // lower-case hex
}

// Get returns the value of the first header named name (compared
// case-insensitively), or "" when there is none.
func (r *SignedRequest) Get(name string) string {
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// cStrings allocates C strings and frees them all at once.
type cStrings []*C.char

func (s *cStrings) add(v string) *C.char {
	p := C.CString(v)
	*s = append(*s, p)
	return p
}

// optional is add, except that "" stays NULL (an option left at its default).
func (s *cStrings) optional(v string) *C.char {
	if v == "" {
		return nil
	}
	return s.add(v)
}

// array copies vals into a C array of C strings (const char *const *), all
// freed by free; nil and 0 for none. The array lives in C memory, so a C struct
// in Go memory may point at it without breaking cgo's pointer rules.
func (s *cStrings) array(vals []string) (**C.char, C.size_t) {
	if len(vals) == 0 {
		return nil, 0
	}
	size := C.size_t(len(vals)) * C.size_t(unsafe.Sizeof((*C.char)(nil)))
	mem := (**C.char)(C.malloc(size))
	*s = append(*s, (*C.char)(unsafe.Pointer(mem)))
	items := unsafe.Slice(mem, len(vals))
	for i, v := range vals {
		items[i] = s.add(v)
	}
	return mem, C.size_t(len(vals))
}

func (s *cStrings) free() {
	for _, p := range *s {
		C.free(unsafe.Pointer(p))
	}
	*s = nil
}

func invalid(msg string) error { return &Error{Code: EInvalid, Message: msg} }

// SignRequest signs one HTTP request with SigV4. It fails with an *Error of code
// EInvalid for a malformed URL, a missing region, service or credential, or a
// bad header. It is safe for concurrent use; derived signing keys are cached
// across calls.
func SignRequest(in SignInput) (*SignedRequest, error) {
	if err := CheckABI(); err != nil {
		return nil, err
	}
	// C strings end at the first NUL: refuse what would be silently truncated.
	for _, f := range []struct{ name, v string }{
		{"Method", in.Method}, {"URL", in.URL}, {"Region", in.Region}, {"Service", in.Service},
		{"AccessKey", in.AccessKey}, {"SecretKey", in.SecretKey},
		{"SessionToken", in.SessionToken}, {"PayloadHash", in.PayloadHash},
	} {
		if strings.IndexByte(f.v, 0) >= 0 {
			return nil, invalid(f.name + " contains a NUL byte")
		}
	}
	for _, h := range in.Headers {
		if strings.IndexByte(h.Name, 0) >= 0 || strings.IndexByte(h.Value, 0) >= 0 {
			return nil, invalid("header " + strings.ReplaceAll(h.Name, "\x00", `\x00`) + " contains a NUL byte")
		}
	}
	var timestamp int64
	if !in.Time.IsZero() {
		if timestamp = in.Time.Unix(); timestamp <= 0 {
			return nil, invalid("Time must lie after the Unix epoch (the zero Time means now)")
		}
	}
	if in.PresignExpires < 0 {
		return nil, invalid("PresignExpires must not be negative")
	}
	if in.PresignExpires%time.Second != 0 {
		return nil, invalid("PresignExpires must be a whole number of seconds")
	}

	var strs cStrings
	defer strs.free()

	var headers []C.berth_header
	if len(in.Headers) > 0 {
		headers = make([]C.berth_header, len(in.Headers))
		for i, h := range in.Headers {
			headers[i].name = strs.add(h.Name)
			headers[i].value = strs.add(h.Value)
		}
	}
	var headersPtr *C.berth_header
	if len(headers) > 0 {
		headersPtr = &headers[0]
	}
	// The body is read during the call only and holds no Go pointers, so it is
	// passed without a copy.
	var bodyPtr unsafe.Pointer
	if len(in.Body) > 0 {
		bodyPtr = unsafe.Pointer(&in.Body[0])
	}
	method := strs.add(in.Method)
	url := strs.add(in.URL)

	// berth_last_error() is thread-local: the failing call and the read of its
	// error must happen on the same OS thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	var opts C.berth_sign_options
	if rc := C.berth_sign_options_init(&opts, C.BERTH_SIGN_OPTIONS_VERSION); rc != C.BERTH_OK {
		return nil, lastError(rc)
	}
	opts.region = strs.add(in.Region)
	opts.service = strs.add(in.Service)
	opts.access_key_id = strs.add(in.AccessKey)
	opts.secret_access_key = strs.add(in.SecretKey)
	if in.SessionToken != "" {
		opts.session_token = strs.add(in.SessionToken)
	}
	opts.timestamp = C.int64_t(timestamp)
	opts.presign_expires = C.int64_t(in.PresignExpires / time.Second)
	opts.content_sha256_header = cBool(in.ContentSHA256Header)
	opts.unsigned_payload = cBool(in.UnsignedPayload)
	opts.normalize_path = cBool(!in.NoNormalizePath)
	opts.double_encode = cBool(!in.NoDoubleEncode)
	opts.sign_session_token = cBool(!in.UnsignedSessionToken)
	if in.PayloadHash != "" {
		opts.payload_hash = strs.add(in.PayloadHash)
	}

	var req *C.berth_signed_request
	rc := C.berth_sign_request(&req, method, url, headersPtr, C.size_t(len(headers)), bodyPtr,
		C.size_t(len(in.Body)), &opts)
	if rc != C.BERTH_OK {
		return nil, lastError(rc)
	}
	defer C.berth_signed_request_free(req)

	out := &SignedRequest{
		Method:           C.GoString(C.berth_signed_request_method(req)),
		URL:              C.GoString(C.berth_signed_request_url(req)),
		CanonicalRequest: C.GoString(C.berth_signed_request_canonical_request(req)),
		StringToSign:     C.GoString(C.berth_signed_request_string_to_sign(req)),
		Signature:        C.GoString(C.berth_signed_request_signature(req)),
	}
	n := int(C.berth_signed_request_header_count(req))
	out.Headers = make([]Header, 0, n)
	for i := 0; i < n; i++ {
		var name, value *C.char
		if rc := C.berth_signed_request_header_at(&name, &value, req, C.size_t(i)); rc != C.BERTH_OK {
			return nil, lastError(rc)
		}
		out.Headers = append(out.Headers, Header{Name: C.GoString(name), Value: C.GoString(value)})
	}
	return out, nil
}

func cBool(b bool) C.int32_t {
	if b {
		return 1
	}
	return 0
}
