package walogs

// #include "walogs.h"
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
// points into memory owned by the C iterator and is valid (and unchanged) only until the
// next call to Next or Close on that iterator, and only while the Iterator is reachable (one
// dropped without Close is freed by its finalizer, bytes included). Do not keep it, write
// to it, or read it while another goroutine calls Next or Close; copy what you need to keep.
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
// entries appended afterwards are not seen. It reads its WAL's log: once the WAL is closed,
// its next Next returns false and Err matches ErrClosed. Concurrent log control: a
// TruncateAfter below its position stops it with ErrLSNOutOfRange at the cut (it never
// returns removed entries, nor entries appended later under their LSNs); a PurgeUpTo past
// its position makes an iterator made with from 0 go on from the new oldest entry, and one
// made with an explicit from stop with ErrLSNOutOfRange; a segment deleted by Checkpoint
// before the iterator read it stops it with ErrIO (ENOENT). An Iterator is meant for one
// goroutine at a time; its methods are nonetheless serialized by a mutex, so calling them
// concurrently cannot corrupt memory (a NoCopy view read during another goroutine's Next
// can: see NoCopy). The C iterator (its file handles and buffers) is freed as soon as Next
// returns false, else by Close.
type Iterator struct {
	mu     sync.Mutex
	it     *C.walogs_iter
	noCopy bool
	lsn    uint64
	data   []byte
	err    error
}

// Iter returns an iterator starting at LSN from (inclusive); from 0 means the oldest entry
// kept (and keeps meaning it: a concurrent PurgeUpTo never makes such an iterator fail).
// from may equal NextLSN (no entries); outside the entries kept it is ErrLSNOutOfRange. Entries are copied for the caller unless NoCopy is given. Close the
// iterator when done (a finalizer frees a forgotten one eventually). Nil options are
// ignored.
func (w *WAL) Iter(from uint64, opts ...IterOption) (*Iterator, error) {
	var cfg iterConfig
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	var p *C.walogs_iter
	err := w.call("Iter", func(h *C.walogs_wal) C.walogs_status { return C.walogs_iter_from(h, C.uint64_t(from), &p) })
	if err != nil {
		return nil, err
	}
	it := &Iterator{it: p, noCopy: cfg.noCopy}
	runtime.SetFinalizer(it, (*Iterator).finalize)
	return it, nil
}

func (it *Iterator) finalize() {
	if it.it != nil {
		C.walogs_iter_free(it.it)
		it.it = nil
	}
}

// free releases the C iterator now; the caller holds it.mu.
func (it *Iterator) free() {
	if it.it != nil {
		C.walogs_iter_free(it.it)
		it.it = nil
		runtime.SetFinalizer(it, nil)
	}
}

// Next advances to the next entry and reports whether there is one. It returns false at the
// end, after a failure (see Err: ErrClosed once the WAL was closed, ErrLSNOutOfRange at a
// later truncation, ErrCorrupt with Error.Damage for a file damaged after the open, ...)
// and after Close (also on a nil *Iterator).
func (it *Iterator) Next() bool {
	if it == nil {
		return false
	}
	it.mu.Lock()
	defer it.mu.Unlock()
	it.data = nil
	it.lsn = 0
	if it.it == nil {
		return false
	}
	var st C.walogs_status
	var lsn C.uint64_t
	var p *C.uint8_t
	var n C.size_t
	err := cCall(func() C.walogs_status {
		st = C.walogs_iter_next(it.it, &lsn, &p, &n)
		return st
	})
	if err != nil || st != C.WALOGS_OK { // a failure or WALOGS_END: the iteration is over
		it.err = err
		it.free()
		return false
	}
	it.lsn = uint64(lsn)
	switch {
	case it.noCopy && n == 0:
		// For an empty entry the pointer must not be read: an empty non-nil slice.
		it.data = []byte{}
	case it.noCopy:
		// The bytes belong to the C iterator until its next walogs_iter_next or free.
		it.data = unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
	default:
		it.data = C.GoBytes(unsafe.Pointer(p), C.int(n))
	}
	return true
}

// LSN is the LSN of the current entry (0 before the first Next or after the end).
func (it *Iterator) LSN() uint64 {
	if it == nil {
		return 0
	}
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.lsn
}

// Data is the current entry's bytes: a copy the caller owns, or with NoCopy a view valid
// only until the next Next or Close.
func (it *Iterator) Data() []byte {
	if it == nil {
		return nil
	}
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.data
}

// Err is the failure that ended the iteration, nil if it ended normally (or is not over).
func (it *Iterator) Err() error {
	if it == nil {
		return nil
	}
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.err
}

// Close frees the iterator (and, with NoCopy, the bytes it lent). Calling it again, or on
// a nil *Iterator, is a no-op; it always returns nil.
func (it *Iterator) Close() error {
	if it == nil {
		return nil
	}
	it.mu.Lock()
	defer it.mu.Unlock()
	it.free()
	it.data = nil
	it.lsn = 0
	return nil
}
