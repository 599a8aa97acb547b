package walogs

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// WaitDurable: lsn 0 and durable entries at once, an LSN never handed out refused, the
// context's deadline or cancellation ends the wait with the context's error, a Sync
// releases a waiter, a truncation fails it.
func TestWaitDurable(t *testing.T) {
	w := openT(t, walDir(t), WithDurability(DurabilityManual))
	bg := context.Background()
	if err := w.WaitDurable(bg, 0); err != nil {
		t.Fatalf("WaitDurable(0) = %v, want nil", err)
	}
	lsn, err := w.Append([]byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WaitDurable(bg, lsn+1); !errors.Is(err, ErrLSNOutOfRange) {
		t.Fatalf("WaitDurable(an LSN never handed out) = %v, want ErrLSNOutOfRange", err)
	}
	var nilCtx context.Context // bad input: refused, not a panic
	if err := w.WaitDurable(nilCtx, lsn); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("WaitDurable(nil ctx) = %v, want ErrInvalidArgument", err)
	}

	// Under DurabilityManual nothing makes lsn durable: only the context ends the wait.
	ctx, cancel := context.WithTimeout(bg, 30*time.Millisecond)
	err = w.WaitDurable(ctx, lsn)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitDurable past the context's deadline = %v, want context.DeadlineExceeded", err)
	}
	ctx, cancel = context.WithCancel(bg)
	result := make(chan error, 1)
	go func() { result <- w.WaitDurable(ctx, lsn) }()
	cancel()
	if err := <-result; !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitDurable with a cancelled context = %v, want context.Canceled", err)
	}

	// A waiter without a time limit is released by Sync.
	go func() { result <- w.WaitDurable(bg, lsn) }()
	waitUntilInC(t, "walogs_wait_durable")
	if _, err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := <-result; err != nil {
		t.Fatalf("WaitDurable released by Sync = %v, want nil", err)
	}
	// Durable: nil at once, even with a context that is already done.
	done, cancelDone := context.WithCancel(bg)
	cancelDone()
	if err := w.WaitDurable(done, lsn); err != nil {
		t.Fatalf("WaitDurable(durable lsn, done ctx) = %v, want nil", err)
	}

	// A waiter for an entry truncated away fails with ErrLSNOutOfRange.
	later, err := w.Append([]byte("b"))
	if err != nil {
		t.Fatal(err)
	}
	go func() { result <- w.WaitDurable(bg, later) }()
	waitUntilInC(t, "walogs_wait_durable")
	if _, err := w.TruncateAfter(lsn); err != nil {
		t.Fatal(err)
	}
	if err := <-result; !errors.Is(err, ErrLSNOutOfRange) {
		t.Fatalf("WaitDurable(truncated lsn) = %v, want ErrLSNOutOfRange", err)
	}
}

// waitUntilInC waits until some goroutine is inside the C function fn (its stack shows the
// cgo call and the runtime reports it in a system call), so that a test can act on a call
// that is really blocked in the library. Only a wait: the test does not depend on how long.
func waitUntilInC(t *testing.T, fn string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for i := 0; ; i++ {
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			if strings.Contains(g, "_Cfunc_"+fn+"(") && strings.Contains(g, " [syscall") {
				return
			}
		}
		if i == 10000 {
			t.Fatalf("no goroutine entered %s:\n%s", fn, buf[:n])
		}
		time.Sleep(time.Millisecond)
	}
}

// Close wakes a WaitDurable blocked in the library instead of waiting for it (the waiter
// holds the WAL's read lock while it waits; Close shuts the WAL down before it takes the
// write lock). The entry Close made durable is nil; a wait begun after Close, ErrClosed.
func TestCloseWakesWaitDurable(t *testing.T) {
	w, err := Open(walDir(t), WithDurability(DurabilityManual))
	if err != nil {
		t.Fatal(err)
	}
	lsn, err := w.Append([]byte("made durable by Close"))
	if err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() { result <- w.WaitDurable(context.Background(), lsn) }()
	waitUntilInC(t, "walogs_wait_durable")
	if err := w.Close(); err != nil {
		t.Fatalf("Close with a blocked WaitDurable: %v", err)
	}
	if err := <-result; err != nil {
		t.Fatalf("WaitDurable for an entry Close made durable = %v, want nil", err)
	}
	if err := w.WaitDurable(context.Background(), lsn); !errors.Is(err, ErrClosed) {
		t.Fatalf("WaitDurable after Close = %v, want ErrClosed", err)
	}
}

// OnDurable: the callback runs once, off the caller's goroutine, with nil once the entry is
// durable; an LSN never handed out and a nil callback are refused at once (the callback
// never runs); a truncated entry's callback gets ErrLSNOutOfRange with its message.
func TestOnDurable(t *testing.T) {
	w := openT(t, walDir(t), WithDurability(DurabilityManual))
	lsn, err := w.Append([]byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	outcomes := make(chan error, 16)
	report := func(err error) { outcomes <- err }
	if err := w.OnDurable(lsn+1, func(error) { t.Error("a refused callback ran") }); !errors.Is(err, ErrLSNOutOfRange) {
		t.Fatalf("OnDurable(an LSN never handed out) = %v, want ErrLSNOutOfRange", err)
	}
	if err := w.OnDurable(lsn, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("OnDurable(nil callback) = %v, want ErrInvalidArgument", err)
	}
	if err := w.OnDurable(0, report); err != nil {
		t.Fatal(err)
	}
	if err := <-outcomes; err != nil {
		t.Fatalf("callback for lsn 0 got %v, want nil", err)
	}
	for i := 0; i < 3; i++ {
		if err := w.OnDurable(lsn, report); err != nil {
			t.Fatalf("OnDurable: %v", err)
		}
	}
	select {
	case err := <-outcomes:
		t.Fatalf("a callback ran (%v) before its entry was durable", err)
	default:
	}
	if _, err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := <-outcomes; err != nil {
			t.Fatalf("callback after Sync got %v, want nil", err)
		}
	}

	later, err := w.Append([]byte("b"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.OnDurable(later, report); err != nil {
		t.Fatal(err)
	}
	if _, err := w.TruncateAfter(lsn); err != nil {
		t.Fatal(err)
	}
	err = <-outcomes
	var we *Error
	if !errors.Is(err, ErrLSNOutOfRange) || !errors.As(err, &we) || !strings.Contains(we.Message, "walogs_on_durable") {
		t.Fatalf("callback for a truncated entry got %#v, want ErrLSNOutOfRange with the library's message", err)
	}
}

// A callback that panics changes nothing: the process lives, later callbacks of the same
// WAL still run, the WAL works.
func TestOnDurableCallbackPanics(t *testing.T) {
	w := openT(t, walDir(t), WithDurability(DurabilityManual))
	lsn, err := w.Append([]byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	reached := make(chan string, 4)
	if err := w.OnDurable(lsn, func(error) {
		reached <- "panicking"
		panic("a bug in the caller's callback")
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.OnDurable(lsn, func(err error) {
		var nilMap map[string]int
		reached <- "second"
		//lint:ignore SA5000 the test needs a runtime panic, not only panic()
		nilMap["x"] = 1
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.OnDurable(lsn, func(err error) { reached <- "third" }); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"panicking", "second", "third"} {
		if got := <-reached; got != want {
			t.Fatalf("callback %q ran, want %q (callbacks run in registration order)", got, want)
		}
	}
	next, err := w.Append([]byte("b"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.OnDurable(next, func(err error) { reached <- "after" }); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if got := <-reached; got != "after" {
		t.Fatalf("callback after the panics: %q", got)
	}
}

// A callback may call back into its WAL: while it is open (append, read, a nested
// OnDurable), and while Close runs the callbacks still pending (it gets ErrClosed at once
// instead of waiting for Close, which waits for it). A callback may even wait for another
// entry: Close makes it durable and then waits for the callback.
func TestOnDurableCallsBackIntoWAL(t *testing.T) {
	w, err := Open(walDir(t), WithDurability(DurabilityManual))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	lsn, err := w.Append([]byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		lsn uint64
		err error
	}
	inner := make(chan outcome, 4)
	if err := w.OnDurable(lsn, func(err error) {
		if err != nil {
			inner <- outcome{0, err}
			return
		}
		appended, err := w.Append([]byte("from a callback"))
		if err == nil {
			_, err = w.Read(appended)
		}
		if err == nil {
			err = w.OnDurable(appended, func(err error) { inner <- outcome{appended, err} })
		}
		if err == nil {
			_, err = w.Sync()
		}
		if err != nil {
			inner <- outcome{0, err}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if o := <-inner; o.err != nil || o.lsn != lsn+1 {
		t.Fatalf("a callback's append, read, OnDurable and Sync: %+v", o)
	}

	// Pending at Close: the callback's calls fail with ErrClosed (instead of deadlocking).
	blocked, err := w.Append([]byte("made durable by Close"))
	if err != nil {
		t.Fatal(err)
	}
	waiter, err := w.Append([]byte("waited for inside a callback"))
	if err != nil {
		t.Fatal(err)
	}
	closing := make(chan error, 4)
	entered := make(chan struct{})
	if err := w.OnDurable(0, func(error) {
		close(entered)
		// Blocks on the notifier thread (Manual: nothing syncs) until Close makes it durable.
		closing <- w.WaitDurable(context.Background(), waiter)
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.OnDurable(blocked, func(err error) {
		closing <- err
		_, err = w.NextLSN()
		closing <- err
	}); err != nil {
		t.Fatal(err)
	}
	<-entered
	waitUntilInC(t, "walogs_wait_durable")
	if err := w.Close(); err != nil {
		t.Fatalf("Close with callbacks calling back: %v", err)
	}
	if err := <-closing; err != nil {
		t.Fatalf("WaitDurable inside a callback, released by Close = %v, want nil", err)
	}
	if err := <-closing; err != nil {
		t.Fatalf("callback for an entry Close made durable got %v, want nil", err)
	}
	if err := <-closing; !errors.Is(err, ErrClosed) {
		t.Fatalf("NextLSN from a callback run by Close = %v, want ErrClosed", err)
	}
}

// Close from a callback of the same WAL shuts it down at once (the callback's later calls
// and every other call get ErrClosed, the lock is released) and the handle is freed by a
// goroutine of its own; also while another goroutine's Close waits for that callback.
func TestCloseFromCallback(t *testing.T) {
	for _, outsideClose := range []bool{false, true} {
		dir := walDir(t)
		w, err := Open(dir, WithDurability(DurabilityManual))
		if err != nil {
			t.Fatal(err)
		}
		lsn, err := w.Append([]byte("a"))
		if err != nil {
			t.Fatal(err)
		}
		results := make(chan error, 2)
		if err := w.OnDurable(lsn, func(error) {
			results <- w.Close()
			_, err := w.Append([]byte("after Close"))
			results <- err
		}); err != nil {
			t.Fatal(err)
		}
		if outsideClose {
			// Close runs the pending callback, which closes too.
			if err := w.Close(); err != nil {
				t.Fatalf("Close running a callback that closes: %v", err)
			}
		} else if _, err := w.Sync(); err != nil {
			t.Fatal(err)
		}
		if err := <-results; err != nil {
			t.Fatalf("Close from a callback = %v, want nil", err)
		}
		if err := <-results; !errors.Is(err, ErrClosed) {
			t.Fatalf("Append after Close inside the callback = %v, want ErrClosed", err)
		}
		if _, err := w.Append([]byte("x")); !errors.Is(err, ErrClosed) {
			t.Fatalf("Append after a callback closed the WAL = %v, want ErrClosed", err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Close after a callback closed the WAL = %v, want nil", err)
		}
		w2 := openT(t, dir) // the lock was released, the entry kept
		if got, err := w2.Read(lsn); err != nil || string(got) != "a" {
			t.Fatalf("after reopen: %q, %v", got, err)
		}
	}
}

// Many goroutines register callbacks and append while others sync: every registered
// callback runs exactly once, with nil, and Close leaves none behind.
func TestOnDurableConcurrent(t *testing.T) {
	w, err := Open(walDir(t), WithDurability(DurabilityManual))
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, perG = 8, 50
	var mu sync.Mutex
	calls := map[uint64]int{}
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < perG; i++ {
				lsn, err := w.Append(payload("c", i))
				if err == nil {
					err = w.OnDurable(lsn, func(err error) {
						if err != nil {
							t.Errorf("callback for lsn %d: %v", lsn, err)
						}
						mu.Lock()
						calls[lsn]++
						mu.Unlock()
					})
				}
				if err == nil && i%10 == g%10 {
					_, err = w.Sync()
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	if err := w.Close(); err != nil { // runs what is left (durable by then: nil)
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != goroutines*perG {
		t.Fatalf("%d callbacks ran, want %d", len(calls), goroutines*perG)
	}
	for lsn, n := range calls {
		if n != 1 {
			t.Fatalf("callback for lsn %d ran %d times", lsn, n)
		}
	}
}
