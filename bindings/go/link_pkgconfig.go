//go:build walogs_pkgconfig

package walogs

// Linking with -tags walogs_pkgconfig: against an installed walogs (`make install
// PREFIX=...`) found through pkg-config (set PKG_CONFIG_PATH to PREFIX/lib/pkgconfig,
// and LD_LIBRARY_PATH or an rpath when PREFIX/lib is not on the loader's path).

// #cgo pkg-config: walogs
import "C"
