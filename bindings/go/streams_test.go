package walogs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func openStreamsT(t *testing.T, dir string, opts ...Option) *Streams {
	t.Helper()
	s, err := OpenStreams(dir, opts...)
	if err != nil {
		t.Fatalf("OpenStreams(%s): %v", dir, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func consumerT(t *testing.T, s *Streams, topic, name string, mode ConsumerMode) *Consumer {
	t.Helper()
	c, err := s.Consumer(topic, name, mode)
	if err != nil {
		t.Fatalf("Consumer(%s, %s, %v): %v", topic, name, mode, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v, want %v", what, err, want)
	}
}

func TestStreamsAppendReadTopics(t *testing.T) {
	dir := walDir(t)
	s := openStreamsT(t, dir)
	if s.Dir() != dir {
		t.Fatalf("Dir() = %q", s.Dir())
	}
	if ro, err := s.IsReadOnly(); err != nil || ro {
		t.Fatalf("IsReadOnly = %v, %v", ro, err)
	}
	at := time.UnixMilli(1_700_000_000_123)
	for i, want := range []uint64{1, 2} {
		lsn, err := s.Append("orders", []byte(fmt.Sprintf("o%d", i+1)))
		if err != nil || lsn != want {
			t.Fatalf("Append = %d, %v; want %d", lsn, err, want)
		}
	}
	if lsn, err := s.Append("audit", []byte("a1")); err != nil || lsn != 1 {
		t.Fatalf("Append(audit) = %d, %v", lsn, err)
	}
	lsn, err := s.Append("orders", []byte("o3"), WithHeader([]byte("k=v")), WithTimestamp(at))
	if err != nil || lsn != 3 {
		t.Fatalf("Append with header = %d, %v", lsn, err)
	}
	if lsn, err := s.Append("orders", nil); err != nil || lsn != 4 {
		t.Fatalf("Append(nil) = %d, %v", lsn, err)
	}

	r, err := s.Read("orders", 3)
	if err != nil {
		t.Fatal(err)
	}
	if r.LSN != 3 || string(r.Data) != "o3" || string(r.Header) != "k=v" || !r.Timestamp.Equal(at) {
		t.Fatalf("Read(3) = %+v", r)
	}
	r, err = s.Read("orders", 4)
	if err != nil || r.Data == nil || len(r.Data) != 0 || len(r.Header) != 0 {
		t.Fatalf("Read(4) = %+v, %v (want empty, non-nil data)", r, err)
	}
	if time.Since(r.Timestamp) > time.Hour || time.Until(r.Timestamp) > time.Hour {
		t.Fatalf("wall-clock timestamp %v is not now", r.Timestamp)
	}

	recs, err := s.ReadRange("orders", 1, 10, 1<<20)
	if err != nil || len(recs) != 4 {
		t.Fatalf("ReadRange = %d records, %v", len(recs), err)
	}
	for i, rec := range recs {
		if rec.LSN != uint64(i+1) {
			t.Fatalf("record %d has lsn %d", i, rec.LSN)
		}
	}
	if string(recs[0].Data) != "o1" || string(recs[2].Header) != "k=v" {
		t.Fatalf("ReadRange contents: %+v", recs)
	}
	// Appending to one record's data must not overwrite the next one's.
	_ = append(recs[0].Data, 'X')
	if string(recs[0].Header)+string(recs[1].Data) != "o2" {
		t.Fatalf("records share capacity: %+v", recs[:2])
	}
	if recs, err := s.ReadRange("orders", 1, 2, 1<<20); err != nil || len(recs) != 2 {
		t.Fatalf("ReadRange(max 2) = %d, %v", len(recs), err)
	}
	if recs, err := s.ReadRange("orders", 1, 10, 1); err != nil || len(recs) != 1 {
		t.Fatalf("ReadRange(1 byte) = %d, %v (at least one)", len(recs), err)
	}
	if recs, err := s.ReadRange("orders", 5, 10, 10); err != nil || recs == nil || len(recs) != 0 {
		t.Fatalf("ReadRange(next) = %v, %v", recs, err)
	}

	topics, err := s.Topics()
	if err != nil {
		t.Fatal(err)
	}
	want := []TopicInfo{{"audit", 1, 2, 2}, {"orders", 1, 5, 2 + 2 + 2 + 3 + 0}}
	if fmt.Sprint(topics) != fmt.Sprint(want) {
		t.Fatalf("Topics = %+v, want %+v", topics, want)
	}
	if ti, err := s.TopicInfo("orders"); err != nil || ti != want[1] {
		t.Fatalf("TopicInfo = %+v, %v", ti, err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}

	// After a reopen everything is there.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStreamsT(t, dir)
	if r, err := s.Read("orders", 1); err != nil || string(r.Data) != "o1" {
		t.Fatalf("Read after reopen = %+v, %v", r, err)
	}
}

func TestStreamsBadInput(t *testing.T) {
	dir := walDir(t)
	s := openStreamsT(t, dir)
	if _, err := s.Append("t", []byte("x")); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("n", MaxNameLen+1)
	cases := []struct {
		what string
		err  error
		want error
	}{
		{"empty topic", second(s.Append("", []byte("x"))), ErrInvalidArgument},
		{"long topic", second(s.Append(long, []byte("x"))), ErrInvalidArgument},
		{"NUL in topic", second(s.Append("a\x00b", []byte("x"))), ErrInvalidArgument},
		{"non-UTF-8 topic", second(s.Append("bad\xff", []byte("x"))), ErrInvalidArgument},
		{"header over the limit", second(s.Append("t", []byte("x"), WithHeader(make([]byte, MaxHeader+1)))), ErrTooLarge},
		{"timestamp before the epoch", second(s.Append("t", []byte("x"), WithTimestamp(time.UnixMilli(-5)))), ErrInvalidArgument},
		{"empty batch", third(s.AppendBatch("t", nil)), ErrInvalidArgument},
		{"read unknown topic", second(s.Read("nope", 1)), ErrUnknownTopic},
		{"read lsn 0", second(s.Read("t", 0)), ErrLSNOutOfRange},
		{"read past the end", second(s.Read("t", 2)), ErrLSNOutOfRange},
		{"range of 0 records", second(s.ReadRange("t", 1, 0, 10)), ErrInvalidArgument},
		{"negative range", second(s.ReadRange("t", 1, -1, 10)), ErrInvalidArgument},
		{"topic info unknown", second(s.TopicInfo("nope")), ErrUnknownTopic},
		{"seek unknown", second(s.SeekTime("nope", time.Now())), ErrUnknownTopic},
		{"consumer unknown topic", second(s.Consumer("nope", "c", ConsumerStrict)), ErrUnknownTopic},
		{"consumer empty name", second(s.Consumer("t", "", ConsumerStrict)), ErrInvalidArgument},
		{"persist every 0", second(s.Consumer("t", "c", ConsumerAtLeastOnce(0))), ErrInvalidArgument},
		{"Open with a streams option", second(Open(walDir(t), WithRetention(time.Hour))), ErrInvalidArgument},
		{"OpenStreams with WithSalvage", second(OpenStreams(walDir(t), WithSalvage())), ErrInvalidArgument},
		{"zero retention", second(OpenStreams(walDir(t), WithRetention(0))), ErrInvalidArgument},
		{"zero topic cap", second(OpenStreams(walDir(t), WithMaxTopicBytes(0))), ErrInvalidArgument},
		{"bad file mode", second(OpenStreams(walDir(t), WithFileMode(0o400))), ErrInvalidArgument},
		{"second open", second(OpenStreams(dir)), ErrLocked},
	}
	for _, c := range cases {
		wantErr(t, c.what, c.err, c.want)
		var e *Error
		if errors.As(c.err, &e) && e.Message == "" {
			t.Fatalf("%s: no message", c.what)
		}
	}
	// Nothing above changed the topic.
	if ti, err := s.TopicInfo("t"); err != nil || ti.NextLSN != 2 {
		t.Fatalf("TopicInfo after bad input = %+v, %v", ti, err)
	}

	c := consumerT(t, s, "t", "c", ConsumerStrict)
	_, err := s.Consumer("t", "c", ConsumerStrict)
	wantErr(t, "consumer in use", err, ErrConsumerInUse)
	_, err = c.NextBatch(0, 0)
	wantErr(t, "NextBatch(0)", err, ErrInvalidArgument)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = s.Consumer("t", "c", ConsumerAtLeastOnce(5))
	wantErr(t, "mode mismatch", err, ErrConsumerModeMismatch)
	if !strings.Contains(err.Error(), "strict") {
		t.Fatalf("mode mismatch message: %v", err)
	}
}

func second[T any](_ T, err error) error        { return err }
func third[T, U any](_ T, _ U, err error) error { return err }
func must[T any](t *testing.T, what string) func(T, error) T {
	t.Helper()
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

func TestStreamsAppendBatchAndSeekTime(t *testing.T) {
	s := openStreamsT(t, walDir(t))
	first, last, err := s.AppendBatch("b", []Record{
		{Data: []byte("a"), Header: []byte("h1"), Timestamp: time.UnixMilli(1000)},
		{Data: []byte("bb"), Timestamp: time.UnixMilli(2000)},
		{Header: []byte("h3"), Timestamp: time.UnixMilli(3000)},
		{Data: []byte("now")},
	})
	if err != nil || first != 1 || last != 4 {
		t.Fatalf("AppendBatch = %d..%d, %v", first, last, err)
	}
	recs := must[[]Record](t, "ReadRange")(s.ReadRange("b", 1, 10, 1<<20))
	if len(recs) != 4 || string(recs[0].Header) != "h1" || string(recs[1].Data) != "bb" ||
		len(recs[2].Data) != 0 || string(recs[2].Header) != "h3" || recs[2].Timestamp.UnixMilli() != 3000 {
		t.Fatalf("batch read back: %+v", recs)
	}
	for _, c := range []struct {
		at   int64
		want uint64
	}{{0, 1}, {1000, 1}, {1500, 2}, {3000, 3}, {3001, 4}} {
		if got := must[uint64](t, "SeekTime")(s.SeekTime("b", time.UnixMilli(c.at))); got != c.want {
			t.Fatalf("SeekTime(%d) = %d, want %d", c.at, got, c.want)
		}
	}
	if got := must[uint64](t, "SeekTime")(s.SeekTime("b", time.Now().Add(time.Hour))); got != 5 {
		t.Fatalf("SeekTime(future) = %d, want the next LSN 5", got)
	}
	_, _, err = s.AppendBatch("b", []Record{{Data: []byte("x"), Header: make([]byte, MaxHeader+1)}})
	wantErr(t, "batch header over the limit", err, ErrTooLarge)
}

func TestStreamsConsumers(t *testing.T) {
	s := openStreamsT(t, walDir(t))
	for i := 1; i <= 5; i++ {
		must[uint64](t, "Append")(s.Append("t", []byte(fmt.Sprintf("r%d", i))))
	}
	c := consumerT(t, s, "t", "strict", ConsumerStrict)
	if c.Topic() != "t" || c.Name() != "strict" || !c.Mode().IsStrict() || c.Mode().String() != "strict" {
		t.Fatalf("consumer identity: %s %s %v", c.Topic(), c.Name(), c.Mode())
	}
	r, err := c.Next(0)
	if err != nil || r == nil || r.LSN != 1 || string(r.Data) != "r1" {
		t.Fatalf("Next = %+v, %v", r, err)
	}
	if got := must[uint64](t, "Committed")(c.Committed()); got != 2 {
		t.Fatalf("strict Committed = %d, want 2", got)
	}
	batch, err := c.NextBatch(1<<20, -1)
	if err != nil || len(batch) != 4 || batch[3].LSN != 5 {
		t.Fatalf("NextBatch = %+v, %v", batch, err)
	}
	if r, err := c.Next(0); r != nil || err != nil {
		t.Fatalf("Next on an empty topic = %+v, %v", r, err)
	}
	if r, err := c.Next(10 * time.Millisecond); r != nil || err != nil {
		t.Fatalf("Next(10ms) on an empty topic = %+v, %v", r, err)
	}
	if b, err := c.NextBatch(10, 10*time.Millisecond); err != nil || b == nil || len(b) != 0 {
		t.Fatalf("NextBatch timeout = %v, %v", b, err)
	}
	if err := c.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := must[uint64](t, "Position")(c.Position()); got != 6 {
		t.Fatalf("Position = %d", got)
	}
	if got := must[uint64](t, "Skipped")(c.Skipped()); got != 0 {
		t.Fatalf("Skipped = %d", got)
	}

	a := consumerT(t, s, "t", "alo", ConsumerAtLeastOnce(2))
	if a.Mode().IsStrict() || a.Mode().PersistEvery() != 2 {
		t.Fatalf("at-least-once mode: %v", a.Mode())
	}
	if _, err := a.Next(0); err != nil {
		t.Fatal(err)
	}
	infos := must[[]ConsumerInfo](t, "Consumers")(s.Consumers())
	want := []ConsumerInfo{
		{Topic: "t", Name: "alo", Mode: ConsumerAtLeastOnce(2), Position: 1},
		{Topic: "t", Name: "strict", Mode: ConsumerStrict, Position: 6},
	}
	if fmt.Sprint(infos) != fmt.Sprint(want) {
		t.Fatalf("Consumers = %+v, want %+v", infos, want)
	}

	// Close releases and frees; calls afterwards are ErrClosed; Close again is nil.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = c.Next(0)
	wantErr(t, "Next after Close", err, ErrClosed)
	_, err = c.Position()
	wantErr(t, "Position after Close", err, ErrClosed)
	wantErr(t, "Commit after Close", c.Commit(), ErrClosed)
	var nilc *Consumer
	wantErr(t, "nil consumer", second(nilc.Next(0)), ErrClosed)
	if err := nilc.Close(); err != nil {
		t.Fatal(err)
	}
}

// A strict consumer never gets a record twice across a reopen; an at-least-once one
// resumes at its persisted position, at most persistEvery records back.
func TestStreamsConsumersAcrossReopen(t *testing.T) {
	dir := walDir(t)
	s := openStreamsT(t, dir)
	for i := 1; i <= 10; i++ {
		must[uint64](t, "Append")(s.Append("t", []byte{byte(i)}))
	}
	strict := must[*Consumer](t, "strict")(s.Consumer("t", "strict", ConsumerStrict))
	alo := must[*Consumer](t, "alo")(s.Consumer("t", "alo", ConsumerAtLeastOnce(3)))
	for i := 0; i < 4; i++ {
		must[*Record](t, "Next")(strict.Next(0))
	}
	for i := 0; i < 5; i++ {
		must[*Record](t, "Next")(alo.Next(0))
	}
	committed := must[uint64](t, "Committed")(alo.Committed())
	if committed < 6-3 || committed > 6 {
		t.Fatalf("at-least-once committed %d after 5 records with persistEvery 3", committed)
	}
	// Close the store first: the consumers' positions stay as a crash would leave them.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "Next after the store's Close", second(strict.Next(0)), ErrClosed)
	wantErr(t, "Position after the store's Close", second(alo.Position()), ErrClosed)
	_ = strict.Close()
	_ = alo.Close()

	s = openStreamsT(t, dir)
	strict = consumerT(t, s, "t", "strict", ConsumerStrict)
	r := must[*Record](t, "Next")(strict.Next(0))
	if r == nil || r.LSN != 5 {
		t.Fatalf("strict after reopen got %+v, want lsn 5", r)
	}
	alo = consumerT(t, s, "t", "alo", ConsumerAtLeastOnce(3))
	if pos := must[uint64](t, "Position")(alo.Position()); pos != committed {
		t.Fatalf("at-least-once resumed at %d, committed was %d", pos, committed)
	}
	must[*Record](t, "Next")(alo.Next(0))
	pos := must[uint64](t, "Position")(alo.Position())
	if err := alo.Close(); err != nil { // commits
		t.Fatal(err)
	}
	alo = consumerT(t, s, "t", "alo", ConsumerAtLeastOnce(3))
	if got := must[uint64](t, "Position")(alo.Position()); got != pos {
		t.Fatalf("after Close (a commit) the consumer resumed at %d, want %d", got, pos)
	}
}

func TestStreamsConcurrentAppends(t *testing.T) {
	s := openStreamsT(t, walDir(t))
	const goroutines, per = 8, 50
	topics := []string{"a", "b", "c"}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				topic := topics[(g+i)%len(topics)]
				if _, err := s.Append(topic, []byte(fmt.Sprintf("g%d-%d", g, i))); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	total := 0
	for _, topic := range topics {
		ti := must[TopicInfo](t, "TopicInfo")(s.TopicInfo(topic))
		recs := must[[]Record](t, "ReadRange")(s.ReadRange(topic, 1, goroutines*per, 1<<30))
		if uint64(len(recs)) != ti.NextLSN-1 {
			t.Fatalf("topic %s: %d records, next lsn %d", topic, len(recs), ti.NextLSN)
		}
		for i, r := range recs {
			if r.LSN != uint64(i+1) || seen[string(r.Data)] {
				t.Fatalf("topic %s: record %d has lsn %d data %q (dense, unique)", topic, i, r.LSN, r.Data)
			}
			seen[string(r.Data)] = true
		}
		total += len(recs)
	}
	if total != goroutines*per {
		t.Fatalf("%d records, want %d", total, goroutines*per)
	}
}

// A consumer waiting without limit is woken by an append from another goroutine, and by
// the store's Close. No timing assertions: only what each call returned.
func TestStreamsConsumerWaitWakeAndClose(t *testing.T) {
	dir := walDir(t)
	s, err := OpenStreams(dir)
	if err != nil {
		t.Fatal(err)
	}
	must[uint64](t, "Append")(s.Append("t", []byte("first")))
	c := consumerT(t, s, "t", "w", ConsumerStrict)
	must[*Record](t, "Next")(c.Next(0))

	type result struct {
		r   *Record
		err error
	}
	got := make(chan result, 1)
	go func() {
		r, err := c.Next(-1)
		got <- result{r, err}
	}()
	time.Sleep(20 * time.Millisecond) // most likely waiting by now; correct either way
	must[uint64](t, "Append")(s.Append("t", []byte("second")))
	res := <-got
	if res.err != nil || res.r == nil || string(res.r.Data) != "second" || res.r.LSN != 2 {
		t.Fatalf("woken Next = %+v, %v", res.r, res.err)
	}

	go func() {
		r, err := c.Next(-1)
		got <- result{r, err}
	}()
	time.Sleep(20 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	res = <-got
	if res.r != nil || !errors.Is(res.err, ErrClosed) {
		t.Fatalf("Next across the store's Close = %+v, %v; want ErrClosed", res.r, res.err)
	}
	// The store's calls after Close.
	wantErr(t, "Append after Close", second(s.Append("t", []byte("x"))), ErrClosed)
	wantErr(t, "Topics after Close", second(s.Topics()), ErrClosed)
	wantErr(t, "Sync after Close", s.Sync(), ErrClosed)
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	var nils *Streams
	wantErr(t, "nil store", second(nils.Append("t", nil)), ErrClosed)
}

func TestStreamsRetention(t *testing.T) {
	s := openStreamsT(t, walDir(t), WithRetention(time.Hour))
	old := time.UnixMilli(1_000_000_000_000)
	for i := 0; i < 4; i++ {
		must[uint64](t, "Append")(s.Append("t", []byte("old"), WithTimestamp(old.Add(time.Duration(i)*time.Millisecond))))
	}
	must[uint64](t, "Append")(s.Append("t", []byte("new")))
	rep := must[CleanupReport](t, "Cleanup")(s.Cleanup())
	if rep.RecordsDeleted != 4 || rep.TopicsCleaned != 1 || rep.StrictConsumersForced != 0 {
		t.Fatalf("Cleanup = %+v", rep)
	}
	if want := []TopicCleanup{{Topic: "t", RecordsDeleted: 4, FirstLSN: 5}}; !reflect.DeepEqual(rep.Topics, want) {
		t.Fatalf("Cleanup topics = %+v, want %+v", rep.Topics, want)
	}
	if ti := must[TopicInfo](t, "TopicInfo")(s.TopicInfo("t")); ti.FirstLSN != 5 {
		t.Fatalf("after cleanup: %+v", ti)
	}
	wantErr(t, "read a deleted record", second(s.Read("t", 1)), ErrLSNOutOfRange)

	// Size cap: a strict consumer that has not read the oldest records is forced past them.
	s2 := openStreamsT(t, walDir(t), WithMaxTopicBytes(100))
	chunk := bytes.Repeat([]byte("c"), 40)
	must[uint64](t, "Append")(s2.Append("t", chunk))
	c := consumerT(t, s2, "t", "slow", ConsumerStrict)
	for i := 0; i < 4; i++ {
		must[uint64](t, "Append")(s2.Append("t", chunk))
	}
	lazy := consumerT(t, s2, "t", "lazy", ConsumerStrict)
	must[uint64](t, "Append")(s2.Append("other", chunk[:10])) // under its cap
	rep = must[CleanupReport](t, "Cleanup")(s2.Cleanup())
	if rep.RecordsDeleted != 3 || rep.StrictConsumersForced != 2 || rep.TopicsCleaned != 1 {
		t.Fatalf("size-cap Cleanup = %+v", rep)
	}
	want := []TopicCleanup{{Topic: "t", RecordsDeleted: 3, FirstLSN: 4, ForcedPast: []string{"lazy", "slow"}}}
	if !reflect.DeepEqual(rep.Topics, want) {
		t.Fatalf("size-cap Cleanup topics = %+v, want %+v", rep.Topics, want)
	}
	if err := lazy.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if rep = must[CleanupReport](t, "Cleanup")(s2.Cleanup()); rep.Topics != nil || rep.RecordsDeleted != 0 {
		t.Fatalf("nothing left to delete, yet Cleanup = %+v", rep)
	}
	r := must[*Record](t, "Next")(c.Next(0))
	if r == nil || r.LSN != 4 {
		t.Fatalf("forced consumer got %+v, want lsn 4", r)
	}
	if got := must[uint64](t, "Skipped")(c.Skipped()); got != 3 {
		t.Fatalf("Skipped = %d, want 3", got)
	}
}

func TestStreamsReadOnlyRefresh(t *testing.T) {
	dir := walDir(t)
	w := openStreamsT(t, dir)
	must[uint64](t, "Append")(w.Append("t", []byte("one")))
	ro := openStreamsT(t, dir, WithReadOnly())
	if b := must[bool](t, "IsReadOnly")(ro.IsReadOnly()); !b {
		t.Fatal("IsReadOnly = false")
	}
	must[uint64](t, "Append")(w.Append("t", []byte("two")))
	must[uint64](t, "Append")(w.Append("u", []byte("new topic")))
	if err := ro.Refresh(); err != nil {
		t.Fatal(err)
	}
	if r := must[*Record](t, "Read")(ro.Read("t", 2)); string(r.Data) != "two" {
		t.Fatalf("Read after Refresh = %+v", r)
	}
	if topics := must[[]TopicInfo](t, "Topics")(ro.Topics()); len(topics) != 2 {
		t.Fatalf("Topics after Refresh = %+v", topics)
	}
	wantErr(t, "Append read-only", second(ro.Append("t", []byte("x"))), ErrReadOnly)
	wantErr(t, "Consumer read-only", second(ro.Consumer("t", "c", ConsumerStrict)), ErrReadOnly)
	wantErr(t, "Cleanup read-only", second(ro.Cleanup()), ErrReadOnly)
}

func TestStreamsNotAStore(t *testing.T) {
	dir := walDir(t)
	w := openT(t, dir)
	if _, err := w.Append([]byte("plain")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := OpenStreams(dir)
	wantErr(t, "OpenStreams of a plain log", err, ErrNotAStore)
	_, err = OpenStreams(filepath.Join(t.TempDir(), "file\x00name"))
	wantErr(t, "NUL in the path", err, ErrInvalidArgument)
	if _, err := os.Stat(filepath.Join(dir, "wal-000001.log")); err != nil {
		t.Fatal(err)
	}
}

func TestStreamsOptionsApply(t *testing.T) {
	dir := walDir(t)
	s := openStreamsT(t, dir, WithFileMode(0o640), WithSyncInterval(5*time.Millisecond),
		WithMaxSegmentSize(1<<20), WithSegmentDuration(time.Hour), WithCleanupInterval(time.Hour),
		WithDeleteConsumed(true))
	must[uint64](t, "Append")(s.Append("t", []byte("x")))
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "wal-000001.log"))
	if err != nil || st.Mode().Perm() != 0o640 {
		t.Fatalf("segment mode %v, %v; want 0640", st.Mode().Perm(), err)
	}
	for _, code := range []Code{CodeUnknownTopic, CodeConsumerModeMismatch, CodeConsumerInUse, CodeNotAStore, CodeStoreFormat} {
		if code.String() == "unknown status" || code < 200 || code >= 300 {
			t.Fatalf("code %d: %q", code, code.String())
		}
	}
}
