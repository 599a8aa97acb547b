package walogs

// #include "walogs.h"
import "C"

import (
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// MaxEntrySize is the largest entry, in bytes (16 MiB); larger ones get ErrTooLarge.
const MaxEntrySize = C.WALOGS_MAX_ENTRY_SIZE

// MaxBatchSize is the largest atomic batch in bytes (64 MiB), counting the payloads plus 4
// bytes per entry plus 4.
const MaxBatchSize = C.WALOGS_MAX_BATCH_SIZE

// Durability says when appended entries are fdatasync'd.
type Durability uint32

const (
	// DurabilityEveryAppend: every append (or batch, or group-commit group) is fdatasync'd
	// before it returns. A power loss loses nothing acknowledged. The default.
	DurabilityEveryAppend Durability = C.WALOGS_DURABILITY_EVERY_APPEND
	// DurabilityInterval: appends return after the write; an append that finds the last
	// fdatasync older than the interval (WithSyncInterval) syncs before returning.
	DurabilityInterval Durability = C.WALOGS_DURABILITY_INTERVAL
	// DurabilityManual: nothing is fdatasync'd until Sync (or a rotation, or Close).
	DurabilityManual Durability = C.WALOGS_DURABILITY_MANUAL
	// DurabilityNone: like Manual, for callers that never Sync. A process crash loses
	// nothing acknowledged under any policy; a power loss may lose what was not synced.
	DurabilityNone Durability = C.WALOGS_DURABILITY_NONE
)

type options struct {
	maxSegmentSize    uint64
	setMaxSegmentSize bool
	durability        Durability
	intervalMs        uint64
	setDurability     bool
	readOnly          bool
	salvage           bool
	preallocate       bool
}

// Option configures Open.
type Option func(*options)

// WithMaxSegmentSize rotates to a new segment before an append that would grow the active
// one past size bytes; 0 means never rotate automatically. Default 64 MiB.
func WithMaxSegmentSize(size uint64) Option {
	return func(o *options) {
		o.setMaxSegmentSize = true
		o.maxSegmentSize = size
	}
}

// WithDurability chooses when appends are fdatasync'd (default DurabilityEveryAppend).
// DurabilityInterval needs WithSyncInterval instead.
func WithDurability(d Durability) Option {
	return func(o *options) {
		o.setDurability = true
		o.durability = d
		o.intervalMs = 0
	}
}

// WithSyncInterval selects DurabilityInterval: an append that finds the last fdatasync
// older than d syncs before returning (there is no timer thread). d is rounded up to whole
// milliseconds; d <= 0 makes Open fail with ErrInvalidArgument.
func WithSyncInterval(d time.Duration) Option {
	return func(o *options) {
		o.setDurability = true
		o.durability = DurabilityInterval
		o.intervalMs = 0
		if d > 0 {
			o.intervalMs = uint64(d / time.Millisecond)
			if d%time.Millisecond != 0 {
				o.intervalMs++
			}
		}
	}
}

// WithReadOnly opens without the write lock and changes nothing on disk; every mutating
// call returns ErrReadOnly. The recovery report says what a writable open would do.
func WithReadOnly() Option {
	return func(o *options) { o.readOnly = true }
}

// WithSalvage cuts mid-log damage in the last segment (losing the valid frames after it,
// reported in the RecoveryReport) instead of failing with ErrCorrupt.
func WithSalvage() Option {
	return func(o *options) { o.salvage = true }
}

// WithPreallocate turns preallocation of the active segment (1 MiB fallocate steps) on or
// off. Default on.
func WithPreallocate(on bool) Option {
	return func(o *options) { o.preallocate = on }
}

// open makes the C options object from o and opens dir with it: a sequence of C calls that
// stops at the first failure, whose status it returns (run inside one cCall, so the error
// read afterwards is that failure's).
func (o *options) open(dir *C.char, out **C.walogs_wal) C.walogs_status {
	var opts *C.walogs_options
	if st := C.walogs_options_new(&opts); st != C.WALOGS_OK {
		return st
	}
	defer C.walogs_options_free(opts)
	st := C.walogs_status(C.WALOGS_OK)
	if o.setMaxSegmentSize {
		st = C.walogs_options_set_max_segment_size(opts, C.uint64_t(o.maxSegmentSize))
	}
	if st == C.WALOGS_OK && o.setDurability {
		st = C.walogs_options_set_durability(opts, C.walogs_durability(o.durability), C.uint64_t(o.intervalMs))
	}
	if st == C.WALOGS_OK {
		st = C.walogs_options_set_read_only(opts, C.bool(o.readOnly))
	}
	if st == C.WALOGS_OK {
		st = C.walogs_options_set_salvage(opts, C.bool(o.salvage))
	}
	if st == C.WALOGS_OK {
		st = C.walogs_options_set_preallocate(opts, C.bool(o.preallocate))
	}
	if st == C.WALOGS_OK {
		st = C.walogs_open(dir, opts, out)
	}
	return st
}

// WAL is an open write-ahead log. All its methods may be called from any number of
// goroutines at once; concurrent appends share writes and fdatasyncs (group commit) and
// each returns once its own entry is durable. Close waits for calls in flight; calls after
// Close return ErrClosed (so do calls on a nil *WAL).
type WAL struct {
	// mu guards ptr: every call holds the read lock for the duration of its C call (see
	// call), Close takes the write lock, so walogs_close never runs while another call uses
	// the handle.
	mu  sync.RWMutex
	ptr *C.walogs_wal
	dir string
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
	cdir := C.CString(dir)
	defer C.free(unsafe.Pointer(cdir))
	var h *C.walogs_wal
	if err := cCall(func() C.walogs_status { return o.open(cdir, &h) }); err != nil {
		return nil, err
	}
	w := &WAL{ptr: h, dir: dir}
	// A leak net only: a WAL dropped without Close still releases its lock and flushes.
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

// Close writes what concurrent appends queued, cuts the preallocated tail, fdatasyncs,
// releases the directory lock and frees the handle. It waits for calls in flight. The
// handle is gone even when the error is not nil (the final write or fdatasync failed;
// entries acknowledged under DurabilityEveryAppend are durable anyway). Calling Close
// again (or on a nil *WAL) returns nil. Iterators stay valid.
func (w *WAL) Close() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	h := w.ptr
	if h == nil {
		return nil
	}
	w.ptr = nil
	runtime.SetFinalizer(w, nil)
	return cCall(func() C.walogs_status { return C.walogs_close(h) })
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

// AppendBatch appends entries atomically: one frame, one write, one fdatasync; after a
// crash either every entry is in the log or none is. It returns the first and last LSN.
// The total (payloads + 4 bytes per entry + 4) must fit MaxBatchSize, else ErrTooLarge and
// nothing is written. An empty batch is ErrInvalidArgument.
func (w *WAL) AppendBatch(entries [][]byte) (first, last uint64, err error) {
	return w.appendBatch("AppendBatch", entries, true)
}

// AppendMany appends entries with consecutive LSNs in as few atomic frames as possible,
// any number and total size. Not atomic as a whole: if a frame fails, the frames before it
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

// FirstLSN is the oldest LSN still in the log (NextLSN when the log is empty).
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
// never reused afterwards.
func (w *WAL) Checkpoint(appliedUpTo uint64) (int, error) {
	var n C.size_t
	err := w.call("Checkpoint", func(h *C.walogs_wal) C.walogs_status {
		return C.walogs_checkpoint(h, C.uint64_t(appliedUpTo), &n)
	})
	return int(n), err
}

// TruncateAfter durably removes every entry after keepUpTo (the next append gets
// keepUpTo+1) and returns how many it removed. Below the oldest kept entry it is
// ErrLSNOutOfRange; a point inside an atomic batch (or inside a frame that group commit
// wrote for several concurrent appends) is ErrInvalidArgument.
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

// Read returns a copy of entry lsn. ErrLSNOutOfRange when lsn was checkpointed or
// truncated away or not written yet. Works on read-only and poisoned WALs.
func (w *WAL) Read(lsn uint64) ([]byte, error) {
	buf := make([]byte, 256)
	for {
		n, err := w.readInto("Read", lsn, buf)
		if err == nil {
			return buf[:n:n], nil
		}
		if e, ok := err.(*Error); !ok || e.Code != CodeBufferTooSmall {
			return nil, err
		}
		// The entry was longer than buf: try again with exactly its size (and again if a
		// concurrent truncate and append replaced it with a longer one meanwhile).
		buf = make([]byte, n)
	}
}

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
