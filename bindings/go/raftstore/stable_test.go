package raftstore

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	walogs "example.invalid/walogs"
)

// A key never set: ErrKeyNotFound, with the text raft compares ("not found"), from Get and
// from GetUint64 (with 0), also after a reopen and next to keys that are set.
func TestStableMissingKey(t *testing.T) {
	s, dir := newStore(t)
	check := func() {
		t.Helper()
		v, err := s.Get([]byte("missing"))
		if err != ErrKeyNotFound || v != nil {
			t.Fatalf("Get of a missing key: %q, %v; want nil, ErrKeyNotFound", v, err)
		}
		if err.Error() != "not found" {
			t.Fatalf("ErrKeyNotFound reads %q, raft compares with %q", err.Error(), "not found")
		}
		n, err := s.GetUint64([]byte("missing"))
		if err != ErrKeyNotFound || n != 0 {
			t.Fatalf("GetUint64 of a missing key: %d, %v; want 0, ErrKeyNotFound", n, err)
		}
	}
	check()
	if err := s.Set([]byte("other"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	check()
	s = reopen(t, s, dir)
	check()
}

// The raft-boltdb and raft-wal stable store cases: Set/Get, SetUint64/GetUint64,
// overwrites, an empty value, binary keys; every value kept across reopens.
func TestStableSetGet(t *testing.T) {
	s, dir := newStore(t)
	bin := []byte{0, 0xff, '\n', 0}
	steps := []struct{ key, val string }{
		{"test", "foo"},
		{"CurrentTerm-as-bytes", "1"},
		{"test", "bar"},
		{"empty", ""},
		{string(bin), string(bin)},
	}
	want := map[string]string{}
	check := func() {
		t.Helper()
		for k, v := range want {
			got, err := s.Get([]byte(k))
			if err != nil || string(got) != v || got == nil {
				t.Fatalf("Get(%q): %q, %v; want %q", k, got, err, v)
			}
		}
	}
	for _, st := range steps {
		if err := s.Set([]byte(st.key), []byte(st.val)); err != nil {
			t.Fatalf("Set(%q): %v", st.key, err)
		}
		want[st.key] = st.val
		check()
		s = reopen(t, s, dir)
		check()
	}
	// Get returns a copy: changing it changes nothing stored.
	got, _ := s.Get([]byte("test"))
	got[0] = 'X'
	if again, _ := s.Get([]byte("test")); string(again) != "bar" {
		t.Fatalf("Get after changing a returned value: %q", again)
	}
	// Set copies its arguments.
	val := []byte("mutable")
	if err := s.Set([]byte("m"), val); err != nil {
		t.Fatal(err)
	}
	val[0] = 'X'
	if again, _ := s.Get([]byte("m")); string(again) != "mutable" {
		t.Fatalf("Get after changing the value given to Set: %q", again)
	}

	for _, v := range []uint64{1234, 0, 1<<64 - 1, 7} {
		if err := s.SetUint64([]byte("testInt"), v); err != nil {
			t.Fatal(err)
		}
		s = reopen(t, s, dir)
		got, err := s.GetUint64([]byte("testInt"))
		if err != nil || got != v {
			t.Fatalf("GetUint64 after SetUint64(%d) and a reopen: %d, %v", v, got, err)
		}
	}
	check()
}

// The stable store and the log live side by side: neither changes the other.
func TestStableBesideLog(t *testing.T) {
	s, dir := newStore(t)
	mustStore(t, s, testLogs(1, 30))
	if err := s.SetUint64([]byte("CurrentTerm"), 4); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRange(1, 10); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRange(25, 30); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, dir)
	checkLog(t, s, 11, 24)
	if v, err := s.GetUint64([]byte("CurrentTerm")); err != nil || v != 4 {
		t.Fatalf("GetUint64: %d, %v", v, err)
	}
}

// A value that is not 8 bytes is not a uint64: an error naming the key, not a guess.
func TestGetUint64OfBytes(t *testing.T) {
	s, _ := newStore(t)
	if err := s.Set([]byte("k"), []byte("abc")); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetUint64([]byte("k"))
	if err == nil || errors.Is(err, ErrKeyNotFound) || !strings.Contains(err.Error(), `"k"`) {
		t.Fatalf("GetUint64 of a 3-byte value: %v", err)
	}
}

// Past 64 KiB in all: ErrStableTooLarge naming the key, and nothing changed (also on
// disk).
func TestStableTooLarge(t *testing.T) {
	s, dir := newStore(t)
	if err := s.Set([]byte("a"), bytes.Repeat([]byte{1}, 40_000)); err != nil {
		t.Fatal(err)
	}
	err := s.Set([]byte("big"), bytes.Repeat([]byte{2}, 30_000))
	if !errors.Is(err, ErrStableTooLarge) || !strings.Contains(err.Error(), `"big"`) {
		t.Fatalf("Set past 64 KiB: %v", err)
	}
	check := func() {
		t.Helper()
		if _, err := s.Get([]byte("big")); err != ErrKeyNotFound {
			t.Fatalf("Get of the refused key: %v", err)
		}
		if v, err := s.Get([]byte("a")); err != nil || len(v) != 40_000 {
			t.Fatalf("Get of the earlier key: %d bytes, %v", len(v), err)
		}
	}
	check()
	s = reopen(t, s, dir)
	check()
	// Exactly at the limit is fine: 3 bytes of header, 1 of shift (0), 1+1 for the key, 3+n
	// for the value.
	n := walogs.MaxUserData - 3 - 1 - 2 - 3
	if err := s.Set([]byte("a"), make([]byte, n)); err != nil {
		t.Fatalf("Set of a stable store of exactly %d bytes: %v", walogs.MaxUserData, err)
	}
}

func TestStableCodec(t *testing.T) {
	kv := map[string][]byte{"": {}, "b": []byte("2"), "a": make([]byte, 300)}
	enc := encodeStable(1<<40, kv)
	if !bytes.Equal(enc, encodeStable(1<<40, kv)) {
		t.Fatal("the encoding of one map changes")
	}
	shift, dec, err := decodeStable(enc)
	if err != nil {
		t.Fatal(err)
	}
	if shift != 1<<40 {
		t.Fatalf("shift %d back, want %d", shift, uint64(1<<40))
	}
	if got := encodeStable(0, nil); !bytes.Equal(got, []byte("RS\x02\x00")) {
		t.Fatalf("the empty stable store of shift 0 is %q", got)
	}
	if len(dec) != len(kv) {
		t.Fatalf("%d keys back, want %d", len(dec), len(kv))
	}
	for k, v := range kv {
		if !bytes.Equal(dec[k], v) {
			t.Fatalf("key %q: %q", k, dec[k])
		}
	}
	bad := map[string][]byte{
		"other magic":          []byte("XY\x02\x00"),
		"an older version":     []byte("RS\x01"),
		"a newer version":      []byte("RS\x03\x00"),
		"too short":            []byte("RS"),
		"no shift":             []byte("RS\x02"),
		"a bad shift":          []byte("RS\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),
		"a key past the end":   []byte("RS\x02\x00\x05ab"),
		"a value past the end": []byte("RS\x02\x00\x01a\x09xyz"),
		"a key twice":          []byte("RS\x02\x00\x01a\x00\x01a\x00"),
		"a bad varint":         []byte("RS\x02\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),
	}
	for name, b := range bad {
		if _, _, err := decodeStable(b); !errors.Is(err, ErrForeignUserData) {
			t.Errorf("%s: %v, want ErrForeignUserData", name, err)
		}
	}
}
