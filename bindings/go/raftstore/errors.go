package raftstore

import "errors"

// ErrKeyNotFound is what Get and GetUint64 return for a key that was never set. Its text
// is "not found", the text hashicorp/raft compares errors from a StableStore with at
// startup and when voting (the same as raft-boltdb's ErrKeyNotFound): a store returning
// another error there stops raft from starting.
var ErrKeyNotFound = errors.New("not found")

// Errors wrapped (fmt.Errorf with %w) by the store's failures; the wrapping message names
// the indexes, keys or entries involved. Failures of the log itself are *walogs.Error
// values, wrapped the same way (errors.Is(err, walogs.ErrPoisoned) works).
var (
	// ErrNotContiguous: StoreLogs was given indexes that do not continue the log: a call
	// whose first index is not LastIndex+1 on a non-empty log (an overlap that needs a
	// DeleteRange first, or a gap), or a call whose indexes are not consecutive. Nothing
	// was written.
	ErrNotContiguous = errors.New("raftstore: log indexes not contiguous")
	// ErrNotPrefixOrSuffix: DeleteRange of a range strictly inside the log (a hole), which
	// a log of dense LSNs cannot hold. Nothing was deleted.
	ErrNotPrefixOrSuffix = errors.New("raftstore: only a prefix or a suffix of the log can be deleted")
	// ErrInvalidLog: a raft.Log this store cannot encode (a nil *raft.Log, index 0, an
	// AppendedAt outside the years 1678..2262, 2 GiB of extensions). Nothing was written.
	ErrInvalidLog = errors.New("raftstore: log cannot be encoded")
	// ErrForeignEntry: an entry of the walogs directory is not a raft log entry of this
	// package (no "RL" magic, an unknown codec version, a truncated header, or another raft
	// index than its LSN must hold): the directory was written by another application.
	// Open refuses such a directory; GetLog returns it for a damaged entry.
	ErrForeignEntry = errors.New("raftstore: not a raft log entry of this store")
	// ErrForeignUserData: the directory's walogs user data is not this package's stable
	// store (written by another application). Open refuses such a directory.
	ErrForeignUserData = errors.New("raftstore: user data is not a raft stable store")
	// ErrStableTooLarge: a Set that would make the stable store's encoding larger than
	// walogs.MaxUserData (64 KiB). Nothing was changed.
	ErrStableTooLarge = errors.New("raftstore: stable store over 64 KiB")
)
