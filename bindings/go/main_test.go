package walogs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Child processes re-execute the test binary with WALOGS_GO_TEST_CHILD set (see
// crash_test.go); TestMain sends them to their role instead of running the tests.
const childEnv = "WALOGS_GO_TEST_CHILD"

func TestMain(m *testing.M) {
	switch role := os.Getenv(childEnv); role {
	case "":
		os.Exit(m.Run())
	case "crash":
		crashChild()
	case "poison":
		poisonChild()
	default:
		fmt.Fprintf(os.Stderr, "unknown child role %q\n", role)
		os.Exit(2)
	}
}

// payload is the deterministic content of an entry: an id followed by a pattern of a
// length derived from the id, so that a reader can check it byte for byte.
func payload(id string, n int) []byte {
	b := make([]byte, 0, len(id)+1+n)
	b = append(b, id...)
	b = append(b, '|')
	for i := 0; i < n; i++ {
		b = append(b, byte('a'+(i*7+len(id))%26))
	}
	return b
}

func openT(t *testing.T, dir string, opts ...Option) *WAL {
	t.Helper()
	w, err := Open(dir, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return w
}

func walDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "wal")
}

// mustU64(t, "NextLSN")(w.NextLSN()) fails the test on an error, else gives the value.
func mustU64(t *testing.T, what string) func(uint64, error) uint64 {
	t.Helper()
	return func(v uint64, err error) uint64 {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

// readAll iterates the whole WAL (copying) and returns the entries by LSN, failing the test
// when the LSNs are not dense from FirstLSN.
func readAll(t *testing.T, w *WAL) (first uint64, entries [][]byte) {
	t.Helper()
	first = mustU64(t, "FirstLSN")(w.FirstLSN())
	it, err := w.Iter(0)
	if err != nil {
		t.Fatalf("Iter(0): %v", err)
	}
	defer it.Close()
	want := first
	for it.Next() {
		if it.LSN() != want {
			t.Fatalf("iterator gave lsn %d, want %d (LSNs must be dense)", it.LSN(), want)
		}
		entries = append(entries, it.Data())
		want++
	}
	if err := it.Err(); err != nil {
		t.Fatalf("iteration: %v", err)
	}
	next := mustU64(t, "NextLSN")(w.NextLSN())
	if want != next {
		t.Fatalf("iteration ended before lsn %d, NextLSN is %d", want, next)
	}
	return first, entries
}

func checkEqual(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: got %d bytes %q..., want %d bytes %q...", what, len(got), trunc(got), len(want), trunc(want))
	}
}

func trunc(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}
