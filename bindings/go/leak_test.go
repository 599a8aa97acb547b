package walogs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func openFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// corruptDir is a closed WAL with mid-log damage (Open fails with ErrCorrupt).
func corruptDir(t *testing.T) string {
	t.Helper()
	dir := walDir(t)
	w := openT(t, dir)
	for i := 0; i < 20; i++ {
		if _, err := w.Append(payload(fmt.Sprint(i), 100)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	seg := segments(t, dir)[0]
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x5a
	if err := os.WriteFile(seg, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// No path through the package leaves a file descriptor open: opens that fail (locked,
// missing, corrupt, bad option), read-only opens, iterators closed early, and iterators run
// to the end without Close (freed when Next returns false, without waiting for the GC).
func TestNoDescriptorLeaks(t *testing.T) {
	corrupt := corruptDir(t)
	missing := filepath.Join(t.TempDir(), "missing")
	cycle := func(dir string) {
		w, err := Open(dir, WithMaxSegmentSize(4096))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 50; i++ { // several segments
			if _, err := w.Append(payload(fmt.Sprint(i), 200)); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			dir  string
			opts []Option
			want error
		}{
			{dir, nil, ErrLocked},
			{missing, []Option{WithReadOnly()}, ErrIO},
			{corrupt, nil, ErrCorrupt},
			{dir + "-bad", []Option{WithSyncInterval(0)}, ErrInvalidArgument},
		} {
			if _, err := Open(c.dir, c.opts...); !errors.Is(err, c.want) {
				t.Fatalf("Open(%s) = %v, want %v", c.dir, err, c.want)
			}
		}
		ro, err := Open(dir, WithReadOnly())
		if err != nil {
			t.Fatal(err)
		}
		if err := ro.Close(); err != nil {
			t.Fatal(err)
		}
		early, err := w.Iter(0)
		if err != nil {
			t.Fatal(err)
		}
		early.Next()
		early.Close()

		// Run to the end without Close: the descriptors the iterator opened are released,
		// and the C iterator (its buffers) freed, by the Next that returned false.
		before := openFDs(t)
		it, err := w.Iter(0)
		if err != nil {
			t.Fatal(err)
		}
		if !it.Next() {
			t.Fatal("no entry")
		}
		if openFDs(t) <= before {
			t.Fatal("an iterator that is reading holds no descriptor: this test checks nothing")
		}
		for it.Next() {
		}
		if it.Err() != nil {
			t.Fatal(it.Err())
		}
		if after := openFDs(t); after != before {
			t.Fatalf("%d descriptors before Iter, %d after Next returned false", before, after)
		}
		if it.it != nil {
			t.Fatal("the C iterator was not freed when Next returned false")
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	cycle(walDir(t)) // the runtime and the test harness open some descriptors lazily
	before := openFDs(t)
	for i := 0; i < 10; i++ {
		cycle(walDir(t))
	}
	if after := openFDs(t); after != before {
		t.Fatalf("%d descriptors open before 10 open/append/iterate/close cycles, %d after", before, after)
	}
}
