package raftstore

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/raft"
)

// Readers racing one writer, as in raft (replication goroutines read while the main
// goroutine stores, compacts and cuts suffixes): every entry read is the one stored at its
// index, a miss is only raft.ErrLogNotFound, and FirstIndex <= LastIndex.
func TestConcurrentReadersAndWriter(t *testing.T) {
	s, _ := newStore(t)
	mustStore(t, s, testLogs(1, 10))
	var done atomic.Bool
	var wg sync.WaitGroup
	var reads, misses atomic.Int64
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done.Load() {
				first, err := s.FirstIndex()
				if err != nil {
					t.Error(err)
					return
				}
				last, err := s.LastIndex()
				if err != nil {
					t.Error(err)
					return
				}
				if first == 0 || last == 0 {
					continue
				}
				// The two calls may see different logs; a read anywhere near them is fine.
				for i := first - 1; i <= last+1; i += 1 + (last-first)/8 {
					var l raft.Log
					switch err := s.GetLog(i, &l); err {
					case nil:
						if d := sameLog(testLog(i), &l); d != "" {
							t.Errorf("GetLog(%d): %s", i, d)
							return
						}
						reads.Add(1)
					case raft.ErrLogNotFound:
						misses.Add(1)
					default:
						t.Errorf("GetLog(%d): %v", i, err)
						return
					}
				}
			}
		}()
	}
	// The writer: append, compact every so often, cut a suffix and store it again.
	next := uint64(11)
	for round := 0; round < 60; round++ {
		mustStore(t, s, testLogs(next, 7))
		next += 7
		if round%5 == 4 {
			if err := s.DeleteRange(0, next-20); err != nil {
				t.Fatal(err)
			}
		}
		if round%7 == 6 {
			if err := s.DeleteRange(next-3, next-1); err != nil {
				t.Fatal(err)
			}
			mustStore(t, s, testLogs(next-3, 3))
		}
		if round%13 == 12 {
			// Empty the log and restart it 40 indexes lower (a new shift while readers
			// look up the old indexes).
			if err := s.DeleteRange(0, next-1); err != nil {
				t.Fatal(err)
			}
			next -= 40
		}
	}
	done.Store(true)
	wg.Wait()
	// The last compaction (round 59) kept the last 19 entries.
	checkLog(t, s, next-19, next-1)
	t.Logf("%d entries read, %d misses", reads.Load(), misses.Load())
}

// Readers racing a writer that empties the log and restarts it at another index each time
// (so the shift between LSNs and indexes changes under them): a read never returns the
// entry of another index or an error, only the entry asked for or raft.ErrLogNotFound.
func TestReadersAcrossShiftChanges(t *testing.T) {
	s, _ := newStore(t)
	mustStore(t, s, testLogs(1, 5))
	var done atomic.Bool
	var wg sync.WaitGroup
	var reads atomic.Int64
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done.Load() {
				for i := uint64(1); i <= 8; i++ {
					var l raft.Log
					switch err := s.GetLog(i, &l); err {
					case nil:
						if d := sameLog(testLog(i), &l); d != "" {
							t.Errorf("GetLog(%d): %s", i, d)
							return
						}
						reads.Add(1)
					case raft.ErrLogNotFound:
					default:
						t.Errorf("GetLog(%d): %v", i, err)
						return
					}
				}
			}
		}()
	}
	start := uint64(1)
	for round := 0; round < 60; round++ {
		if err := s.DeleteRange(start, start+4); err != nil {
			t.Fatal(err)
		}
		start = 4 - start // 1, 3, 1, 3, ...: the restart point moves by two each time
		mustStore(t, s, testLogs(start, 5))
	}
	done.Store(true)
	wg.Wait()
	checkLog(t, s, start, start+4)
	t.Logf("%d entries read", reads.Load())
}

// A read that took the shift just before the log restarted with another one reads where
// the index was: it finds another index there, and reads again with the new shift
// (deterministically, the step TestReadersAcrossShiftChanges races).
func TestReadWithAnOutdatedShift(t *testing.T) {
	s, _ := newStore(t)
	mustStore(t, s, testLogs(10, 5)) // LSNs 10..14, shift 0
	if err := s.DeleteRange(10, 14); err != nil {
		t.Fatal(err)
	}
	mustStore(t, s, testLogs(1, 5)) // LSNs 10..14 again, shift 9
	var l raft.Log
	// With shift 0, index 10 is LSN 10, which holds index 1 now: not index 10's entry.
	if err := s.getLogWithShift(10, 0, &l); err != raft.ErrLogNotFound {
		t.Fatalf("index 10 read with the old shift: %v, want raft.ErrLogNotFound", err)
	}
	// With shift 8, index 3 is LSN 11, which holds index 2: read again at LSN 12.
	if err := s.getLogWithShift(3, 8, &l); err != nil {
		t.Fatalf("index 3 read with another shift: %v", err)
	}
	if d := sameLog(testLog(3), &l); d != "" {
		t.Fatalf("index 3 read with another shift: %s", d)
	}
}
