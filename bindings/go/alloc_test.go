package walogs

import "testing"

// A successful Append, and a getter, allocate nothing: the output variables and the
// caller's bytes stay where they are for the C call (#cgo noescape / nocallback).
func TestAppendAllocatesNothing(t *testing.T) {
	w := openT(t, walDir(t), WithDurability(DurabilityNone), WithMaxSegmentSize(0))
	p := make([]byte, 128)
	if n := testing.AllocsPerRun(200, func() {
		if _, err := w.Append(p); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("Append allocates %v times per call, want 0", n)
	}
	if n := testing.AllocsPerRun(200, func() {
		if _, err := w.DurableLSN(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("DurableLSN allocates %v times per call, want 0", n)
	}
}
