package walogs

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// 16 goroutines append (durably, group commit) on one WAL: every LSN is distinct, the LSNs
// are dense, every payload reads back, and the durable watermark covers every ack.
func TestConcurrentAppends(t *testing.T) {
	const goroutines, perG = 16, 40
	w := openT(t, walDir(t))
	type ack struct {
		lsn uint64
		id  string
	}
	acks := make([][]ack, goroutines)
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < perG; i++ {
				id := fmt.Sprintf("g%d-%d", g, i)
				lsn, err := w.Append(payload(id, (g*perG+i)%300))
				if err != nil {
					errs <- err
					return
				}
				d, err := w.DurableLSN()
				if err != nil || d < lsn {
					errs <- fmt.Errorf("DurableLSN %d < acknowledged %d (%v)", d, lsn, err)
					return
				}
				acks[g] = append(acks[g], ack{lsn, id})
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[uint64]string{}
	for g := range acks {
		prev := uint64(0)
		for _, a := range acks[g] {
			if other, dup := seen[a.lsn]; dup {
				t.Fatalf("lsn %d given to %s and %s", a.lsn, other, a.id)
			}
			if a.lsn <= prev {
				t.Fatalf("goroutine %d got lsn %d after %d", g, a.lsn, prev)
			}
			prev = a.lsn
			seen[a.lsn] = a.id
		}
	}
	total := uint64(goroutines * perG)
	for lsn := uint64(1); lsn <= total; lsn++ {
		if _, ok := seen[lsn]; !ok {
			t.Fatalf("lsn %d missing: LSNs 1..%d are not dense", lsn, total)
		}
	}
	if n := mustU64(t, "NextLSN")(w.NextLSN()); n != total+1 {
		t.Fatalf("NextLSN = %d, want %d", n, total+1)
	}
	_, all := readAll(t, w)
	for lsn, id := range seen {
		g, i := 0, 0
		fmt.Sscanf(id, "g%d-%d", &g, &i)
		want := payload(id, (g*perG+i)%300)
		checkEqual(t, "iterated "+id, all[lsn-1], want)
		got, err := w.Read(lsn)
		if err != nil {
			t.Fatal(err)
		}
		checkEqual(t, "read "+id, got, want)
	}
}

// Appends, batches, reads, iterators and getters run together while the WAL is closed
// under them: every call either succeeds or returns ErrClosed, and everything acknowledged
// is in the log after a reopen.
func TestConcurrentMixedWithClose(t *testing.T) {
	dir := walDir(t)
	w, err := Open(dir, WithDurability(DurabilityManual))
	if err != nil {
		t.Fatal(err)
	}
	var acked sync.Map // lsn -> payload
	var count atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	failures := make(chan error, 64)
	report := func(err error) {
		if err != nil && !errors.Is(err, ErrClosed) {
			select {
			case failures <- err:
			default:
			}
		}
	}
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var mine uint64
			var minePayload []byte
			for i := 0; ; i++ {
				var err error
				switch i % 4 {
				case 0, 1:
					p := payload(fmt.Sprintf("m%d-%d", g, i), i%200)
					var lsn uint64
					if lsn, err = w.Append(p); err == nil {
						mine, minePayload = lsn, p
						acked.Store(lsn, p)
						count.Add(1)
					}
				case 2:
					b := [][]byte{payload(fmt.Sprintf("b%d-%d", g, i), 3), payload(fmt.Sprintf("c%d-%d", g, i), 0)}
					var first uint64
					if first, _, err = w.AppendBatch(b); err == nil {
						acked.Store(first, b[0])
						acked.Store(first+1, b[1])
						count.Add(2)
					}
				case 3:
					switch g % 4 {
					case 0:
						_, err = w.Sync()
					case 1:
						var it *Iterator
						if it, err = w.Iter(0, NoCopy()); err == nil {
							for n := 0; n < 50 && it.Next(); n++ {
								_ = it.Data()
							}
							err = it.Err()
							it.Close()
						}
					case 2:
						// NextLSN may count appends still in flight (not readable yet), so
						// read back this goroutine's own last acknowledged entry instead.
						if _, err = w.NextLSN(); err == nil && mine > 0 {
							var got []byte
							if got, err = w.Read(mine); err == nil && !bytes.Equal(got, minePayload) {
								err = fmt.Errorf("Read(%d) = %q, want %q", mine, got, minePayload)
							}
						}
					case 3:
						_, err = w.DurableLSN()
					}
				}
				if errors.Is(err, ErrClosed) {
					return
				}
				report(err)
				select {
				case <-stop:
					return
				default:
				}
			}
		}(g)
	}
	for count.Load() < 400 {
		select {
		case err := <-failures:
			t.Fatal(err)
		case <-time.After(time.Millisecond):
		}
	}
	if err := w.Close(); err != nil { // while the goroutines are still calling
		t.Fatalf("Close under load: %v", err)
	}
	close(stop)
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Fatal(err)
	}
	w2 := openT(t, dir)
	_, all := readAll(t, w2)
	n := 0
	acked.Range(func(k, v any) bool {
		lsn := k.(uint64)
		if lsn > uint64(len(all)) {
			t.Fatalf("acknowledged lsn %d missing (log has %d)", lsn, len(all))
		}
		checkEqual(t, fmt.Sprintf("lsn %d", lsn), all[lsn-1], v.([]byte))
		n++
		return true
	})
	if n != len(all) {
		t.Fatalf("%d acknowledged entries, %d in the log", n, len(all))
	}
}

// Each failing call's message is its own: the C last-error state is per OS thread, and the
// package reads it inside the failing C call. Many goroutines fail at once with different
// messages (each names its own LSN); none may see another's.
func TestErrorMessagesPerCall(t *testing.T) {
	w := openT(t, walDir(t))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				lsn := uint64(1000 + g*1000 + i)
				_, err := w.Read(lsn)
				var we *Error
				if !errors.As(err, &we) || we.Code != CodeLSNOutOfRange ||
					!strings.Contains(we.Message, fmt.Sprintf("lsn %d ", lsn)) {
					errs <- fmt.Errorf("Read(%d) failed with %v", lsn, err)
					return
				}
				if i%7 == 0 {
					runtime.Gosched()
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
