package walogs_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	walogs "example.invalid/walogs"
)

// scratchWAL opens a WAL in a new temporary directory; cleanup closes it and removes the
// directory.
func scratchWAL(opts ...walogs.Option) (w *walogs.WAL, cleanup func()) {
	base, err := os.MkdirTemp("", "walogs-example-")
	if err != nil {
		log.Fatal(err)
	}
	w, err = walogs.Open(filepath.Join(base, "wal"), opts...)
	if err != nil {
		log.Fatal(err)
	}
	return w, func() {
		w.Close()
		os.RemoveAll(base)
	}
}

// Open creates the directory, takes its lock and recovers what is there: a second writer
// is refused, and a reopen continues the LSNs.
func ExampleOpen() {
	base, err := os.MkdirTemp("", "walogs-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(base)
	dir := filepath.Join(base, "wal")

	w, err := walogs.Open(dir, walogs.WithMaxSegmentSize(16<<20))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := w.Append([]byte("first")); err != nil {
		log.Fatal(err)
	}
	if _, err := walogs.Open(dir); errors.Is(err, walogs.ErrLocked) {
		fmt.Println("second writer: locked")
	}
	if err := w.Close(); err != nil { // the outcome of the final write and fdatasync
		log.Fatal(err)
	}

	w, err = walogs.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	next, err := w.NextLSN()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("after reopen, next lsn:", next)
	// Output:
	// second writer: locked
	// after reopen, next lsn: 2
}

// Append returns once the entry is durable (under the default durability); LSNs are dense.
func ExampleWAL_Append() {
	w, cleanup := scratchWAL()
	defer cleanup()

	for _, cmd := range []string{"set x = 1", "set y = 2"} {
		lsn, err := w.Append([]byte(cmd))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("durable at lsn", lsn)
	}
	// Output:
	// durable at lsn 1
	// durable at lsn 2
}

// AppendBatch writes entries as one unit: after a crash all of them are there or none.
func ExampleWAL_AppendBatch() {
	w, cleanup := scratchWAL()
	defer cleanup()

	first, last, err := w.AppendBatch([][]byte{[]byte("debit a 10"), []byte("credit b 10")})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("batch: lsn %d..%d\n", first, last)
	// Output:
	// batch: lsn 1..2
}

// Read returns one entry; an LSN not in the log is ErrLSNOutOfRange.
func ExampleWAL_Read() {
	w, cleanup := scratchWAL()
	defer cleanup()

	lsn, err := w.Append([]byte("hello"))
	if err != nil {
		log.Fatal(err)
	}
	data, err := w.Read(lsn)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("lsn %d: %s\n", lsn, data)
	if _, err := w.Read(99); errors.Is(err, walogs.ErrLSNOutOfRange) {
		fmt.Println("lsn 99: out of range")
	}
	// Output:
	// lsn 1: hello
	// lsn 99: out of range
}

// ReadRange reads what fits in one message to a follower: at most maxEntries entries and
// maxBytes bytes, but at least one entry.
func ExampleWAL_ReadRange() {
	w, cleanup := scratchWAL()
	defer cleanup()

	if _, _, err := w.AppendBatch([][]byte{[]byte("a"), []byte("bb"), []byte("ccc")}); err != nil {
		log.Fatal(err)
	}
	entries, err := w.ReadRange(1, 10, 3)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		fmt.Printf("lsn %d: %s\n", e.LSN, e.Data)
	}
	// Output:
	// lsn 1: a
	// lsn 2: bb
}

// Iter walks the log in LSN order from an LSN (0: the oldest entry).
func ExampleWAL_Iter() {
	w, cleanup := scratchWAL()
	defer cleanup()

	for _, s := range []string{"a", "b", "c"} {
		if _, err := w.Append([]byte(s)); err != nil {
			log.Fatal(err)
		}
	}
	it, err := w.Iter(2)
	if err != nil {
		log.Fatal(err)
	}
	defer it.Close()
	for it.Next() {
		fmt.Printf("lsn %d: %s\n", it.LSN(), it.Data())
	}
	if err := it.Err(); err != nil { // damage met while reading ends the loop with an error
		log.Fatal(err)
	}
	// Output:
	// lsn 2: b
	// lsn 3: c
}

// TruncateAfter drops the newest entries, at any LSN (also inside a batch): how a Raft
// follower removes a conflicting suffix.
func ExampleWAL_TruncateAfter() {
	w, cleanup := scratchWAL()
	defer cleanup()

	if _, _, err := w.AppendBatch([][]byte{[]byte("t1 i1"), []byte("t1 i2"), []byte("t1 i3")}); err != nil {
		log.Fatal(err)
	}
	removed, err := w.TruncateAfter(1)
	if err != nil {
		log.Fatal(err)
	}
	lsn, err := w.Append([]byte("t2 i2"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("removed %d, next append got lsn %d\n", removed, lsn)
	// Output:
	// removed 2, next append got lsn 2
}

// PurgeUpTo drops the oldest entries for good; past the end it restarts the log there
// (after installing a snapshot).
func ExampleWAL_PurgeUpTo() {
	w, cleanup := scratchWAL()
	defer cleanup()

	for i := 0; i < 5; i++ {
		if _, err := w.Append([]byte{byte(i)}); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := w.PurgeUpTo(3); err != nil { // a snapshot covers 1..3
		log.Fatal(err)
	}
	firstLSN, err := w.FirstLSN()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("oldest entry:", firstLSN)
	if _, err := w.PurgeUpTo(100); err != nil { // a snapshot installed at 100
		log.Fatal(err)
	}
	lsn, err := w.Append([]byte("after the snapshot"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("next append:", lsn)
	// Output:
	// oldest entry: 4
	// next append: 101
}

// SetUserData keeps a small durable blob next to the log (a Raft term and vote), made
// durable after every entry appended before it.
func ExampleWAL_SetUserData() {
	w, cleanup := scratchWAL()
	defer cleanup()

	if err := w.SetUserData([]byte("term=3 vote=2")); err != nil {
		log.Fatal(err)
	}
	data, err := w.UserData()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", data)
	// Output:
	// term=3 vote=2
}

// WaitDurable blocks until an entry is durable: here under DurabilityManual, until another
// goroutine syncs.
func ExampleWAL_WaitDurable() {
	w, cleanup := scratchWAL(walogs.WithDurability(walogs.DurabilityManual))
	defer cleanup()

	lsn, err := w.Append([]byte("x")) // written, not yet fdatasync'd
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		if _, err := w.Sync(); err != nil {
			log.Print(err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.WaitDurable(ctx, lsn); err != nil {
		log.Fatal(err)
	}
	fmt.Println("durable:", lsn)
	// Output:
	// durable: 1
}

// Next delivers a topic's records in order; a strict consumer never gets a record twice,
// even across a crash, and waits for records still to come.
func ExampleConsumer_Next() {
	base, err := os.MkdirTemp("", "walogs-streams-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(base)
	s, err := walogs.OpenStreams(filepath.Join(base, "store"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	if _, err := s.Append("orders", []byte("order 1")); err != nil {
		log.Fatal(err)
	}
	c, err := s.Consumer("orders", "billing", walogs.ConsumerStrict)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	go func() {
		if _, err := s.Append("orders", []byte("order 2")); err != nil {
			log.Print(err)
		}
	}()
	for i := 0; i < 2; i++ {
		r, err := c.Next(-1) // wait as long as it takes
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("lsn %d: %s\n", r.LSN, r.Data)
	}
	r, err := c.Next(0) // only look
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("nothing more:", r == nil)
	// Output:
	// lsn 1: order 1
	// lsn 2: order 2
	// nothing more: true
}
