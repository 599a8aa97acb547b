// Package raftstore keeps a hashicorp/raft node's log and stable store in one walogs
// directory: a *Store is a raft.LogStore, a raft.StableStore and a raft.MonotonicLogStore,
// and needs nothing else on disk (no BoltDB, no side files).
//
//	store, err := raftstore.Open("/var/lib/node/raft")
//	...
//	r, err := raft.NewRaft(conf, fsm, store, store, snapshots, transport)
//
// Layout: raft index i is walogs LSN i + shift, one walogs entry per raft.Log, encoded
// with a 32-byte header (magic "RL", codec version, type, index, term, appended-at,
// extensions length; see codec.go), then the extensions and the data. The shift is 0
// unless an emptied log was restarted below the index it would have continued at (walogs
// never reuses an LSN). The stable store (raft's current term and vote) and the shift are
// the walogs user data: a small sorted key/value encoding with the magic "RS" (see
// stable.go), at most walogs.MaxUserData (64 KiB).
//
// Guarantees. StoreLogs, DeleteRange and Set are durable when they return nil (the walogs
// WAL is opened with DurabilityEveryAppend whatever the options say); after a crash or a
// power loss the log comes back with every stored entry byte for byte and dense indexes,
// and a Set is never durable ahead of the entries stored before it. A StoreLogs of up to
// walogs.MaxBatchSize (64 MiB) encoded is one atomic walogs batch: after a crash all of it
// is in the log or none. DeleteRange removes a prefix (walogs PurgeUpTo: for good), a
// suffix (walogs TruncateAfter) or the whole log (TruncateAfter below the oldest entry);
// a hole inside the log is refused (ErrNotPrefixOrSuffix). An empty log accepts its first
// StoreLogs at any index from 1 up, as raft's other stores do: past its restart point the
// store purges up to the LSN before (the log after a snapshot restore: walogs PurgeUpTo
// past the end), below it the store records a new shift first. StoreLogs that does not
// continue a non-empty log is refused (ErrNotContiguous). Get of a key never set returns
// ErrKeyNotFound, whose text is the "not found" raft expects. Open refuses a directory
// written by another application (ErrForeignEntry, ErrForeignUserData).
//
// Costs. A StoreLogs is one write and one fdatasync, for one entry or a batch; raft
// batches the entries it stores (MaxAppendEntries), so a loaded leader pays one fdatasync
// per batch. GetLog is one walogs Read (a file open and a read). FirstIndex and LastIndex
// are two lock-free reads of the walogs positions. A Set re-encodes the whole stable store
// and replaces the user data (one write and one fdatasync). See README.md for measured
// figures against raft-boltdb and raft-wal.
//
// The module is separate from the walogs binding (example.invalid/walogs), so that users
// of the binding alone do not pull hashicorp/raft. It links libwalogs like the binding does
// (build it first with `make lib` at the repository root, or use -tags walogs_pkgconfig).
package raftstore
