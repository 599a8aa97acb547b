//go:build !walogs_pkgconfig

package walogs

// Default linking: against the library staged by `make lib` in this repository
// (target/c/lib/libwalogs.so) and the header in include/, found relative to this
// directory. The run path is recorded so binaries run without LD_LIBRARY_PATH.
// Build with -tags walogs_pkgconfig to use an installed walogs via pkg-config instead.

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #cgo LDFLAGS: -L${SRCDIR}/../../target/c/lib -Wl,-rpath,${SRCDIR}/../../target/c/lib -lwalogs
import "C"
