//go:build !berth_static

package abiprobe

// As ../../link_shared.go: libberth.so through berth.pc.

/*
#cgo pkg-config: berth
*/
import "C"
