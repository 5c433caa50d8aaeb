//go:build !berth_static

package berth

// The default link: libberth.so through berth.pc. The program needs libberth.so.2
// on the loader path at run time (LD_LIBRARY_PATH for a prefix outside the
// system's). cgo flags apply to the whole package, so this file alone decides.

/*
#cgo pkg-config: berth
*/
import "C"
