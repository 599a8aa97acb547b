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
	}
	done.Store(true)
	wg.Wait()
	// The last compaction (round 59) kept the last 19 entries.
	checkLog(t, s, next-19, next-1)
	t.Logf("%d entries read, %d misses", reads.Load(), misses.Load())
}
