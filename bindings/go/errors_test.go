package walogs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestErrorType(t *testing.T) {
	e := &Error{Code: CodeIO, Message: "walogs_append: write failed", Errno: syscall.ENOSPC}
	if !errors.Is(e, ErrIO) || errors.Is(e, ErrCorrupt) {
		t.Fatal("errors.Is must match on Code")
	}
	if !errors.Is(e, syscall.ENOSPC) {
		t.Fatal("an I/O error must unwrap to its errno")
	}
	var errno syscall.Errno
	if !errors.As(fmt.Errorf("wrapped: %w", e), &errno) || errno != syscall.ENOSPC {
		t.Fatal("errors.As through a wrap must find the errno")
	}
	if s := e.Error(); !strings.Contains(s, "walogs_append: write failed") || !strings.Contains(s, "errno 28") {
		t.Fatalf("Error() = %q", s)
	}
	if s := ErrLocked.Error(); !strings.HasPrefix(s, "walogs: ") || len(s) <= len("walogs: ") {
		t.Fatalf("sentinel Error() = %q", s)
	}
	if (&Error{Code: CodeCorrupt}).Unwrap() != nil {
		t.Fatal("a non-I/O error unwraps to nothing")
	}
	if CodeLocked.String() == CodeCorrupt.String() || Code(12345).String() == "" {
		t.Fatal("Code.String must describe each code")
	}
	sentinels := map[*Error]Code{
		ErrInvalidArgument: CodeInvalidArgument, ErrTooLarge: CodeEntryTooLarge,
		ErrBufferTooSmall: CodeBufferTooSmall, ErrLocked: CodeLocked, ErrPoisoned: CodePoisoned,
		ErrReadOnly: CodeReadOnly, ErrClosed: CodeClosed, ErrCorrupt: CodeCorrupt,
		ErrLSNOutOfRange: CodeLSNOutOfRange, ErrIO: CodeIO, ErrPanic: CodePanic, ErrNullArgument: CodeNullArgument,
	}
	// The codes are the C ABI's numbers.
	want := map[Code]int32{CodeNullArgument: 100, CodeInvalidArgument: 101, CodeEntryTooLarge: 102,
		CodeBufferTooSmall: 103, CodeLocked: 200, CodePoisoned: 201, CodeReadOnly: 202, CodeClosed: 203,
		CodeCorrupt: 204, CodeLSNOutOfRange: 205, CodeIO: 300, CodePanic: 900}
	for s, c := range sentinels {
		if s.Code != c || int32(c) != want[c] {
			t.Fatalf("sentinel %v has code %d, want %d", s, s.Code, want[c])
		}
	}
}

func TestErrLocked(t *testing.T) {
	dir := walDir(t)
	w := openT(t, dir)
	_, err := Open(dir)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open of %s = %v, want ErrLocked", dir, err)
	}
	var we *Error
	if !errors.As(err, &we) || we.Message == "" {
		t.Fatalf("ErrLocked without a message: %#v", err)
	}
	// A read-only open takes no lock and sees the writer's entries.
	if _, err := w.Append([]byte("seen")); err != nil {
		t.Fatal(err)
	}
	ro := openT(t, dir, WithReadOnly())
	if got, err := ro.Read(1); err != nil || string(got) != "seen" {
		t.Fatalf("read-only Read = %q, %v", got, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	openT(t, dir) // lock released by Close
}

func TestErrReadOnly(t *testing.T) {
	dir := walDir(t)
	w := openT(t, dir)
	if _, err := w.Append([]byte("a")); err != nil {
		t.Fatal(err)
	}
	if ro, err := w.IsReadOnly(); err != nil || ro {
		t.Fatalf("IsReadOnly of a writable WAL = %v, %v", ro, err)
	}
	w.Close()
	ro := openT(t, dir, WithReadOnly())
	if yes, err := ro.IsReadOnly(); err != nil || !yes {
		t.Fatalf("IsReadOnly = %v, %v", yes, err)
	}
	mutators := map[string]func() error{
		"Append":        func() error { _, err := ro.Append([]byte("x")); return err },
		"AppendBatch":   func() error { _, _, err := ro.AppendBatch([][]byte{{1}}); return err },
		"AppendMany":    func() error { _, _, err := ro.AppendMany([][]byte{{1}}); return err },
		"Sync":          func() error { _, err := ro.Sync(); return err },
		"Rotate":        func() error { return ro.Rotate() },
		"Checkpoint":    func() error { _, err := ro.Checkpoint(1); return err },
		"TruncateAfter": func() error { _, err := ro.TruncateAfter(0); return err },
	}
	for name, call := range mutators {
		if err := call(); !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s on a read-only WAL = %v, want ErrReadOnly", name, err)
		}
	}
	if got, err := ro.Read(1); err != nil || string(got) != "a" {
		t.Fatalf("Read on a read-only WAL = %q, %v", got, err)
	}
}

func TestErrTooLarge(t *testing.T) {
	w := openT(t, walDir(t))
	big := make([]byte, MaxEntrySize+1)
	if _, err := w.Append(big); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Append(MaxEntrySize+1) = %v, want ErrTooLarge", err)
	}
	if n := mustU64(t, "NextLSN")(w.NextLSN()); n != 1 {
		t.Fatalf("a refused append moved NextLSN to %d", n)
	}
	if lsn, err := w.Append(big[:MaxEntrySize]); err != nil || lsn != 1 {
		t.Fatalf("Append(MaxEntrySize) = %d, %v", lsn, err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(""); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("Open(\"\") = %v, want ErrInvalidArgument", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "a\x00b")); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("Open(path with NUL) = %v, want ErrInvalidArgument", err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	_, err := Open(missing, WithReadOnly())
	if !errors.Is(err, ErrIO) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("read-only Open of a missing directory = %v, want ErrIO wrapping ENOENT", err)
	}
	var we *Error
	if !errors.As(err, &we) || we.Errno != syscall.ENOENT {
		t.Fatalf("Errno = %v, want ENOENT", we)
	}
	// A path under a regular file cannot be created.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(filepath.Join(file, "wal")); !errors.Is(err, ErrIO) {
		t.Fatalf("Open under a regular file = %v, want ErrIO", err)
	}
}

// Mid-log damage (a bad frame followed by valid ones) is ErrCorrupt, naming the file; the
// salvage option cuts it and reports what was cut.
func TestErrCorruptAndSalvage(t *testing.T) {
	dir := walDir(t)
	w := openT(t, dir)
	const n = 20
	for i := 1; i <= n; i++ {
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
	mid := len(data) / 2
	data[mid] ^= 0x5a
	if err := os.WriteFile(seg, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of a WAL with mid-log damage = %v, want ErrCorrupt", err)
	}
	if !strings.Contains(err.Error(), filepath.Base(seg)) {
		t.Fatalf("ErrCorrupt message %q does not name %s", err, filepath.Base(seg))
	}
	s := openT(t, dir, WithSalvage())
	rep, err := s.RecoveryReport()
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Salvaged || rep.SalvageFile != filepath.Base(seg) || rep.SalvageOffset == 0 ||
		rep.SalvageOffset > uint64(mid) || rep.SalvageValidFramesCut == 0 ||
		rep.SalvageFirstLSNCut <= 1 || rep.SalvageBytesCut != uint64(len(data))-rep.SalvageOffset ||
		rep.NextLSN >= n || rep.NextLSN < 2 {
		t.Fatalf("salvage report: %+v (damage at byte %d of %d)", rep, mid, len(data))
	}
	first, all := readAll(t, s)
	if first != 1 || uint64(len(all)) != rep.NextLSN-1 {
		t.Fatalf("after salvage: first %d, %d entries, report %+v", first, len(all), rep)
	}
	for i := range all {
		checkEqual(t, fmt.Sprintf("salvaged lsn %d", i+1), all[i], payload(fmt.Sprint(i+1), 100))
	}
}
