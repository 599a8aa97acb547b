package walogs

import (
	"bytes"
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
		ErrForked: CodeForked, ErrUnsafeFile: CodeUnsafeFile, ErrTimeout: CodeTimeout,
	}
	// The codes are the C ABI's numbers.
	want := map[Code]int32{CodeNullArgument: 100, CodeInvalidArgument: 101, CodeEntryTooLarge: 102,
		CodeBufferTooSmall: 103, CodeLocked: 200, CodePoisoned: 201, CodeReadOnly: 202, CodeClosed: 203,
		CodeCorrupt: 204, CodeLSNOutOfRange: 205, CodeForked: 206, CodeUnsafeFile: 207, CodeTimeout: 208,
		CodeIO: 300, CodePanic: 900}
	for s, c := range sentinels {
		if s.Code != c || int32(c) != want[c] {
			t.Fatalf("sentinel %v has code %d, want %d", s, s.Code, want[c])
		}
		if s.Code.String() == Code(12345).String() {
			t.Fatalf("the library does not describe code %d", s.Code)
		}
	}
	if len(sentinels) != len(want) {
		t.Fatalf("%d sentinels, %d codes", len(sentinels), len(want))
	}
	// The damage kinds are the C ABI's numbers, and each has its own name.
	kinds := map[DamageKind]uint32{DamageCompletedSegment: 1, DamageMidLog: 2, DamageLSNDiscontinuity: 3,
		DamageSegmentGap: 4, DamageEmptyCompletedSegment: 5, DamageSealMismatch: 6, DamageBelowSeal: 7,
		DamageMetadata: 8, DamageMixedLayout: 9, DamageChangedWhileReading: 10, DamageUserData: 11, DamageOther: 999}
	names := map[string]bool{}
	for k, n := range kinds {
		if uint32(k) != n || names[k.String()] || strings.HasPrefix(k.String(), "DamageKind(") {
			t.Fatalf("damage kind %d (%q), want number %d with a name of its own", uint32(k), k, n)
		}
		names[k.String()] = true
	}
	if DamageKind(12).String() != "DamageKind(12)" {
		t.Fatalf("DamageKind(12).String() = %q", DamageKind(12))
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
	var we *Error
	if !errors.As(err, &we) || we.Damage == nil {
		t.Fatalf("ErrCorrupt without Damage: %#v", err)
	}
	d := *we.Damage
	if d.Kind != DamageMidLog || !d.Salvageable || !d.HasFile || d.File != filepath.Base(seg) ||
		!d.HasOffset || d.Offset == 0 || d.Offset > uint64(mid) || !d.HasLastGoodLSN ||
		d.LastGoodLSN == 0 || !d.HasFirstLSNAfter || d.FirstLSNAfter <= d.LastGoodLSN+1 || d.FramesAfter == 0 {
		t.Fatalf("damage of a flipped byte at %d of %s: %+v", mid, filepath.Base(seg), d)
	}
	// A read-only open reports the same damage.
	_, err = Open(dir, WithReadOnly())
	if !errors.As(err, &we) || we.Damage == nil || *we.Damage != d {
		t.Fatalf("read-only Open: %#v, want the same damage %+v", err, d)
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
	// The salvage cut exactly what the damage described.
	if rep.SalvageOffset != d.Offset || rep.SalvageFirstLSNCut != d.FirstLSNAfter ||
		rep.SalvageValidFramesCut != d.FramesAfter || rep.NextLSN != d.LastGoodLSN+1 {
		t.Fatalf("salvage report %+v does not match the damage %+v", rep, d)
	}
	first, all := readAll(t, s)
	if first != 1 || uint64(len(all)) != rep.NextLSN-1 {
		t.Fatalf("after salvage: first %d, %d entries, report %+v", first, len(all), rep)
	}
	for i := range all {
		checkEqual(t, fmt.Sprintf("salvaged lsn %d", i+1), all[i], payload(fmt.Sprint(i+1), 100))
	}
}

// Damage as data for other kinds: a bad frame in a completed segment (not salvageable), a
// segment changed under an open WAL (found by a read), and no Damage on other failures.
func TestDamageKinds(t *testing.T) {
	dir := walDir(t)
	w := openT(t, dir, WithPreallocate(false))
	appendN(t, w, 1, 5)
	if err := w.Rotate(); err != nil {
		t.Fatal(err)
	}
	appendN(t, w, 6, 5)
	segs := segments(t, dir)
	if len(segs) != 2 {
		t.Fatalf("segments %v", segs)
	}
	data, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	// Change a payload byte of lsn 3 in place (the file keeps its size): the open WAL
	// verified it before, so a read finds that the file changed underneath.
	at := bytes.Index(data, []byte("e3|"))
	if at < 0 {
		t.Fatal("lsn 3's payload not found in the first segment")
	}
	data[at+5] ^= 0x20
	if err := os.WriteFile(segs[0], data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = w.Read(3)
	var we *Error
	if !errors.Is(err, ErrCorrupt) || !errors.As(err, &we) || we.Damage == nil ||
		we.Damage.Kind != DamageChangedWhileReading || we.Damage.File != filepath.Base(segs[0]) {
		t.Fatalf("Read of an entry changed under the WAL = %#v (damage %+v), want DamageChangedWhileReading in %s",
			err, damageOf(err), filepath.Base(segs[0]))
	}
	if _, err := w.Read(7); err != nil {
		t.Fatalf("Read of an intact entry in the other segment: %v", err)
	}
	// An iterator meets it too.
	it, err := w.Iter(1)
	if err != nil {
		t.Fatal(err)
	}
	for it.Next() {
	}
	if d := damageOf(it.Err()); d == nil || d.Kind != DamageChangedWhileReading {
		t.Fatalf("iterator over the changed entry ended with %v (damage %+v)", it.Err(), d)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	_, err = Open(dir)
	d := damageOf(err)
	if !errors.Is(err, ErrCorrupt) || d == nil || d.Kind != DamageCompletedSegment || d.Salvageable ||
		d.File != filepath.Base(segs[0]) || !d.HasOffset || d.Offset == 0 || d.Offset > uint64(at) {
		t.Fatalf("Open with a bad frame in a completed segment = %v, damage %+v", err, d)
	}
	if _, err := Open(dir, WithSalvage()); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("salvage of a completed segment's damage = %v, want ErrCorrupt", err)
	}

	// Other failures carry no damage.
	w2 := openT(t, walDir(t))
	if _, err := w2.Read(9); !errors.Is(err, ErrLSNOutOfRange) || damageOf(err) != nil {
		t.Fatalf("Read out of range = %v with damage %+v, want no damage", err, damageOf(err))
	}
	if _, err := Open(w2.Dir()); !errors.Is(err, ErrLocked) || damageOf(err) != nil {
		t.Fatalf("Open of a locked WAL = %v with damage %+v, want no damage", err, damageOf(err))
	}
}

func damageOf(err error) *Damage {
	var we *Error
	if errors.As(err, &we) {
		return we.Damage
	}
	return nil
}
