package walogs

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// The golden vectors under tests/golden/ (README.md there documents expected.json).
type goldenExpected struct {
	Open            string          `json:"open"`
	Entries         [][2]any        `json:"entries"`
	FirstLSN        *uint64         `json:"first_lsn"`
	NextLSN         *uint64         `json:"next_lsn"`
	PurgedUpTo      *uint64         `json:"purged_up_to"`
	UserData        *string         `json:"user_data"`
	TailTruncatedAt *uint64         `json:"tail_truncated_at"`
	Error           *goldenError    `json:"error"`
	Recovery        *goldenRecovery `json:"recovery"`
	Streams         *goldenStreams  `json:"streams"`
	Description     string          `json:"description"`
}

type goldenError struct {
	Kind   string  `json:"kind"`
	Damage string  `json:"damage"`
	File   *string `json:"file"`
	Offset *uint64 `json:"offset"`
}

type goldenRecovery struct {
	TailTruncatedAt *uint64 `json:"tail_truncated_at"`
	BytesTruncated  uint64  `json:"bytes_truncated"`
	MigratedV1      bool    `json:"migrated_v1"`
}

type goldenStreams struct {
	Topics    []goldenTopic    `json:"topics"`
	Consumers []goldenConsumer `json:"consumers"`
}

type goldenTopic struct {
	Name     string         `json:"name"`
	FirstLSN uint64         `json:"first_lsn"`
	NextLSN  uint64         `json:"next_lsn"`
	Records  []goldenRecord `json:"records"`
}

type goldenRecord struct {
	LSN         uint64 `json:"lsn"`
	TimestampMS uint64 `json:"timestamp_ms"`
	Data        string `json:"data"`
	Header      string `json:"header"`
}

type goldenConsumer struct {
	Topic        string `json:"topic"`
	Name         string `json:"name"`
	Mode         string `json:"mode"`
	PersistEvery uint32 `json:"persist_every"`
	Position     uint64 `json:"position"`
}

// goldenDir is the repository's tests/golden (or $WALOGS_GOLDEN_DIR).
func goldenDir() string {
	if d := os.Getenv("WALOGS_GOLDEN_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "tests", "golden")
}

// copyWal copies the vector's wal/ directory to a fresh directory under t.TempDir().
func copyWal(t *testing.T, vector string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "wal")
	if err := os.Mkdir(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(vector, "wal")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		in, err := os.Open(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.OpenFile(filepath.Join(dst, e.Name()), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, err = io.Copy(out, in)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
		}
		in.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// goldenLog is what a log reads back as, in the vector's spelling.
type goldenLog struct {
	Entries    [][2]any
	FirstLSN   uint64
	NextLSN    uint64
	PurgedUpTo uint64
	UserData   string
}

func readGoldenLog(t *testing.T, w *WAL) goldenLog {
	t.Helper()
	var g goldenLog
	var err error
	if g.FirstLSN, err = w.FirstLSN(); err != nil {
		t.Fatal(err)
	}
	if g.NextLSN, err = w.NextLSN(); err != nil {
		t.Fatal(err)
	}
	if g.PurgedUpTo, err = w.PurgedUpTo(); err != nil {
		t.Fatal(err)
	}
	ud, err := w.UserData()
	if err != nil {
		t.Fatal(err)
	}
	g.UserData = hex.EncodeToString(ud)
	it, err := w.Iter(g.FirstLSN)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	g.Entries = [][2]any{}
	for it.Next() {
		g.Entries = append(g.Entries, [2]any{float64(it.LSN()), hex.EncodeToString(it.Data())})
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return g
}

func checkGoldenDamage(t *testing.T, err error, want *goldenError) {
	t.Helper()
	var we *Error
	if !errors.As(err, &we) || we.Code != CodeCorrupt || we.Damage == nil {
		t.Fatalf("want a corrupt error with damage, got %v", err)
	}
	d := we.Damage
	// EqualFold: Go spells LSNDiscontinuity where the vectors spell LsnDiscontinuity.
	if want.Kind != "Corrupt" || !strings.EqualFold(d.Kind.String(), want.Damage) {
		t.Errorf("damage kind %v, want %s", d.Kind, want.Damage)
	}
	if (want.File == nil) == d.HasFile || (want.File != nil && *want.File != d.File) {
		t.Errorf("damage file %q (has %v), want %v", d.File, d.HasFile, want.File)
	}
	if (want.Offset == nil) == d.HasOffset || (want.Offset != nil && *want.Offset != d.Offset) {
		t.Errorf("damage offset %d (has %v), want %v", d.Offset, d.HasOffset, want.Offset)
	}
}

func readGoldenStreams(t *testing.T, s *Streams) goldenStreams {
	t.Helper()
	topics, err := s.Topics()
	if err != nil {
		t.Fatal(err)
	}
	out := goldenStreams{Topics: []goldenTopic{}, Consumers: []goldenConsumer{}}
	for _, ti := range topics {
		recs, err := s.ReadRange(ti.Name, ti.FirstLSN, 1<<30, 1<<40)
		if err != nil {
			t.Fatal(err)
		}
		gt := goldenTopic{Name: ti.Name, FirstLSN: ti.FirstLSN, NextLSN: ti.NextLSN, Records: []goldenRecord{}}
		for _, r := range recs {
			gt.Records = append(gt.Records, goldenRecord{
				LSN:         r.LSN,
				TimestampMS: uint64(r.Timestamp.UnixMilli()),
				Data:        hex.EncodeToString(r.Data),
				Header:      hex.EncodeToString(r.Header),
			})
		}
		out.Topics = append(out.Topics, gt)
	}
	sort.Slice(out.Topics, func(i, j int) bool { return out.Topics[i].Name < out.Topics[j].Name })
	consumers, err := s.Consumers()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range consumers {
		gc := goldenConsumer{Topic: c.Topic, Name: c.Name, Mode: "strict", Position: c.Position}
		if !c.Mode.IsStrict() {
			gc.Mode = "at_least_once"
			gc.PersistEvery = uint32(c.Mode.PersistEvery())
		}
		out.Consumers = append(out.Consumers, gc)
	}
	sort.Slice(out.Consumers, func(i, j int) bool {
		a, b := out.Consumers[i], out.Consumers[j]
		return a.Topic < b.Topic || (a.Topic == b.Topic && a.Name < b.Name)
	})
	return out
}

func checkGoldenVector(t *testing.T, vector string) {
	raw, err := os.ReadFile(filepath.Join(vector, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want goldenExpected
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if want.Open != "read_only" {
		t.Fatalf("open %q: this test knows read_only", want.Open)
	}
	roDir, rwDir := copyWal(t, vector), copyWal(t, vector)
	if want.Error != nil {
		_, err := Open(roDir, WithReadOnly())
		checkGoldenDamage(t, err, want.Error)
		_, err = Open(rwDir)
		checkGoldenDamage(t, err, want.Error)
		return
	}
	wantLog := goldenLog{
		Entries:    want.Entries,
		FirstLSN:   *want.FirstLSN,
		NextLSN:    *want.NextLSN,
		PurgedUpTo: *want.PurgedUpTo,
		UserData:   *want.UserData,
	}
	if wantLog.Entries == nil {
		wantLog.Entries = [][2]any{}
	}
	ro, err := Open(roDir, WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	if got := readGoldenLog(t, ro); !reflect.DeepEqual(got, wantLog) {
		t.Errorf("read-only open:\n got %+v\nwant %+v", got, wantLog)
	}
	tail, err := ro.TailState()
	if err != nil {
		t.Fatal(err)
	}
	if tail.Truncated != (want.TailTruncatedAt != nil) || (tail.Truncated && tail.Offset != *want.TailTruncatedAt) {
		t.Errorf("tail %+v, want truncated at %v", tail, want.TailTruncatedAt)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	rw, err := Open(rwDir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := rw.RecoveryReport()
	if err != nil {
		t.Fatal(err)
	}
	rec := want.Recovery
	if rep.Tail.Truncated != (rec.TailTruncatedAt != nil) ||
		(rep.Tail.Truncated && rep.Tail.Offset != *rec.TailTruncatedAt) ||
		rep.BytesTruncated != rec.BytesTruncated || rep.MigratedV1 != rec.MigratedV1 {
		t.Errorf("recovery report %+v, want %+v", rep, *rec)
	}
	if got := readGoldenLog(t, rw); !reflect.DeepEqual(got, wantLog) {
		t.Errorf("after the writable open:\n got %+v\nwant %+v", got, wantLog)
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	if want.Streams != nil {
		s, err := OpenStreams(roDir, WithReadOnly())
		if err != nil {
			t.Fatal(err)
		}
		if got := readGoldenStreams(t, s); !reflect.DeepEqual(got, *want.Streams) {
			t.Errorf("streams:\n got %+v\nwant %+v", got, *want.Streams)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGoldenVectors checks every vector under tests/golden; a vector added there is picked
// up without a change here.
func TestGoldenVectors(t *testing.T) {
	entries, err := os.ReadDir(goldenDir())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		vector := filepath.Join(goldenDir(), e.Name())
		if _, err := os.Stat(filepath.Join(vector, "expected.json")); err != nil {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) { checkGoldenVector(t, vector) })
	}
	if n == 0 {
		t.Fatal("no vectors under tests/golden")
	}
}
