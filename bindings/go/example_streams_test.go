package walogs_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	walogs "example.invalid/walogs"
)

// Topics, a header, an atomic batch and a strict consumer that resumes after a reopen
// (examples/c/streams.c in Go).
func ExampleOpenStreams() {
	base, err := os.MkdirTemp("", "walogs-streams-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(base)
	dir := filepath.Join(base, "store")

	s, err := walogs.OpenStreams(dir)
	if err != nil {
		log.Fatal(err)
	}
	lsn, err := s.Append("orders", []byte("order 1: 3 apples"), walogs.WithHeader([]byte("customer=7")))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("appended orders lsn", lsn)
	first, last, err := s.AppendBatch("orders", []walogs.Record{
		{Data: []byte("order 2: 1 pear")},
		{Data: []byte("order 3: 2 figs")},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("appended orders batch %d..%d\n", first, last)

	billing, err := s.Consumer("orders", "billing", walogs.ConsumerStrict)
	if err != nil {
		log.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		r, err := billing.Next(10 * time.Millisecond) // nil when nothing came in 10 ms
		if err != nil || r == nil {
			log.Fatal(r, err)
		}
		fmt.Printf("billing got lsn %d: %s (header %q)\n", r.LSN, r.Data, r.Header)
	}
	billing.Close()
	s.Close()

	// Reopen: the strict consumer goes on after the last record it was given.
	s, err = walogs.OpenStreams(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	billing, err = s.Consumer("orders", "billing", walogs.ConsumerStrict)
	if err != nil {
		log.Fatal(err)
	}
	defer billing.Close()
	r, err := billing.Next(0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("after reopen billing got lsn %d: %s\n", r.LSN, r.Data)
	if r, _ := billing.Next(0); r == nil {
		fmt.Println("nothing more")
	}
	// Output:
	// appended orders lsn 1
	// appended orders batch 2..3
	// billing got lsn 1: order 1: 3 apples (header "customer=7")
	// billing got lsn 2: order 2: 1 pear (header "")
	// after reopen billing got lsn 3: order 3: 2 figs
	// nothing more
}
