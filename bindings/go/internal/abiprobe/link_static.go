//go:build berth_static

package abiprobe

// As ../../link_static.go: libberth.a through berth-static.pc.

/*
#cgo pkg-config: --static berth-static
*/
import "C"
