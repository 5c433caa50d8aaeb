package berth

// This file holds the //export that libberth's progress callback reaches through
// the C trampoline in copy.go. A file with //export may only declare in its
// preamble, which is why the trampoline lives elsewhere.

/*
#include <stdint.h>
#include <berth.h>
*/
import "C"

import "runtime/cgo"

// berthGoProgress runs on a libberth thread for each progress report of a Copy.
// handle is the runtime/cgo.Handle of that Copy's *copyState. A non-zero result
// cancels the copy.
//
//export berthGoProgress
func berthGoProgress(p *C.berth_progress, handle C.uintptr_t) C.int {
	state, ok := cgo.Handle(handle).Value().(*copyState)
	if !ok || p == nil {
		return 1
	}
	return state.report(p)
}
