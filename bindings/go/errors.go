package walogs

// #include "walogs.h"
import "C"

import (
	"strconv"
	"syscall"
)

// Code is a walogs status number (walogs_status in walogs.h). The numbers are stable and
// grouped: 100-199 a bad argument (nothing was changed), 200-299 the state of the WAL
// refuses the call, 300-399 the operating system failed, 900-999 a bug in walogs.
type Code int32

// The status codes a call can fail with.
const (
	CodeNullArgument    Code = C.WALOGS_NULL_ARGUMENT
	CodeInvalidArgument Code = C.WALOGS_INVALID_ARGUMENT
	CodeEntryTooLarge   Code = C.WALOGS_ENTRY_TOO_LARGE
	CodeBufferTooSmall  Code = C.WALOGS_BUFFER_TOO_SMALL
	CodeLocked          Code = C.WALOGS_LOCKED
	CodePoisoned        Code = C.WALOGS_POISONED
	CodeReadOnly        Code = C.WALOGS_READ_ONLY
	CodeClosed          Code = C.WALOGS_CLOSED
	CodeCorrupt         Code = C.WALOGS_CORRUPT
	CodeLSNOutOfRange   Code = C.WALOGS_LSN_OUT_OF_RANGE
	CodeForked          Code = C.WALOGS_FORKED
	CodeUnsafeFile      Code = C.WALOGS_UNSAFE_FILE
	CodeTimeout         Code = C.WALOGS_TIMEOUT
	// The statuses of streams stores (OpenStreams).
	CodeUnknownTopic         Code = C.WALOGS_UNKNOWN_TOPIC
	CodeConsumerModeMismatch Code = C.WALOGS_CONSUMER_MODE_MISMATCH
	CodeConsumerInUse        Code = C.WALOGS_CONSUMER_IN_USE
	CodeNotAStore            Code = C.WALOGS_NOT_A_STORE
	CodeStoreFormat          Code = C.WALOGS_STORE_FORMAT
	CodeIO                   Code = C.WALOGS_IO
	CodePanic                Code = C.WALOGS_PANIC
)

// String is the library's English description of the code (walogs_status_str).
func (c Code) String() string {
	return C.GoString(C.walogs_status_str(C.int32_t(c)))
}

// Error is a failed walogs call.
//
// Compare with the sentinels using errors.Is (errors.Is(err, walogs.ErrLocked)): an *Error
// matches any *Error with the same Code. For I/O failures Errno holds the OS error number
// and Unwrap returns it, so errors.Is(err, syscall.ENOSPC) and errors.Is(err,
// fs.ErrNotExist) work too.
type Error struct {
	// Code is the walogs status of the failed call.
	Code Code
	// Message says what exactly was wrong: the C function, the reason, and for WAL errors
	// the file, offset or LSN involved (the C library's walogs_last_error, read on the OS
	// thread of the failed call before any other call there). Empty for the sentinels.
	Message string
	// Errno is the OS error number for CodeIO failures, 0 otherwise.
	Errno syscall.Errno
	// Damage is what is damaged and where, for CodeCorrupt failures (read with
	// walogs_last_damage on the thread of the failed call); nil for every other code. Use
	// its fields rather than parsing Message.
	Damage *Damage
}

// Error returns "walogs: " followed by the message (or the code's description).
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Code.String()
	}
	s := "walogs: " + msg
	if e.Errno != 0 {
		s += " (errno " + strconv.Itoa(int(e.Errno)) + ")"
	}
	return s
}

// Is reports whether target is an *Error with the same Code (this is what makes
// errors.Is(err, ErrCorrupt) work).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t != nil && t.Code == e.Code
}

// Unwrap returns the OS error (a syscall.Errno) of an I/O failure, nil otherwise.
func (e *Error) Unwrap() error {
	if e.Errno != 0 {
		return e.Errno
	}
	return nil
}

// Sentinels for errors.Is. Each matches every *Error with its Code.
var (
	// ErrInvalidArgument: an argument the call cannot accept (an empty path or batch, a
	// path containing NUL, a zero sync interval, a file mode without owner read and write,
	// a ReadRange of no entries, a nil callback or context, ...). Nothing was changed.
	ErrInvalidArgument = &Error{Code: CodeInvalidArgument}
	// ErrTooLarge: an entry over MaxEntrySize, an atomic batch over MaxBatchSize, or user
	// data over MaxUserData. Nothing was written.
	ErrTooLarge = &Error{Code: CodeEntryTooLarge}
	// ErrBufferTooSmall: ReadInto's buffer cannot hold the entry.
	ErrBufferTooSmall = &Error{Code: CodeBufferTooSmall}
	// ErrLocked: another handle, in this process or another, holds the directory.
	ErrLocked = &Error{Code: CodeLocked}
	// ErrPoisoned: an earlier write or fdatasync failed; every mutating call fails until
	// the WAL is closed and reopened.
	ErrPoisoned = &Error{Code: CodePoisoned}
	// ErrReadOnly: a mutating call on a WAL opened WithReadOnly.
	ErrReadOnly = &Error{Code: CodeReadOnly}
	// ErrClosed: the WAL was closed (also: the next Next of an iterator made from it).
	ErrClosed = &Error{Code: CodeClosed}
	// ErrCorrupt: damage walogs will not repair silently; Error.Damage says what and
	// where (the message names the file and byte offset too); see WithSalvage.
	ErrCorrupt = &Error{Code: CodeCorrupt}
	// ErrLSNOutOfRange: an LSN outside the entries the WAL holds (purged, checkpointed or
	// truncated away, or not handed out yet).
	ErrLSNOutOfRange = &Error{Code: CodeLSNOutOfRange}
	// ErrForked: the WAL was opened by another process and this one inherited it across
	// fork(); nothing was done. Open the WAL anew in this process.
	ErrForked = &Error{Code: CodeForked}
	// ErrUnsafeFile: a file in the WAL directory is a symbolic link, FIFO, socket, device
	// or directory under a walogs file name, or a file walogs would write has other hard
	// links. Nothing was read from, written to or removed through it.
	ErrUnsafeFile = &Error{Code: CodeUnsafeFile}
	// ErrTimeout: the C library's wait for durability gave up. (WaitDurable takes a
	// context and returns the context's error instead.)
	ErrTimeout = &Error{Code: CodeTimeout}
	// ErrUnknownTopic: a read, seek or consumer of a streams store names a topic that has
	// never been appended to. Nothing was changed.
	ErrUnknownTopic = &Error{Code: CodeUnknownTopic}
	// ErrConsumerModeMismatch: a consumer was opened with another mode than the one it is
	// registered with. Nothing was changed.
	ErrConsumerModeMismatch = &Error{Code: CodeConsumerModeMismatch}
	// ErrConsumerInUse: the consumer is open already in this process (not yet closed).
	ErrConsumerInUse = &Error{Code: CodeConsumerInUse}
	// ErrNotAStore: OpenStreams found a plain walogs log, not a streams store. Nothing
	// was changed.
	ErrNotAStore = &Error{Code: CodeNotAStore}
	// ErrStoreFormat: an entry of a store's log passed its checksum but does not decode
	// as a streams entry (the message gives its log LSN).
	ErrStoreFormat = &Error{Code: CodeStoreFormat}
	// ErrIO: the operating system failed; Error.Errno says how.
	ErrIO = &Error{Code: CodeIO}
	// ErrPanic: a bug in walogs (a caught panic); close and reopen the WAL.
	ErrPanic = &Error{Code: CodePanic}
	// ErrNullArgument: a NULL pointer reached the C library (a bug in this package).
	ErrNullArgument = &Error{Code: CodeNullArgument}
)
