package walogs

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkAppendNoSync is the per-call cost of Append with nothing fdatasync'd
// (DurabilityNone, 128-byte entries, no rotation): the cgo + binding overhead on top of the
// Rust SharedWal::append it ends in. examples/go/bench_overhead compares it with the Rust
// path in the same run.
func BenchmarkAppendNoSync(b *testing.B) {
	w, err := Open(b.TempDir()+"/wal", WithDurability(DurabilityNone), WithMaxSegmentSize(0))
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	p := make([]byte, 128)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := w.Append(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendDurable: durable (DurabilityEveryAppend) appends of 128 bytes from 1 and
// from 16 goroutines on one WAL. With 16, concurrent appends share fdatasyncs (group
// commit); ns/op is wall time per append across all goroutines.
func BenchmarkAppendDurable(b *testing.B) {
	for _, goroutines := range []int{1, 16} {
		b.Run(fmt.Sprintf("goroutines=%d", goroutines), func(b *testing.B) {
			w, err := Open(b.TempDir() + "/wal")
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for g := 0; g < goroutines; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					p := make([]byte, 128)
					for next.Add(1) <= int64(b.N) {
						if _, err := w.Append(p); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
		})
	}
}

// BenchmarkCallOverhead is the binding's own cost per call: DurableLSN, a lock-free getter in
// the library, so nearly all of the time is the handle's read lock, the thread lock and
// the cgo transition that every method pays.
func BenchmarkCallOverhead(b *testing.B) {
	w, err := Open(b.TempDir() + "/wal")
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := w.DurableLSN(); err != nil {
			b.Fatal(err)
		}
	}
}
