package walogs

// The trampoline of OnDurable callbacks. A file with an //export keeps its cgo preamble to
// declarations (cgo copies it into the generated header), hence a file of its own.

// #include "walogs.h"
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// walogsGoDurable is the C callback of every OnDurable registration: walogs calls it once,
// on its notifier thread, with the registration's cgo.Handle as ctx and the outcome as
// status. The failure of a non-OK status was recorded on this very thread just before
// (walogs_on_durable's contract), so it is read here, before anything else calls walogs.
//
//export walogsGoDurable
func walogsGoDurable(ctx unsafe.Pointer, status C.walogs_status) {
	h := cgo.Handle(uintptr(ctx))
	d := h.Value().(*durableCallback)
	h.Delete()
	var err error
	if !succeeded(status) {
		err = lastError(status)
	}
	d.run(err)
}
