// Command bench measures StoreLogs throughput of raft log stores in one run: raftstore
// (walogs), hashicorp/raft-boltdb/v2 and hashicorp/raft-wal, each durable the way it is
// by default (raftstore: one fdatasync per call; BoltDB: an fdatasync per commit, syncing
// by default; raft-wal: an fsync per StoreLogs). Calls of 1 and of 64 entries of 256 bytes
// (-data), each store in a new directory under -dir; -rounds rounds alternate the order of
// the stores, each measurement lasting -time, and the median is printed with the ratio of
// raftstore to each other store. Then GetLog: random reads of the entries stored by a
// batch-of-64 measurement, -reads of them, from one goroutine.
//
//	make lib && cd bindings/go/raftstore/bench && go run . [-dir DIR] [-time 1s] [-rounds 3] [-reads 20000]
package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	"log"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"example.invalid/walogs/raftstore"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	raftwal "github.com/hashicorp/raft-wal"
)

// store is a log store under test and how to close it.
type store interface {
	raft.LogStore
	Close() error
}

type kind struct {
	name string
	open func(dir string) (store, error)
}

var kinds = []kind{
	{"raftstore (walogs)", func(dir string) (store, error) { return raftstore.Open(dir) }},
	{"raft-boltdb/v2", func(dir string) (store, error) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		return raftboltdb.NewBoltStore(filepath.Join(dir, "raft.db"))
	}},
	{"raft-wal", func(dir string) (store, error) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		return raftwal.Open(dir)
	}},
}

func main() {
	base := flag.String("dir", "", "directory for the stores (default: a new one under $TMPDIR)")
	dur := flag.Duration("time", time.Second, "length of one measurement")
	rounds := flag.Int("rounds", 3, "rounds; the median is reported")
	dataSize := flag.Int("data", 256, "bytes of data per entry")
	reads := flag.Int("reads", 20000, "GetLog calls per store")
	flag.Parse()
	if *rounds < 1 || *dur <= 0 || *dataSize < 0 || *reads < 1 {
		log.Fatal("-rounds, -time, -reads must be positive, -data not negative")
	}
	if *base == "" {
		d, err := os.MkdirTemp("", "raftstore-bench-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		*base = d
	}
	data := make([]byte, *dataSize)
	rand.Read(data)

	fmt.Printf("StoreLogs of %d-byte entries, durable; %d rounds of %v each, median; in %s\n",
		*dataSize, *rounds, *dur, *base)
	for _, batch := range []int{1, 64} {
		rates := make([][]float64, len(kinds))
		readRates := make([][]float64, len(kinds))
		for r := 0; r < *rounds; r++ {
			for j := range kinds {
				k := (j + r) % len(kinds) // each round starts with another store
				dir := filepath.Join(*base, fmt.Sprintf("b%d-r%d-s%d", batch, r, k))
				rate, readRate, err := measure(kinds[k], dir, batch, data, *dur, *reads)
				if err != nil {
					log.Fatalf("%s, batch %d: %v", kinds[k].name, batch, err)
				}
				rates[k] = append(rates[k], rate)
				readRates[k] = append(readRates[k], readRate)
				os.RemoveAll(dir)
			}
		}
		report(fmt.Sprintf("StoreLogs, batch of %d", batch), rates, batch)
		if batch == 64 {
			report("GetLog (random, of those entries)", readRates, 1)
		}
	}
}

// report prints the median of each store's rates and the ratio of raftstore's to it.
func report(title string, rates [][]float64, batch int) {
	fmt.Printf("\n%s:\n", title)
	ours := median(rates[0])
	for k := range kinds {
		m := median(rates[k])
		ratio := ""
		if k > 0 {
			ratio = fmt.Sprintf("   raftstore / this: %.2fx", ours/m)
		}
		fmt.Printf("  %-20s %10.0f entries/s %8.0f calls/s%s\n", kinds[k].name, m, m/float64(batch), ratio)
	}
}

// measure stores batches of batch entries in a new store in dir for about dur and
// returns the entries stored per second, then reads reads of them at random and returns
// the entries read per second.
func measure(k kind, dir string, batch int, data []byte, dur time.Duration, reads int) (float64, float64, error) {
	s, err := k.open(dir)
	if err != nil {
		return 0, 0, err
	}
	defer s.Close()
	logs := make([]*raft.Log, batch)
	for i := range logs {
		logs[i] = &raft.Log{Term: 1, Type: raft.LogCommand, Data: data}
	}
	next := uint64(1)
	n := 0
	start := time.Now()
	for time.Since(start) < dur {
		now := time.Now()
		for _, l := range logs {
			l.Index = next
			l.AppendedAt = now
			next++
		}
		if err := s.StoreLogs(logs); err != nil {
			return 0, 0, err
		}
		n += batch
	}
	rate := float64(n) / time.Since(start).Seconds()

	rng := mrand.New(mrand.NewPCG(1, uint64(batch)))
	start = time.Now()
	for i := 0; i < reads; i++ {
		index := 1 + rng.Uint64N(next-1)
		var l raft.Log
		if err := s.GetLog(index, &l); err != nil || l.Index != index || len(l.Data) != len(data) {
			return 0, 0, fmt.Errorf("reading back entry %d: %v", index, err)
		}
	}
	return rate, float64(reads) / time.Since(start).Seconds(), nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
