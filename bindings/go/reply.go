package berth

/*
#include <berth.h>
*/
import "C"

import "unsafe"

// takeReply converts a string berth returned (char **out) and frees it; nil is "".
func takeReply(out *C.char) string {
	if out == nil {
		return ""
	}
	defer C.berth_free(unsafe.Pointer(out))
	return C.GoString(out)
}

// replyAndError is a string call's result: the error of rc, read first (on the
// call's locked OS thread, before any other berth call), and the reply, which a
// failing call may carry too (berth_ecr_scan_gate's findings with EGate).
func replyAndError(rc C.int, out *C.char) (string, error) {
	var err error
	if rc != C.BERTH_OK {
		err = lastError(rc)
	}
	return takeReply(out), err
}
