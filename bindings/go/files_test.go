package walogs

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// modes returns the permission bits of dir and of every file in it, by name ("." for dir).
func modes(t *testing.T, dir string) map[string]fs.FileMode {
	t.Helper()
	m := map[string]fs.FileMode{}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	m["."] = st.Mode().Perm()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = info.Mode().Perm()
	}
	return m
}

// populate makes walogs create each kind of file it has: segments (two, so walogs.meta
// records a seal), the lock, the user data.
func populate(t *testing.T, w *WAL) {
	t.Helper()
	if _, err := w.Append([]byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := w.Rotate(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Append([]byte("b")); err != nil {
		t.Fatal(err)
	}
	if err := w.SetUserData([]byte("u")); err != nil {
		t.Fatal(err)
	}
}

// Files walogs creates are private by default (0600, directory 0700); WithFileMode sets
// another mode, applied exactly whatever the umask (0640: directory 0750); a mode without
// owner read and write or beyond the permission bits is refused before anything is created.
func TestFileMode(t *testing.T) {
	// A umask that would narrow 0640 to 0600 and widen nothing: the mode must be exact.
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	for _, c := range []struct {
		opts          []Option
		file, dirMode fs.FileMode
	}{
		{nil, 0o600, 0o700},
		{[]Option{WithFileMode(0o640)}, 0o640, 0o750},
		{[]Option{WithFileMode(0o600)}, 0o600, 0o700},
	} {
		dir := walDir(t)
		w := openT(t, dir, c.opts...)
		populate(t, w)
		got := modes(t, dir)
		for _, name := range []string{"wal-000001.log", "wal-000002.log", "walogs.lock", "walogs.meta", "walogs.user"} {
			if _, ok := got[name]; !ok {
				t.Fatalf("%s was not created (files: %v)", name, got)
			}
		}
		for name, mode := range got {
			want := c.file
			if name == "." {
				want = c.dirMode
			}
			if mode != want {
				t.Errorf("with options %d: %s has mode %#o, want %#o", len(c.opts), name, mode, want)
			}
		}
	}
	for _, bad := range []fs.FileMode{0o400, 0o200, 0o060, 0o1640, 0o4600, fs.ModeDir | 0o600} {
		dir := walDir(t)
		if _, err := Open(dir, WithFileMode(bad)); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("Open with WithFileMode(%#o) = %v, want ErrInvalidArgument", uint32(bad), err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("a refused file mode still created %s (%v)", dir, err)
		}
	}
}

// A symbolic link or a hard-linked file under a walogs file name is refused with
// ErrUnsafeFile, naming the file, and nothing is written through it.
func TestUnsafeFileRefused(t *testing.T) {
	dir := walDir(t)
	w := openT(t, dir, WithPreallocate(false))
	appendN(t, w, 1, 3)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	seg := filepath.Join(dir, "wal-000001.log")
	elsewhere := filepath.Join(t.TempDir(), "segment")
	orig, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}

	check := func(what string) {
		t.Helper()
		for _, opts := range [][]Option{nil, {WithReadOnly()}} {
			_, err := Open(dir, opts...)
			var we *Error
			if !errors.Is(err, ErrUnsafeFile) || !errors.As(err, &we) || !strings.Contains(we.Message, "wal-000001.log") {
				t.Fatalf("Open (%d options) with %s = %v, want ErrUnsafeFile naming wal-000001.log", len(opts), what, err)
			}
		}
		if got, err := os.ReadFile(elsewhere); err != nil || !bytes.Equal(got, orig) {
			t.Fatalf("the file behind %s changed (%v)", what, err)
		}
	}

	// The segment moved elsewhere, a symbolic link to it in its place.
	if err := os.Rename(seg, elsewhere); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, seg); err != nil {
		t.Fatal(err)
	}
	check("a symlinked segment")

	// The segment back in place, with a second hard link elsewhere.
	if err := os.Remove(seg); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(elsewhere, seg); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir)
	if !errors.Is(err, ErrUnsafeFile) {
		t.Fatalf("writable Open with a hard-linked segment = %v, want ErrUnsafeFile", err)
	}
	if got, err := os.ReadFile(elsewhere); err != nil || !bytes.Equal(got, orig) {
		t.Fatalf("the hard-linked segment changed (%v)", err)
	}

	// Once it is an ordinary file again the WAL opens with its entries.
	if err := os.Remove(elsewhere); err != nil {
		t.Fatal(err)
	}
	w = openT(t, dir)
	_, all := readAll(t, w)
	if len(all) != 3 {
		t.Fatalf("%d entries after the link was removed, want 3", len(all))
	}
}

// Every walogs file name with a planted entry: a link to a file outside the WAL, a FIFO, a
// socket, or a second hard link outside the WAL. Read-only opens refuse it except where they
// never open that file (the lock) or read a hard-linked file; writable opens refuse it
// except a hard-linked walogs.meta (replaced by a rename, never written). Nothing blocks,
// the file outside keeps its bytes and modification time, the entry stays what it was.
func TestPlantedEntries(t *testing.T) {
	for _, c := range []struct {
		name             string
		kind             byte // 'l' link, 'f' FIFO, 's' socket, 'h' hard link
		roOpens, rwOpens bool
	}{
		{"wal-000002.log", 'l', false, false},
		{"wal-000001.log", 'l', false, false},
		{"walogs.lock", 'l', true, false},
		{"walogs.meta", 'l', false, false},
		{"walogs.user", 'l', false, false},
		{"wal.log", 'l', false, false},
		{"wal-000002.log", 'f', false, false},
		{"walogs.meta", 'f', false, false},
		{"walogs.user", 'f', false, false},
		{"walogs.lock", 'f', true, false},
		{"wal.log", 'f', false, false},
		{"wal-000002.log", 's', false, false},
		{"wal-000002.log", 'h', true, false},
		{"walogs.lock", 'h', true, false},
		{"walogs.user", 'h', true, false},
		{"walogs.meta", 'h', true, true},
	} {
		t.Run(c.name+"/"+string(c.kind), func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "wal")
			if c.name == "wal.log" {
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
			} else {
				w := openT(t, dir)
				populate(t, w)
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
			}
			p := filepath.Join(dir, c.name)
			outside := filepath.Join(root, "outside")
			if c.kind == 'h' {
				if err := os.Link(p, outside); err != nil {
					t.Fatal(err)
				}
			} else {
				if err := os.WriteFile(outside, bytes.Repeat([]byte("precious"), 100), 0o644); err != nil {
					t.Fatal(err)
				}
				_ = os.Remove(p)
				var err error
				switch c.kind {
				case 'l':
					err = os.Symlink(outside, p)
				case 'f':
					err = syscall.Mkfifo(p, 0o600)
				case 's':
					var fd int
					if fd, err = syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0); err == nil {
						err = syscall.Bind(fd, &syscall.SockaddrUnix{Name: p})
						syscall.Close(fd)
					}
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			snap := func() (string, int64) {
				b, err := os.ReadFile(outside)
				st, err2 := os.Stat(outside)
				if err != nil || err2 != nil {
					t.Fatal(err, err2)
				}
				return string(b), st.ModTime().UnixNano()
			}
			entry, err := os.Lstat(p)
			if err != nil {
				t.Fatal(err)
			}
			bytesBefore, timeBefore := snap()
			for _, ro := range []bool{true, false} {
				var opts []Option
				want := c.rwOpens
				if ro {
					opts, want = []Option{WithReadOnly()}, c.roOpens
				}
				w, err := Open(dir, opts...)
				switch {
				case want && err != nil:
					t.Fatalf("Open (read-only %v) = %v, want it to open", ro, err)
				case want:
					if !ro {
						if err := w.Rotate(); err != nil { // writes walogs.meta
							t.Fatal(err)
						}
					}
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
				case !errors.Is(err, ErrUnsafeFile) || !strings.Contains(err.Error(), c.name):
					t.Fatalf("Open (read-only %v) = %v, want ErrUnsafeFile naming %s", ro, err, c.name)
				}
				if b, tm := snap(); b != bytesBefore || tm != timeBefore {
					t.Fatalf("Open (read-only %v) changed the file outside the WAL", ro)
				}
			}
			if c.name == "walogs.meta" && c.kind == 'h' {
				return // replaced by a rename: the outside name keeps the old file
			}
			after, err := os.Lstat(p)
			if err != nil || after.Mode() != entry.Mode() || !os.SameFile(after, entry) {
				t.Fatalf("the planted %s changed (%v)", c.name, err)
			}
		})
	}
}

// The streams store creates private files whatever the umask, and WithFileMode applies to it
// exactly.
func TestStreamsFileMode(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	for _, c := range []struct {
		opts          []Option
		file, dirMode fs.FileMode
	}{
		{nil, 0o600, 0o700},
		{[]Option{WithFileMode(0o640)}, 0o640, 0o750},
	} {
		dir := walDir(t)
		s, err := OpenStreams(dir, c.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Append("t", []byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		got := modes(t, dir)
		if len(got) < 3 {
			t.Fatalf("expected a segment and the lock: %v", got)
		}
		for name, mode := range got {
			want := c.file
			if name == "." {
				want = c.dirMode
			}
			if mode != want {
				t.Errorf("%s has mode %#o, want %#o", name, mode, want)
			}
		}
	}
}
