package walogs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"
)

// closeRaceCalls is every WAL method, called with arguments under which it succeeds on an
// open WAL holding at least one entry.
func closeRaceCalls(w *WAL, onDurableFailures chan<- error) map[string]func() error {
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
		"PurgeUpTo":      func() error { _, err := w.PurgeUpTo(0); return err },
		"PurgedUpTo":     func() error { _, err := w.PurgedUpTo(); return err },
		"SetUserData":    func() error { return w.SetUserData([]byte("user data")) },
		"UserData":       func() error { _, err := w.UserData(); return err },
		"ReadRange":      func() error { _, err := w.ReadRange(1, 20, 1<<20); return err },
		// Lsn 1 is durable once Sync ran (DurabilityNone): until then this blocks in C.
		"WaitDurable": func() error { return w.WaitDurable(context.Background(), 1) },
		"WaitDurableCtx": func() error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			return w.WaitDurable(ctx, 1)
		},
		"OnDurable": func() error {
			return w.OnDurable(1, func(err error) {
				if err != nil && !errors.Is(err, ErrClosed) {
					onDurableFailures <- err
				}
				_, _ = w.NextLSN() // calling back in, also while Close runs the callback
			})
		},
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
	onDurableFailures := make(chan error, 1000)
	calls := closeRaceCalls(w, onDurableFailures)
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
	// Every callback has run by now (Close runs what is pending): nil or ErrClosed only.
	close(onDurableFailures)
	for err := range onDurableFailures {
		t.Errorf("OnDurable callback: %v", err)
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
