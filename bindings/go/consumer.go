package walogs

// #include <stdlib.h>
// #include "walogs.h"
import "C"

import (
	"runtime"
	"strconv"
	"sync"
	"time"
	"unsafe"
)

// ConsumerMode says how a consumer keeps its position: ConsumerStrict, or
// ConsumerAtLeastOnce(n).
type ConsumerMode struct {
	atLeastOnce  bool
	persistEvery uint32
}

// ConsumerStrict: the position is durable before a record is handed out, so a record
// returned by Next is never returned again to this consumer, even after a crash. Costs one
// durable log entry (a shared fdatasync) per Next / NextBatch call.
var ConsumerStrict = ConsumerMode{}

// ConsumerAtLeastOnce: the position is persisted every persistEvery delivered records and
// on Commit / Close, so after a crash the consumer resumes at most persistEvery records
// back and never skips one. persistEvery must be at least 1 (else Streams.Consumer fails
// with ErrInvalidArgument).
func ConsumerAtLeastOnce(persistEvery int) ConsumerMode {
	n := uint32(0)
	if persistEvery > 0 && persistEvery <= int(^uint32(0)) {
		n = uint32(persistEvery)
	}
	return ConsumerMode{atLeastOnce: true, persistEvery: n}
}

// IsStrict reports whether the mode is ConsumerStrict.
func (m ConsumerMode) IsStrict() bool { return !m.atLeastOnce }

// PersistEvery is the persist interval of an at-least-once mode (0 for strict).
func (m ConsumerMode) PersistEvery() int { return int(m.persistEvery) }

// String is "strict" or "at_least_once(persist_every=N)".
func (m ConsumerMode) String() string {
	if !m.atLeastOnce {
		return "strict"
	}
	return "at_least_once(persist_every=" + strconv.Itoa(int(m.persistEvery)) + ")"
}

func (m ConsumerMode) c() (C.walogs_consumer_mode, C.uint32_t) {
	if !m.atLeastOnce {
		return C.WALOGS_CONSUMER_STRICT, 0
	}
	return C.WALOGS_CONSUMER_AT_LEAST_ONCE, C.uint32_t(m.persistEvery)
}

// ConsumerInfo is one registered consumer as Streams.Consumers lists it.
type ConsumerInfo struct {
	// Topic is the consumer's topic.
	Topic string
	// Name is the consumer's name.
	Name string
	// Mode is its registered mode.
	Mode ConsumerMode
	// Position is its persisted position: the LSN it reads next.
	Position uint64
}

// Consumer reads one topic in LSN order and keeps its position in the store under its
// name. Its calls are serialized (a call made while another goroutine's Next waits for a
// record waits for it): use a consumer from one goroutine at a time. After the store's
// Close its calls return ErrClosed, and a Next waiting for a record returns ErrClosed at
// once; to stop a Next waiting without limit otherwise, give it a finite timeout.
type Consumer struct {
	// mu guards ptr and serializes the calls (the C library serializes them too).
	mu    sync.Mutex
	ptr   *C.walogs_consumer
	topic string
	name  string
	mode  ConsumerMode
}

// Consumer opens consumer name of topic: the first open registers it at the topic's oldest
// record with mode, later opens resume at its persisted position. ErrUnknownTopic for a
// topic never appended to, ErrConsumerModeMismatch when it is registered with the other
// mode, ErrConsumerInUse while it is open (not yet closed), ErrInvalidArgument for a bad
// name or a persist interval below 1, ErrReadOnly on a read-only store. Registering costs
// one durable log entry.
func (s *Streams) Consumer(topic, name string, mode ConsumerMode) (*Consumer, error) {
	ctopic, err := cName("Consumer", "topic", topic)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(ctopic))
	cname, err := cName("Consumer", "consumer", name)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cname))
	kind, every := mode.c()
	var h *C.walogs_consumer
	err = s.call("Consumer", func(sh *C.walogs_streams) C.walogs_status {
		return C.walogs_streams_consumer(sh, ctopic, cname, kind, every, &h)
	})
	if err != nil {
		return nil, err
	}
	c := &Consumer{ptr: h, topic: topic, name: name, mode: mode}
	// A leak net only: a consumer dropped without Close is released (without a commit).
	runtime.SetFinalizer(c, (*Consumer).finalize)
	return c, nil
}

func (c *Consumer) finalize() {
	if c.ptr != nil {
		C.walogs_consumer_free(c.ptr)
		c.ptr = nil
	}
}

// Consumers lists every registered consumer of the store, by topic then name, with its
// persisted position.
func (s *Streams) Consumers() ([]ConsumerInfo, error) {
	var l *C.walogs_consumers
	if err := s.call("Consumers", func(h *C.walogs_streams) C.walogs_status { return C.walogs_streams_consumers(h, &l) }); err != nil {
		return nil, err
	}
	defer C.walogs_consumers_free(l)
	var out []ConsumerInfo
	err := cCall(func() C.walogs_status {
		var n C.size_t
		if st := C.walogs_consumers_len(l, &n); st != C.WALOGS_OK {
			return st
		}
		out = make([]ConsumerInfo, int(n))
		for i := range out {
			var topic, name *C.char
			var mode C.walogs_consumer_mode
			var every C.uint32_t
			var pos C.uint64_t
			if st := C.walogs_consumers_get(l, C.size_t(i), &topic, &name, &mode, &every, &pos); st != C.WALOGS_OK {
				return st
			}
			m := ConsumerStrict
			if mode == C.WALOGS_CONSUMER_AT_LEAST_ONCE {
				m = ConsumerMode{atLeastOnce: true, persistEvery: uint32(every)}
			}
			out[i] = ConsumerInfo{Topic: C.GoString(topic), Name: C.GoString(name), Mode: m, Position: uint64(pos)}
		}
		return C.WALOGS_OK
	})
	return out, err
}

// Topic is the consumer's topic.
func (c *Consumer) Topic() string { return c.topic }

// Name is the consumer's name.
func (c *Consumer) Name() string { return c.name }

// Mode is the consumer's mode.
func (c *Consumer) Mode() ConsumerMode { return c.mode }

// call runs f on the consumer's handle, holding mu; ErrClosed naming op after Close.
func (c *Consumer) call(op string, f func(h *C.walogs_consumer) C.walogs_status) error {
	if c == nil {
		return consumerClosedError(op)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr == nil {
		return consumerClosedError(op)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if st := f(c.ptr); !succeeded(st) {
		return lastError(st)
	}
	return nil
}

func consumerClosedError(op string) error {
	return &Error{Code: CodeClosed, Message: op + ": the consumer is closed"}
}

// cTimeout is a Go timeout for C: below 0 waits without limit (-1), else whole
// milliseconds rounded up.
func cTimeout(d time.Duration) C.int64_t {
	if d < 0 {
		return -1
	}
	return C.int64_t(millis(d))
}

// Next returns the next record, waiting up to timeout for one to be appended: nil (and a
// nil error) when none came. A negative timeout waits as long as it takes, 0 only looks.
// A strict consumer's position is durable before the record is returned. Records
// retention deleted before this consumer read them are skipped (Skipped counts them).
// ErrClosed after Close or the store's Close (also during the wait). While it waits, the
// goroutine blocks an OS thread.
func (c *Consumer) Next(timeout time.Duration) (*Record, error) {
	var r *C.walogs_record
	if err := c.call("Next", func(h *C.walogs_consumer) C.walogs_status {
		return C.walogs_consumer_next(h, cTimeout(timeout), &r)
	}); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, nil
	}
	defer C.walogs_record_free(r)
	return copyRecord(r)
}

// NextBatch returns the next records: at least one if any is available (waiting up to
// timeout as Next does), then as many more as fit maxBytes of data and headers; an empty,
// non-nil slice on timeout. maxBytes must be at least 1, else ErrInvalidArgument. A strict
// consumer persists its position once per call.
func (c *Consumer) NextBatch(maxBytes int, timeout time.Duration) ([]Record, error) {
	if maxBytes < 0 {
		return nil, &Error{Code: CodeInvalidArgument, Message: "NextBatch: a negative maxBytes"}
	}
	var rs *C.walogs_records
	if err := c.call("NextBatch", func(h *C.walogs_consumer) C.walogs_status {
		return C.walogs_consumer_next_batch(h, C.size_t(maxBytes), cTimeout(timeout), &rs)
	}); err != nil {
		return nil, err
	}
	defer C.walogs_records_free(rs)
	return copyRecords(rs)
}

// Commit persists the position durably now (a no-op for a strict consumer, always
// persisted).
func (c *Consumer) Commit() error {
	return c.call("Commit", func(h *C.walogs_consumer) C.walogs_status { return C.walogs_consumer_commit(h) })
}

func (c *Consumer) getter(op string, f func(h *C.walogs_consumer, out *C.uint64_t) C.walogs_status) (uint64, error) {
	var v C.uint64_t
	err := c.call(op, func(h *C.walogs_consumer) C.walogs_status { return f(h, &v) })
	return uint64(v), err
}

// Position is the LSN the next delivered record will have.
func (c *Consumer) Position() (uint64, error) {
	return c.getter("Position", func(h *C.walogs_consumer, out *C.uint64_t) C.walogs_status {
		return C.walogs_consumer_position(h, out)
	})
}

// Committed is the position persisted in the store (where a reopen after a crash resumes).
func (c *Consumer) Committed() (uint64, error) {
	return c.getter("Committed", func(h *C.walogs_consumer, out *C.uint64_t) C.walogs_status {
		return C.walogs_consumer_committed(h, out)
	})
}

// Skipped counts the records this consumer skipped because retention deleted them before
// it read them, since it was opened.
func (c *Consumer) Skipped() (uint64, error) {
	return c.getter("Skipped", func(h *C.walogs_consumer, out *C.uint64_t) C.walogs_status {
		return C.walogs_consumer_skipped(h, out)
	})
}

// Close commits the position (at-least-once), releases the consumer so that it can be
// opened again, and frees it. The consumer is released and freed even when the commit
// fails (ErrClosed after the store's Close, ErrIO, ...). Calling Close again, or on a nil
// *Consumer, returns nil. Waits for a call in flight (a Next waiting for a record).
func (c *Consumer) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr == nil {
		return nil
	}
	h := c.ptr
	c.ptr = nil
	runtime.SetFinalizer(c, nil)
	err := cCall(func() C.walogs_status { return C.walogs_consumer_close(h) })
	C.walogs_consumer_free(h)
	return err
}
