package berth

// The //export that a Dockerfile build's log callback reaches through the C
// trampoline in dockerfile.go (a file with //export may only declare in its preamble).

/*
#include <stdint.h>
#include <stddef.h>
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// berthGoLog runs on a libberth thread with a step line or RUN output of a
// BuildDockerfile; handle is the runtime/cgo.Handle of its *logState.
//
//export berthGoLog
func berthGoLog(text *C.char, n C.size_t, handle C.uintptr_t) {
	state, ok := cgo.Handle(handle).Value().(*logState)
	if !ok || text == nil || n == 0 {
		return
	}
	state.write(C.GoBytes(unsafe.Pointer(text), C.int(n)))
}
