package walogs

// #include "walogs.h"
import "C"

import (
	"io/fs"
	"time"
)

// Durability says when appended entries are fdatasync'd.
type Durability uint32

const (
	// DurabilityEveryAppend: every append (or batch, or group-commit group) is fdatasync'd
	// before it returns. A power loss loses nothing acknowledged. The default.
	DurabilityEveryAppend Durability = C.WALOGS_DURABILITY_EVERY_APPEND
	// DurabilityInterval: appends return after the write; a background thread (started
	// by a writable Open, stopped by Close) fdatasyncs whatever is not yet durable once per
	// interval (WithSyncInterval), so an entry becomes durable within about one interval
	// without a further append. A power loss may lose about one interval of entries.
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
	fileMode          uint32
	setFileMode       bool
	// The streams settings (OpenStreams only; 0: off).
	segmentDurationMs uint64
	retentionMs       uint64
	maxTopicBytes     uint64
	deleteConsumed    bool
	cleanupIntervalMs uint64
	// badDuration names a streams option given a duration <= 0.
	badDuration string
	// walOnly and streamsOnly name an option given that only Open, or only OpenStreams,
	// takes: the other one refuses it with ErrInvalidArgument.
	walOnly     string
	streamsOnly string
}

// Option configures Open and OpenStreams. Most options apply to both; WithSalvage and
// WithPreallocate only to Open, WithSegmentDuration, WithRetention, WithMaxTopicBytes,
// WithDeleteConsumed and WithCleanupInterval only to OpenStreams (the other one fails with
// ErrInvalidArgument naming the option).
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

// WithSyncInterval selects DurabilityInterval: a background thread fdatasyncs what is
// not yet durable once every d (one thread per open WAL). d is rounded up to whole
// milliseconds; d <= 0 makes Open fail with ErrInvalidArgument.
func WithSyncInterval(d time.Duration) Option {
	return func(o *options) {
		o.setDurability = true
		o.durability = DurabilityInterval
		o.intervalMs = 0
		if d > 0 {
			o.intervalMs = millis(d)
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
	return func(o *options) {
		o.salvage = true
		o.walOnly = "WithSalvage"
	}
}

// WithPreallocate turns preallocation of the active segment (1 MiB fallocate-and-zero
// steps) on or off. Default on. It applies under DurabilityEveryAppend only: under the
// relaxed policies appends extend the file.
func WithPreallocate(on bool) Option {
	return func(o *options) {
		o.preallocate = on
		o.walOnly = "WithPreallocate"
	}
}

// WithFileMode sets the permission bits of the files walogs creates (segments,
// walogs.meta, walogs.lock, walogs.user), applied exactly: the process umask neither
// narrows nor widens them. A directory walogs creates gets search permission wherever read
// is granted (0640 gives directories 0750). Default 0600 (directories 0700). mode must
// grant the owner read and write (0600) and hold nothing but permission bits (0777), else
// Open fails with ErrInvalidArgument. Existing files keep their permissions.
func WithFileMode(mode fs.FileMode) Option {
	return func(o *options) {
		o.setFileMode = true
		o.fileMode = uint32(mode)
	}
}

// millis is d in whole milliseconds, rounded up (d > 0).
func millis(d time.Duration) uint64 {
	ms := uint64(d / time.Millisecond)
	if d%time.Millisecond != 0 {
		ms++
	}
	return ms
}

// streamsDuration is a streams option taking a positive duration: it stores the duration
// in milliseconds with set, or records name as refused.
func streamsDuration(name string, d time.Duration, set func(*options, uint64)) Option {
	return func(o *options) {
		o.streamsOnly = name
		if d <= 0 {
			o.badDuration = name
			return
		}
		set(o, millis(d))
	}
}

// WithSegmentDuration (OpenStreams) cuts the store's log segments on clock-aligned windows
// of d (by record timestamp), so that time retention frees whole files. d is rounded up to
// whole milliseconds; d <= 0 makes OpenStreams fail with ErrInvalidArgument. Default: no
// windows.
func WithSegmentDuration(d time.Duration) Option {
	return streamsDuration("WithSegmentDuration", d, func(o *options, ms uint64) { o.segmentDurationMs = ms })
}

// WithRetention (OpenStreams) deletes, at each cleanup, records whose window (of
// WithSegmentDuration, or the record's own timestamp without one) ended more than d ago.
// d <= 0 makes OpenStreams fail with ErrInvalidArgument. Default: records are kept
// regardless of age.
func WithRetention(d time.Duration) Option {
	return streamsDuration("WithRetention", d, func(o *options, ms uint64) { o.retentionMs = ms })
}

// WithCleanupInterval (OpenStreams) runs a cleanup in a background thread every d (stopped
// by Close). d <= 0 makes OpenStreams fail with ErrInvalidArgument. Default: only Cleanup
// cleans.
func WithCleanupInterval(d time.Duration) Option {
	return streamsDuration("WithCleanupInterval", d, func(o *options, ms uint64) { o.cleanupIntervalMs = ms })
}

// WithMaxTopicBytes (OpenStreams) caps each topic at n bytes of data and headers: a
// cleanup deletes its oldest records beyond it, also records a strict consumer has not
// read yet (CleanupReport.StrictConsumersForced counts such consumers). n must be at least
// 1, else OpenStreams fails with ErrInvalidArgument. Default: no cap.
func WithMaxTopicBytes(n uint64) Option {
	return func(o *options) {
		o.streamsOnly = "WithMaxTopicBytes"
		if n == 0 {
			o.badDuration = "WithMaxTopicBytes"
		}
		o.maxTopicBytes = n
	}
}

// WithDeleteConsumed (OpenStreams) also deletes, at each cleanup, the records every
// consumer of their topic has passed. Default off.
func WithDeleteConsumed(on bool) Option {
	return func(o *options) {
		o.streamsOnly = "WithDeleteConsumed"
		o.deleteConsumed = on
	}
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
	if st == C.WALOGS_OK && o.setFileMode {
		st = C.walogs_options_set_file_mode(opts, C.uint32_t(o.fileMode))
	}
	if st == C.WALOGS_OK {
		st = C.walogs_open(dir, opts, out)
	}
	return st
}

// openStreams is open for a streams store: the C options object from o, then
// walogs_streams_open (run inside one cCall, like open).
func (o *options) openStreams(dir *C.char, out **C.walogs_streams) C.walogs_status {
	var opts *C.walogs_streams_options
	if st := C.walogs_streams_options_new(&opts); st != C.WALOGS_OK {
		return st
	}
	defer C.walogs_streams_options_free(opts)
	st := C.walogs_status(C.WALOGS_OK)
	if o.setMaxSegmentSize {
		st = C.walogs_streams_options_set_max_segment_size(opts, C.uint64_t(o.maxSegmentSize))
	}
	if st == C.WALOGS_OK && o.setDurability {
		st = C.walogs_streams_options_set_durability(opts, C.walogs_durability(o.durability), C.uint64_t(o.intervalMs))
	}
	if st == C.WALOGS_OK {
		st = C.walogs_streams_options_set_read_only(opts, C.bool(o.readOnly))
	}
	if st == C.WALOGS_OK && o.setFileMode {
		st = C.walogs_streams_options_set_file_mode(opts, C.uint32_t(o.fileMode))
	}
	if st == C.WALOGS_OK {
		st = C.walogs_streams_options_set_segment_duration_ms(opts, C.uint64_t(o.segmentDurationMs))
	}
	if st == C.WALOGS_OK {
		st = C.walogs_streams_options_set_retention_ms(opts, C.uint64_t(o.retentionMs))
	}
	if st == C.WALOGS_OK {
		st = C.walogs_streams_options_set_max_topic_bytes(opts, C.uint64_t(o.maxTopicBytes))
	}
	if st == C.WALOGS_OK {
		st = C.walogs_streams_options_set_delete_consumed(opts, C.bool(o.deleteConsumed))
	}
	if st == C.WALOGS_OK {
		st = C.walogs_streams_options_set_cleanup_interval_ms(opts, C.uint64_t(o.cleanupIntervalMs))
	}
	if st == C.WALOGS_OK {
		st = C.walogs_streams_open(dir, opts, out)
	}
	return st
}
