package walogs

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// appendN appends n entries payload("e<lsn>", 100) and fails the test unless they get the
// LSNs from..from+n-1.
func appendN(t *testing.T, w *WAL, from uint64, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		want := from + uint64(i)
		lsn, err := w.Append(payload(fmt.Sprint("e", want), 100))
		if err != nil || lsn != want {
			t.Fatalf("Append = %d, %v; want lsn %d", lsn, err, want)
		}
	}
}

// PurgeUpTo: entries up to the LSN become unreadable at once and for good, segment files
// wholly below it go, a purge below the floor is a no-op, truncating below the floor is
// refused, and a purge past the end restarts the log after it (also after a reopen).
func TestPurgeUpTo(t *testing.T) {
	dir := walDir(t)
	w := openT(t, dir, WithMaxSegmentSize(1000), WithPreallocate(false))
	appendN(t, w, 1, 20) // ~116 bytes a frame: several segments
	segsBefore := mustInt(t, "SegmentCount")(w.SegmentCount())
	if p := mustU64(t, "PurgedUpTo")(w.PurgedUpTo()); p != 0 {
		t.Fatalf("PurgedUpTo of a new WAL = %d, want 0", p)
	}
	deleted, err := w.PurgeUpTo(12)
	if err != nil {
		t.Fatalf("PurgeUpTo(12): %v", err)
	}
	if deleted == 0 || mustInt(t, "SegmentCount")(w.SegmentCount()) != segsBefore-deleted {
		t.Fatalf("PurgeUpTo(12) deleted %d of %d segments; SegmentCount now %d",
			deleted, segsBefore, mustInt(t, "SegmentCount")(w.SegmentCount()))
	}
	if f := mustU64(t, "FirstLSN")(w.FirstLSN()); f != 13 {
		t.Fatalf("FirstLSN after PurgeUpTo(12) = %d, want 13", f)
	}
	if p := mustU64(t, "PurgedUpTo")(w.PurgedUpTo()); p != 12 {
		t.Fatalf("PurgedUpTo = %d, want 12", p)
	}
	// Unreadable at once, even if its segment file is still there.
	if _, err := w.Read(12); !errors.Is(err, ErrLSNOutOfRange) {
		t.Fatalf("Read(12) after PurgeUpTo(12) = %v, want ErrLSNOutOfRange", err)
	}
	if _, err := w.Iter(5); !errors.Is(err, ErrLSNOutOfRange) {
		t.Fatalf("Iter(5) after the purge = %v, want ErrLSNOutOfRange", err)
	}
	if _, err := w.ReadRange(12, 10, 1<<20); !errors.Is(err, ErrLSNOutOfRange) {
		t.Fatalf("ReadRange(12) after the purge = %v, want ErrLSNOutOfRange", err)
	}
	if _, err := w.TruncateAfter(11); !errors.Is(err, ErrLSNOutOfRange) {
		t.Fatalf("TruncateAfter below the floor = %v, want ErrLSNOutOfRange", err)
	}
	first, all := readAll(t, w)
	if first != 13 || len(all) != 8 {
		t.Fatalf("after PurgeUpTo(12): first %d, %d entries; want 13, 8", first, len(all))
	}
	checkEqual(t, "lsn 13", all[0], payload("e13", 100))
	// Below the floor: nothing happens.
	if n, err := w.PurgeUpTo(5); err != nil || n != 0 {
		t.Fatalf("PurgeUpTo below the floor = %d, %v; want 0, nil", n, err)
	}
	if p := mustU64(t, "PurgedUpTo")(w.PurgedUpTo()); p != 12 {
		t.Fatalf("a purge below the floor moved it to %d", p)
	}
	// Durable: a reopen keeps the floor.
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w = openT(t, dir, WithMaxSegmentSize(1000), WithPreallocate(false))
	if f, p := mustU64(t, "FirstLSN")(w.FirstLSN()), mustU64(t, "PurgedUpTo")(w.PurgedUpTo()); f != 13 || p != 12 {
		t.Fatalf("after reopen: FirstLSN %d, PurgedUpTo %d; want 13, 12", f, p)
	}
	// Past the end (a snapshot installed at 100): an empty log whose next LSN is 101.
	if _, err := w.PurgeUpTo(100); err != nil {
		t.Fatalf("PurgeUpTo past the end: %v", err)
	}
	if n, f := mustU64(t, "NextLSN")(w.NextLSN()), mustU64(t, "FirstLSN")(w.FirstLSN()); n != 101 || f != 101 {
		t.Fatalf("after PurgeUpTo(100): NextLSN %d, FirstLSN %d; want 101, 101", n, f)
	}
	if _, err := w.Read(20); !errors.Is(err, ErrLSNOutOfRange) {
		t.Fatalf("Read(20) after a purge past the end = %v, want ErrLSNOutOfRange", err)
	}
	appendN(t, w, 101, 2)
	// Never backwards: a purge below the new floor changes nothing.
	if n, err := w.PurgeUpTo(50); err != nil || n != 0 || mustU64(t, "NextLSN")(w.NextLSN()) != 103 {
		t.Fatalf("PurgeUpTo(50) after the restart = %d, %v", n, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w = openT(t, dir)
	first, all = readAll(t, w)
	if first != 101 || len(all) != 2 || mustU64(t, "PurgedUpTo")(w.PurgedUpTo()) != 100 {
		t.Fatalf("after reopen: first %d, %d entries, floor %d; want 101, 2, 100",
			first, len(all), mustU64(t, "PurgedUpTo")(w.PurgedUpTo()))
	}
	checkEqual(t, "lsn 102", all[1], payload("e102", 100))
}

func mustInt(t *testing.T, what string) func(int, error) int {
	t.Helper()
	return func(v int, err error) int {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

// TruncateAfter at every kind of LSN: inside an AppendMany unit, at and past the end, below
// the oldest entry; the entries after the cut are gone for readers and the LSNs reused.
func TestTruncateAnywhere(t *testing.T) {
	w := openT(t, walDir(t))
	entries := make([][]byte, 10)
	for i := range entries {
		entries[i] = payload(fmt.Sprint("m", i+1), i*10)
	}
	if first, last, err := w.AppendMany(entries); err != nil || first != 1 || last != 10 {
		t.Fatalf("AppendMany = %d..%d, %v", first, last, err)
	}
	if n, err := w.TruncateAfter(10); err != nil || n != 0 {
		t.Fatalf("TruncateAfter(newest) = %d, %v; want 0", n, err)
	}
	if n, err := w.TruncateAfter(1 << 40); err != nil || n != 0 {
		t.Fatalf("TruncateAfter(past the end) = %d, %v; want 0", n, err)
	}
	if n, err := w.TruncateAfter(6); err != nil || n != 4 {
		t.Fatalf("TruncateAfter(6) inside the unit = %d, %v; want 4", n, err)
	}
	if _, err := w.Read(7); !errors.Is(err, ErrLSNOutOfRange) {
		t.Fatalf("Read(7) after the cut = %v, want ErrLSNOutOfRange", err)
	}
	appendN(t, w, 7, 1)
	_, all := readAll(t, w)
	if len(all) != 7 {
		t.Fatalf("%d entries, want 7", len(all))
	}
	checkEqual(t, "lsn 6", all[5], entries[5])
	checkEqual(t, "lsn 7", all[6], payload("e7", 100))
	if _, err := w.TruncateAfter(0); err != nil { // keep nothing
		t.Fatalf("TruncateAfter(0): %v", err)
	}
	if n := mustU64(t, "NextLSN")(w.NextLSN()); n != 1 {
		t.Fatalf("NextLSN after TruncateAfter(0) = %d, want 1", n)
	}
}

// User data: empty before the first set, replaced whole, durable across a reopen, readable
// read-only; over MaxUserData it is ErrTooLarge with nothing changed; it makes the entries
// appended before it durable first.
func TestUserData(t *testing.T) {
	dir := walDir(t)
	w := openT(t, dir, WithDurability(DurabilityManual))
	if u, err := w.UserData(); err != nil || u == nil || len(u) != 0 {
		t.Fatalf("UserData of a new WAL = %#v, %v; want empty, non-nil", u, err)
	}
	lsn, err := w.Append([]byte("not yet durable"))
	if err != nil {
		t.Fatal(err)
	}
	if d := mustU64(t, "DurableLSN")(w.DurableLSN()); d >= lsn {
		t.Fatalf("DurableLSN %d before any sync under DurabilityManual", d)
	}
	if err := w.SetUserData([]byte("term 3, vote 2")); err != nil {
		t.Fatalf("SetUserData: %v", err)
	}
	if d := mustU64(t, "DurableLSN")(w.DurableLSN()); d < lsn {
		t.Fatalf("SetUserData left lsn %d not durable (DurableLSN %d)", lsn, d)
	}
	if u, err := w.UserData(); err != nil || string(u) != "term 3, vote 2" {
		t.Fatalf("UserData = %q, %v", u, err)
	}
	max := bytes.Repeat([]byte{0xa5}, MaxUserData)
	max[0], max[MaxUserData-1] = 1, 2
	if err := w.SetUserData(max); err != nil {
		t.Fatalf("SetUserData(MaxUserData bytes): %v", err)
	}
	if u, err := w.UserData(); err != nil || !bytes.Equal(u, max) {
		t.Fatalf("UserData after a MaxUserData-byte value: %d bytes, %v", len(u), err)
	}
	if err := w.SetUserData(make([]byte, MaxUserData+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("SetUserData(MaxUserData+1 bytes) = %v, want ErrTooLarge", err)
	}
	if u, err := w.UserData(); err != nil || !bytes.Equal(u, max) {
		t.Fatalf("a refused SetUserData changed the value (%d bytes, %v)", len(u), err)
	}
	if err := w.SetUserData([]byte("kept")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	ro := openT(t, dir, WithReadOnly())
	if u, err := ro.UserData(); err != nil || string(u) != "kept" {
		t.Fatalf("read-only UserData = %q, %v", u, err)
	}
	if err := ro.SetUserData([]byte("x")); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("SetUserData on a read-only WAL = %v, want ErrReadOnly", err)
	}
	w = openT(t, dir)
	if u, err := w.UserData(); err != nil || string(u) != "kept" {
		t.Fatalf("UserData after reopen = %q, %v", u, err)
	}
	if err := w.SetUserData(nil); err != nil {
		t.Fatal(err)
	}
	if u, err := w.UserData(); err != nil || u == nil || len(u) != 0 {
		t.Fatalf("UserData after SetUserData(nil) = %#v, %v; want empty, non-nil", u, err)
	}
}

// ReadRange: bounded by entries and bytes, at least one entry, empty at NextLSN, out of
// range outside the log; the returned entries are independent copies.
func TestReadRange(t *testing.T) {
	w := openT(t, walDir(t))
	want := [][]byte{payload("a", 10), nil, payload("c", 300), payload("d", 50), payload("e", 5000)}
	for _, p := range want {
		if _, err := w.Append(p); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, got []Entry, from uint64, n int) {
		t.Helper()
		if len(got) != n {
			t.Fatalf("%s: %d entries, want %d", what, len(got), n)
		}
		for i, e := range got {
			if e.LSN != from+uint64(i) {
				t.Fatalf("%s: entry %d has lsn %d, want %d", what, i, e.LSN, from+uint64(i))
			}
			if e.Data == nil {
				t.Fatalf("%s: lsn %d: nil Data", what, e.LSN)
			}
			checkEqual(t, fmt.Sprintf("%s: lsn %d", what, e.LSN), e.Data, want[e.LSN-1])
		}
	}
	all, err := w.ReadRange(1, 100, 1<<20)
	if err != nil {
		t.Fatalf("ReadRange(1, 100, 1 MiB): %v", err)
	}
	check("everything", all, 1, 5)
	got, err := w.ReadRange(2, 2, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	check("two from lsn 2", got, 2, 2)
	// maxBytes: lsn 1 (12 bytes) and 2 (0) fit in 20, lsn 3 (302) does not.
	got, err = w.ReadRange(1, 100, 20)
	if err != nil {
		t.Fatal(err)
	}
	check("at most 20 bytes", got, 1, 2)
	// At least one entry, even over maxBytes.
	got, err = w.ReadRange(5, 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	check("one entry over maxBytes", got, 5, 1)
	got, err = w.ReadRange(6, 10, 100)
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("ReadRange(NextLSN) = %#v, %v; want empty, non-nil", got, err)
	}
	for _, from := range []uint64{0, 7, 1 << 50} {
		if _, err := w.ReadRange(from, 10, 100); !errors.Is(err, ErrLSNOutOfRange) {
			t.Fatalf("ReadRange(%d) = %v, want ErrLSNOutOfRange", from, err)
		}
	}
	for _, c := range [][2]int{{0, 100}, {-1, 100}, {10, -1}} {
		if _, err := w.ReadRange(1, c[0], c[1]); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("ReadRange(1, %d, %d) = %v, want ErrInvalidArgument", c[0], c[1], err)
		}
	}
	// Copies the caller owns: appending to one entry's Data cannot change the next.
	all[0].Data = append(all[0].Data, "more"...)
	all[2].Data[0] ^= 0xff
	checkEqual(t, "lsn 2 after growing lsn 1's Data", all[1].Data, want[1])
	if again, _ := w.Read(3); !bytes.Equal(again, want[2]) {
		t.Fatal("editing a ReadRange entry changed the WAL")
	}
}

// Iterators across log control made after they started: a truncation stops one at the
// cut, a purge past its position is skipped by an iterator from the oldest entry and stops
// one made with an explicit LSN.
func TestIteratorsAcrossLogControl(t *testing.T) {
	w := openT(t, walDir(t))
	appendN(t, w, 1, 10)

	it, err := w.Iter(1)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	for want := uint64(1); want <= 2; want++ {
		if !it.Next() || it.LSN() != want {
			t.Fatalf("before the truncation: Next gave lsn %d (err %v), want %d", it.LSN(), it.Err(), want)
		}
	}
	if _, err := w.TruncateAfter(5); err != nil {
		t.Fatal(err)
	}
	appendN(t, w, 6, 3) // new entries under the removed LSNs
	var seen []uint64
	for it.Next() {
		checkEqual(t, fmt.Sprintf("lsn %d", it.LSN()), it.Data(), payload(fmt.Sprint("e", it.LSN()), 100))
		seen = append(seen, it.LSN())
	}
	if !errors.Is(it.Err(), ErrLSNOutOfRange) {
		t.Fatalf("iterator across a truncation ended with %v after %v, want ErrLSNOutOfRange", it.Err(), seen)
	}
	for _, lsn := range seen {
		if lsn > 5 {
			t.Fatalf("iterator across a truncation returned lsn %d (cut at 5): %v", lsn, seen)
		}
	}

	fromOldest, err := w.Iter(0)
	if err != nil {
		t.Fatal(err)
	}
	defer fromOldest.Close()
	explicit, err := w.Iter(1)
	if err != nil {
		t.Fatal(err)
	}
	defer explicit.Close()
	if !fromOldest.Next() || fromOldest.LSN() != 1 || !explicit.Next() || explicit.LSN() != 1 {
		t.Fatal("the iterators do not start at lsn 1")
	}
	if _, err := w.PurgeUpTo(4); err != nil {
		t.Fatal(err)
	}
	var rest []uint64
	for fromOldest.Next() {
		rest = append(rest, fromOldest.LSN())
	}
	if fromOldest.Err() != nil || fmt.Sprint(rest) != "[5 6 7 8]" {
		t.Fatalf("iterator from the oldest entry across PurgeUpTo(4) gave %v (err %v), want [5 6 7 8]",
			rest, fromOldest.Err())
	}
	for explicit.Next() {
		if explicit.LSN() <= 1 {
			t.Fatalf("explicit iterator repeated lsn %d", explicit.LSN())
		}
	}
	if !errors.Is(explicit.Err(), ErrLSNOutOfRange) {
		t.Fatalf("iterator from an explicit lsn across a purge past it ended with %v, want ErrLSNOutOfRange", explicit.Err())
	}
}
