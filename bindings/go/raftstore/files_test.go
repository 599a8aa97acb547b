package raftstore

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	walogs "example.invalid/walogs"
)

// The store's files (segments, the lock, the user data holding the stable store) are
// private whatever the umask (0600, the directory 0700), and WithFileMode applies to them
// exactly (0640, the directory 0750).
func TestFileModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	for _, c := range []struct {
		opts          []walogs.Option
		file, dirMode fs.FileMode
	}{
		{nil, 0o600, 0o700},
		{[]walogs.Option{walogs.WithFileMode(0o640)}, 0o640, 0o750},
	} {
		dir := filepath.Join(t.TempDir(), "raft")
		s := openStore(t, dir, append(c.opts, walogs.WithMaxSegmentSize(1024))...)
		if err := s.StoreLogs(testLogs(1, 100)); err != nil {
			t.Fatal(err)
		}
		if err := s.SetUint64([]byte("CurrentTerm"), 7); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(dir)
		if err != nil || st.Mode().Perm() != c.dirMode {
			t.Fatalf("directory mode %v (%v), want %#o", st.Mode().Perm(), err, c.dirMode)
		}
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) < 3 {
			t.Fatalf("expected a segment, the lock, the user data: %v (%v)", entries, err)
		}
		for _, e := range entries {
			info, err := e.Info()
			if err != nil || info.Mode().Perm() != c.file {
				t.Errorf("%s has mode %v (%v), want %#o", e.Name(), info.Mode().Perm(), err, c.file)
			}
		}
	}
}
