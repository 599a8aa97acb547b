// Command raftlog is examples/c/raft_log.c in Go: the log control calls as a Raft node uses
// them. The term and vote live in the WAL's durable user data; a new leader's conflicting
// suffix is cut with TruncateAfter (at any LSN, batches included); after a snapshot the
// applied prefix is dropped with PurgeUpTo (also past the end: the restart after installing
// a leader's snapshot); entries are appended under DurabilityManual and acknowledged by
// OnDurable callbacks once one Sync made them durable; ReadRange ships a bounded batch to a
// follower; WaitDurable with a context that is already done only looks.
//
//	make lib && cd examples/go && go run ./raftlog [DIR]    (default: a new directory under /tmp)
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"

	walogs "example.invalid/walogs"
)

func main() {
	dir := ""
	if len(os.Args) > 1 {
		dir = os.Args[1]
	} else {
		base, err := os.MkdirTemp("", "walogs-raft-")
		if err != nil {
			log.Fatal(err)
		}
		dir = filepath.Join(base, "wal")
	}
	if err := run(dir); err != nil {
		log.Fatal(err)
	}
}

// hardState is Raft's term and vote, kept as the WAL's user data (16 bytes).
type hardState struct{ term, votedFor uint64 }

func saveHardState(w *walogs.WAL, hs hardState) error {
	b := binary.LittleEndian.AppendUint64(nil, hs.term)
	b = binary.LittleEndian.AppendUint64(b, hs.votedFor)
	// Durable on return, and never ahead of the entries appended before it.
	return w.SetUserData(b)
}

func loadHardState(w *walogs.WAL) (hardState, error) {
	b, err := w.UserData()
	if err != nil || len(b) == 0 { // empty on a fresh log: term 0, no vote
		return hardState{}, err
	}
	if len(b) != 16 {
		return hardState{}, fmt.Errorf("user data of %d bytes is not a hard state", len(b))
	}
	return hardState{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])}, nil
}

// acks is the highest acknowledged LSN, advanced by OnDurable callbacks (which run on the
// WAL's notifier thread).
type acks struct {
	mu     sync.Mutex
	cond   *sync.Cond
	upTo   uint64
	failed error
}

func (a *acks) ack(lsn uint64) func(error) {
	return func(err error) {
		a.mu.Lock()
		defer a.mu.Unlock()
		if err != nil && a.failed == nil {
			a.failed = err
		} else if err == nil && lsn > a.upTo {
			a.upTo = lsn
		}
		a.cond.Broadcast()
	}
}

func (a *acks) waitFor(lsn uint64) (uint64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for a.upTo < lsn && a.failed == nil {
		a.cond.Wait()
	}
	return a.upTo, a.failed
}

func printRange(w *walogs.WAL, from uint64, maxEntries int) error {
	entries, err := w.ReadRange(from, maxEntries, 1<<20)
	for _, e := range entries {
		fmt.Printf("  lsn %d: %s\n", e.LSN, e.Data)
	}
	return err
}

func run(dir string) error {
	// Appends return after the write; one Sync makes a whole burst durable.
	w, err := walogs.Open(dir, walogs.WithDurability(walogs.DurabilityManual))
	if err != nil {
		return err
	}
	defer w.Close()

	hs, err := loadHardState(w)
	if err != nil {
		return err
	}
	fmt.Printf("hard state at open: term %d, voted for %d\n", hs.term, hs.votedFor)
	if err := saveHardState(w, hardState{term: 3, votedFor: 2}); err != nil {
		return err
	}

	// A burst of entries, acknowledged by callbacks after one sync.
	a := &acks{}
	a.cond = sync.NewCond(&a.mu)
	var last uint64
	for _, cmd := range []string{"x=1", "y=2", "x=3", "z=4", "y=5"} {
		if last, err = w.Append([]byte(cmd)); err != nil {
			return err
		}
		if err := w.OnDurable(last, a.ack(last)); err != nil {
			return err
		}
	}
	if _, err := w.Sync(); err != nil {
		return err
	}
	seen, err := a.waitFor(last)
	if err != nil {
		return err
	}
	fmt.Printf("acknowledged up to lsn %d\n", seen)

	// A new leader's log diverges after lsn 3: cut our suffix, take its entries.
	removed, err := w.TruncateAfter(3)
	if err != nil {
		return err
	}
	first, last, err := w.AppendBatch([][]byte{[]byte("z=40"), []byte("w=50")})
	if err != nil {
		return err
	}
	// Under DurabilityManual nothing is durable before a sync: a done context only looks.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.WaitDurable(done, last); errors.Is(err, context.Canceled) {
		fmt.Printf("lsn %d before the sync: not durable yet\n", last)
	} else {
		return fmt.Errorf("WaitDurable before the sync: %v", err)
	}
	if _, err := w.Sync(); err != nil {
		return err
	}
	if err := w.WaitDurable(context.Background(), last); err != nil {
		return err
	}
	fmt.Printf("cut %d entries after lsn 3, appended lsn %d..%d\n", removed, first, last)
	fmt.Println("entries for a follower from lsn 2 (at most 3):")
	if err := printRange(w, 2, 3); err != nil {
		return err
	}

	// A snapshot covers lsn 1..4: drop them for good.
	if _, err := w.PurgeUpTo(4); err != nil {
		return err
	}
	oldest, err := w.FirstLSN()
	if err != nil {
		return err
	}
	floor, err := w.PurgedUpTo()
	if err != nil {
		return err
	}
	fmt.Printf("after a snapshot at 4: oldest lsn %d, purged up to %d\n", oldest, floor)

	// Installing a leader's snapshot at lsn 100 restarts the log after it.
	if _, err := w.PurgeUpTo(100); err != nil {
		return err
	}
	next, err := w.Append([]byte("after the snapshot"))
	if err != nil {
		return err
	}
	fmt.Printf("after installing a snapshot at 100: next append got lsn %d\n", next)
	if err := w.Close(); err != nil {
		return err
	}

	// Everything above survives a reopen.
	w, err = walogs.Open(dir)
	if err != nil {
		return err
	}
	defer w.Close()
	if hs, err = loadHardState(w); err != nil {
		return err
	}
	fmt.Printf("after reopen: term %d, voted for %d, entries:\n", hs.term, hs.votedFor)
	if oldest, err = w.FirstLSN(); err != nil {
		return err
	}
	if err := printRange(w, oldest, 10); err != nil {
		return err
	}
	return w.Close()
}
