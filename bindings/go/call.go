package walogs

/*
#include "walogs.h"

// None of these functions keeps a pointer it was given after it returns, and none calls
// back into Go. Declaring both lets the compiler leave the output variables and the
// caller's byte slices where they are (on the stack) instead of moving them to the heap
// for the call: a successful Append allocates nothing. (Go >= 1.24.) Not listed, because
// they run OnDurable callbacks (Go code) on the calling thread in some cases:
// walogs_on_durable, walogs_shutdown and walogs_close.
#cgo noescape walogs_last_error
#cgo nocallback walogs_last_error
#cgo noescape walogs_last_damage
#cgo nocallback walogs_last_damage
#cgo noescape walogs_options_new
#cgo nocallback walogs_options_new
#cgo noescape walogs_open
#cgo nocallback walogs_open
#cgo noescape walogs_append
#cgo nocallback walogs_append
#cgo noescape walogs_append_batch
#cgo nocallback walogs_append_batch
#cgo noescape walogs_sync
#cgo nocallback walogs_sync
#cgo noescape walogs_read
#cgo nocallback walogs_read
#cgo noescape walogs_iter_from
#cgo nocallback walogs_iter_from
#cgo noescape walogs_iter_next
#cgo nocallback walogs_iter_next
#cgo noescape walogs_checkpoint
#cgo nocallback walogs_checkpoint
#cgo noescape walogs_truncate_after
#cgo nocallback walogs_truncate_after
#cgo noescape walogs_purge_up_to
#cgo nocallback walogs_purge_up_to
#cgo noescape walogs_purged_up_to
#cgo nocallback walogs_purged_up_to
#cgo noescape walogs_set_user_data
#cgo nocallback walogs_set_user_data
#cgo noescape walogs_user_data
#cgo nocallback walogs_user_data
#cgo noescape walogs_wait_durable
#cgo nocallback walogs_wait_durable
#cgo noescape walogs_read_range
#cgo nocallback walogs_read_range
#cgo noescape walogs_range_len
#cgo nocallback walogs_range_len
#cgo noescape walogs_range_get
#cgo nocallback walogs_range_get
#cgo noescape walogs_next_lsn
#cgo nocallback walogs_next_lsn
#cgo noescape walogs_first_lsn
#cgo nocallback walogs_first_lsn
#cgo noescape walogs_durable_lsn
#cgo nocallback walogs_durable_lsn
#cgo noescape walogs_segment_count
#cgo nocallback walogs_segment_count
#cgo noescape walogs_is_poisoned
#cgo nocallback walogs_is_poisoned
#cgo noescape walogs_is_read_only
#cgo nocallback walogs_is_read_only
#cgo noescape walogs_recovery_report
#cgo nocallback walogs_recovery_report
#cgo noescape walogs_tail_state
#cgo nocallback walogs_tail_state
*/
import "C"

import (
	"runtime"
	"syscall"
	"unsafe"
)

// cCall runs f, one C call (or, for Open, a short sequence of them), and turns its status
// into an error: nil for a success status (walogs.h: 0-99, i.e. WALOGS_OK and WALOGS_END),
// else an *Error carrying the message and errno of that very call.
//
// The C library keeps the last error per OS thread, and between two cgo calls the Go
// scheduler may move the goroutine to another thread, or run another goroutine, whose own
// failing call overwrites the message, on this one. So the goroutine stays locked to its
// thread from the call until the error is read. runtime.LockOSThread and UnlockOSThread
// only mark the goroutine and its thread (no system call; together under 10 ns), and a cgo
// call runs on the calling thread anyway, so the success path is a bare cgo call plus those
// nanoseconds; the error is read (two or three more cgo calls) only after a failure. The
// alternative, a C wrapper per walogs function that copies the error in the same C call,
// costs a C function and a result struct per API call and a malloc'd copy of every message.
func cCall(f func() C.walogs_status) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if st := f(); !succeeded(st) {
		return lastError(st)
	}
	return nil
}

// succeeded: the statuses 0-99 are successes (walogs.h), anything else a failure.
func succeeded(st C.walogs_status) bool { return uint32(st) < C.WALOGS_NULL_ARGUMENT }

// call is every WAL method's way into C: it holds the handle's read lock while f runs on
// the handle (Close takes the write lock, so the handle cannot be freed under f; after Close
// it returns ErrClosed naming op), and does what cCall does (written out here rather than
// calling cCall: one closure call less on every method). The deferred unlock also keeps w
// reachable until f has returned, so its finalizer cannot free the handle during the call.
func (w *WAL) call(op string, f func(h *C.walogs_wal) C.walogs_status) error {
	if w == nil {
		return closedError(op)
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.ptr == nil {
		return closedError(op)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if st := f(w.ptr); !succeeded(st) {
		return lastError(st)
	}
	return nil
}

// lastError is the *Error of a call that failed with st. It must run on the OS thread that
// made the call, with no walogs call in between (cCall guarantees both); walogs_last_error
// and walogs_last_damage never change the last error, so the length and the copy agree.
func lastError(st C.walogs_status) error {
	e := &Error{Code: Code(st), Errno: syscall.Errno(C.walogs_last_errno())}
	if e.Code == CodeCorrupt {
		e.Damage = lastDamage()
	}
	var n C.size_t
	C.walogs_last_error(nil, 0, &n)
	if n > 0 {
		buf := make([]byte, int(n)+1)
		C.walogs_last_error((*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), nil)
		e.Message = string(buf[:n])
	}
	return e
}

func closedError(op string) error {
	return &Error{Code: CodeClosed, Message: op + ": the WAL is closed"}
}

// bytesPtr is b's first byte for C, NULL for an empty slice (which C accepts with length 0).
func bytesPtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}
