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
// missing, corrupt, bad option) open nothing that stays open, a read-only open gives back
// what it opened at Close, iterators run to the end without Close free their C iterator at
// once, and the segment files a WAL keeps open for readers (up to 64 per handle) are
// released by Close.
func TestNoDescriptorLeaks(t *testing.T) {
	corrupt := corruptDir(t)
	missing := filepath.Join(t.TempDir(), "missing")
	cycle := func(dir string) {
		w, err := Open(dir, WithMaxSegmentSize(4096))
		if err != nil {
			t.Fatal(err)
		}
		const n = 50
		for i := 0; i < n; i++ { // several segments
			if _, err := w.Append(payload(fmt.Sprint(i), 200)); err != nil {
				t.Fatal(err)
			}
		}
		opened := openFDs(t)
		for _, c := range []struct {
			dir  string
			opts []Option
			want error
		}{
			{dir, nil, ErrLocked},
			{missing, []Option{WithReadOnly()}, ErrIO},
			{corrupt, nil, ErrCorrupt},
			{dir + "-bad", []Option{WithSyncInterval(0)}, ErrInvalidArgument},
			{dir + "-bad", []Option{WithFileMode(0o400)}, ErrInvalidArgument},
		} {
			if _, err := Open(c.dir, c.opts...); !errors.Is(err, c.want) {
				t.Fatalf("Open(%s) = %v, want %v", c.dir, err, c.want)
			}
		}
		ro, err := Open(dir, WithReadOnly())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ro.Read(1); err != nil {
			t.Fatal(err)
		}
		if err := ro.Close(); err != nil {
			t.Fatal(err)
		}
		if now := openFDs(t); now != opened {
			t.Fatalf("%d descriptors before failed and read-only opens, %d after", opened, now)
		}

		// Reads in every segment: the WAL keeps the segment files open for later reads.
		for lsn := uint64(1); lsn <= n; lsn++ {
			if _, err := w.Read(lsn); err != nil {
				t.Fatal(err)
			}
		}
		if now := openFDs(t); now <= opened {
			t.Fatalf("%d descriptors after reading every segment, %d before: no segment file "+
				"is kept open for readers, so this test no longer checks that Close releases them", now, opened)
		}
		early, err := w.Iter(0)
		if err != nil {
			t.Fatal(err)
		}
		early.Next()
		early.Close()
		// Run to the end without Close: the C iterator is freed by the Next that returned
		// false, without waiting for the GC.
		it, err := w.Iter(0)
		if err != nil {
			t.Fatal(err)
		}
		for it.Next() {
		}
		if it.Err() != nil {
			t.Fatal(it.Err())
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
		if after := openFDs(t); after != before {
			t.Fatalf("%d descriptors open before an open/append/read/iterate/close cycle, %d after", before, after)
		}
	}
}
