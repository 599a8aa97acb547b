package walogs

// #include <stdlib.h>
// #include "walogs.h"
import "C"

import (
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// MaxHeader is the largest record header of a streams store, in bytes (64 KiB); a longer
// one gets ErrTooLarge.
const MaxHeader = C.WALOGS_MAX_HEADER

// MaxNameLen is the longest topic or consumer name, in bytes of UTF-8.
const MaxNameLen = C.WALOGS_MAX_NAME

// Streams is an open streams store: named topics with dense per-topic LSNs (1, 2, 3, ...),
// records with a header and a millisecond timestamp, persistent consumers and retention,
// all kept in one walogs log in one directory.
//
// All its methods may be called from any number of goroutines at once; appends to any
// topics share fdatasyncs. Consumers (Consumer) are separate objects; Close makes their
// calls return ErrClosed (a Next waiting for a record returns at once). Calls after Close,
// and on a nil *Streams, return ErrClosed.
type Streams struct {
	// mu guards ptr: every call holds the read lock for its C call; Close takes the write
	// lock before walogs_streams_close frees the store (no call waits long on the store:
	// waiting happens on consumers, which have handles of their own).
	mu  sync.RWMutex
	ptr *C.walogs_streams
	dir string
}

// Record is one record of a topic.
type Record struct {
	// LSN is the record's LSN in its topic (ignored by AppendBatch).
	LSN uint64
	// Data is the payload (a copy the caller owns; empty, not nil, for an empty record).
	Data []byte
	// Header is the record's header (empty when it has none).
	Header []byte
	// Timestamp is the record's time, with millisecond precision. For AppendBatch, the
	// zero Time means the wall clock at the append.
	Timestamp time.Time
}

// TopicInfo is one topic's state.
type TopicInfo struct {
	// Name is the topic's name.
	Name string
	// FirstLSN is its oldest LSN still held (NextLSN when it holds none).
	FirstLSN uint64
	// NextLSN is the LSN its next record gets.
	NextLSN uint64
	// Bytes counts the data and headers of the records it holds.
	Bytes uint64
}

// CleanupReport says what Cleanup deleted.
type CleanupReport struct {
	// RecordsDeleted counts the records deleted, all topics.
	RecordsDeleted uint64
	// BytesReclaimed counts the bytes of segment files removed from the disk.
	BytesReclaimed uint64
	// SegmentsDeleted counts the segment files removed.
	SegmentsDeleted uint64
	// TopicsCleaned counts the topics that lost records.
	TopicsCleaned uint64
	// StrictConsumersForced counts the strict consumers whose unread records the size cap
	// (WithMaxTopicBytes) deleted; each resumes at its topic's new oldest record and
	// counts what it skipped (Consumer.Skipped). Topics names them.
	StrictConsumersForced uint64
	// Topics says what each topic that lost records lost, by topic name.
	Topics []TopicCleanup
}

// TopicCleanup is what one Cleanup deleted of one topic.
type TopicCleanup struct {
	// Topic is the topic's name.
	Topic string
	// RecordsDeleted counts its records deleted (by time, by the size cap, or as read by
	// every consumer).
	RecordsDeleted uint64
	// FirstLSN is its oldest LSN after the cleanup.
	FirstLSN uint64
	// ForcedPast names, sorted, the strict consumers whose unread records the size cap
	// deleted.
	ForcedPast []string
}

// OpenStreams opens (creating it unless read-only) the streams store in directory dir. It
// takes the Option values Open takes (WithDurability, WithSyncInterval, WithReadOnly,
// WithFileMode, WithMaxSegmentSize) and the streams ones (WithSegmentDuration,
// WithRetention, WithMaxTopicBytes, WithDeleteConsumed, WithCleanupInterval); WithSalvage
// and WithPreallocate are ErrInvalidArgument. A writable open takes the directory's lock
// (ErrLocked if another handle holds it); a plain walogs log is ErrNotAStore. Cost: a
// read of the whole log (every record, topic and consumer position is an entry of it).
func OpenStreams(dir string, opts ...Option) (*Streams, error) {
	o := options{}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	invalid := func(msg string) error {
		return &Error{Code: CodeInvalidArgument, Message: "OpenStreams: " + msg}
	}
	if strings.IndexByte(dir, 0) >= 0 {
		return nil, invalid("the path contains a NUL byte")
	}
	if o.walOnly != "" {
		return nil, invalid(o.walOnly + " applies to Open only")
	}
	if o.badDuration != "" {
		return nil, invalid(o.badDuration + " needs a value above 0")
	}
	cdir := C.CString(dir)
	defer C.free(unsafe.Pointer(cdir))
	var h *C.walogs_streams
	if err := cCall(func() C.walogs_status { return o.openStreams(cdir, &h) }); err != nil {
		return nil, err
	}
	s := &Streams{ptr: h, dir: dir}
	// A leak net only: a store dropped without Close still releases its lock.
	runtime.SetFinalizer(s, (*Streams).finalize)
	return s, nil
}

func (s *Streams) finalize() {
	if s.ptr != nil {
		C.walogs_streams_close(s.ptr) // nobody is left to read an error
		s.ptr = nil
	}
}

// Dir is the directory the store was opened in ("" for a nil *Streams).
func (s *Streams) Dir() string {
	if s == nil {
		return ""
	}
	return s.dir
}

// Close stops the background cleaner, makes everything durable, releases the directory and
// frees the store, after the calls in flight have returned. Consumers made from the store
// return ErrClosed from then on (a Next waiting for a record returns at once); close them
// to free their memory. The store is gone even when the error is not nil (the final
// fdatasync failed). Calling Close again, or on a nil *Streams, returns nil.
func (s *Streams) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ptr == nil {
		return nil
	}
	h := s.ptr
	s.ptr = nil
	runtime.SetFinalizer(s, nil)
	return cCall(func() C.walogs_status { return C.walogs_streams_close(h) })
}

// call runs f on the store's handle under the read lock (see WAL.call): ErrClosed naming
// op after Close.
func (s *Streams) call(op string, f func(h *C.walogs_streams) C.walogs_status) error {
	if s == nil {
		return storeClosedError(op)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.ptr == nil {
		return storeClosedError(op)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if st := f(s.ptr); !succeeded(st) {
		return lastError(st)
	}
	return nil
}

func storeClosedError(op string) error {
	return &Error{Code: CodeClosed, Message: op + ": the store is closed"}
}

// cName is name as a C string for the duration of a call (free it with C.free); a name
// holding a NUL byte is ErrInvalidArgument (C would see a shorter name).
func cName(op, what, name string) (*C.char, error) {
	if strings.IndexByte(name, 0) >= 0 {
		return nil, &Error{Code: CodeInvalidArgument, Message: op + ": the " + what + " name contains a NUL byte"}
	}
	return C.CString(name), nil
}

// RecordOption sets an optional part of a record for Append.
type RecordOption func(*recordOptions)

type recordOptions struct {
	header    []byte
	timestamp time.Time
}

// WithHeader gives the record a header (at most MaxHeader bytes, else ErrTooLarge).
func WithHeader(header []byte) RecordOption {
	return func(o *recordOptions) { o.header = header }
}

// WithTimestamp gives the record time t (millisecond precision; at or after the Unix
// epoch, else ErrInvalidArgument) instead of the wall clock at the append. Retention and
// SeekTime go by these times.
func WithTimestamp(t time.Time) RecordOption {
	return func(o *recordOptions) { o.timestamp = t }
}

// cTimestamp is t for C: milliseconds since the epoch, WALOGS_TIMESTAMP_NOW for the zero
// Time; a time before the epoch is refused.
func cTimestamp(op string, t time.Time) (C.int64_t, error) {
	if t.IsZero() {
		return C.WALOGS_TIMESTAMP_NOW, nil
	}
	ms := t.UnixMilli()
	if ms < 0 {
		return 0, &Error{Code: CodeInvalidArgument, Message: op + ": a timestamp before the Unix epoch"}
	}
	return C.int64_t(ms), nil
}

// Append appends one record to topic (created by its first append) and returns its LSN in
// the topic. Under the default durability it is on disk when Append returns; consumers
// waiting on the topic wake up. data and the header are copied by the C library for the
// duration of the call. ErrInvalidArgument for an empty, over-long (MaxNameLen) or
// non-UTF-8 topic name, ErrTooLarge for a header over MaxHeader or data over MaxEntrySize,
// ErrReadOnly, ErrClosed.
func (s *Streams) Append(topic string, data []byte, opts ...RecordOption) (uint64, error) {
	var ro recordOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&ro)
		}
	}
	ts, err := cTimestamp("Append", ro.timestamp)
	if err != nil {
		return 0, err
	}
	ctopic, err := cName("Append", "topic", topic)
	if err != nil {
		return 0, err
	}
	defer C.free(unsafe.Pointer(ctopic))
	var lsn C.uint64_t
	err = s.call("Append", func(h *C.walogs_streams) C.walogs_status {
		return C.walogs_streams_append(h, ctopic, bytesPtr(data), C.size_t(len(data)),
			bytesPtr(ro.header), C.size_t(len(ro.header)), ts, &lsn)
	})
	return uint64(lsn), err
}

// AppendBatch appends records to topic atomically (after a crash all of them or none) with
// consecutive LSNs, and returns the first and last. Each record's Data, Header and
// Timestamp are used (LSN is ignored; a zero Timestamp is the wall clock). One write, one
// fdatasync. An empty batch is ErrInvalidArgument; a batch over MaxBatchSize ErrTooLarge.
func (s *Streams) AppendBatch(topic string, records []Record) (first, last uint64, err error) {
	n := len(records)
	if n == 0 {
		return 0, 0, &Error{Code: CodeInvalidArgument, Message: "AppendBatch: the batch is empty"}
	}
	ctopic, err := cName("AppendBatch", "topic", topic)
	if err != nil {
		return 0, 0, err
	}
	defer C.free(unsafe.Pointer(ctopic))
	// Arrays in Go memory holding pointers to the callers' pinned slices (cgo rules), as
	// WAL.AppendBatch does.
	datas := make([]*C.uint8_t, n)
	lens := make([]C.size_t, n)
	headers := make([]*C.uint8_t, n)
	headerLens := make([]C.size_t, n)
	stamps := make([]C.int64_t, n)
	var pin runtime.Pinner
	defer pin.Unpin()
	for i, r := range records {
		if len(r.Data) > 0 {
			pin.Pin(&r.Data[0])
			datas[i] = bytesPtr(r.Data)
		}
		lens[i] = C.size_t(len(r.Data))
		if len(r.Header) > 0 {
			pin.Pin(&r.Header[0])
			headers[i] = bytesPtr(r.Header)
		}
		headerLens[i] = C.size_t(len(r.Header))
		if stamps[i], err = cTimestamp("AppendBatch", r.Timestamp); err != nil {
			return 0, 0, err
		}
	}
	var f, l C.uint64_t
	err = s.call("AppendBatch", func(h *C.walogs_streams) C.walogs_status {
		return C.walogs_streams_append_batch(h, ctopic, &datas[0], &lens[0], &headers[0], &headerLens[0],
			&stamps[0], C.size_t(n), &f, &l)
	})
	return uint64(f), uint64(l), err
}

// Read returns record lsn of topic (a copy). ErrUnknownTopic for a topic never appended
// to, ErrLSNOutOfRange for an LSN outside the topic's live records (deleted by retention,
// or not appended yet). Works on read-only stores.
func (s *Streams) Read(topic string, lsn uint64) (*Record, error) {
	ctopic, err := cName("Read", "topic", topic)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(ctopic))
	var r *C.walogs_record
	err = s.call("Read", func(h *C.walogs_streams) C.walogs_status {
		return C.walogs_streams_read(h, ctopic, C.uint64_t(lsn), &r)
	})
	if err != nil {
		return nil, err
	}
	defer C.walogs_record_free(r)
	return copyRecord(r)
}

// ReadRange returns up to maxRecords consecutive records of topic from LSN from, stopping
// before their data and headers would exceed maxBytes, but at least one when from holds
// one. from equal to the topic's next LSN gives an empty, non-nil slice. maxRecords must be
// at least 1 and maxBytes not negative, else ErrInvalidArgument.
func (s *Streams) ReadRange(topic string, from uint64, maxRecords, maxBytes int) ([]Record, error) {
	if maxRecords < 0 || maxBytes < 0 {
		return nil, &Error{Code: CodeInvalidArgument, Message: "ReadRange: a negative maxRecords or maxBytes"}
	}
	ctopic, err := cName("ReadRange", "topic", topic)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(ctopic))
	var rs *C.walogs_records
	err = s.call("ReadRange", func(h *C.walogs_streams) C.walogs_status {
		return C.walogs_streams_read_range(h, ctopic, C.uint64_t(from), C.size_t(maxRecords), C.size_t(maxBytes), &rs)
	})
	if err != nil {
		return nil, err
	}
	defer C.walogs_records_free(rs)
	return copyRecords(rs)
}

// Topics lists every topic of the store, by name. On a read-only store: as of the open or
// the last Refresh.
func (s *Streams) Topics() ([]TopicInfo, error) {
	var t *C.walogs_topics
	if err := s.call("Topics", func(h *C.walogs_streams) C.walogs_status { return C.walogs_streams_topics(h, &t) }); err != nil {
		return nil, err
	}
	defer C.walogs_topics_free(t)
	var out []TopicInfo
	err := cCall(func() C.walogs_status {
		var n C.size_t
		if st := C.walogs_topics_len(t, &n); st != C.WALOGS_OK {
			return st
		}
		out = make([]TopicInfo, int(n))
		for i := range out {
			var name *C.char
			var first, next, bytes C.uint64_t
			if st := C.walogs_topics_get(t, C.size_t(i), &name, &first, &next, &bytes); st != C.WALOGS_OK {
				return st
			}
			out[i] = TopicInfo{Name: C.GoString(name), FirstLSN: uint64(first), NextLSN: uint64(next), Bytes: uint64(bytes)}
		}
		return C.WALOGS_OK
	})
	return out, err
}

// TopicInfo is one topic's state. ErrUnknownTopic for a topic never appended to.
func (s *Streams) TopicInfo(topic string) (TopicInfo, error) {
	ctopic, err := cName("TopicInfo", "topic", topic)
	if err != nil {
		return TopicInfo{}, err
	}
	defer C.free(unsafe.Pointer(ctopic))
	var first, next, bytes C.uint64_t
	err = s.call("TopicInfo", func(h *C.walogs_streams) C.walogs_status {
		return C.walogs_streams_topic_info(h, ctopic, &first, &next, &bytes)
	})
	if err != nil {
		return TopicInfo{}, err
	}
	return TopicInfo{Name: topic, FirstLSN: uint64(first), NextLSN: uint64(next), Bytes: uint64(bytes)}, nil
}

// SeekTime is the first LSN of topic whose record time is at or after t (millisecond
// precision; a t before the epoch counts as the epoch), or the topic's next LSN when none
// is: where to start reading "since t". ErrUnknownTopic for a topic never appended to.
func (s *Streams) SeekTime(topic string, t time.Time) (uint64, error) {
	ctopic, err := cName("SeekTime", "topic", topic)
	if err != nil {
		return 0, err
	}
	defer C.free(unsafe.Pointer(ctopic))
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	var lsn C.uint64_t
	err = s.call("SeekTime", func(h *C.walogs_streams) C.walogs_status {
		return C.walogs_streams_seek_time(h, ctopic, C.uint64_t(ms), &lsn)
	})
	return uint64(lsn), err
}

// Cleanup runs retention now (time, size cap, consumed records, as the options say) and
// reports what it deleted, in all and per topic. ErrReadOnly on a read-only store.
func (s *Streams) Cleanup() (CleanupReport, error) {
	var r C.walogs_cleanup_report
	r.struct_size = C.size_t(unsafe.Sizeof(r))
	var list *C.walogs_topic_cleanups
	err := s.call("Cleanup", func(h *C.walogs_streams) C.walogs_status {
		return C.walogs_streams_cleanup_topics(h, &r, &list)
	})
	if err != nil {
		return CleanupReport{}, err
	}
	defer C.walogs_topic_cleanups_free(list)
	rep := CleanupReport{
		RecordsDeleted:        uint64(r.records_deleted),
		BytesReclaimed:        uint64(r.bytes_reclaimed),
		SegmentsDeleted:       uint64(r.segments_deleted),
		TopicsCleaned:         uint64(r.topics_cleaned),
		StrictConsumersForced: uint64(r.strict_consumers_forced),
	}
	err = cCall(func() C.walogs_status {
		topics, st := topicCleanups(list)
		rep.Topics = topics
		return st
	})
	if err != nil {
		return CleanupReport{}, err
	}
	return rep, nil
}

// topicCleanups copies the rows of list (called on the thread that reads the last error).
func topicCleanups(list *C.walogs_topic_cleanups) ([]TopicCleanup, C.walogs_status) {
	var n C.size_t
	if st := C.walogs_topic_cleanups_len(list, &n); st != C.WALOGS_OK || n == 0 {
		return nil, st
	}
	out := make([]TopicCleanup, int(n))
	for i := range out {
		var topic *C.char
		var deleted, first C.uint64_t
		var forced C.size_t
		if st := C.walogs_topic_cleanups_get(list, C.size_t(i), &topic, &deleted, &first, &forced); st != C.WALOGS_OK {
			return nil, st
		}
		row := TopicCleanup{Topic: C.GoString(topic), RecordsDeleted: uint64(deleted), FirstLSN: uint64(first)}
		for k := 0; k < int(forced); k++ {
			var name *C.char
			if st := C.walogs_topic_cleanups_forced(list, C.size_t(i), C.size_t(k), &name); st != C.WALOGS_OK {
				return nil, st
			}
			row.ForcedPast = append(row.ForcedPast, C.GoString(name))
		}
		out[i] = row
	}
	return out, C.WALOGS_OK
}

// Sync makes every appended record and consumer position durable (one fdatasync if
// anything is pending); needed only under relaxed durability. ErrReadOnly on a read-only
// store.
func (s *Streams) Sync() error {
	return s.call("Sync", func(h *C.walogs_streams) C.walogs_status { return C.walogs_streams_sync(h) })
}

// Refresh (read-only stores) takes in what a writer appended since the open or the last
// Refresh: new topics, records and consumer positions.
func (s *Streams) Refresh() error {
	return s.call("Refresh", func(h *C.walogs_streams) C.walogs_status { return C.walogs_streams_refresh(h) })
}

// IsReadOnly reports whether the store was opened WithReadOnly.
func (s *Streams) IsReadOnly() (bool, error) {
	var b C.bool
	err := s.call("IsReadOnly", func(h *C.walogs_streams) C.walogs_status { return C.walogs_streams_is_read_only(h, &b) })
	return bool(b), err
}

// recordFields is one record as C lends it (valid until its record or list is freed).
type recordFields struct {
	lsn    uint64
	data   []byte
	header []byte
	ts     uint64
}

// lend makes Go views of C memory (nil for length 0: an empty field's pointer is not to
// be read).
func lend(p *C.uint8_t, n C.size_t) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
}

// toRecords copies the lent fields into Go memory: one buffer of the exact total size for
// all data and headers, each a full slice expression of it.
func toRecords(fields []recordFields) []Record {
	total := 0
	for _, f := range fields {
		total += len(f.data) + len(f.header)
	}
	buf := make([]byte, 0, total)
	take := func(b []byte) []byte {
		start := len(buf)
		buf = append(buf, b...)
		return buf[start:len(buf):len(buf)]
	}
	out := make([]Record, len(fields))
	for i, f := range fields {
		out[i] = Record{LSN: f.lsn, Data: take(f.data), Header: take(f.header), Timestamp: time.UnixMilli(int64(f.ts))}
	}
	return out
}

// copyRecord copies a C record into Go memory.
func copyRecord(r *C.walogs_record) (*Record, error) {
	var f recordFields
	err := cCall(func() C.walogs_status {
		var lsn, ts C.uint64_t
		var data, header *C.uint8_t
		var n, hn C.size_t
		st := C.walogs_record_get(r, &lsn, &data, &n, &header, &hn, &ts)
		f = recordFields{lsn: uint64(lsn), data: lend(data, n), header: lend(header, hn), ts: uint64(ts)}
		return st
	})
	if err != nil {
		return nil, err
	}
	return &toRecords([]recordFields{f})[0], nil
}

// copyRecords copies a C record list into Go memory (an empty, non-nil slice for an empty
// list).
func copyRecords(rs *C.walogs_records) ([]Record, error) {
	var fields []recordFields
	err := cCall(func() C.walogs_status {
		var n C.size_t
		if st := C.walogs_records_len(rs, &n); st != C.WALOGS_OK {
			return st
		}
		fields = make([]recordFields, int(n))
		for i := range fields {
			var lsn, ts C.uint64_t
			var data, header *C.uint8_t
			var dn, hn C.size_t
			if st := C.walogs_records_get(rs, C.size_t(i), &lsn, &data, &dn, &header, &hn, &ts); st != C.WALOGS_OK {
				return st
			}
			fields[i] = recordFields{lsn: uint64(lsn), data: lend(data, dn), header: lend(header, hn), ts: uint64(ts)}
		}
		return C.WALOGS_OK
	})
	if err != nil {
		return nil, err
	}
	return toRecords(fields), nil
}
