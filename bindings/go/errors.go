package berth

/*
#include <berth.h>
*/
import "C"

import (
	"context"
	"strconv"
	"strings"
)

// Result codes, the BERTH_* codes of berth.h. They never change value; new ones
// are only added.
const (
	OK           = 0   // BERTH_OK: success
	EInvalid     = -1  // BERTH_EINVAL: invalid argument, malformed input
	ENoMem       = -2  // BERTH_ENOMEM: out of memory
	EIO          = -3  // BERTH_EIO: local file-system error
	ENetwork     = -4  // BERTH_ENETWORK: connection failed, reset, DNS, TLS
	ETimeout     = -5  // BERTH_ETIMEOUT: an operation or wait timed out
	EAuth        = -6  // BERTH_EAUTH: missing, invalid or expired credentials (401)
	EDenied      = -7  // BERTH_EDENIED: authenticated but not allowed (403, AccessDenied)
	ENotFound    = -8  // BERTH_ENOTFOUND: repository, manifest, blob, file or profile missing
	EExists      = -9  // BERTH_EEXISTS: already exists, or an immutable tag
	EDigest      = -10 // BERTH_EDIGEST: content does not match its digest
	EProtocol    = -11 // BERTH_EPROTOCOL: a server broke the protocol or sent garbage
	EUnsupported = -12 // BERTH_EUNSUPPORTED: valid but not supported (media type, option)
	ECancelled   = -13 // BERTH_ECANCELLED: a callback asked to stop
	ETooLarge    = -14 // BERTH_ETOOLARGE: size limit exceeded (manifest, bomb, policy)
	EThrottled   = -15 // BERTH_ETHROTTLED: rate limited after all retries (429, Throttling)
	EConfig      = -16 // BERTH_ECONFIG: malformed configuration file or environment
	EUnsafe      = -17 // BERTH_EUNSAFE: refused for safety (path escape, credential leak)
	EGate        = -18 // BERTH_EGATE: a policy gate failed (e.g. scan findings)
	EServer      = -19 // BERTH_ESERVER: the server failed (5xx after all retries)
	EBuild       = -20 // BERTH_EBUILD: a build step failed (a Dockerfile RUN exited non-zero)
	EInternal    = -99 // BERTH_EINTERNAL: a bug in berth; please report it
)

// Sentinel errors, one per code, for errors.Is:
//
//	errors.Is(err, berth.ErrNotFound)
//
// is the same test as errors.Is(err, &berth.Error{Code: berth.ENotFound}).
// Compare with errors.Is, never with ==: the errors berth returns are fresh
// values carrying the details of each failure.
var (
	ErrInvalid     = &Error{Code: EInvalid}
	ErrNoMem       = &Error{Code: ENoMem}
	ErrIO          = &Error{Code: EIO}
	ErrNetwork     = &Error{Code: ENetwork}
	ErrTimeout     = &Error{Code: ETimeout}
	ErrAuth        = &Error{Code: EAuth}
	ErrDenied      = &Error{Code: EDenied}
	ErrNotFound    = &Error{Code: ENotFound}
	ErrExists      = &Error{Code: EExists}
	ErrDigest      = &Error{Code: EDigest}
	ErrProtocol    = &Error{Code: EProtocol}
	ErrUnsupported = &Error{Code: EUnsupported}
	ErrCancelled   = &Error{Code: ECancelled}
	ErrTooLarge    = &Error{Code: ETooLarge}
	ErrThrottled   = &Error{Code: EThrottled}
	ErrConfig      = &Error{Code: EConfig}
	ErrUnsafe      = &Error{Code: EUnsafe}
	ErrGate        = &Error{Code: EGate}
	ErrServer      = &Error{Code: EServer}
	ErrBuild       = &Error{Code: EBuild}
	ErrInternal    = &Error{Code: EInternal}
)

// The function below does not run: it fails to compile when a constant above
// differs from berth.h (a constant index out of [0, 1) is a compile error).
func _() {
	var x [1]struct{}
	_ = x[OK-C.BERTH_OK]
	_ = x[C.BERTH_OK-OK]
	_ = x[EInvalid-C.BERTH_EINVAL]
	_ = x[C.BERTH_EINVAL-EInvalid]
	_ = x[ENoMem-C.BERTH_ENOMEM]
	_ = x[C.BERTH_ENOMEM-ENoMem]
	_ = x[EIO-C.BERTH_EIO]
	_ = x[C.BERTH_EIO-EIO]
	_ = x[ENetwork-C.BERTH_ENETWORK]
	_ = x[C.BERTH_ENETWORK-ENetwork]
	_ = x[ETimeout-C.BERTH_ETIMEOUT]
	_ = x[C.BERTH_ETIMEOUT-ETimeout]
	_ = x[EAuth-C.BERTH_EAUTH]
	_ = x[C.BERTH_EAUTH-EAuth]
	_ = x[EDenied-C.BERTH_EDENIED]
	_ = x[C.BERTH_EDENIED-EDenied]
	_ = x[ENotFound-C.BERTH_ENOTFOUND]
	_ = x[C.BERTH_ENOTFOUND-ENotFound]
	_ = x[EExists-C.BERTH_EEXISTS]
	_ = x[C.BERTH_EEXISTS-EExists]
	_ = x[EDigest-C.BERTH_EDIGEST]
	_ = x[C.BERTH_EDIGEST-EDigest]
	_ = x[EProtocol-C.BERTH_EPROTOCOL]
	_ = x[C.BERTH_EPROTOCOL-EProtocol]
	_ = x[EUnsupported-C.BERTH_EUNSUPPORTED]
	_ = x[C.BERTH_EUNSUPPORTED-EUnsupported]
	_ = x[ECancelled-C.BERTH_ECANCELLED]
	_ = x[C.BERTH_ECANCELLED-ECancelled]
	_ = x[ETooLarge-C.BERTH_ETOOLARGE]
	_ = x[C.BERTH_ETOOLARGE-ETooLarge]
	_ = x[EThrottled-C.BERTH_ETHROTTLED]
	_ = x[C.BERTH_ETHROTTLED-EThrottled]
	_ = x[EConfig-C.BERTH_ECONFIG]
	_ = x[C.BERTH_ECONFIG-EConfig]
	_ = x[EUnsafe-C.BERTH_EUNSAFE]
	_ = x[C.BERTH_EUNSAFE-EUnsafe]
	_ = x[EGate-C.BERTH_EGATE]
	_ = x[C.BERTH_EGATE-EGate]
	_ = x[EServer-C.BERTH_ESERVER]
	_ = x[C.BERTH_ESERVER-EServer]
	_ = x[EBuild-C.BERTH_EBUILD]
	_ = x[C.BERTH_EBUILD-EBuild]
	_ = x[EInternal-C.BERTH_EINTERNAL]
	_ = x[C.BERTH_EINTERNAL-EInternal]
}

// Error is a failure reported by libberth.
type Error struct {
	Code       int    // a BERTH_E* code: EInvalid, ENotFound, ...
	Message    string // human-readable details; may be empty
	HTTPStatus int    // HTTP status of the failing reply, 0 when none
	AWSCode    string // AWS error code such as "AccessDenied", "" when none
	RequestID  string // x-amzn-RequestId / x-amz-request-id, "" when none

	// cause is what made berth fail when it came from the Go side: the
	// context's error for a copy cancelled through its context. See Unwrap.
	cause error
}

// Error formats the failure as
// "berth: <code text>: <message>: <cause> (HTTP <status>, <AWS code>, request id <id>)",
// leaving out the parts that are empty.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("berth: ")
	b.WriteString(CodeText(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.cause != nil {
		b.WriteString(": ")
		b.WriteString(e.cause.Error())
	}
	var extra []string
	if e.HTTPStatus != 0 {
		extra = append(extra, "HTTP "+strconv.Itoa(e.HTTPStatus))
	}
	if e.AWSCode != "" {
		extra = append(extra, e.AWSCode)
	}
	if e.RequestID != "" {
		extra = append(extra, "request id "+e.RequestID)
	}
	if len(extra) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(extra, ", "))
		b.WriteString(")")
	}
	return b.String()
}

// Is reports whether target is an *Error with the same Code, so that
// errors.Is(err, berth.ErrInvalid) and errors.Is(err, &berth.Error{Code:
// berth.EInvalid}) hold for every invalid-argument failure whatever its message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t != nil && e != nil && t.Code == e.Code
}

// Unwrap returns the Go error behind the failure, or nil. A copy cancelled
// because its context ended fails with code ECancelled and unwraps to the
// context's error, so that both errors.Is(err, berth.ErrCancelled) and
// errors.Is(err, context.Canceled) (or context.DeadlineExceeded) hold.
func (e *Error) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.cause
}

// CodeText returns the library's static text for a code, e.g. "invalid
// argument" for EInvalid.
func CodeText(code int) string {
	return C.GoString(C.berth_strerror(C.int(code)))
}

// lastError builds the error for a call that returned rc. It must run on the OS
// thread of that call, before any other berth call on it: berth_last_error() is
// thread-local. Callers hold runtime.LockOSThread across both.
func lastError(rc C.int) error {
	if rc == C.BERTH_OK {
		return nil
	}
	e := &Error{Code: int(rc)}
	if info := C.berth_last_error(); info != nil && info.code == C.int32_t(rc) {
		e.Message = C.GoString(info.message)
		e.HTTPStatus = int(info.http_status)
		e.AWSCode = C.GoString(info.aws_code)
		e.RequestID = C.GoString(info.request_id)
	}
	return e
}

// notStarted is the error of a call whose context ended before it began (nil while
// the context is live).
func notStarted(ctx context.Context, what string) error {
	if err := ctx.Err(); err != nil {
		return &Error{Code: ECancelled, Message: "the context ended before " + what + " started", cause: err}
	}
	return nil
}
