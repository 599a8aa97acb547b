package walogs

// #include "walogs.h"
import "C"

import (
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// MaxEntrySize is the largest entry, in bytes (16 MiB); larger ones get ErrTooLarge.
const MaxEntrySize = C.WALOGS_MAX_ENTRY_SIZE

// MaxBatchSize is the largest atomic batch in bytes (64 MiB), counting the payloads plus 4
// bytes per entry plus 4.
const MaxBatchSize = C.WALOGS_MAX_BATCH_SIZE

// WAL is an open write-ahead log. All its methods may be called from any number of
// goroutines at once, and from OnDurable callbacks; concurrent appends share writes and
// fdatasyncs (group commit) and each returns once its own entry is durable. Close shuts the
// WAL down, then waits for calls in flight; calls after Close return ErrClosed (so do calls
// on a nil *WAL).
type WAL struct {
	// mu guards ptr: every call holds the read lock for the duration of its C call (see
	// call), Close takes the write lock before it frees the handle, so walogs_close never
	// runs while another call uses the handle.
	mu  sync.RWMutex
	ptr *C.walogs_wal
	dir string
	// closeMu serializes Close: only Close (and the finalizer, once nothing can call
	// Close any more) frees the handle, so a Close holding closeMu may use ptr without mu.
	closeMu sync.Mutex
	// callbacks knows which threads are running an OnDurable callback of this WAL right
	// now (Close called from one must not free the handle there). Shared with the
	// callbacks themselves, which do not keep the WAL reachable.
	callbacks *callbackThreads
}

// Open opens (creating it and missing parents, unless read-only) the WAL in directory dir.
// A writable open takes the directory's lock (ErrLocked if another handle, in this process
// or another, holds it), verifies every frame (ErrCorrupt for damage that is not a torn
// final write) and cuts a torn tail. Nil options are ignored.
func Open(dir string, opts ...Option) (*WAL, error) {
	o := options{preallocate: true}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if strings.IndexByte(dir, 0) >= 0 {
		return nil, &Error{Code: CodeInvalidArgument, Message: "Open: the path contains a NUL byte"}
	}
	if o.streamsOnly != "" {
		return nil, &Error{Code: CodeInvalidArgument, Message: "Open: " + o.streamsOnly + " applies to OpenStreams only"}
	}
	cdir := C.CString(dir)
	defer C.free(unsafe.Pointer(cdir))
	var h *C.walogs_wal
	if err := cCall(func() C.walogs_status { return o.open(cdir, &h) }); err != nil {
		return nil, err
	}
	w := &WAL{ptr: h, dir: dir, callbacks: newCallbackThreads()}
	// A leak net only: a WAL dropped without Close still releases its lock, flushes and
	// runs its pending OnDurable callbacks.
	runtime.SetFinalizer(w, (*WAL).finalize)
	return w, nil
}

func (w *WAL) finalize() {
	if w.ptr != nil {
		C.walogs_close(w.ptr) // nobody is left to read an error
		w.ptr = nil
	}
}

// Dir is the directory the WAL was opened in ("" for a nil *WAL).
func (w *WAL) Dir() string {
	if w == nil {
		return ""
	}
	return w.dir
}

// Close shuts the WAL down and frees its handle. First, holding no lock of the WAL, it
// stops the DurabilityInterval flusher, writes what concurrent appends queued, cuts the
// preallocated tail, fdatasyncs, releases the directory lock and runs every OnDurable
// callback still pending (nil for the entries durable by then, ErrClosed for the others);
// from then on every call fails with ErrClosed, so a blocked WaitDurable returns and a
// callback calling back into the WAL gets ErrClosed instead of waiting for Close. Then it
// waits for the calls in flight and frees the handle (and the segment files kept open for
// readers). Iterators made from the WAL end with ErrClosed at their next Next.
//
// The handle is gone even when the error is not nil (the final write or fdatasync failed;
// entries acknowledged under DurabilityEveryAppend are durable anyway). Calling Close
// again (or on a nil *WAL) returns nil; concurrent Closes wait for each other. Called from
// an OnDurable callback of this WAL, Close shuts the WAL down at once and returns the
// outcome, and a goroutine of its own frees the handle (the library's handle cannot be
// freed on the thread running its callback).
func (w *WAL) Close() error {
	if w == nil {
		return nil
	}
	if w.callbacks.runningHere() {
		return w.closeFromCallback()
	}
	w.closeMu.Lock()
	defer w.closeMu.Unlock()
	w.mu.RLock()
	h := w.ptr
	w.mu.RUnlock()
	if h == nil {
		return nil
	}
	// walogs_shutdown may run while other threads use the handle; closeMu keeps it from
	// being freed meanwhile. Taking mu's write lock first would deadlock with a call that
	// waits for the shutdown: a blocked WaitDurable, or a callback (which shutdown waits
	// for) calling back into the WAL.
	err := cCall(func() C.walogs_status { return C.walogs_shutdown(h) })
	w.mu.Lock()
	w.ptr = nil
	w.mu.Unlock()
	runtime.SetFinalizer(w, nil)
	if cerr := cCall(func() C.walogs_status { return C.walogs_close(h) }); err == nil {
		err = cerr
	}
	return err
}

// closeFromCallback is Close called from an OnDurable callback of w, on the thread running
// it: walogs_close must not run there, and a Close on another goroutine may hold closeMu
// while its walogs_shutdown waits for this very callback. So it only shuts the handle down
// (which walogs allows from a callback), under mu's read lock so that the handle cannot be
// freed meanwhile, and leaves the freeing to a goroutine that runs Close the ordinary way.
func (w *WAL) closeFromCallback() error {
	w.mu.RLock()
	h := w.ptr
	var err error
	if h != nil {
		err = cCall(func() C.walogs_status { return C.walogs_shutdown(h) })
	}
	w.mu.RUnlock()
	if h != nil {
		go w.Close()
	}
	return err
}

// Append appends one entry and returns its LSN (1, 2, 3, ...). Under the default
// durability it is on disk (fdatasync'd) when Append returns. data is not retained: it is
// passed to the C library without copying for the duration of the call, which copies it.
// A nil or empty data is an empty entry.
func (w *WAL) Append(data []byte) (uint64, error) {
	var lsn C.uint64_t
	err := w.call("Append", func(h *C.walogs_wal) C.walogs_status {
		return C.walogs_append(h, bytesPtr(data), C.size_t(len(data)), &lsn)
	})
	return uint64(lsn), err
}

// AppendBatch appends entries atomically: one unit (a frame per entry, each with its own
// CRC), one write, one fdatasync; after a crash either every entry is in the log or none
// is. It returns the first and last LSN. TruncateAfter may later cut inside the batch.
// The total (payloads + 4 bytes per entry + 4) must fit MaxBatchSize, else ErrTooLarge and
// nothing is written. An empty batch is ErrInvalidArgument.
func (w *WAL) AppendBatch(entries [][]byte) (first, last uint64, err error) {
	return w.appendBatch("AppendBatch", entries, true)
}

// AppendMany appends entries with consecutive LSNs in as few atomic units as possible,
// any number and total size. Not atomic as a whole: if a unit fails, the units before it
// stay in the log and the error is returned; after a crash a prefix may survive. An empty
// batch is ErrInvalidArgument.
func (w *WAL) AppendMany(entries [][]byte) (first, last uint64, err error) {
	return w.appendBatch("AppendMany", entries, false)
}

func (w *WAL) appendBatch(op string, entries [][]byte, atomic bool) (uint64, uint64, error) {
	n := len(entries)
	if n == 0 {
		return 0, 0, &Error{Code: CodeInvalidArgument, Message: op + ": the batch is empty"}
	}
	// The arrays of pointers and lengths live in Go memory; the pointers they hold point to
	// the callers' slices, pinned so that C may read them through Go memory (cgo rules).
	ptrs := make([]*C.uint8_t, n)
	lens := make([]C.size_t, n)
	var pin runtime.Pinner
	defer pin.Unpin()
	for i, e := range entries {
		if len(e) > 0 {
			pin.Pin(&e[0])
			ptrs[i] = bytesPtr(e)
		}
		lens[i] = C.size_t(len(e))
	}
	var first, last C.uint64_t
	err := w.call(op, func(h *C.walogs_wal) C.walogs_status {
		return C.walogs_append_batch(h, &ptrs[0], &lens[0], C.size_t(n), C.bool(atomic), &first, &last)
	})
	return uint64(first), uint64(last), err
}

// Sync makes every appended entry durable (one fdatasync if anything is pending) and
// returns the durable LSN. Needed only under DurabilityInterval, Manual and None. A failed
// fdatasync is ErrIO and poisons the WAL.
func (w *WAL) Sync() (uint64, error) {
	var durable C.uint64_t
	err := w.call("Sync", func(h *C.walogs_wal) C.walogs_status { return C.walogs_sync(h, &durable) })
	return uint64(durable), err
}

// DurableLSN is the highest LSN known to be durable on disk (0: none): the durable
// watermark. Under DurabilityEveryAppend every acknowledged entry is at or below it.
func (w *WAL) DurableLSN() (uint64, error) {
	var lsn C.uint64_t
	err := w.call("DurableLSN", func(h *C.walogs_wal) C.walogs_status { return C.walogs_durable_lsn(h, &lsn) })
	return uint64(lsn), err
}

// NextLSN is the LSN the next append will get (appends racing with this call may take it).
func (w *WAL) NextLSN() (uint64, error) {
	var lsn C.uint64_t
	err := w.call("NextLSN", func(h *C.walogs_wal) C.walogs_status { return C.walogs_next_lsn(h, &lsn) })
	return uint64(lsn), err
}

// FirstLSN is the oldest LSN still in the log (NextLSN when the log is empty): past the
// purge floor and the checkpointed segments.
func (w *WAL) FirstLSN() (uint64, error) {
	var lsn C.uint64_t
	err := w.call("FirstLSN", func(h *C.walogs_wal) C.walogs_status { return C.walogs_first_lsn(h, &lsn) })
	return uint64(lsn), err
}

// SegmentCount is the number of segment files in use (completed + active).
func (w *WAL) SegmentCount() (int, error) {
	var n C.size_t
	err := w.call("SegmentCount", func(h *C.walogs_wal) C.walogs_status { return C.walogs_segment_count(h, &n) })
	return int(n), err
}

// Rotate seals the active segment and starts the next one; a no-op when the active
// segment is empty.
func (w *WAL) Rotate() error {
	return w.call("Rotate", func(h *C.walogs_wal) C.walogs_status { return C.walogs_rotate(h) })
}

// Checkpoint deletes, oldest first, every completed segment whose entries all have
// lsn <= appliedUpTo (never the active segment) and returns how many it deleted. LSNs are
// never reused afterwards. Whole segments only: PurgeUpTo makes entries unreadable up to an
// exact LSN.
func (w *WAL) Checkpoint(appliedUpTo uint64) (int, error) {
	var n C.size_t
	err := w.call("Checkpoint", func(h *C.walogs_wal) C.walogs_status {
		return C.walogs_checkpoint(h, C.uint64_t(appliedUpTo), &n)
	})
	return int(n), err
}

// TruncateAfter durably removes every entry after keepUpTo (the next append gets
// keepUpTo+1) and returns how many it removed (0 when keepUpTo is at or past the newest).
// It works at any LSN of the log, also inside an atomic batch, an AppendMany unit or a
// write group commit made for several concurrent appends. Below the oldest kept entry
// (e.g. below the purge floor) it is ErrLSNOutOfRange. A crash at any point leaves the old
// or the new log. WaitDurable calls and OnDurable callbacks for removed LSNs end with
// ErrLSNOutOfRange; an iterator made before stops with ErrLSNOutOfRange at the cut. (Only
// the batch frames written by earlier walogs 0.2 builds cannot be cut inside:
// ErrInvalidArgument.)
func (w *WAL) TruncateAfter(keepUpTo uint64) (uint64, error) {
	var n C.uint64_t
	err := w.call("TruncateAfter", func(h *C.walogs_wal) C.walogs_status {
		return C.walogs_truncate_after(h, C.uint64_t(keepUpTo), &n)
	})
	return uint64(n), err
}

// IsPoisoned reports whether an earlier failed write or fdatasync poisoned the WAL (every
// mutating call then returns ErrPoisoned until it is reopened).
func (w *WAL) IsPoisoned() (bool, error) {
	var b C.bool
	err := w.call("IsPoisoned", func(h *C.walogs_wal) C.walogs_status { return C.walogs_is_poisoned(h, &b) })
	return bool(b), err
}

// IsReadOnly reports whether the WAL was opened WithReadOnly.
func (w *WAL) IsReadOnly() (bool, error) {
	var b C.bool
	err := w.call("IsReadOnly", func(h *C.walogs_wal) C.walogs_status { return C.walogs_is_read_only(h, &b) })
	return bool(b), err
}

// Read returns a copy of entry lsn. ErrLSNOutOfRange when lsn was purged, checkpointed or
// truncated away or not written yet. Works on read-only and poisoned WALs. Costs one C call
// and one copy for an entry of up to 64 KiB (read into a pooled buffer); a longer entry is
// read twice (the first call learns its length).
func (w *WAL) Read(lsn uint64) ([]byte, error) {
	// One C call for entries up to readScratchSize: read into pooled scratch, copy out exactly
	// the entry. Longer entries learn their length from the first call and are read again.
	sp := readScratch.Get().(*[]byte)
	n, err := w.readInto("Read", lsn, *sp)
	if err == nil {
		out := make([]byte, n)
		copy(out, (*sp)[:n])
		readScratch.Put(sp)
		return out, nil
	}
	readScratch.Put(sp)
	for {
		if e, ok := err.(*Error); !ok || e.Code != CodeBufferTooSmall {
			return nil, err
		}
		// The entry was longer than the buffer: try again with exactly its size (and again if
		// a concurrent truncate and append replaced it with a longer one meanwhile).
		buf := make([]byte, n)
		n, err = w.readInto("Read", lsn, buf)
		if err == nil {
			return buf[:n:n], nil
		}
	}
}

// readScratchSize is the scratch buffer Read tries first (pooled, one per concurrent Read).
const readScratchSize = 64 << 10

var readScratch = sync.Pool{New: func() any {
	b := make([]byte, readScratchSize)
	return &b
}}

// ReadInto reads entry lsn into buf and returns its length. When buf is too small it
// returns the length needed and an error matching ErrBufferTooSmall, leaving buf untouched.
func (w *WAL) ReadInto(lsn uint64, buf []byte) (int, error) {
	return w.readInto("ReadInto", lsn, buf)
}

func (w *WAL) readInto(op string, lsn uint64, buf []byte) (int, error) {
	var n C.size_t // written on success and with WALOGS_BUFFER_TOO_SMALL (the length needed)
	err := w.call(op, func(h *C.walogs_wal) C.walogs_status {
		return C.walogs_read(h, C.uint64_t(lsn), bytesPtr(buf), C.size_t(len(buf)), &n)
	})
	return int(n), err
}

// TailState is what the open found at the end of the last segment.
type TailState struct {
	// Truncated: a torn final write (or a zero-filled preallocated tail left by a crash)
	// started at Offset; a writable open cut the file there before accepting writes.
	Truncated bool
	// Offset is the byte offset of the cut in the last segment (0 when clean).
	Offset uint64
}

// TailState reports what the open found at the end of the last segment.
func (w *WAL) TailState() (TailState, error) {
	var kind C.walogs_tail
	var off C.uint64_t
	err := w.call("TailState", func(h *C.walogs_wal) C.walogs_status { return C.walogs_tail_state(h, &kind, &off) })
	return TailState{Truncated: kind == C.WALOGS_TAIL_TRUNCATED, Offset: uint64(off)}, err
}
