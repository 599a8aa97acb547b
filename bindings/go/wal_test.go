package walogs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestVersion(t *testing.T) {
	v := Version()
	if len(strings.Split(v, ".")) != 3 {
		t.Fatalf("Version() = %q, want MAJOR.MINOR.PATCH", v)
	}
}

func TestAppendReadIterate(t *testing.T) {
	dir := walDir(t)
	w := openT(t, dir)
	if w.Dir() != dir {
		t.Fatalf("Dir() = %q, want %q", w.Dir(), dir)
	}
	if n := mustU64(t, "NextLSN")(w.NextLSN()); n != 1 {
		t.Fatalf("NextLSN of a new WAL = %d, want 1", n)
	}
	if d := mustU64(t, "DurableLSN")(w.DurableLSN()); d != 0 {
		t.Fatalf("DurableLSN of a new WAL = %d, want 0", d)
	}
	sizes := []int{0, 1, 100, 255, 256, 257, 4096, 1 << 20, 3}
	var want [][]byte
	for i, n := range sizes {
		p := payload(fmt.Sprintf("e%d", i), n)
		if n == 0 {
			p = nil // an empty entry
		}
		lsn, err := w.Append(p)
		if err != nil {
			t.Fatalf("Append(%d bytes): %v", len(p), err)
		}
		if lsn != uint64(i+1) {
			t.Fatalf("Append #%d got lsn %d, want %d", i, lsn, i+1)
		}
		if d := mustU64(t, "DurableLSN")(w.DurableLSN()); d < lsn {
			t.Fatalf("DurableLSN %d < acknowledged lsn %d under DurabilityEveryAppend", d, lsn)
		}
		want = append(want, p)
	}
	for i, p := range want {
		got, err := w.Read(uint64(i + 1))
		if err != nil {
			t.Fatalf("Read(%d): %v", i+1, err)
		}
		checkEqual(t, fmt.Sprintf("Read(%d)", i+1), got, p)
	}
	// ReadInto: exact buffer, then one byte short.
	buf := make([]byte, len(want[2]))
	n, err := w.ReadInto(3, buf)
	if err != nil || n != len(want[2]) {
		t.Fatalf("ReadInto(3, exact) = %d, %v", n, err)
	}
	checkEqual(t, "ReadInto(3)", buf[:n], want[2])
	short := bytes.Repeat([]byte{'#'}, len(want[2])-1)
	n, err = w.ReadInto(3, short)
	if !errors.Is(err, ErrBufferTooSmall) || n != len(want[2]) {
		t.Fatalf("ReadInto(3, short) = %d, %v; want %d, ErrBufferTooSmall", n, err, len(want[2]))
	}
	if bytes.Count(short, []byte{'#'}) != len(short) {
		t.Fatal("ReadInto wrote into a buffer that was too small")
	}
	if n, err := w.ReadInto(1, nil); err != nil || n != 0 {
		t.Fatalf("ReadInto(empty entry, nil) = %d, %v", n, err)
	}

	// Copying iterator from the start: the data survives later Next calls and edits.
	first, all := readAll(t, w)
	if first != 1 || len(all) != len(want) {
		t.Fatalf("iterated first %d, %d entries; want 1, %d", first, len(all), len(want))
	}
	for i := range want {
		checkEqual(t, fmt.Sprintf("iterated lsn %d", i+1), all[i], want[i])
	}
	all[2][0] ^= 0xff
	if again, _ := w.Read(3); !bytes.Equal(again, want[2]) {
		t.Fatal("editing an iterated entry changed the WAL")
	}

	// From the middle, no-copy.
	it, err := w.Iter(5, NoCopy())
	if err != nil {
		t.Fatalf("Iter(5, NoCopy): %v", err)
	}
	lsn := uint64(5)
	for it.Next() {
		if it.LSN() != lsn {
			t.Fatalf("no-copy iterator lsn %d, want %d", it.LSN(), lsn)
		}
		checkEqual(t, fmt.Sprintf("no-copy lsn %d", lsn), it.Data(), want[lsn-1])
		lsn++
	}
	if it.Err() != nil || lsn != uint64(len(want)+1) {
		t.Fatalf("no-copy iteration ended at %d with %v", lsn, it.Err())
	}
	if it.Next() || it.LSN() != 0 || it.Data() != nil {
		t.Fatal("Next after the end must stay false with no current entry")
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if err := it.Close(); err != nil {
		t.Fatalf("second Iterator.Close: %v", err)
	}
	if it.Next() {
		t.Fatal("Next after Close returned true")
	}

	// An iterator at NextLSN is empty; past it, out of range.
	next := mustU64(t, "NextLSN")(w.NextLSN())
	it, err = w.Iter(next)
	if err != nil {
		t.Fatalf("Iter(NextLSN): %v", err)
	}
	if it.Next() || it.Err() != nil {
		t.Fatalf("Iter(NextLSN) yielded an entry or an error: %v", it.Err())
	}
	it.Close()
	if _, err := w.Iter(next + 1); !errors.Is(err, ErrLSNOutOfRange) {
		t.Fatalf("Iter(NextLSN+1) = %v, want ErrLSNOutOfRange", err)
	}
	if _, err := w.Read(next); !errors.Is(err, ErrLSNOutOfRange) {
		t.Fatalf("Read(NextLSN) = %v, want ErrLSNOutOfRange", err)
	}
	if _, err := w.Read(0); !errors.Is(err, ErrLSNOutOfRange) {
		t.Fatalf("Read(0) = %v, want ErrLSNOutOfRange", err)
	}

	// Entries come back after a clean close and reopen.
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	w2 := openT(t, dir)
	_, again := readAll(t, w2)
	for i := range want {
		checkEqual(t, fmt.Sprintf("after reopen lsn %d", i+1), again[i], want[i])
	}
	rep, err := w2.RecoveryReport()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Tail.Truncated || rep.FirstLSN != 1 || rep.NextLSN != next || rep.Segments != 1 ||
		rep.Salvaged || rep.ReadOnly || rep.MigratedV1 || rep.SalvageFile != "" {
		t.Fatalf("report after a clean reopen: %+v", rep)
	}
}

func TestAppendBatch(t *testing.T) {
	w := openT(t, walDir(t))
	if _, err := w.Append([]byte("before")); err != nil {
		t.Fatal(err)
	}
	backing := []byte("0123456789")
	batch := [][]byte{backing[:3], backing[3:7], nil, {}, backing[7:], payload("big", 70000)}
	first, last, err := w.AppendBatch(batch)
	if err != nil {
		t.Fatalf("AppendBatch: %v", err)
	}
	if first != 2 || last != first+uint64(len(batch))-1 {
		t.Fatalf("AppendBatch = %d..%d, want 2..%d", first, last, 1+len(batch))
	}
	first2, last2, err := w.AppendMany([][]byte{[]byte("m1"), []byte("m2"), payload("m3", 5)})
	if err != nil || first2 != last+1 || last2 != last+3 {
		t.Fatalf("AppendMany = %d..%d, %v; want %d..%d", first2, last2, err, last+1, last+3)
	}
	for i, e := range batch {
		got, err := w.Read(first + uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		checkEqual(t, fmt.Sprintf("batch entry %d", i), got, e)
	}
	if got, _ := w.Read(last2); !bytes.Equal(got, payload("m3", 5)) {
		t.Fatalf("AppendMany entry: %q", got)
	}
	// Truncating inside the atomic batch: a batch is atomic against a crash during its
	// append, and can be cut later on request.
	if n, err := w.TruncateAfter(first + 1); err != nil || n != last2-first-1 {
		t.Fatalf("TruncateAfter inside an atomic batch = %d, %v; want %d removed", n, err, last2-first-1)
	}
	if lsn, err := w.Append([]byte("after the cut")); err != nil || lsn != first+2 {
		t.Fatalf("Append after the cut = %d, %v; want %d", lsn, err, first+2)
	}
	_, all := readAll(t, w) // dense LSNs up to NextLSN
	if want := int(first + 2); len(all) != want {
		t.Fatalf("%d entries after the cut and one append, want %d", len(all), want)
	}
	checkEqual(t, "the batch's first entry", all[first-1], batch[0])
	checkEqual(t, "the batch's second entry", all[first], batch[1])
	checkEqual(t, "the entry after the cut", all[first+1], []byte("after the cut"))
	for _, empty := range [][][]byte{nil, {}} {
		if _, _, err := w.AppendBatch(empty); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("AppendBatch(empty) = %v, want ErrInvalidArgument", err)
		}
		if _, _, err := w.AppendMany(empty); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("AppendMany(empty) = %v, want ErrInvalidArgument", err)
		}
	}
	next := mustU64(t, "NextLSN")(w.NextLSN())
	// Over MaxBatchSize in total (each entry fits on its own): nothing written.
	big := make([]byte, 17<<20-100)
	big = big[:MaxEntrySize]
	huge := [][]byte{big, big, big, big, big}
	if _, _, err := w.AppendBatch(huge); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("AppendBatch over MaxBatchSize = %v, want ErrTooLarge", err)
	}
	// One entry over MaxEntrySize: refused before anything is written, atomic or not.
	over := [][]byte{[]byte("ok"), make([]byte, MaxEntrySize+1)}
	if _, _, err := w.AppendMany(over); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("AppendMany with an entry over MaxEntrySize = %v, want ErrTooLarge", err)
	}
	if n := mustU64(t, "NextLSN")(w.NextLSN()); n != next {
		t.Fatalf("a refused batch moved NextLSN from %d to %d", next, n)
	}
}

func TestDurabilityAndSync(t *testing.T) {
	w := openT(t, walDir(t), WithDurability(DurabilityManual))
	var lsn uint64
	for i := 0; i < 5; i++ {
		var err error
		if lsn, err = w.Append([]byte("manual")); err != nil {
			t.Fatal(err)
		}
	}
	if d := mustU64(t, "DurableLSN")(w.DurableLSN()); d >= lsn {
		t.Fatalf("DurableLSN %d before Sync under DurabilityManual, want < %d", d, lsn)
	}
	d, err := w.Sync()
	if err != nil || d != lsn {
		t.Fatalf("Sync() = %d, %v; want %d", d, err, lsn)
	}
	if d := mustU64(t, "DurableLSN")(w.DurableLSN()); d != lsn {
		t.Fatalf("DurableLSN after Sync = %d, want %d", d, lsn)
	}

	for _, o := range []Option{WithDurability(DurabilityNone), WithSyncInterval(5 * time.Millisecond),
		WithSyncInterval(time.Microsecond), WithDurability(DurabilityEveryAppend)} {
		w := openT(t, walDir(t), o)
		if _, err := w.Append([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if d, err := w.Sync(); err != nil || d != 1 {
			t.Fatalf("Sync = %d, %v", d, err)
		}
	}
	for _, o := range []Option{WithSyncInterval(0), WithDurability(Durability(99)), WithDurability(DurabilityInterval)} {
		if _, err := Open(walDir(t), o); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("Open with a bad durability = %v, want ErrInvalidArgument", err)
		}
	}
}

func segments(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "wal-*.log"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRotateCheckpointTruncate(t *testing.T) {
	dir := walDir(t)
	w := openT(t, dir, WithPreallocate(false))
	for i := 1; i <= 10; i++ {
		if _, err := w.Append(payload(fmt.Sprint(i), i)); err != nil {
			t.Fatal(err)
		}
		if i%5 == 0 {
			if err := w.Rotate(); err != nil {
				t.Fatalf("Rotate: %v", err)
			}
		}
	}
	if err := w.Rotate(); err != nil { // the active segment is empty: a no-op
		t.Fatal(err)
	}
	if n, err := w.SegmentCount(); err != nil || n != 3 || len(segments(t, dir)) != 3 {
		t.Fatalf("SegmentCount = %d, %v (files %v); want 3", n, err, segments(t, dir))
	}
	if n, err := w.Checkpoint(0); err != nil || n != 0 {
		t.Fatalf("Checkpoint(0) = %d, %v; want 0", n, err)
	}
	if n, err := w.Checkpoint(7); err != nil || n != 1 {
		t.Fatalf("Checkpoint(7) = %d, %v; want 1 (only segment 1..5 is all applied)", n, err)
	}
	if f := mustU64(t, "FirstLSN")(w.FirstLSN()); f != 6 {
		t.Fatalf("FirstLSN after checkpoint = %d, want 6", f)
	}
	if _, err := w.Read(3); !errors.Is(err, ErrLSNOutOfRange) {
		t.Fatalf("Read(checkpointed) = %v, want ErrLSNOutOfRange", err)
	}
	if _, err := w.Iter(2); !errors.Is(err, ErrLSNOutOfRange) {
		t.Fatalf("Iter(checkpointed) = %v, want ErrLSNOutOfRange", err)
	}
	// Keep up to 8: removes 9 and 10 (in the completed second segment).
	if n, err := w.TruncateAfter(8); err != nil || n != 2 {
		t.Fatalf("TruncateAfter(8) = %d, %v; want 2", n, err)
	}
	if n := mustU64(t, "NextLSN")(w.NextLSN()); n != 9 {
		t.Fatalf("NextLSN after TruncateAfter(8) = %d, want 9", n)
	}
	if n, err := w.TruncateAfter(100); err != nil || n != 0 {
		t.Fatalf("TruncateAfter(past the end) = %d, %v; want 0", n, err)
	}
	if _, err := w.TruncateAfter(2); !errors.Is(err, ErrLSNOutOfRange) {
		t.Fatalf("TruncateAfter(below the oldest) = %v, want ErrLSNOutOfRange", err)
	}
	if lsn, err := w.Append([]byte("new 9")); err != nil || lsn != 9 {
		t.Fatalf("Append after truncate = %d, %v; want 9", lsn, err)
	}
	first, all := readAll(t, w)
	if first != 6 || len(all) != 4 || string(all[3]) != "new 9" {
		t.Fatalf("after checkpoint+truncate: first %d, %q", first, all)
	}
	checkEqual(t, "lsn 8", all[2], payload("8", 8))

	// Automatic rotation with a small maximum segment size.
	w2 := openT(t, walDir(t), WithMaxSegmentSize(1000))
	for i := 0; i < 30; i++ {
		if _, err := w2.Append(make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := w2.SegmentCount(); err != nil || n < 3 {
		t.Fatalf("SegmentCount with 1000-byte segments after 30x116 bytes = %d, %v", n, err)
	}
	// 0: never rotate automatically.
	w3 := openT(t, walDir(t), WithMaxSegmentSize(0))
	for i := 0; i < 30; i++ {
		if _, err := w3.Append(make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := w3.SegmentCount(); err != nil || n != 1 {
		t.Fatalf("SegmentCount with WithMaxSegmentSize(0) = %d, %v; want 1", n, err)
	}
}

func TestUseAfterClose(t *testing.T) {
	dir := walDir(t)
	w, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.AppendBatch([][]byte{[]byte("a"), []byte("b")}); err != nil {
		t.Fatal(err)
	}
	it, err := w.Iter(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v, want nil", err)
	}
	calls := map[string]func() error{
		"Append":         func() error { _, err := w.Append([]byte("x")); return err },
		"AppendBatch":    func() error { _, _, err := w.AppendBatch([][]byte{{1}}); return err },
		"AppendMany":     func() error { _, _, err := w.AppendMany([][]byte{{1}}); return err },
		"Sync":           func() error { _, err := w.Sync(); return err },
		"DurableLSN":     func() error { _, err := w.DurableLSN(); return err },
		"NextLSN":        func() error { _, err := w.NextLSN(); return err },
		"FirstLSN":       func() error { _, err := w.FirstLSN(); return err },
		"SegmentCount":   func() error { _, err := w.SegmentCount(); return err },
		"Rotate":         func() error { return w.Rotate() },
		"Checkpoint":     func() error { _, err := w.Checkpoint(1); return err },
		"TruncateAfter":  func() error { _, err := w.TruncateAfter(1); return err },
		"IsPoisoned":     func() error { _, err := w.IsPoisoned(); return err },
		"IsReadOnly":     func() error { _, err := w.IsReadOnly(); return err },
		"Read":           func() error { _, err := w.Read(1); return err },
		"ReadInto":       func() error { _, err := w.ReadInto(1, make([]byte, 8)); return err },
		"Iter":           func() error { _, err := w.Iter(0); return err },
		"TailState":      func() error { _, err := w.TailState(); return err },
		"RecoveryReport": func() error { _, err := w.RecoveryReport(); return err },
		"PurgeUpTo":      func() error { _, err := w.PurgeUpTo(1); return err },
		"PurgedUpTo":     func() error { _, err := w.PurgedUpTo(); return err },
		"SetUserData":    func() error { return w.SetUserData([]byte("u")) },
		"UserData":       func() error { _, err := w.UserData(); return err },
		"ReadRange":      func() error { _, err := w.ReadRange(1, 10, 1<<20); return err },
		"WaitDurable":    func() error { return w.WaitDurable(context.Background(), 1) },
		"OnDurable": func() error {
			return w.OnDurable(1, func(error) { t.Error("a callback refused after Close ran") })
		},
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
			continue
		}
		if !strings.Contains(err.Error(), name) {
			t.Errorf("%s after Close: message %q does not name the call", name, err)
		}
	}
	// An iterator reads its WAL's log: after Close its next Next ends it with ErrClosed.
	if it.Next() {
		t.Fatalf("iterator after WAL.Close returned lsn %d", it.LSN())
	}
	if err := it.Err(); !errors.Is(err, ErrClosed) {
		t.Fatalf("iterator after WAL.Close: Err() = %v, want ErrClosed", err)
	}
	if it.Next() || it.it != nil {
		t.Fatal("an iterator ended by ErrClosed must stay over, its C iterator freed")
	}
	it.Close()
	// The lock was released: the directory opens again.
	w2 := openT(t, dir)
	if n := mustU64(t, "NextLSN")(w2.NextLSN()); n != 3 {
		t.Fatalf("NextLSN after reopen = %d, want 3", n)
	}
}

func TestFinalizerReleasesLock(t *testing.T) {
	dir := walDir(t)
	func() {
		w, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Append([]byte("leaked")); err != nil {
			t.Fatal(err)
		}
		// w is dropped without Close.
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		w, err := Open(dir)
		if err == nil {
			defer w.Close()
			if got, err := w.Read(1); err != nil || string(got) != "leaked" {
				t.Fatalf("Read after the finalizer closed the WAL: %q, %v", got, err)
			}
			return
		}
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("Open: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the finalizer of an unreachable WAL never released its lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTornTailRecovery(t *testing.T) {
	dir := walDir(t)
	w := openT(t, dir)
	for i := 0; i < 5; i++ {
		if _, err := w.Append(payload(fmt.Sprint(i), 50)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	segs := segments(t, dir)
	if len(segs) != 1 {
		t.Fatalf("segments: %v", segs)
	}
	st, err := os.Stat(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	// A torn final write: the first 7 bytes of a frame header.
	f, err := os.OpenFile(segs[0], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte{9, 0, 0, 0, 1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	f.Close()

	// Read-only: reports what it would cut, changes nothing.
	ro := openT(t, dir, WithReadOnly())
	rep, err := ro.RecoveryReport()
	if err != nil {
		t.Fatal(err)
	}
	if !rep.ReadOnly || !rep.Tail.Truncated || rep.Tail.Offset != uint64(st.Size()) || rep.BytesTruncated != 7 {
		t.Fatalf("read-only report of a torn tail: %+v (file size was %d)", rep, st.Size())
	}
	if st2, _ := os.Stat(segs[0]); st2.Size() != st.Size()+7 {
		t.Fatal("a read-only open changed the segment")
	}
	ro.Close()

	w2 := openT(t, dir)
	ts, err := w2.TailState()
	if err != nil || !ts.Truncated || ts.Offset != uint64(st.Size()) {
		t.Fatalf("TailState = %+v, %v; want truncated at %d", ts, err, st.Size())
	}
	rep, err = w2.RecoveryReport()
	if err != nil || rep.Tail != ts || rep.BytesTruncated != 7 || rep.NextLSN != 6 || rep.ReadOnly {
		t.Fatalf("report = %+v, %v", rep, err)
	}
	_, all := readAll(t, w2)
	for i := range all {
		checkEqual(t, fmt.Sprintf("lsn %d after a torn tail", i+1), all[i], payload(fmt.Sprint(i), 50))
	}
	if lsn, err := w2.Append([]byte("after")); err != nil || lsn != 6 {
		t.Fatalf("Append after recovery = %d, %v", lsn, err)
	}
}

// Nil and empty inputs: nil options are ignored, nil and empty entries are empty entries, a
// nil *WAL is closed, a nil *Iterator is over; none of them panics.
func TestNilAndEmptyInputs(t *testing.T) {
	var nilWAL *WAL
	if err := nilWAL.Close(); err != nil {
		t.Fatalf("Close of a nil *WAL = %v, want nil", err)
	}
	if _, err := nilWAL.Append([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append on a nil *WAL = %v, want ErrClosed", err)
	}
	if nilWAL.Dir() != "" {
		t.Fatal("Dir of a nil *WAL must be empty")
	}
	if _, err := nilWAL.Iter(0); !errors.Is(err, ErrClosed) {
		t.Fatalf("Iter on a nil *WAL = %v, want ErrClosed", err)
	}
	if err := nilWAL.OnDurable(1, func(error) { t.Error("a callback refused on a nil *WAL ran") }); !errors.Is(err, ErrClosed) {
		t.Fatalf("OnDurable on a nil *WAL = %v, want ErrClosed", err)
	}
	if err := nilWAL.WaitDurable(context.Background(), 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("WaitDurable on a nil *WAL = %v, want ErrClosed", err)
	}
	if _, err := nilWAL.ReadRange(1, 1, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("ReadRange on a nil *WAL = %v, want ErrClosed", err)
	}
	var zero WAL
	if _, err := zero.NextLSN(); !errors.Is(err, ErrClosed) {
		t.Fatalf("NextLSN on a zero WAL = %v, want ErrClosed", err)
	}
	if err := zero.OnDurable(1, func(error) {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("OnDurable on a zero WAL = %v, want ErrClosed", err)
	}
	if err := zero.Close(); err != nil {
		t.Fatalf("Close of a zero WAL = %v, want nil", err)
	}
	var nilIt *Iterator
	if nilIt.Next() || nilIt.LSN() != 0 || nilIt.Data() != nil || nilIt.Err() != nil || nilIt.Close() != nil {
		t.Fatal("a nil *Iterator must behave as one that is over")
	}

	w := openT(t, walDir(t), nil, WithPreallocate(false), nil)
	if lsn, err := w.Append(nil); err != nil || lsn != 1 {
		t.Fatalf("Append(nil) = %d, %v; want 1", lsn, err)
	}
	if first, last, err := w.AppendBatch([][]byte{nil, {}}); err != nil || first != 2 || last != 3 {
		t.Fatalf("AppendBatch(nil, empty) = %d..%d, %v; want 2..3", first, last, err)
	}
	if first, last, err := w.AppendMany([][]byte{{}}); err != nil || first != 4 || last != 4 {
		t.Fatalf("AppendMany(empty) = %d..%d, %v; want 4..4", first, last, err)
	}
	for _, opts := range [][]IterOption{{nil}, {nil, NoCopy()}} {
		it, err := w.Iter(0, opts...)
		if err != nil {
			t.Fatalf("Iter with a nil option: %v", err)
		}
		n := 0
		for it.Next() {
			if d := it.Data(); d == nil || len(d) != 0 {
				t.Fatalf("empty entry lsn %d: Data() = %#v, want an empty non-nil slice", it.LSN(), d)
			}
			n++
		}
		if n != 4 || it.Err() != nil {
			t.Fatalf("iterated %d empty entries (err %v), want 4", n, it.Err())
		}
		it.Close()
	}
	if got, err := w.Read(2); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("Read(empty entry) = %#v, %v", got, err)
	}
}

// WithSyncInterval rounds up to whole milliseconds without overflowing.
func TestSyncIntervalRounding(t *testing.T) {
	for _, c := range []struct {
		d  time.Duration
		ms uint64
	}{
		{-time.Second, 0}, {0, 0}, {1, 1}, {time.Millisecond, 1}, {time.Millisecond + 1, 2},
		{1500 * time.Microsecond, 2}, {time.Hour, 3600000},
		{math.MaxInt64, math.MaxInt64/uint64(time.Millisecond) + 1},
	} {
		var o options
		WithSyncInterval(c.d)(&o)
		if o.intervalMs != c.ms || o.durability != DurabilityInterval {
			t.Errorf("WithSyncInterval(%v): %d ms, durability %d; want %d ms", c.d, o.intervalMs, o.durability, c.ms)
		}
	}
}

// The documented limits, at their edges: an atomic batch of exactly MaxBatchSize (payloads
// + 4 bytes per entry + 4) is written, one byte more is ErrTooLarge with nothing written,
// and AppendMany takes the same entries (and more) past MaxBatchSize.
func TestBatchLimits(t *testing.T) {
	w := openT(t, walDir(t), WithDurability(DurabilityNone), WithMaxSegmentSize(0))
	full := make([]byte, MaxEntrySize)
	const n = 4
	lastLen := MaxBatchSize - 4 - 4*n - (n-1)*MaxEntrySize
	exact := [][]byte{full, full, full, full[:lastLen]}
	over := [][]byte{full, full, full, full[:lastLen+1]}
	if _, _, err := w.AppendBatch(over); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("AppendBatch of MaxBatchSize+1 bytes = %v, want ErrTooLarge", err)
	}
	if next := mustU64(t, "NextLSN")(w.NextLSN()); next != 1 {
		t.Fatalf("a refused batch moved NextLSN to %d", next)
	}
	if first, last, err := w.AppendBatch(exact); err != nil || first != 1 || last != n {
		t.Fatalf("AppendBatch of exactly MaxBatchSize bytes = %d..%d, %v; want 1..%d", first, last, err, n)
	}
	more := append(over, full)
	first, last, err := w.AppendMany(more)
	if err != nil || first != n+1 || last != n+uint64(len(more)) {
		t.Fatalf("AppendMany past MaxBatchSize = %d..%d, %v; want %d..%d", first, last, err, n+1, n+len(more))
	}
	for lsn, want := range map[uint64]int{n: lastLen, n + n: lastLen + 1, last: MaxEntrySize} {
		got, err := w.Read(lsn)
		if err != nil || len(got) != want {
			t.Fatalf("Read(%d) = %d bytes, %v; want %d", lsn, len(got), err, want)
		}
	}
}
