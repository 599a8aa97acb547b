package walogs

// #include "shim.h"
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
	c C.gw_options
}

// Option configures Open.
type Option func(*options)

// WithMaxSegmentSize rotates to a new segment before an append that would grow the active
// one past size bytes; 0 means never rotate automatically. Default 64 MiB.
func WithMaxSegmentSize(size uint64) Option {
	return func(o *options) {
		o.c.set_max_segment_size = true
		o.c.max_segment_size = C.uint64_t(size)
	}
}

// WithDurability chooses when appends are fdatasync'd (default DurabilityEveryAppend).
// DurabilityInterval needs WithSyncInterval instead.
func WithDurability(d Durability) Option {
	return func(o *options) {
		o.c.set_durability = true
		o.c.durability = C.uint32_t(d)
		o.c.interval_ms = 0
	}
}

// WithSyncInterval selects DurabilityInterval: an append that finds the last fdatasync
// older than d syncs before returning (there is no timer thread). d is rounded up to whole
// milliseconds; d <= 0 makes Open fail with ErrInvalidArgument.
func WithSyncInterval(d time.Duration) Option {
	return func(o *options) {
		o.c.set_durability = true
		o.c.durability = C.WALOGS_DURABILITY_INTERVAL
		ms := uint64(0)
		if d > 0 {
			ms = uint64((d + time.Millisecond - 1) / time.Millisecond)
		}
		o.c.interval_ms = C.uint64_t(ms)
	}
}

// WithReadOnly opens without the write lock and changes nothing on disk; every mutating
// call returns ErrReadOnly. The recovery report says what a writable open would do.
func WithReadOnly() Option {
	return func(o *options) { o.c.read_only = true }
}

// WithSalvage cuts mid-log damage in the last segment (losing the valid frames after it,
// reported in the RecoveryReport) instead of failing with ErrCorrupt.
func WithSalvage() Option {
	return func(o *options) { o.c.salvage = true }
}

// WithPreallocate turns preallocation of the active segment (1 MiB fallocate steps) on or
// off. Default on.
func WithPreallocate(on bool) Option {
	return func(o *options) { o.c.preallocate = C.bool(on) }
}

// WAL is an open write-ahead log. All its methods may be called from any number of
// goroutines at once; concurrent appends share writes and fdatasyncs (group commit) and
// each returns once its own entry is durable. Close waits for calls in flight; calls after
// Close return ErrClosed.
type WAL struct {
	// mu guards ptr: every call holds the read lock for the duration of its C call, Close
	// takes the write lock, so walogs_close never runs while another call uses the handle.
	mu  sync.RWMutex
	ptr *C.walogs_wal
	dir string
}

// Open opens (creating it and missing parents, unless read-only) the WAL in directory dir.
// A writable open takes the directory's lock (ErrLocked if another handle, in this process
// or another, holds it), verifies every frame (ErrCorrupt for damage that is not a torn
// final write) and cuts a torn tail.
func Open(dir string, opts ...Option) (*WAL, error) {
	o := options{}
	o.c.preallocate = true
	for _, opt := range opts {
		opt(&o)
	}
	if strings.IndexByte(dir, 0) >= 0 {
		return nil, &Error{Code: CodeInvalidArgument, Message: "Open: the path contains a NUL byte"}
	}
	cdir := C.CString(dir)
	defer C.free(unsafe.Pointer(cdir))
	r := C.gw_open(cdir, o.c)
	if err := fromStatus(r.st); err != nil {
		return nil, err
	}
	w := &WAL{ptr: r.wal, dir: dir}
	// A leak net only: a WAL dropped without Close still releases its lock and flushes.
	runtime.SetFinalizer(w, (*WAL).finalize)
	return w, nil
}

func (w *WAL) finalize() {
	if w.ptr != nil {
		C.gw_close(w.ptr)
		w.ptr = nil
	}
}

// Dir is the directory the WAL was opened in.
func (w *WAL) Dir() string { return w.dir }

// Close writes what concurrent appends queued, cuts the preallocated tail, fdatasyncs,
// releases the directory lock and frees the handle. It waits for calls in flight. The
// handle is gone even when the error is not nil (the final write or fdatasync failed;
// entries acknowledged under DurabilityEveryAppend are durable anyway). Calling Close
// again returns nil. Iterators stay valid.
func (w *WAL) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ptr == nil {
		return nil
	}
	st := C.gw_close(w.ptr)
	w.ptr = nil
	runtime.SetFinalizer(w, nil)
	runtime.KeepAlive(w)
	return fromStatus(st)
}

// handle takes the read lock and returns the C handle. The caller must `defer
// w.mu.RUnlock()` right after a nil error (deferred, so that a panic in a cgo call, e.g. a
// cgocheck failure, does not leave the lock held and Close deadlocked).
func (w *WAL) handle(op string) (*C.walogs_wal, error) {
	w.mu.RLock()
	if w.ptr == nil {
		w.mu.RUnlock()
		return nil, closedError(op)
	}
	return w.ptr, nil
}

func bytesPtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

// Append appends one entry and returns its LSN (1, 2, 3, ...). Under the default
// durability it is on disk (fdatasync'd) when Append returns. data is not retained: it is
// passed to the C library without copying for the duration of the call, which copies it.
func (w *WAL) Append(data []byte) (uint64, error) {
	h, err := w.handle("Append")
	if err != nil {
		return 0, err
	}
	defer w.mu.RUnlock()
	r := C.gw_append(h, bytesPtr(data), C.size_t(len(data)))
	runtime.KeepAlive(w)
	runtime.KeepAlive(data)
	if err := fromStatus(r.st); err != nil {
		return 0, err
	}
	return uint64(r.a), nil
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
// stay in the log and the error is returned; after a crash a prefix may survive.
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
			p := &e[0]
			pin.Pin(p)
			ptrs[i] = (*C.uint8_t)(unsafe.Pointer(p))
		}
		lens[i] = C.size_t(len(e))
	}
	h, err := w.handle(op)
	if err != nil {
		return 0, 0, err
	}
	defer w.mu.RUnlock()
	r := C.gw_append_batch(h, &ptrs[0], &lens[0], C.size_t(n), C.bool(atomic))
	runtime.KeepAlive(w)
	runtime.KeepAlive(entries)
	if err := fromStatus(r.st); err != nil {
		return 0, 0, err
	}
	return uint64(r.a), uint64(r.b), nil
}

// Sync makes every appended entry durable (one fdatasync if anything is pending) and
// returns the durable LSN. Needed only under DurabilityInterval, Manual and None. A failed
// fdatasync is ErrIO and poisons the WAL.
func (w *WAL) Sync() (uint64, error) {
	h, err := w.handle("Sync")
	if err != nil {
		return 0, err
	}
	defer w.mu.RUnlock()
	r := C.gw_sync(h)
	runtime.KeepAlive(w)
	if err := fromStatus(r.st); err != nil {
		return 0, err
	}
	return uint64(r.a), nil
}

// DurableLSN is the highest LSN known to be durable on disk (0: none): the durable
// watermark. Under DurabilityEveryAppend every acknowledged entry is at or below it.
func (w *WAL) DurableLSN() (uint64, error) {
	return w.u64("DurableLSN", func(h *C.walogs_wal) C.gw_u64x2 { return C.gw_durable_lsn(h) })
}

// NextLSN is the LSN the next append will get (appends racing with this call may take it).
func (w *WAL) NextLSN() (uint64, error) {
	return w.u64("NextLSN", func(h *C.walogs_wal) C.gw_u64x2 { return C.gw_next_lsn(h) })
}

// FirstLSN is the oldest LSN still in the log (NextLSN when the log is empty).
func (w *WAL) FirstLSN() (uint64, error) {
	return w.u64("FirstLSN", func(h *C.walogs_wal) C.gw_u64x2 { return C.gw_first_lsn(h) })
}

// SegmentCount is the number of segment files in use (completed + active).
func (w *WAL) SegmentCount() (int, error) {
	n, err := w.u64("SegmentCount", func(h *C.walogs_wal) C.gw_u64x2 { return C.gw_segment_count(h) })
	return int(n), err
}

// Rotate seals the active segment and starts the next one; a no-op when the active
// segment is empty.
func (w *WAL) Rotate() error {
	h, err := w.handle("Rotate")
	if err != nil {
		return err
	}
	defer w.mu.RUnlock()
	st := C.gw_rotate(h)
	runtime.KeepAlive(w)
	return fromStatus(st)
}

// Checkpoint deletes, oldest first, every completed segment whose entries all have
// lsn <= appliedUpTo (never the active segment) and returns how many it deleted. LSNs are
// never reused afterwards.
func (w *WAL) Checkpoint(appliedUpTo uint64) (int, error) {
	n, err := w.u64("Checkpoint", func(h *C.walogs_wal) C.gw_u64x2 {
		return C.gw_checkpoint(h, C.uint64_t(appliedUpTo))
	})
	return int(n), err
}

// TruncateAfter durably removes every entry after keepUpTo (the next append gets
// keepUpTo+1) and returns how many it removed. Below the oldest kept entry it is
// ErrLSNOutOfRange; a point inside an atomic batch (or inside a frame that group commit
// wrote for several concurrent appends) is ErrInvalidArgument.
func (w *WAL) TruncateAfter(keepUpTo uint64) (uint64, error) {
	return w.u64("TruncateAfter", func(h *C.walogs_wal) C.gw_u64x2 {
		return C.gw_truncate_after(h, C.uint64_t(keepUpTo))
	})
}

func (w *WAL) u64(op string, f func(*C.walogs_wal) C.gw_u64x2) (uint64, error) {
	h, err := w.handle(op)
	if err != nil {
		return 0, err
	}
	defer w.mu.RUnlock()
	r := f(h)
	runtime.KeepAlive(w)
	if err := fromStatus(r.st); err != nil {
		return 0, err
	}
	return uint64(r.a), nil
}

// IsPoisoned reports whether an earlier failed write or fdatasync poisoned the WAL (every
// mutating call then returns ErrPoisoned until it is reopened).
func (w *WAL) IsPoisoned() (bool, error) {
	h, err := w.handle("IsPoisoned")
	if err != nil {
		return false, err
	}
	defer w.mu.RUnlock()
	r := C.gw_flags(h)
	runtime.KeepAlive(w)
	return r.a != 0, fromStatus(r.st)
}

// IsReadOnly reports whether the WAL was opened WithReadOnly.
func (w *WAL) IsReadOnly() (bool, error) {
	h, err := w.handle("IsReadOnly")
	if err != nil {
		return false, err
	}
	defer w.mu.RUnlock()
	r := C.gw_flags(h)
	runtime.KeepAlive(w)
	return r.b != 0, fromStatus(r.st)
}

// Read returns a copy of entry lsn. ErrLSNOutOfRange when lsn was checkpointed or
// truncated away or not written yet. Works on read-only and poisoned WALs.
func (w *WAL) Read(lsn uint64) ([]byte, error) {
	buf := make([]byte, 256)
	for {
		n, err := w.ReadInto(lsn, buf)
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
	h, err := w.handle("Read")
	if err != nil {
		return 0, err
	}
	defer w.mu.RUnlock()
	r := C.gw_read(h, C.uint64_t(lsn), bytesPtr(buf), C.size_t(len(buf)))
	runtime.KeepAlive(w)
	runtime.KeepAlive(buf)
	err = fromStatus(r.st)
	if err != nil && r.st.status != C.WALOGS_BUFFER_TOO_SMALL {
		return 0, err
	}
	return int(r.a), err
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
	h, err := w.handle("TailState")
	if err != nil {
		return TailState{}, err
	}
	defer w.mu.RUnlock()
	r := C.gw_tail_state(h)
	runtime.KeepAlive(w)
	if err := fromStatus(r.st); err != nil {
		return TailState{}, err
	}
	return TailState{Truncated: r.a == C.WALOGS_TAIL_TRUNCATED, Offset: uint64(r.b)}, nil
}
