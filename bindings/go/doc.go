// Package walogs is the Go interface of walogs, a crash-safe write-ahead log: a durable,
// append-only sequence of byte entries with dense log sequence numbers (LSNs) 1, 2, 3, ...
// that comes back intact after a crash.
//
// It wraps the C library libwalogs (include/walogs.h) through cgo. Build the library
// first (`make lib` at the repository root); see README.md for linking against an
// installed copy instead (-tags walogs_pkgconfig).
//
// Under the default durability (DurabilityEveryAppend) an Append that returned a nil error
// is on disk (fdatasync'd) and survives a process crash or power loss byte for byte. A WAL
// is safe for concurrent use: appends from many goroutines share writes and fdatasyncs
// (group commit). One writer per directory: a second Open of a directory another handle
// holds, in this process or another, fails with ErrLocked. A WAL belongs to the process
// that opened it: in a child made by a raw fork system call (a Go program cannot fork
// otherwise without exec) every call on the inherited WAL, Close included, fails with
// ErrForked and writes nothing; the child opens the directory anew once the parent is done.
//
// Log control: TruncateAfter drops the newest entries (at any LSN), PurgeUpTo the oldest
// (for good, also past the end of the log); SetUserData keeps a small durable blob next to
// the log; ReadRange reads a bounded batch; WaitDurable and OnDurable tell when an entry is
// durable (OnDurable callbacks run on a thread of the library; see OnDurable).
//
// Streams: OpenStreams opens a directory as a streams store: named topics with dense
// per-topic LSNs, records with a header and a millisecond timestamp (Append, AppendBatch,
// Read, ReadRange, SeekTime), persistent consumers (Streams.Consumer: ConsumerStrict or
// ConsumerAtLeastOnce; Consumer.Next waits for records with a timeout) and retention
// (WithRetention, WithMaxTopicBytes, WithDeleteConsumed; Cleanup or WithCleanupInterval).
// OpenStreams takes the same Option values as Open where they apply.
//
// Errors are *Error values carrying the C status (Code), the library's message, the OS
// errno and, for ErrCorrupt, the damage as data (Error.Damage); compare them with errors.Is
// against ErrLocked, ErrClosed, ErrCorrupt, ErrPoisoned, ErrTooLarge, ErrUnknownTopic and
// the other sentinels.
package walogs
