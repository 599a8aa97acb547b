package raftstore_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"example.invalid/walogs/raftstore"
	"github.com/hashicorp/raft"
)

// A store used directly, the way raft uses it: entries, compaction after a snapshot, a
// conflicting suffix replaced, the term, all of it found again after a reopen.
func Example() {
	base, err := os.MkdirTemp("", "raftstore-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(base)
	dir := filepath.Join(base, "raft")

	s, err := raftstore.Open(dir) // the store to hand raft.NewRaft as LogStore and StableStore
	if err != nil {
		log.Fatal(err)
	}
	var logs []*raft.Log
	for i := uint64(1); i <= 5; i++ {
		logs = append(logs, &raft.Log{Index: i, Term: 1, Data: []byte(fmt.Sprintf("x=%d", i))})
	}
	if err := s.StoreLogs(logs); err != nil { // durable on return
		log.Fatal(err)
	}
	if err := s.DeleteRange(1, 2); err != nil { // a prefix: compaction after a snapshot at 2
		log.Fatal(err)
	}
	if err := s.DeleteRange(5, 5); err != nil { // a suffix: an entry a new leader overrides
		log.Fatal(err)
	}
	if err := s.StoreLog(&raft.Log{Index: 5, Term: 2, Data: []byte("y=5")}); err != nil {
		log.Fatal(err)
	}
	if err := s.SetUint64([]byte("CurrentTerm"), 2); err != nil {
		log.Fatal(err)
	}
	s.Close()

	s, err = raftstore.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	first, _ := s.FirstIndex()
	last, _ := s.LastIndex()
	term, _ := s.GetUint64([]byte("CurrentTerm"))
	fmt.Printf("log %d..%d, term %d\n", first, last, term)
	for i := first; i <= last; i++ {
		var l raft.Log
		if err := s.GetLog(i, &l); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%d (term %d): %s\n", l.Index, l.Term, l.Data)
	}
	var l raft.Log
	fmt.Println("index 1:", s.GetLog(1, &l))
	_, err = s.Get([]byte("LastVoteCand"))
	fmt.Println("a key never set:", err)
	// Output:
	// log 3..5, term 2
	// 3 (term 1): x=3
	// 4 (term 1): x=4
	// 5 (term 2): y=5
	// index 1: log not found
	// a key never set: not found
}
