package raftstore

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	walogs "example.invalid/walogs"
	"github.com/hashicorp/raft"
)

// wantErr checks that err matches target and names every one of the strings.
func wantErr(t *testing.T, what string, err, target error, names ...string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: %v, want %v", what, err, target)
	}
	for _, n := range names {
		if !strings.Contains(err.Error(), n) {
			t.Fatalf("%s: %q does not name %s", what, err, n)
		}
	}
}

// StoreLogs that does not continue the log is refused, naming both indexes, and writes
// nothing (also after a reopen).
func TestStoreLogsNotContiguous(t *testing.T) {
	cases := []struct {
		name  string
		logs  []*raft.Log
		names []string
	}{
		{"backwards", testLogs(5, 3), []string{"index 5", "last index 10"}},
		{"overlapping the last entry", testLogs(10, 2), []string{"index 10", "last index 10"}},
		{"rewriting the first entry", testLogs(1, 1), []string{"index 1", "last index 10"}},
		{"a gap", testLogs(12, 2), []string{"index 12", "last index 10"}},
		{"far forward", testLogs(1000, 1), []string{"index 1000", "last index 10"}},
		{"not consecutive in the call", []*raft.Log{testLog(11), testLog(13)}, []string{"index 13", "index 11"}},
		{"a repeat in the call", []*raft.Log{testLog(11), testLog(11)}, []string{"index 11"}},
		{"backwards in the call", []*raft.Log{testLog(11), testLog(10)}, []string{"index 10", "index 11"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, dir := newStore(t)
			mustStore(t, s, testLogs(1, 10))
			wantErr(t, "StoreLogs", s.StoreLogs(tc.logs), ErrNotContiguous, tc.names...)
			checkLog(t, s, 1, 10)
			s = reopen(t, s, dir)
			checkLog(t, s, 1, 10)
		})
	}
}

// Index 0 is not a raft index: refused (on an empty log it would be read back as "empty").
func TestStoreLogsIndexZero(t *testing.T) {
	s, dir := newStore(t)
	wantErr(t, "StoreLogs at 0", s.StoreLogs(testLogs(0, 2)), ErrInvalidLog, "index 0")
	checkLog(t, s, 0, 0)
	s = reopen(t, s, dir)
	mustStore(t, s, testLogs(1, 1))
	checkLog(t, s, 1, 1)
}

// A hole inside the log is refused, naming the range and the log, and deletes nothing.
func TestDeleteRangeHole(t *testing.T) {
	s, dir := newStore(t)
	mustStore(t, s, testLogs(1, 10))
	wantErr(t, "DeleteRange(3, 7)", s.DeleteRange(3, 7), ErrNotPrefixOrSuffix, "3..7", "1..10")
	checkLog(t, s, 1, 10)
	s = reopen(t, s, dir)
	checkLog(t, s, 1, 10)
}

// Entries raftstore cannot encode or walogs cannot hold: an error, nothing written.
func TestStoreLogsUnencodable(t *testing.T) {
	s, _ := newStore(t)
	mustStore(t, s, testLogs(1, 2))
	bad := testLogs(3, 2)
	bad[1].AppendedAt = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	wantErr(t, "an AppendedAt in the year 3000", s.StoreLogs(bad), ErrInvalidLog, "log 4")
	huge := testLogs(3, 2)
	huge[1].Data = make([]byte, walogs.MaxEntrySize)
	wantErr(t, "an entry over 16 MiB", s.StoreLogs(huge), walogs.ErrTooLarge, "3..4")
	wantErr(t, "a nil entry", s.StoreLogs([]*raft.Log{testLog(3), nil}), ErrInvalidLog, "entry 1")
	if err := s.GetLog(1, nil); err == nil {
		t.Fatal("GetLog into a nil *raft.Log succeeded")
	}
	checkLog(t, s, 1, 2)
	mustStore(t, s, testLogs(3, 1))
	checkLog(t, s, 1, 3)
}

// A call over walogs.MaxBatchSize encoded goes in several atomic units: all of it is
// stored.
func TestStoreLogsOverMaxBatch(t *testing.T) {
	s, dir := newStore(t)
	big := make([]byte, walogs.MaxEntrySize-logHeaderSize-64)
	logs := make([]*raft.Log, walogs.MaxBatchSize/len(big)+1)
	for i := range logs {
		logs[i] = &raft.Log{Index: uint64(i + 1), Term: 1, Data: big}
	}
	mustStore(t, s, logs)
	mustStore(t, s, testLogs(uint64(len(logs)+1), 1))
	s = reopen(t, s, dir)
	if last, _ := s.LastIndex(); last != uint64(len(logs)+1) {
		t.Fatalf("LastIndex %d, want %d", last, len(logs)+1)
	}
	var l raft.Log
	if err := s.GetLog(uint64(len(logs)), &l); err != nil || len(l.Data) != len(big) {
		t.Fatalf("GetLog of the last big entry: %d bytes, %v", len(l.Data), err)
	}
}

// A walogs directory another application wrote is refused at open, and left as it was.
func TestOpenForeignDirectory(t *testing.T) {
	raftEntry, _ := appendLog(nil, testLog(1))
	cases := []struct {
		name    string
		write   func(w *walogs.WAL) error
		target  error
		mention string
	}{
		{"plain entries", func(w *walogs.WAL) error {
			_, err := w.Append([]byte("set x = 1"))
			return err
		}, ErrForeignEntry, "entry 1"},
		{"an empty entry", func(w *walogs.WAL) error {
			_, err := w.Append(nil)
			return err
		}, ErrForeignEntry, "entry 1"},
		{"raft entries, then a plain one", func(w *walogs.WAL) error {
			if _, err := w.Append(raftEntry); err != nil {
				return err
			}
			_, err := w.Append([]byte("not raft"))
			return err
		}, ErrForeignEntry, "entry 2"},
		{"a raft entry at the wrong index", func(w *walogs.WAL) error {
			if _, err := w.PurgeUpTo(4); err != nil {
				return err
			}
			_, err := w.Append(raftEntry)
			return err
		}, ErrForeignEntry, "entry 5 holds raft index 1"},
		{"foreign user data", func(w *walogs.WAL) error {
			return w.SetUserData([]byte("term=3 vote=2"))
		}, ErrForeignUserData, "13 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "other")
			w, err := walogs.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.write(w); err != nil {
				t.Fatal(err)
			}
			before, _ := w.NextLSN()
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			s, err := Open(dir)
			if err == nil {
				s.Close()
			}
			wantErr(t, "Open", err, tc.target, tc.mention, dir)
			// The refused open released the directory and changed nothing.
			w, err = walogs.Open(dir, walogs.WithReadOnly())
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if after, _ := w.NextLSN(); after != before {
				t.Fatalf("NextLSN %d after the refused open, was %d", after, before)
			}
		})
	}
}

// Calls after Close fail with walogs.ErrClosed; Close again is nil.
func TestUseAfterClose(t *testing.T) {
	s, _ := newStore(t)
	mustStore(t, s, testLogs(1, 2))
	if err := s.Set([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var l raft.Log
	_, errFirst := s.FirstIndex()
	_, errLast := s.LastIndex()
	for name, err := range map[string]error{
		"GetLog":      s.GetLog(1, &l),
		"StoreLogs":   s.StoreLogs(testLogs(3, 1)),
		"DeleteRange": s.DeleteRange(1, 1),
		"Set":         s.Set([]byte("k"), []byte("w")),
		"FirstIndex":  errFirst,
		"LastIndex":   errLast,
	} {
		if !errors.Is(err, walogs.ErrClosed) {
			t.Errorf("%s after Close: %v, want walogs.ErrClosed", name, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// A second store on a directory in use: the walogs lock refuses it.
func TestOpenLocked(t *testing.T) {
	_, dir := newStore(t)
	s, err := Open(dir)
	if err == nil {
		s.Close()
	}
	wantErr(t, "a second Open", err, walogs.ErrLocked, dir)
}

// Read-only: the log and the stable store are readable, every change is refused.
func TestReadOnly(t *testing.T) {
	s, dir := newStore(t)
	mustStore(t, s, testLogs(1, 3))
	if err := s.SetUint64([]byte("CurrentTerm"), 2); err != nil {
		t.Fatal(err)
	}
	s.Close()
	ro := openStore(t, dir, walogs.WithReadOnly())
	checkLog(t, ro, 1, 3)
	if v, err := ro.GetUint64([]byte("CurrentTerm")); err != nil || v != 2 {
		t.Fatalf("GetUint64: %d, %v", v, err)
	}
	wantErr(t, "StoreLogs", ro.StoreLogs(testLogs(4, 1)), walogs.ErrReadOnly)
	wantErr(t, "DeleteRange", ro.DeleteRange(1, 1), walogs.ErrReadOnly)
	wantErr(t, "Set", ro.Set([]byte("k"), nil), walogs.ErrReadOnly)
}
