package walogs

// #include "shim.h"
import "C"

import (
	"runtime"
	"sync"
	"unsafe"
)

type iterConfig struct {
	noCopy bool
}

// IterOption configures Iter.
type IterOption func(*iterConfig)

// NoCopy makes Iterator.Data return the entry's bytes in place, without copying: the slice
// points into memory owned by the iterator and is valid (and unchanged) only until the next
// call to Next or Close on that iterator. Do not keep it, write to it or use it after
// that; copy what you need to keep.
func NoCopy() IterOption {
	return func(c *iterConfig) { c.noCopy = true }
}

// Iterator walks entries in LSN order:
//
//	it, err := w.Iter(0)
//	if err != nil { ... }
//	defer it.Close()
//	for it.Next() {
//		use(it.LSN(), it.Data())
//	}
//	if err := it.Err(); err != nil { ... }
//
// It reads a snapshot of the segment list taken by Iter, through its own file handles:
// entries appended afterwards are not seen, and it stays usable after the WAL is closed. A
// segment removed meanwhile by Checkpoint or TruncateAfter makes Next fail (Err returns
// ErrIO or ErrCorrupt). An Iterator is meant for one goroutine at a time; its methods are
// nonetheless serialized by a mutex, so misuse cannot corrupt memory.
type Iterator struct {
	mu     sync.Mutex
	it     *C.walogs_iter
	noCopy bool
	lsn    uint64
	data   []byte
	err    error
}

// Iter returns an iterator starting at LSN from (inclusive); from 0 means the oldest entry
// kept. from may equal NextLSN (no entries); outside the entries kept it is
// ErrLSNOutOfRange. Entries are copied for the caller unless NoCopy is given. Close the
// iterator when done (a finalizer frees a forgotten one eventually).
func (w *WAL) Iter(from uint64, opts ...IterOption) (*Iterator, error) {
	var cfg iterConfig
	for _, o := range opts {
		o(&cfg)
	}
	h, err := w.handle("Iter")
	if err != nil {
		return nil, err
	}
	defer w.mu.RUnlock()
	r := C.gw_iter_from(h, C.uint64_t(from))
	runtime.KeepAlive(w)
	if err := fromStatus(r.st); err != nil {
		return nil, err
	}
	it := &Iterator{it: r.it, noCopy: cfg.noCopy}
	runtime.SetFinalizer(it, (*Iterator).finalize)
	return it, nil
}

func (it *Iterator) finalize() {
	if it.it != nil {
		C.walogs_iter_free(it.it)
		it.it = nil
	}
}

// Next advances to the next entry and reports whether there is one. It returns false at the
// end, after a failure (see Err) and after Close.
func (it *Iterator) Next() bool {
	it.mu.Lock()
	defer it.mu.Unlock()
	it.data = nil
	it.lsn = 0
	if it.it == nil || it.err != nil {
		return false
	}
	r := C.gw_iter_next(it.it)
	runtime.KeepAlive(it)
	if r.st.status == C.WALOGS_END {
		return false
	}
	if err := fromStatus(r.st); err != nil {
		it.err = err
		return false
	}
	it.lsn = uint64(r.lsn)
	n := int(r.len)
	switch {
	case it.noCopy:
		// The bytes belong to the C iterator until its next walogs_iter_next or free. For an
		// empty entry the pointer must not be read: use an empty non-nil slice.
		if n == 0 {
			it.data = []byte{}
		} else {
			it.data = unsafe.Slice((*byte)(unsafe.Pointer(r.data)), n)
		}
	default:
		it.data = C.GoBytes(unsafe.Pointer(r.data), C.int(n))
	}
	return true
}

// LSN is the LSN of the current entry (0 before the first Next or after the end).
func (it *Iterator) LSN() uint64 {
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.lsn
}

// Data is the current entry's bytes: a copy the caller owns, or with NoCopy a view valid
// only until the next Next or Close.
func (it *Iterator) Data() []byte {
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.data
}

// Err is the failure that ended the iteration, nil if it ended normally (or is not over).
func (it *Iterator) Err() error {
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.err
}

// Close frees the iterator (and, with NoCopy, the bytes it lent). Calling it again is a
// no-op; it always returns nil.
func (it *Iterator) Close() error {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.it != nil {
		C.walogs_iter_free(it.it)
		it.it = nil
		runtime.SetFinalizer(it, nil)
	}
	runtime.KeepAlive(it)
	it.data = nil
	it.lsn = 0
	return nil
}
