package raftstore

import (
	"bytes"
	"errors"
	"testing"

	"github.com/hashicorp/raft"
)

func TestEmptyStore(t *testing.T) {
	s, dir := newStore(t)
	checkLog(t, s, 0, 0)
	var l raft.Log
	if err := s.GetLog(0, &l); err != raft.ErrLogNotFound {
		t.Fatalf("GetLog(0): %v, want raft.ErrLogNotFound", err)
	}
	if !s.IsMonotonic() {
		t.Fatal("IsMonotonic is false")
	}
	s = reopen(t, s, dir)
	checkLog(t, s, 0, 0)
}

func TestStoreLogs(t *testing.T) {
	cases := []struct {
		name        string
		existing    int // testLogs(1, existing) stored first
		store       [][]*raft.Log
		first, last uint64
	}{
		{name: "empty log, from 1", store: [][]*raft.Log{testLogs(1, 5)}, first: 1, last: 5},
		{name: "empty log, from a later index", store: [][]*raft.Log{testLogs(10000, 5)}, first: 10000, last: 10004},
		{name: "empty log, one entry from a later index", store: [][]*raft.Log{testLogs(2, 1)}, first: 2, last: 2},
		{name: "existing log", existing: 10, store: [][]*raft.Log{testLogs(11, 5)}, first: 1, last: 15},
		{name: "existing multi-segment log", existing: 210, store: [][]*raft.Log{testLogs(211, 5)}, first: 1, last: 215},
		{name: "several calls", existing: 99, store: [][]*raft.Log{testLogs(100, 5), testLogs(105, 5)}, first: 1, last: 109},
		{name: "empty log, from a later index, then more", store: [][]*raft.Log{testLogs(100, 101), testLogs(201, 5)}, first: 100, last: 205},
		{name: "one entry per call", store: [][]*raft.Log{testLogs(1, 1), testLogs(2, 1), testLogs(3, 1)}, first: 1, last: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, dir := newStore(t)
			if tc.existing > 0 {
				mustStore(t, s, testLogs(1, tc.existing))
			}
			for _, logs := range tc.store {
				mustStore(t, s, logs)
			}
			checkLog(t, s, tc.first, tc.last)
			s = reopen(t, s, dir)
			checkLog(t, s, tc.first, tc.last)
			// And the reopened log goes on.
			mustStore(t, s, testLogs(tc.last+1, 2))
			checkLog(t, s, tc.first, tc.last+2)
		})
	}
}

func TestStoreLog(t *testing.T) {
	s, dir := newStore(t)
	for i := uint64(1); i <= 3; i++ {
		if err := s.StoreLog(testLog(i)); err != nil {
			t.Fatalf("StoreLog(%d): %v", i, err)
		}
	}
	checkLog(t, s, 1, 3)
	s = reopen(t, s, dir)
	checkLog(t, s, 1, 3)
}

func TestStoreLogsEmptyCall(t *testing.T) {
	s, _ := newStore(t)
	if err := s.StoreLogs(nil); err != nil {
		t.Fatalf("StoreLogs(nil): %v", err)
	}
	checkLog(t, s, 0, 0)
}

// Every field of a raft.Log comes back as stored, empty and zero ones included.
func TestLogFields(t *testing.T) {
	s, dir := newStore(t)
	logs := []*raft.Log{
		{Index: 1, Term: 1, Type: raft.LogConfiguration, Data: []byte("conf")},
		{Index: 2, Term: 1<<64 - 1, Type: raft.LogNoop},
		{Index: 3, Term: 2, Type: raft.LogCommand, Data: make([]byte, 70_000), Extensions: []byte{0, 1, 2}},
		{Index: 4, Term: 2, Type: raft.LogBarrier, Extensions: []byte("only extensions")},
		{Index: 5, Term: 2, Type: raft.LogType(200), Data: []byte{0}},
	}
	for i := range logs[2].Data {
		logs[2].Data[i] = byte(i * 13)
	}
	mustStore(t, s, logs)
	check := func() {
		for _, want := range logs {
			var got raft.Log
			if err := s.GetLog(want.Index, &got); err != nil {
				t.Fatalf("GetLog(%d): %v", want.Index, err)
			}
			if d := sameLog(want, &got); d != "" {
				t.Fatalf("GetLog(%d): %s", want.Index, d)
			}
			if len(want.Data) == 0 && got.Data != nil || len(want.Extensions) == 0 && got.Extensions != nil {
				t.Fatalf("GetLog(%d): empty data or extensions are not nil", want.Index)
			}
			if !got.AppendedAt.IsZero() {
				t.Fatalf("GetLog(%d): appended at %v, want the zero time", want.Index, got.AppendedAt)
			}
		}
	}
	check()
	s = reopen(t, s, dir)
	check()
}

// GetLog fills every field of the raft.Log it is given, whatever it held before.
func TestGetLogOverwrites(t *testing.T) {
	s, _ := newStore(t)
	mustStore(t, s, []*raft.Log{{Index: 1, Term: 1}})
	l := *testLog(9)
	if err := s.GetLog(1, &l); err != nil {
		t.Fatal(err)
	}
	if d := sameLog(&raft.Log{Index: 1, Term: 1}, &l); d != "" {
		t.Fatal(d)
	}
}

// The raft-wal DeleteRange cases: a log of 1000..1109 over many segment files.
func TestDeleteRange(t *testing.T) {
	const first, last = 1000, 1109
	cases := []struct {
		name        string
		min, max    uint64
		err         error
		first, last uint64 // the log after the delete (0, 0: empty)
		next        uint64 // the index the log continues at
	}{
		{name: "empty range", min: 1000, max: 999, first: first, last: last, next: last + 1},
		{name: "before the head", min: 0, max: 100, first: first, last: last, next: last + 1},
		{name: "after the tail", min: 5000, max: 5100, first: first, last: last, next: last + 1},
		{name: "a hole", min: 1010, max: 1020, err: ErrNotPrefixOrSuffix, first: first, last: last, next: last + 1},
		{name: "a one-entry hole", min: 1001, max: 1001, err: ErrNotPrefixOrSuffix, first: first, last: last, next: last + 1},
		{name: "prefix from below the head", min: 0, max: 1010, first: 1011, last: last, next: last + 1},
		{name: "prefix from the head", min: 1000, max: 1101, first: 1102, last: last, next: last + 1},
		{name: "the first entry", min: 1000, max: 1000, first: 1001, last: last, next: last + 1},
		{name: "all but the last entry", min: 1000, max: 1108, first: 1109, last: last, next: last + 1},
		{name: "the whole log from the head", min: 1000, max: last, next: first},
		{name: "the whole log from below", min: 1, max: last, next: first},
		{name: "the whole log and past the end", min: 1, max: 5000, next: first},
		{name: "the whole log, then on after it", min: 1000, max: last, next: last + 1},
		{name: "the whole log, then on from a later index", min: 1000, max: last, next: 7777},
		// raft-wal's cases go on at LastIndex()+1, which is 1 once the log is empty.
		{name: "the whole log, then on from index 1", min: 1000, max: last, next: 1},
		{name: "the whole log from below, then on from index 1", min: 1, max: 5000, next: 1},
		{name: "the whole log, then on from an earlier index", min: 1000, max: last, next: 500},
		{name: "the last two entries", min: 1108, max: last, first: first, last: 1107, next: 1108},
		{name: "the last entry", min: last, max: last, first: first, last: 1108, next: last},
		{name: "a suffix over many segments", min: 1051, max: last, first: first, last: 1050, next: 1051},
		{name: "a suffix past the end", min: 1051, max: 1 << 62, first: first, last: 1050, next: 1051},
		{name: "all but the first entry", min: 1001, max: last, first: first, last: first, next: 1001},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, dir := newStore(t)
			// Ten entries per call: a call is one atomic batch, which is never split
			// across segment files.
			for i := uint64(first); i <= last; i += 10 {
				mustStore(t, s, testLogs(i, int(min(10, last-i+1))))
			}
			if n, _ := s.WAL().SegmentCount(); n < 10 {
				t.Fatalf("%d segment files, want many", n)
			}
			err := s.DeleteRange(tc.min, tc.max)
			if !errors.Is(err, tc.err) {
				t.Fatalf("DeleteRange(%d, %d): %v, want %v", tc.min, tc.max, err, tc.err)
			}
			checkLog(t, s, tc.first, tc.last)
			s = reopen(t, s, dir)
			checkLog(t, s, tc.first, tc.last)
			// The log continues where the delete left it.
			mustStore(t, s, testLogs(tc.next, 3))
			wantFirst := tc.first
			if wantFirst == 0 {
				wantFirst = tc.next
			}
			checkLog(t, s, wantFirst, tc.next+2)
			s = reopen(t, s, dir)
			checkLog(t, s, wantFirst, tc.next+2)
		})
	}
}

// After a whole-log delete the log may restart at any later index (a snapshot restore):
// the store purges up to the index before it.
func TestRestartAfterWholeDelete(t *testing.T) {
	s, dir := newStore(t)
	mustStore(t, s, testLogs(1, 20))
	if err := s.DeleteRange(1, 20); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, dir)
	checkLog(t, s, 0, 0)
	mustStore(t, s, testLogs(500, 4))
	checkLog(t, s, 500, 503)
	if floor, _ := s.WAL().PurgedUpTo(); floor != 499 {
		t.Fatalf("purged up to %d, want 499", floor)
	}
	s = reopen(t, s, dir)
	checkLog(t, s, 500, 503)
}

// An emptied log restarts below its old first index too (walogs never reuses an LSN: the
// store records the shift between LSNs and indexes), and every delete, store and reopen
// after that keeps the indexes; a later restart past the next LSN drops the shift again.
func TestRestartBelowTheFloor(t *testing.T) {
	s, dir := newStore(t)
	mustStore(t, s, testLogs(100, 5)) // LSNs 100..104
	if err := s.DeleteRange(100, 104); err != nil {
		t.Fatal(err)
	}
	mustStore(t, s, testLogs(50, 30)) // LSNs 100..129: the whole-log delete cut back to 100
	checkLog(t, s, 50, 79)
	if next, _ := s.WAL().NextLSN(); next != 130 {
		t.Fatalf("next LSN %d, want 130", next)
	}
	s = reopen(t, s, dir)
	checkLog(t, s, 50, 79)
	steps := []step{
		{"compact to 59", func(s *Store) error { return s.DeleteRange(0, 59) }, 60, 79},
		{"drop the suffix from 71", func(s *Store) error { return s.DeleteRange(71, 100) }, 60, 70},
		{"store 71..75", func(s *Store) error { return s.StoreLogs(testLogs(71, 5)) }, 60, 75},
		{"delete the whole log", func(s *Store) error { return s.DeleteRange(60, 75) }, 0, 0},
		{"store 60..61 at the restart point", func(s *Store) error { return s.StoreLogs(testLogs(60, 2)) }, 60, 61},
		{"delete the whole log again", func(s *Store) error { return s.DeleteRange(1, 61) }, 0, 0},
		{"store from 1", func(s *Store) error { return s.StoreLogs(testLogs(1, 3)) }, 1, 3},
		{"delete the whole log once more", func(s *Store) error { return s.DeleteRange(1, 3) }, 0, 0},
		{"store past the next LSN", func(s *Store) error { return s.StoreLogs(testLogs(500, 2)) }, 500, 501},
	}
	s = runSteps(t, s, dir, steps)
	// Past the next LSN the shift is 0 again: index 500 is LSN 500.
	if first, _ := s.WAL().FirstLSN(); first != 500 {
		t.Fatalf("first LSN %d, want 500", first)
	}
	// The stable store kept its keys through the shift's changes.
	if err := s.SetUint64([]byte("CurrentTerm"), 9); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRange(500, 501); err != nil {
		t.Fatal(err)
	}
	mustStore(t, s, testLogs(7, 1))
	s = reopen(t, s, dir)
	checkLog(t, s, 7, 7)
	if v, err := s.GetUint64([]byte("CurrentTerm")); err != nil || v != 9 {
		t.Fatalf("CurrentTerm %d, %v after the shift changed", v, err)
	}
}

// A crash after the new shift is recorded and before the entries are written leaves an
// empty log that restarts where the call asked.
func TestShiftRecordedBeforeTheEntries(t *testing.T) {
	s, dir := newStore(t)
	mustStore(t, s, testLogs(10, 5))
	if err := s.DeleteRange(10, 14); err != nil {
		t.Fatal(err)
	}
	s.logMu.Lock()
	err := s.restartAt(3) // what StoreLogs(3...) does before it writes
	s.logMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, dir)
	checkLog(t, s, 0, 0)
	before, _ := s.WAL().UserData()
	mustStore(t, s, testLogs(3, 2))
	if after, _ := s.WAL().UserData(); !bytes.Equal(before, after) {
		t.Fatal("storing at the recorded restart point changed the user data again")
	}
	checkLog(t, s, 3, 4)
}

// Deletes and stores in the order raft makes them: compaction after snapshots, a
// conflicting suffix replaced by a new leader's entries, reopen after each.
func TestRaftSequence(t *testing.T) {
	s, dir := newStore(t)
	mustStore(t, s, testLogs(1, 50))
	steps := []step{
		{"compact to 20", func(s *Store) error { return s.DeleteRange(1, 20) }, 21, 50},
		{"drop the suffix from 41", func(s *Store) error { return s.DeleteRange(41, 50) }, 21, 40},
		{"store 41..60", func(s *Store) error { return s.StoreLogs(testLogs(41, 20)) }, 21, 60},
		{"compact to 59", func(s *Store) error { return s.DeleteRange(21, 59) }, 60, 60},
		{"drop the last entry", func(s *Store) error { return s.DeleteRange(60, 60) }, 0, 0},
		{"store 60..61", func(s *Store) error { return s.StoreLogs(testLogs(60, 2)) }, 60, 61},
	}
	runSteps(t, s, dir, steps)
}

// The raft-boltdb cases, in one sequence.
func TestBoltStoreCases(t *testing.T) {
	s, _ := newStore(t)
	var l raft.Log
	if err := s.GetLog(1, &l); err != raft.ErrLogNotFound {
		t.Fatalf("GetLog on an empty store: %v", err)
	}
	mustStore(t, s, testLogs(1, 3))
	if idx, _ := s.FirstIndex(); idx != 1 {
		t.Fatalf("FirstIndex %d", idx)
	}
	if idx, _ := s.LastIndex(); idx != 3 {
		t.Fatalf("LastIndex %d", idx)
	}
	if err := s.DeleteRange(1, 2); err != nil {
		t.Fatal(err)
	}
	checkLog(t, s, 3, 3)
}

// Behind raft.LogCache, the wrapper raft users put in front of a log store: it passes
// IsMonotonic on and writes through.
func TestLogStoreWithRaftsCache(t *testing.T) {
	s, _ := newStore(t)
	c, err := raft.NewLogCache(16, s)
	if err != nil {
		t.Fatal(err)
	}
	mustStore(t, s, testLogs(1, 4))
	if err := c.StoreLogs(testLogs(5, 4)); err != nil {
		t.Fatal(err)
	}
	if !c.IsMonotonic() {
		t.Fatal("the cache does not pass IsMonotonic on")
	}
	checkLog(t, s, 1, 8)
}

// step is one call of a sequence and the log it leaves (first and last index; 0, 0 empty).
type step struct {
	name        string
	do          func(s *Store) error
	first, last uint64
}

// runSteps makes each step's call on the store, checks the log it leaves, reopens the
// directory and checks it again; returns the store last opened.
func runSteps(t *testing.T, s *Store, dir string, steps []step) *Store {
	t.Helper()
	for _, st := range steps {
		if err := st.do(s); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		checkLog(t, s, st.first, st.last)
		s = reopen(t, s, dir)
		checkLog(t, s, st.first, st.last)
	}
	return s
}
