package walogs

/*
#include <pthread.h>
#include <stdint.h>
#include "walogs.h"

// The Go function every OnDurable callback enters through (durable_export.go).
void walogsGoDurable(void *ctx, walogs_status status);

// walogs_on_durable with the Go trampoline as callback and a runtime/cgo.Handle (an
// integer) as its context, which walogs hands back untouched. The conversion to a pointer
// happens here, in C, where it is an ordinary integer-to-pointer cast.
static walogs_status walogs_go_on_durable(const walogs_wal *wal, uint64_t lsn, uintptr_t handle) {
	return walogs_on_durable(wal, lsn, walogsGoDurable, (void *)handle);
}
*/
import "C"

import (
	"context"
	"runtime/cgo"
	"sync"
	"time"
)

// waitSlice is the longest a WaitDurable with a cancellable context blocks in C before it
// looks at the context again: its latency in noticing a cancellation.
const waitSlice = 10 * time.Millisecond

// WaitDurable blocks until entry lsn is durable (fdatasync'd) and returns nil; lsn 0 is
// durable at once. It returns ErrLSNOutOfRange for an LSN never handed out (or truncated
// away during the wait), ErrPoisoned when a failed write or fdatasync poisoned the WAL
// before or during the wait, ErrClosed when the WAL is closed first (an entry Close itself
// made durable is nil). Under the relaxed policies an entry becomes durable by Sync, a
// rotation, the DurabilityInterval flusher or Close.
//
// ctx bounds the wait: when it is done first, WaitDurable returns ctx.Err()
// (context.DeadlineExceeded or context.Canceled); the entry may still become durable later.
// An entry already durable is nil even with a done ctx. A nil ctx is ErrInvalidArgument.
//
// Cost: nothing but the call when the entry is already durable. Otherwise the goroutine
// waits in the C library, blocking an OS thread: with a ctx that can never be done
// (context.Background()) in one call until the outcome, else in calls of at most 10 ms (or
// the time left before ctx's deadline) with a look at ctx between them, so a cancellation
// is noticed within about 10 ms.
func (w *WAL) WaitDurable(ctx context.Context, lsn uint64) error {
	if ctx == nil {
		return &Error{Code: CodeInvalidArgument, Message: "WaitDurable: the context is nil"}
	}
	cancellable := ctx.Done() != nil
	for {
		ctxErr := ctx.Err()
		timeoutMs := int64(-1) // no limit
		switch {
		case ctxErr != nil:
			timeoutMs = 0 // only look
		case cancellable:
			timeoutMs = waitSliceMs(ctx)
		}
		err := w.call("WaitDurable", func(h *C.walogs_wal) C.walogs_status {
			return C.walogs_wait_durable(h, C.uint64_t(lsn), C.int64_t(timeoutMs))
		})
		if e, ok := err.(*Error); !ok || e.Code != CodeTimeout {
			return err // nil, or a failure that is not the end of a slice
		}
		if ctxErr != nil {
			return ctxErr
		}
	}
}

// waitSliceMs is how long one wait of WaitDurable may block, in whole milliseconds (at
// least 1, so that a wait never spins): waitSlice, or less when ctx's deadline is nearer.
func waitSliceMs(ctx context.Context) int64 {
	d := waitSlice
	if deadline, ok := ctx.Deadline(); ok {
		d = min(d, time.Until(deadline))
	}
	return max(int64((d+time.Millisecond-1)/time.Millisecond), 1)
}

// OnDurable arranges for fn to be called once entry lsn is durable, with nil, or with the
// error that ended the wait (ErrPoisoned; ErrClosed for an entry Close could not make
// durable; ErrLSNOutOfRange when the entry was truncated away), and returns at once. An
// entry already durable (lsn 0 too) is reported the same way, on the notifier thread.
//
// When OnDurable returns nil, fn is called exactly once, at the latest while Close (or the
// finalizer of a WAL dropped without Close) shuts the WAL down: Close returns after it.
// (Except when a callback itself closes the WAL: the callbacks still pending then run on
// the notifier thread after that callback, possibly after a Close on another goroutine has
// returned.) When OnDurable returns an error, fn is never called: ErrLSNOutOfRange for an
// LSN never handed out, ErrClosed, ErrInvalidArgument for a nil fn.
//
// Where fn runs: on the WAL's notifier thread, a thread of the C library (started by the
// first OnDurable of the WAL, stopped by Close), with no walogs lock held; never on the
// caller's goroutine (unless the OS refuses to start that thread: then fn runs on the
// caller's goroutine before OnDurable returns, or during Close). Callbacks of one
// WAL run one after another on that thread: keep them short, since a slow fn delays the
// others and Close, which waits for them. fn may call any method of this WAL (an append, a
// read, even Close: see Close). A panic in fn is recovered and discarded: it cannot kill
// the process or stop later callbacks (a fatal runtime error, such as a concurrent map
// write, still ends the process, as anywhere in Go).
//
// Cost: one small allocation in Go and one in the library per call, a runtime/cgo.Handle
// kept until fn has run; the first call starts the notifier thread.
func (w *WAL) OnDurable(lsn uint64, fn func(error)) error {
	if fn == nil {
		return &Error{Code: CodeInvalidArgument, Message: "OnDurable: the callback is nil"}
	}
	var threads *callbackThreads
	if w != nil {
		threads = w.callbacks
	}
	handle := cgo.NewHandle(&durableCallback{fn: fn, threads: threads})
	err := w.call("OnDurable", func(h *C.walogs_wal) C.walogs_status {
		return C.walogs_go_on_durable(h, C.uint64_t(lsn), C.uintptr_t(handle))
	})
	if err != nil {
		handle.Delete() // walogs refused it: the trampoline will never see this handle
	}
	return err
}

// durableCallback is what an OnDurable registration hands the trampoline.
type durableCallback struct {
	fn      func(error)
	threads *callbackThreads
}

// run calls fn with err on the current (locked) thread, marked as running a callback of
// its WAL for the duration, and discards a panic of fn.
func (d *durableCallback) run(err error) {
	self := C.pthread_self()
	d.threads.enter(self)
	defer d.threads.leave(self)
	defer func() { _ = recover() }()
	d.fn(err)
}

// callbackThreads counts, per OS thread, the OnDurable callbacks of one WAL running on it.
// A goroutine running a callback stays on the callback's thread until the callback
// returns (cgo locks it there), so "this thread is running a callback of w" is the same
// as "this goroutine is inside a callback of w".
type callbackThreads struct {
	mu      sync.Mutex
	running map[C.pthread_t]int
}

func newCallbackThreads() *callbackThreads {
	return &callbackThreads{running: map[C.pthread_t]int{}}
}

func (c *callbackThreads) enter(t C.pthread_t) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.running[t]++
	c.mu.Unlock()
}

func (c *callbackThreads) leave(t C.pthread_t) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if c.running[t]--; c.running[t] == 0 {
		delete(c.running, t)
	}
	c.mu.Unlock()
}

// runningHere reports whether the calling goroutine is inside a callback of the WAL.
func (c *callbackThreads) runningHere() bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.running) == 0 {
		return false
	}
	return c.running[C.pthread_self()] > 0
}
