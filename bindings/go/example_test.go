package walogs_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	walogs "example.invalid/walogs"
)

// The C quickstart (examples/c/quickstart.c) in Go: open, append, append an atomic batch,
// iterate, close, reopen and print the recovery report. (The SIGKILL part is in
// examples/go/crash.)
func Example() {
	base, err := os.MkdirTemp("", "walogs-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(base)
	dir := filepath.Join(base, "wal")

	// 1. Open (creating the directory) with default options: every append is fdatasync'd.
	w, err := walogs.Open(dir)
	if err != nil {
		log.Fatal(err)
	}

	// 2. Append single entries; each returns its LSN once it is durable.
	for _, word := range []string{"hello", "write-ahead", "log"} {
		lsn, err := w.Append([]byte(word))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("appended %q as lsn %d\n", word, lsn)
	}

	// 3. An atomic batch: one write, one fdatasync, all or nothing after a crash.
	first, last, err := w.AppendBatch([][]byte{[]byte("debit 10"), []byte("credit 10")})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("batch got lsn %d..%d\n", first, last)

	// 4. Iterate from the oldest entry (0 = oldest).
	printAll(w)
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	// 5. Reopen: recovery verifies every frame; the report says what it found.
	w, err = walogs.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	r, err := w.RecoveryReport()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("recovery report: tail truncated %v, %d segment(s), lsn range %d..%d\n",
		r.Tail.Truncated, r.Segments, r.FirstLSN, r.NextLSN-1)

	// A second writer on the same directory is refused.
	if _, err := walogs.Open(dir); errors.Is(err, walogs.ErrLocked) {
		fmt.Println("second open: locked")
	}
	// Output:
	// appended "hello" as lsn 1
	// appended "write-ahead" as lsn 2
	// appended "log" as lsn 3
	// batch got lsn 4..5
	// entries:
	//   lsn 1: hello
	//   lsn 2: write-ahead
	//   lsn 3: log
	//   lsn 4: debit 10
	//   lsn 5: credit 10
	// recovery report: tail truncated false, 1 segment(s), lsn range 1..5
	// second open: locked
}

func printAll(w *walogs.WAL) {
	it, err := w.Iter(0)
	if err != nil {
		log.Fatal(err)
	}
	defer it.Close()
	fmt.Println("entries:")
	for it.Next() {
		fmt.Printf("  lsn %d: %s\n", it.LSN(), it.Data())
	}
	if err := it.Err(); err != nil {
		log.Fatal(err)
	}
}

// Acknowledge entries once they are durable: append a burst under DurabilityManual,
// register a callback per entry, make them all durable with one Sync. The callbacks run on
// the WAL's notifier thread; here they report on a channel.
func ExampleWAL_OnDurable() {
	base, err := os.MkdirTemp("", "walogs-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(base)
	w, err := walogs.Open(filepath.Join(base, "wal"), walogs.WithDurability(walogs.DurabilityManual))
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()

	acked := make(chan uint64, 3)
	for _, cmd := range []string{"x=1", "y=2", "z=3"} {
		lsn, err := w.Append([]byte(cmd))
		if err != nil {
			log.Fatal(err)
		}
		if err := w.OnDurable(lsn, func(err error) {
			if err == nil {
				acked <- lsn
			}
		}); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := w.Sync(); err != nil { // one fdatasync for the three entries
		log.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		fmt.Println("durable:", <-acked)
	}
	// Output:
	// durable: 1
	// durable: 2
	// durable: 3
}
