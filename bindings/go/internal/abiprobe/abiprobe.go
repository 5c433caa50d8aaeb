// Package abiprobe calls libberth's C ABI directly, for the tests of package
// berth: what that package never does on purpose, such as passing an options
// struct of the older C ABI. (A _test.go file cannot use cgo.)
package abiprobe

/*
#include <stdlib.h>
#include <berth.h>
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// CopyOptionsVersion is BERTH_COPY_OPTIONS_VERSION of the berth.h compiled in.
const CopyOptionsVersion = C.BERTH_COPY_OPTIONS_VERSION

func lastMessage() string {
	if info := C.berth_last_error(); info != nil {
		return C.GoString(info.message)
	}
	return ""
}

// CopyOptionsInit calls berth_copy_options_init with version and returns its
// code and the thread's last error message.
func CopyOptionsInit(version uint32) (int, string) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var co C.berth_copy_options
	if rc := C.berth_copy_options_init(&co, C.uint32_t(version)); rc != C.BERTH_OK {
		return int(rc), lastMessage()
	}
	return 0, ""
}

// Copy calls berth_copy(src, dst) with options initialised at the current
// version and then marked as version, as a program built against an older
// berth.h would pass them. It returns the code, the last error message and
// whether *out_json was left NULL.
func Copy(version uint32, src, dst string) (rc int, message string, outNull bool) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	co := (*C.berth_copy_options)(C.calloc(1, C.size_t(unsafe.Sizeof(C.berth_copy_options{}))))
	defer C.free(unsafe.Pointer(co))
	if r := C.berth_copy_options_init(co, C.BERTH_COPY_OPTIONS_VERSION); r != C.BERTH_OK {
		return int(r), lastMessage(), true
	}
	co.version = C.uint32_t(version)
	csrc, cdst := C.CString(src), C.CString(dst)
	defer C.free(unsafe.Pointer(csrc))
	defer C.free(unsafe.Pointer(cdst))
	out := C.CString("untouched") // berth must reset it on failure
	orig := out
	defer C.free(unsafe.Pointer(orig))
	r := C.berth_copy(&out, csrc, cdst, co)
	if r != C.BERTH_OK {
		return int(r), lastMessage(), out == nil
	}
	if out != orig {
		C.berth_free(unsafe.Pointer(out))
	}
	return 0, "", out == nil
}
