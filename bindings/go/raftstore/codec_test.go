package raftstore

import (
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func TestCodecRoundTrip(t *testing.T) {
	logs := []*raft.Log{
		{Index: 1},
		{Index: 2, Term: 3, Type: raft.LogCommand, Data: []byte("d"), Extensions: []byte("e")},
		// The Unix epoch itself is a set time, not the zero time.
		{Index: 3, AppendedAt: time.Unix(0, 0)},
		{Index: 4, AppendedAt: time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Index: 5, AppendedAt: time.Date(2262, 1, 1, 0, 0, 0, 1, time.UTC)},
		{Index: 1<<64 - 1, Term: 1<<64 - 1, Type: 255, AppendedAt: time.Now()},
	}
	for _, want := range logs {
		b, err := appendLog([]byte("prefix"), want)
		if err != nil {
			t.Fatalf("log %d: %v", want.Index, err)
		}
		b = b[len("prefix"):]
		if len(b) != encodedLogSize(want) {
			t.Fatalf("log %d: %d bytes, encodedLogSize says %d", want.Index, len(b), encodedLogSize(want))
		}
		var got raft.Log
		if err := decodeLog(want.Index, b, &got); err != nil {
			t.Fatalf("log %d: %v", want.Index, err)
		}
		if d := sameLog(want, &got); d != "" {
			t.Fatalf("log %d: %s", want.Index, d)
		}
		if want.AppendedAt.IsZero() != got.AppendedAt.IsZero() {
			t.Fatalf("log %d: appended at %v, want %v", want.Index, got.AppendedAt, want.AppendedAt)
		}
	}
}

// The layout is the documented one (codec.go); a change of it is a new codec version.
func TestCodecLayout(t *testing.T) {
	l := &raft.Log{Index: 0x0102, Term: 7, Type: raft.LogNoop, Data: []byte("D"),
		Extensions: []byte("EE"), AppendedAt: time.Unix(0, 0x10)}
	b, err := appendLog(nil, l)
	if err != nil {
		t.Fatal(err)
	}
	want := "RL\x01\x01" + "\x02\x01\x00\x00\x00\x00\x00\x00" + "\x07\x00\x00\x00\x00\x00\x00\x00" +
		"\x10\x00\x00\x00\x00\x00\x00\x00" + "\x02\x00\x00\x80" + "EE" + "D"
	if string(b) != want {
		t.Fatalf("encoding\n%q, want\n%q", b, want)
	}
}

func TestCodecRefuses(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		if _, err := appendLog(nil, &raft.Log{Index: 1, AppendedAt: at}); !errors.Is(err, ErrInvalidLog) {
			t.Errorf("AppendedAt %v: %v, want ErrInvalidLog", at, err)
		}
	}
	good, _ := appendLog(nil, &raft.Log{Index: 9, Data: []byte("x"), Extensions: []byte("yy")})
	bad := map[string][]byte{
		"empty":                   nil,
		"short header":            good[:31],
		"other magic":             append([]byte("XL"), good[2:]...),
		"other version":           append([]byte("RL\x02"), good[3:]...),
		"extensions past the end": append(append([]byte{}, good[:28]...), 9, 0, 0, 0, 'y', 'y'),
		"plain text":              []byte("set x = 1, a line of another application's log"),
	}
	for name, b := range bad {
		var l raft.Log
		if err := decodeLog(9, b, &l); !errors.Is(err, ErrForeignEntry) {
			t.Errorf("%s: %v, want ErrForeignEntry", name, err)
		}
	}
	var l raft.Log
	if err := decodeLog(8, good, &l); !errors.Is(err, ErrForeignEntry) {
		t.Errorf("the entry of index 9 read at LSN 8: %v, want ErrForeignEntry", err)
	}
}
