// Command quickstart is the Go quickstart of the repository's README (which shows this file
// from the package clause on): open a WAL, append an entry and an atomic batch, read the
// log back, close. Run it again on the same directory and the LSNs continue.
//
//	make lib && cd examples/go && go run ./quickstart [DIR]    (default /tmp/gowal)
package main

import (
	"errors"
	"fmt"
	"log"
	"os"

	walogs "example.invalid/walogs" // another module: replace example.invalid/walogs => /path/to/walogs/bindings/go
)

func main() {
	dir := "/tmp/gowal"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := run(dir); err != nil {
		log.Fatal(err)
	}
}

func run(dir string) error {
	w, err := walogs.Open(dir, walogs.WithMaxSegmentSize(64<<20)) // creates dir, takes its lock
	if errors.Is(err, walogs.ErrLocked) {
		return fmt.Errorf("another writer holds %s: %w", dir, err)
	}
	if err != nil {
		return err
	}
	defer w.Close() // idempotent: a no-op after the Close at the end

	lsn, err := w.Append([]byte("hello")) // durable when err == nil; goroutine-safe, group commit
	if err != nil {
		return err
	}
	first, last, err := w.AppendBatch([][]byte{[]byte("a"), []byte("b")}) // atomic: all or none after a crash
	if err != nil {
		return err
	}
	fmt.Printf("appended lsn %d and the batch %d..%d\n", lsn, first, last)

	it, err := w.Iter(0) // 0: from the oldest entry
	if err != nil {
		return err
	}
	defer it.Close()
	for it.Next() {
		fmt.Printf("lsn %d: %s\n", it.LSN(), it.Data())
	}
	if err := it.Err(); err != nil {
		return err
	}
	return w.Close() // the outcome of the final write and fdatasync
}
