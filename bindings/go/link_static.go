//go:build berth_static

package berth

// With -tags berth_static: libberth.a linked into the program through
// berth-static.pc, which names the archive and every library it needs (libcurl,
// OpenSSL, zstd, zlib, libdeflate, expat, libsodium, libbz2, liblzma, libstdc++). The
// program then runs without libberth.so.2; those system libraries are still linked
// dynamically.

/*
#cgo pkg-config: --static berth-static
*/
import "C"
