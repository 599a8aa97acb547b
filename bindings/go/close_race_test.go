package walogs

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
)

// closeRaceCalls is every WAL method, called with arguments under which it succeeds on an
// open WAL holding at least one entry.
func closeRaceCalls(w *WAL) map[string]func() error {
	buf := make([]byte, 64)
	return map[string]func() error{
		"Append":         func() error { _, err := w.Append([]byte("x")); return err },
		"AppendBatch":    func() error { _, _, err := w.AppendBatch([][]byte{{1}, {2}}); return err },
		"AppendMany":     func() error { _, _, err := w.AppendMany([][]byte{{3}, nil}); return err },
		"Sync":           func() error { _, err := w.Sync(); return err },
		"DurableLSN":     func() error { _, err := w.DurableLSN(); return err },
		"NextLSN":        func() error { _, err := w.NextLSN(); return err },
		"FirstLSN":       func() error { _, err := w.FirstLSN(); return err },
		"SegmentCount":   func() error { _, err := w.SegmentCount(); return err },
		"Rotate":         func() error { return w.Rotate() },
		"Checkpoint":     func() error { _, err := w.Checkpoint(0); return err },
		"TruncateAfter":  func() error { _, err := w.TruncateAfter(math.MaxUint64); return err },
		"IsPoisoned":     func() error { _, err := w.IsPoisoned(); return err },
		"IsReadOnly":     func() error { _, err := w.IsReadOnly(); return err },
		"Read":           func() error { _, err := w.Read(1); return err },
		"ReadInto":       func() error { _, err := w.ReadInto(1, buf); return err },
		"TailState":      func() error { _, err := w.TailState(); return err },
		"RecoveryReport": func() error { _, err := w.RecoveryReport(); return err },
		"Iter": func() error {
			it, err := w.Iter(0, NoCopy())
			if err != nil {
				return err
			}
			defer it.Close()
			for n := 0; n < 20 && it.Next(); n++ {
				_ = it.Data()
			}
			return it.Err()
		},
	}
}

// Every method races with Close: one goroutine per method calls it in a loop, and once each
// has succeeded 20 times the WAL is closed under them. Every call must succeed or fail with
// ErrClosed (nothing else, no crash, no data race), every goroutine must then see ErrClosed,
// and the directory must reopen with dense LSNs.
func TestCloseRacesEveryCall(t *testing.T) {
	const warm = 20
	dir := walDir(t)
	w, err := Open(dir, WithDurability(DurabilityNone), WithPreallocate(false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Append([]byte("first")); err != nil {
		t.Fatal(err)
	}
	calls := closeRaceCalls(w)
	var warmedUp, stopped sync.WaitGroup
	failures := make(chan error, len(calls))
	for name, call := range calls {
		warmedUp.Add(1)
		stopped.Add(1)
		go func() {
			defer stopped.Done()
			ok := 0
			signal := sync.OnceFunc(warmedUp.Done)
			defer signal()
			for {
				err := call()
				switch {
				case err == nil:
					if ok++; ok == warm {
						signal()
					}
				case errors.Is(err, ErrClosed) && ok >= warm:
					return
				default:
					failures <- fmt.Errorf("%s (after %d successful calls): %v", name, ok, err)
					return
				}
			}
		}()
	}
	warmedUp.Wait()
	if err := w.Close(); err != nil {
		t.Fatalf("Close under load: %v", err)
	}
	stopped.Wait()
	close(failures)
	for err := range failures {
		t.Error(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	w2 := openT(t, dir)
	first, all := readAll(t, w2) // fails the test unless the LSNs are dense
	if first != 1 || len(all) == 0 || string(all[0]) != "first" {
		t.Fatalf("after reopen: first lsn %d, %d entries", first, len(all))
	}
}
