package raftstore

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	walogs "example.invalid/walogs"
	"github.com/hashicorp/raft"
)

// testLog is the deterministic entry at index: its term, type, data, extensions and
// appended-at derive from the index, so that a reader can check every field.
func testLog(index uint64) *raft.Log {
	l := &raft.Log{
		Index:      index,
		Term:       index/10 + 1,
		Type:       raft.LogType(index % 6),
		Data:       []byte(fmt.Sprintf("data of %d", index)),
		AppendedAt: time.Unix(1_700_000_000, int64(index)*1_000_003),
	}
	if index%3 == 0 {
		l.Extensions = []byte(fmt.Sprintf("ext %d", index))
	}
	return l
}

// testLogs is testLog(start), ..., testLog(start+n-1).
func testLogs(start uint64, n int) []*raft.Log {
	logs := make([]*raft.Log, n)
	for i := range logs {
		logs[i] = testLog(start + uint64(i))
	}
	return logs
}

// sameLog reports how got differs from want ("" when they are equal field by field).
func sameLog(want, got *raft.Log) string {
	switch {
	case want.Index != got.Index:
		return fmt.Sprintf("index %d, want %d", got.Index, want.Index)
	case want.Term != got.Term:
		return fmt.Sprintf("term %d, want %d", got.Term, want.Term)
	case want.Type != got.Type:
		return fmt.Sprintf("type %v, want %v", got.Type, want.Type)
	case !bytes.Equal(want.Data, got.Data):
		return fmt.Sprintf("data %q, want %q", got.Data, want.Data)
	case !bytes.Equal(want.Extensions, got.Extensions):
		return fmt.Sprintf("extensions %q, want %q", got.Extensions, want.Extensions)
	case !want.AppendedAt.Equal(got.AppendedAt):
		return fmt.Sprintf("appended at %v, want %v", got.AppendedAt, want.AppendedAt)
	}
	return ""
}

// openStore opens a store in dir, failing the test on error, and closes it at the end of
// the test.
func openStore(t *testing.T, dir string, opts ...walogs.Option) *Store {
	t.Helper()
	s, err := Open(dir, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newStore opens a store in a new directory with small segments (1 KiB, so that the logs
// of the tests span many segment files and deletes remove whole files).
func newStore(t *testing.T) (*Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "raft")
	return openStore(t, dir, walogs.WithMaxSegmentSize(1024)), dir
}

// reopen closes s and opens its directory again.
func reopen(t *testing.T, s *Store, dir string) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return openStore(t, dir, walogs.WithMaxSegmentSize(1024))
}

// mustStore stores logs, failing the test on error.
func mustStore(t *testing.T, s *Store, logs []*raft.Log) {
	t.Helper()
	if err := s.StoreLogs(logs); err != nil {
		t.Fatalf("StoreLogs(%d..): %v", logs[0].Index, err)
	}
}

// checkLog checks that s holds exactly testLog(first) ... testLog(last) (nothing when
// first is 0): FirstIndex, LastIndex, every entry field by field, and raft.ErrLogNotFound
// just outside.
func checkLog(t *testing.T, s *Store, first, last uint64) {
	t.Helper()
	gotFirst, err := s.FirstIndex()
	if err != nil {
		t.Fatalf("FirstIndex: %v", err)
	}
	gotLast, err := s.LastIndex()
	if err != nil {
		t.Fatalf("LastIndex: %v", err)
	}
	if gotFirst != first || gotLast != last {
		t.Fatalf("log %d..%d, want %d..%d", gotFirst, gotLast, first, last)
	}
	var l raft.Log
	if first > 0 {
		for i := first; i <= last; i++ {
			if err := s.GetLog(i, &l); err != nil {
				t.Fatalf("GetLog(%d): %v", i, err)
			}
			if d := sameLog(testLog(i), &l); d != "" {
				t.Fatalf("GetLog(%d): %s", i, d)
			}
		}
		if err := s.GetLog(first-1, &l); err != raft.ErrLogNotFound {
			t.Fatalf("GetLog(%d) below the first index: %v, want raft.ErrLogNotFound", first-1, err)
		}
	}
	if err := s.GetLog(last+1, &l); err != raft.ErrLogNotFound {
		t.Fatalf("GetLog(%d) past the last index: %v, want raft.ErrLogNotFound", last+1, err)
	}
}
