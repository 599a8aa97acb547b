package raftstore

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	walogs "example.invalid/walogs"
	"github.com/hashicorp/raft"
)

// Store is a raft.LogStore, raft.StableStore and raft.MonotonicLogStore kept in one walogs
// directory: the log entries are the walogs entries (raft index i is LSN i + shift), the
// stable store and the shift are the walogs user data. Safe for concurrent use: raft reads
// entries from its replication goroutines while its main goroutine stores and deletes them.
type Store struct {
	wal *walogs.WAL
	// logMu orders the log calls that read more than one position of the log or change it:
	// StoreLogs and DeleteRange hold it exclusively, FirstIndex and LastIndex shared, so
	// they never see the positions in the middle of a change. GetLog does not take it.
	logMu sync.RWMutex
	// shift is the LSN of an entry minus its raft index, the same for every entry: 0 unless
	// an emptied log was restarted below the index it would have continued at (walogs never
	// reuses an LSN, so the entries then go on at the next LSN and the shift absorbs the
	// difference). Durable in the user data; changed only while the log is empty, holding
	// logMu and stableMu; GetLog reads it without a lock and reads again when it changed.
	shift atomic.Uint64
	// stableMu guards stable, the decoded stable store (the walogs user data), and orders
	// the Sets.
	stableMu sync.Mutex
	stable   map[string][]byte
}

var (
	_ raft.LogStore          = (*Store)(nil)
	_ raft.StableStore       = (*Store)(nil)
	_ raft.MonotonicLogStore = (*Store)(nil)
)

// Open opens (creating it if needed) the store in directory dir, a walogs directory that
// holds nothing else. opts are passed to walogs.Open, followed by
// walogs.WithDurability(walogs.DurabilityEveryAppend): no option can weaken the store's
// durability (WithMaxSegmentSize, WithFileMode, WithReadOnly and the others apply as
// documented there).
//
// Open refuses, with an error wrapping ErrForeignEntry or ErrForeignUserData, a directory
// written by another application: it decodes the oldest and the newest entry and the user
// data. Cost: the walogs open (which verifies every frame), two entry reads, the decoding
// of the stable store.
func Open(dir string, opts ...walogs.Option) (*Store, error) {
	all := append(append([]walogs.Option{}, opts...), walogs.WithDurability(walogs.DurabilityEveryAppend))
	w, err := walogs.Open(dir, all...)
	if err != nil {
		return nil, fmt.Errorf("raftstore: open %s: %w", dir, err)
	}
	s := &Store{wal: w}
	if err := s.load(); err != nil {
		w.Close()
		return nil, fmt.Errorf("raftstore: open %s: %w", dir, err)
	}
	return s, nil
}

// load decodes the stable store and checks that the oldest and newest entries are entries
// of this package.
func (s *Store) load() error {
	ud, err := s.wal.UserData()
	if err != nil {
		return err
	}
	shift, stable, err := decodeStable(ud)
	if err != nil {
		return err
	}
	s.stable = stable
	s.shift.Store(shift)
	first, last, err := s.bounds()
	if err != nil || first == 0 {
		return err
	}
	var l raft.Log
	for _, i := range []uint64{first, last} {
		if err := s.getLog(i, &l); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the walogs directory (see walogs.WAL.Close). Every call after Close fails
// with an error matching walogs.ErrClosed. Calling Close again returns nil.
func (s *Store) Close() error {
	return s.wal.Close()
}

// WAL is the walogs log underneath, for inspection (RecoveryReport, DurableLSN,
// SegmentCount, ...). Changing the log or its user data through it breaks the store.
func (s *Store) WAL() *walogs.WAL {
	return s.wal
}

// IsMonotonic returns true: the store cannot hold gaps between indexes, so raft removes
// the whole log after restoring a snapshot instead of leaving a gap (raft.MonotonicLogStore).
func (s *Store) IsMonotonic() bool {
	return true
}

// bounds is the oldest and the newest index in the log, both 0 when the log is empty.
// The caller holds logMu (either way) when the two must be consistent.
func (s *Store) bounds() (first, last uint64, err error) {
	if first, err = s.wal.FirstLSN(); err != nil {
		return 0, 0, err
	}
	next, err := s.wal.NextLSN()
	if err != nil {
		return 0, 0, err
	}
	if first >= next {
		return 0, 0, nil
	}
	shift := s.shift.Load()
	return first - shift, next - 1 - shift, nil
}

// FirstIndex returns the oldest index in the log, 0 when the log is empty. Implements
// raft.LogStore. Cost: two lock-free reads of the walogs positions.
func (s *Store) FirstIndex() (uint64, error) {
	s.logMu.RLock()
	defer s.logMu.RUnlock()
	first, _, err := s.bounds()
	if err != nil {
		return 0, fmt.Errorf("raftstore: FirstIndex: %w", err)
	}
	return first, nil
}

// LastIndex returns the newest index in the log, 0 when the log is empty. Implements
// raft.LogStore. Cost: as FirstIndex.
func (s *Store) LastIndex() (uint64, error) {
	s.logMu.RLock()
	defer s.logMu.RUnlock()
	_, last, err := s.bounds()
	if err != nil {
		return 0, fmt.Errorf("raftstore: LastIndex: %w", err)
	}
	return last, nil
}

// GetLog reads the entry at index into l. An index below FirstIndex (deleted) or past
// LastIndex is raft.ErrLogNotFound. l.Data and l.Extensions are new slices the caller owns
// (nil when empty). An entry that does not decode as this package's codec for index is
// an error wrapping ErrForeignEntry. Implements raft.LogStore. Cost: one walogs ReadInto
// (a read of at most ~64 KiB plus the entry) into a pooled 4 KiB buffer and a copy of the
// entry out of it; an entry over 4 KiB encoded is read a second time, into its own buffer.
func (s *Store) GetLog(index uint64, l *raft.Log) error {
	if l == nil {
		return fmt.Errorf("raftstore: GetLog %d: the *raft.Log is nil", index)
	}
	err := s.getLog(index, l)
	if err != nil && !errors.Is(err, raft.ErrLogNotFound) {
		return fmt.Errorf("raftstore: GetLog %d: %w", index, err)
	}
	return err
}

func (s *Store) getLog(index uint64, l *raft.Log) error {
	return s.getLogWithShift(index, s.shift.Load(), l)
}

// getLogWithShift is getLog starting from shift, the store's shift as the caller last saw
// it: when the entry read is not index's and the shift has changed since, it reads again
// with the new one.
func (s *Store) getLogWithShift(index, shift uint64, l *raft.Log) error {
	for {
		lsn := index + shift
		if lsn < index {
			return raft.ErrLogNotFound // past any LSN
		}
		b, err := s.read(lsn)
		if errors.Is(err, walogs.ErrLSNOutOfRange) {
			return raft.ErrLogNotFound
		}
		if err != nil {
			return err
		}
		err = decodeLog(index, b, l)
		if now := s.shift.Load(); err != nil && now != shift {
			// The emptied log restarted with another shift while this read ran: the LSN
			// read holds another index now. Read where the index is.
			shift = now
			continue
		}
		return err
	}
}

// readBufSize is the size of the scratch buffers entries are read into: most raft entries
// fit, and a longer one is read again into a buffer of its exact size.
const readBufSize = 4096

// readBufs holds scratch buffers of readBufSize bytes.
var readBufs = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

// read returns a copy of the entry at lsn that the caller owns, of its exact size. One
// walogs ReadInto into a scratch buffer and a copy, or, for an entry longer than the
// buffer, a second ReadInto into a buffer of its size. (walogs.WAL.Read guesses a smaller
// buffer and reads a longer entry twice, the first time through the error path; for a
// 288-byte entry that costs two to three times this.)
func (s *Store) read(lsn uint64) ([]byte, error) {
	scratch := readBufs.Get().(*[]byte)
	n, err := s.wal.ReadInto(lsn, *scratch)
	if err == nil {
		b := append([]byte(nil), (*scratch)[:n]...)
		readBufs.Put(scratch)
		return b, nil
	}
	readBufs.Put(scratch)
	for errors.Is(err, walogs.ErrBufferTooSmall) {
		// Again while a concurrent suffix delete and store replaced the entry with a
		// longer one.
		b := make([]byte, n)
		if n, err = s.wal.ReadInto(lsn, b); err == nil {
			return b[:n:n], nil
		}
	}
	return nil, err
}

// StoreLog stores one entry; see StoreLogs.
func (s *Store) StoreLog(l *raft.Log) error {
	return s.StoreLogs([]*raft.Log{l})
}

// StoreLogs appends logs, durably: when it returns nil every entry is fdatasync'd and
// survives a crash or power loss. The indexes must be consecutive and continue the log:
// the first is LastIndex+1, or, on an empty log, any index from 1 up (as raft's other
// stores allow: raft continues an emptied log after a restored snapshot, and a test may
// start again from 1). Anything else (an overlap that needs a DeleteRange first, a gap,
// indexes that are not consecutive, index 0) fails with ErrNotContiguous (ErrInvalidLog for
// index 0), naming the indexes, and writes nothing. Implements raft.LogStore.
//
// An empty log continues by itself at its restart point: the index after its newest entry,
// or its old FirstIndex after a whole-log delete. Starting later, the store first purges
// up to the LSN before (walogs PurgeUpTo past the end); starting earlier, walogs cannot
// reuse the LSNs, so the store records a new shift (LSN minus raft index) in the user data
// first and the entries go on at the next LSN. Either step is durable before the entries
// are written, and a crash in between leaves an empty log that restarts at the index asked.
//
// Cost: one walogs append of one atomic batch (one write and one fdatasync, shared with
// nothing else, since raft stores from one goroutine), plus, when an empty log restarts
// elsewhere than its restart point, a purge (a metadata update) or a user data write (a
// write and an fdatasync). A call of more than walogs.MaxBatchSize
// bytes (64 MiB) of encoded entries is written with walogs AppendMany instead: in as few
// atomic units as possible, so a crash during the call may keep a prefix of it (raft
// treats the call as failed and resends the entries; a prefix kept is a valid log). Each
// entry is encoded with a 32-byte header (codec.go) and must fit walogs.MaxEntrySize
// (16 MiB) encoded, else the walogs error matching walogs.ErrTooLarge.
func (s *Store) StoreLogs(logs []*raft.Log) error {
	if len(logs) == 0 {
		return nil
	}
	for i, l := range logs {
		if l == nil {
			return fmt.Errorf("%w: StoreLogs: entry %d of the call is nil", ErrInvalidLog, i)
		}
	}
	if logs[0].Index == 0 {
		return fmt.Errorf("%w: StoreLogs: index 0 (raft's first index is 1)", ErrInvalidLog)
	}
	for i := 1; i < len(logs); i++ {
		if logs[i].Index != logs[i-1].Index+1 {
			return fmt.Errorf("%w: StoreLogs: index %d follows index %d in the same call",
				ErrNotContiguous, logs[i].Index, logs[i-1].Index)
		}
	}
	size := 0
	for _, l := range logs {
		size += encodedLogSize(l)
	}
	buf := make([]byte, 0, size)
	entries := make([][]byte, len(logs))
	batch := 4
	for i, l := range logs {
		start := len(buf)
		var err error
		if buf, err = appendLog(buf, l); err != nil {
			return fmt.Errorf("raftstore: StoreLogs: %w", err)
		}
		entries[i] = buf[start:len(buf):len(buf)]
		batch += 4 + len(entries[i])
	}

	s.logMu.Lock()
	defer s.logMu.Unlock()
	want := logs[0].Index
	first, last, err := s.bounds()
	if err != nil {
		return fmt.Errorf("raftstore: StoreLogs: %w", err)
	}
	switch {
	case first != 0 && want != last+1:
		what := "overlaps the log (DeleteRange the suffix first)"
		if want > last+1 {
			what = "leaves a gap"
		}
		return fmt.Errorf("%w: StoreLogs at index %d after last index %d %s", ErrNotContiguous, want, last, what)
	case first == 0:
		if err := s.restartAt(want); err != nil {
			return fmt.Errorf("raftstore: StoreLogs at index %d: restarting the empty log: %w", want, err)
		}
	}
	var got uint64
	if batch <= walogs.MaxBatchSize {
		got, _, err = s.wal.AppendBatch(entries)
	} else {
		got, _, err = s.wal.AppendMany(entries)
	}
	if err != nil {
		return fmt.Errorf("raftstore: StoreLogs of indexes %d..%d: %w", want, logs[len(logs)-1].Index, err)
	}
	if got != want+s.shift.Load() {
		// Only another writer of the directory could do this; Open holds its lock.
		return fmt.Errorf("raftstore: StoreLogs: index %d was written at LSN %d", want, got)
	}
	return nil
}

// restartAt makes the empty log's next entry get raft index want: nothing when that is its
// restart point; else the smallest shift that needs no LSN below the next one (0 when want
// is at or past it), recorded durably if it changes, and a purge up to the LSN before want
// when want lies past the next LSN. The caller holds logMu exclusively.
func (s *Store) restartAt(want uint64) error {
	next, err := s.wal.NextLSN()
	if err != nil {
		return err
	}
	shift := s.shift.Load()
	if next-shift == want {
		return nil
	}
	var newShift uint64
	if want < next {
		newShift = next - want
	}
	if newShift != shift {
		if err := s.setShift(newShift); err != nil {
			return err
		}
	}
	if lsn := want + newShift; lsn > next {
		if _, err := s.wal.PurgeUpTo(lsn - 1); err != nil {
			return err
		}
	}
	return nil
}

// DeleteRange deletes the entries min..max (inclusive), durably. Implements
// raft.LogStore. The indexes of the range that the log does not hold are ignored (an
// empty range or one outside the log deletes nothing); of the rest:
//
//   - a prefix (min <= FirstIndex, max < LastIndex): walogs PurgeUpTo (of max's LSN), for good: the
//     oldest index becomes max+1 (raft's compaction after a snapshot). Cost: a metadata
//     update (write, fdatasync, rename, directory fsync), an unlink and a directory fsync
//     per segment file wholly purged.
//   - a suffix (min > FirstIndex, max >= LastIndex): walogs TruncateAfter (of min-1's LSN): the next
//     entry stored gets index min (raft's removal of a conflicting suffix). Cost: a
//     truncate and an fdatasync, a metadata update when the cut is inside a batch, an unlink
//     per segment file removed.
//   - the whole log (min <= FirstIndex, max >= LastIndex): walogs TruncateAfter (of
//     FirstIndex-1's LSN): the log is empty, restarts at the old FirstIndex, and the next
//     StoreLogs may start at any index (see StoreLogs). Both happen in raft: after
//     restoring a snapshot raft empties a monotonic store and continues after the
//     snapshot, past the old LastIndex; a conflicting suffix can be all a compacted log
//     holds, and the new leader's entries replace it from the same index. Cost: as a
//     suffix.
//   - anything else, a hole strictly inside the log, fails with ErrNotPrefixOrSuffix,
//     naming the range and the log's bounds, and deletes nothing.
func (s *Store) DeleteRange(min, max uint64) error {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	first, last, err := s.bounds()
	if err != nil {
		return fmt.Errorf("raftstore: DeleteRange %d..%d: %w", min, max, err)
	}
	if min > max || first == 0 || max < first || min > last {
		return nil
	}
	shift := s.shift.Load()
	switch {
	case min <= first && max >= last:
		// The whole log: cut it all, so that it continues at first (a conflicting suffix
		// that was all the log held) or, restarting, anywhere else.
		_, err = s.wal.TruncateAfter(first - 1 + shift)
	case min <= first:
		_, err = s.wal.PurgeUpTo(max + shift)
	case max >= last:
		_, err = s.wal.TruncateAfter(min - 1 + shift)
	default:
		return fmt.Errorf("%w: DeleteRange %d..%d of the log %d..%d would leave a hole",
			ErrNotPrefixOrSuffix, min, max, first, last)
	}
	if err != nil {
		return fmt.Errorf("raftstore: DeleteRange %d..%d of the log %d..%d: %w", min, max, first, last, err)
	}
	return nil
}
