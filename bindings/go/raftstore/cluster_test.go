package raftstore

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// listFSM is a state machine whose state is every distinct command applied, in order. A
// command applied again is ignored: the test resends the commands whose outcome a change of
// leader left unknown, and some of those were committed already.
type listFSM struct {
	mu       sync.Mutex
	commands []string
}

func (f *listFSM) Apply(l *raft.Log) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.Contains(f.commands, string(l.Data)) {
		f.commands = append(f.commands, string(l.Data))
	}
	return len(f.commands)
}

func (f *listFSM) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return listSnapshot(slices.Clone(f.commands)), nil
}

func (f *listFSM) Restore(r io.ReadCloser) error {
	defer r.Close()
	var commands []string
	if err := json.NewDecoder(r).Decode(&commands); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.commands = commands
	return nil
}

func (f *listFSM) state() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.commands)
}

type listSnapshot []string

func (s listSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := json.NewEncoder(sink).Encode([]string(s)); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s listSnapshot) Release() {}

// node is one member of the test cluster: its directory holds the walogs store (log/) and
// raft's file snapshots (snapshots/).
type node struct {
	id    raft.ServerID
	addr  raft.ServerAddress
	dir   string
	store *Store
	fsm   *listFSM
	trans *raft.InmemTransport
	raft  *raft.Raft
}

const trailingLogs = 10

// start opens the node's store from its directory and starts raft on it, connected to
// the running peers.
func (n *node) start(t *testing.T, peers []*node) {
	t.Helper()
	var err error
	if n.store == nil {
		if n.store, err = Open(filepath.Join(n.dir, "log")); err != nil {
			t.Fatalf("%s: %v", n.id, err)
		}
	}
	snaps, err := raft.NewFileSnapshotStore(filepath.Join(n.dir, "snapshots"), 2, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	_, n.trans = raft.NewInmemTransport(n.addr)
	for _, p := range peers {
		if p != n && p.raft != nil {
			n.trans.Connect(p.addr, p.trans)
			p.trans.Connect(n.addr, n.trans)
		}
	}
	c := raft.DefaultConfig()
	c.LocalID = n.id
	// Timeouts short enough for a test of a few seconds, long enough for fdatasyncs on a
	// loaded machine under the race detector.
	c.HeartbeatTimeout = 500 * time.Millisecond
	c.ElectionTimeout = 500 * time.Millisecond
	c.LeaderLeaseTimeout = 250 * time.Millisecond
	c.CommitTimeout = 5 * time.Millisecond
	c.TrailingLogs = trailingLogs
	c.SnapshotThreshold = 1 << 40 // snapshots only when the test asks
	c.SnapshotInterval = time.Hour
	c.LogOutput = io.Discard
	n.fsm = &listFSM{}
	if n.raft, err = raft.NewRaft(c, n.fsm, n.store, n.store, snaps, n.trans); err != nil {
		t.Fatalf("%s: NewRaft: %v", n.id, err)
	}
}

// stop shuts raft down, disconnects the node and closes its store.
func (n *node) stop(t *testing.T, peers []*node) {
	t.Helper()
	if n.raft == nil {
		return
	}
	if err := n.raft.Shutdown().Error(); err != nil {
		t.Fatalf("%s: Shutdown: %v", n.id, err)
	}
	n.raft = nil
	for _, p := range peers {
		if p != n && p.trans != nil {
			p.trans.Disconnect(n.addr)
		}
	}
	n.trans.Close()
	if err := n.store.Close(); err != nil {
		t.Fatalf("%s: closing the store: %v", n.id, err)
	}
	n.store = nil
}

// waitFor polls cond until it holds; it fails the test after a minute (a bound for a
// hung cluster, not a measure of speed: the steps take well under a second).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// leader waits for one of the running nodes to be the leader all of them follow.
func leader(t *testing.T, nodes []*node) *node {
	t.Helper()
	var l *node
	waitFor(t, "a leader", func() bool {
		l = nil
		for _, n := range nodes {
			if n.raft != nil && n.raft.State() == raft.Leader {
				l = n
			}
		}
		if l == nil {
			return false
		}
		for _, n := range nodes {
			if n.raft != nil {
				if addr, _ := n.raft.LeaderWithID(); addr != l.addr {
					return false
				}
			}
		}
		return true
	})
	return l
}

// apply applies commands first..last ("cmd <i>") through the leader and waits for each to
// be committed and applied there. A command whose outcome a change of leader left unknown
// is sent again to the new leader (the state machine ignores repeats).
func apply(t *testing.T, nodes []*node, first, last int) {
	t.Helper()
	pending := make([]int, 0, last-first+1)
	for i := first; i <= last; i++ {
		pending = append(pending, i)
	}
	for attempt := 1; len(pending) > 0; attempt++ {
		if attempt > 10 {
			t.Fatalf("%d commands not applied after %d changes of leader", len(pending), attempt-1)
		}
		l := leader(t, nodes)
		futures := make([]raft.ApplyFuture, len(pending))
		for j, i := range pending {
			futures[j] = l.raft.Apply([]byte(fmt.Sprintf("cmd %d", i)), 10*time.Second)
		}
		var again []int
		for j, f := range futures {
			switch err := f.Error(); err {
			case nil:
			case raft.ErrLeadershipLost, raft.ErrNotLeader, raft.ErrLeadershipTransferInProgress:
				again = append(again, pending[j])
			default:
				t.Fatalf("applying command %d on %s: %v", pending[j], l.id, err)
			}
		}
		pending = again
	}
}

// converged waits for every running node to have applied commands 1..count, and checks
// that they applied them in one order.
func converged(t *testing.T, nodes []*node, count int) {
	t.Helper()
	want := make([]string, count)
	for i := range want {
		want[i] = fmt.Sprintf("cmd %d", i+1)
	}
	slices.Sort(want)
	var order []string
	for _, n := range nodes {
		if n.raft == nil {
			continue
		}
		waitFor(t, fmt.Sprintf("%s to apply %d commands", n.id, count), func() bool {
			return len(n.fsm.state()) >= count
		})
		got := n.fsm.state()
		if order == nil {
			order = got
		} else if !slices.Equal(got, order) {
			t.Fatalf("%s applied the commands in another order than another node", n.id)
		}
		sorted := slices.Clone(got)
		slices.Sort(sorted)
		if !slices.Equal(sorted, want) {
			t.Fatalf("%s applied %d commands, not cmd 1..%d", n.id, len(got), count)
		}
	}
}

// logContents is every entry of the store, encoded, and its stable store's term.
func logContents(t *testing.T, s *Store) (first, last, term uint64, entries [][]byte) {
	t.Helper()
	var err error
	if first, err = s.FirstIndex(); err != nil {
		t.Fatal(err)
	}
	if last, err = s.LastIndex(); err != nil {
		t.Fatal(err)
	}
	for i := first; first > 0 && i <= last; i++ {
		var l raft.Log
		if err := s.GetLog(i, &l); err != nil {
			t.Fatalf("GetLog(%d): %v", i, err)
		}
		b, _ := appendLog(nil, &l)
		entries = append(entries, b)
	}
	if term, err = s.GetUint64([]byte("CurrentTerm")); err != nil {
		t.Fatalf("GetUint64(CurrentTerm): %v", err)
	}
	return first, last, term, entries
}

// A 3-node hashicorp/raft cluster on walogs stores: election, 1,000 commands, a snapshot
// that compacts the leader's log (DeleteRange of a prefix), the leader shut down and a new
// one elected, a snapshot there, the old leader restarted from its directory with its log
// intact, brought up to date by an installed snapshot (its whole log deleted, then stored
// again after the snapshot's index: a restart at a later index).
func TestCluster(t *testing.T) {
	base := t.TempDir()
	nodes := make([]*node, 3)
	var servers []raft.Server
	for i := range nodes {
		id := raft.ServerID(fmt.Sprintf("node%d", i))
		nodes[i] = &node{id: id, addr: raft.ServerAddress(id), dir: filepath.Join(base, string(id))}
		servers = append(servers, raft.Server{ID: id, Address: nodes[i].addr})
	}
	for _, n := range nodes {
		n.start(t, nodes)
	}
	defer func() {
		for _, n := range nodes {
			n.stop(t, nodes)
		}
	}()
	if err := nodes[0].raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error(); err != nil {
		t.Fatal(err)
	}

	// Election, 1,000 commands on every node.
	apply(t, nodes, 1, 1000)
	converged(t, nodes, 1000)

	// A snapshot compacts the leader's log to its last trailingLogs entries.
	l := leader(t, nodes)
	if err := l.raft.Snapshot().Error(); err != nil {
		t.Fatalf("snapshot on %s: %v", l.id, err)
	}
	first, last, _, _ := logContents(t, l.store)
	if last < 1000 || first != last-trailingLogs+1 {
		t.Fatalf("after the snapshot the leader's log is %d..%d, want the last %d entries", first, last, trailingLogs)
	}

	// The leader goes; the other two elect a new one and go on.
	old := l
	if err := old.raft.Shutdown().Error(); err != nil {
		t.Fatal(err)
	}
	oldFirst, oldLast, oldTerm, oldEntries := logContents(t, old.store)
	old.stop(t, nodes) // raft's Shutdown again is a no-op; this disconnects and closes

	if l = leader(t, nodes); l == old {
		t.Fatal("the stopped node is the leader")
	}
	apply(t, nodes, 1001, 1100)
	converged(t, nodes, 1100)
	// Both compact their logs past the old leader's last index.
	for _, n := range nodes {
		if n.raft == nil {
			continue
		}
		if err := n.raft.Snapshot().Error(); err != nil {
			t.Fatalf("snapshot on %s: %v", n.id, err)
		}
		if first, _, _, _ := logContents(t, n.store); first <= oldLast+1 {
			t.Fatalf("%s's log starts at %d, not past the old leader's last index %d", n.id, first, oldLast)
		}
	}

	// The old leader's directory holds its log and term as they were.
	s, err := Open(filepath.Join(old.dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	old.store = s
	gotFirst, gotLast, gotTerm, gotEntries := logContents(t, s)
	if gotFirst != oldFirst || gotLast != oldLast || gotTerm != oldTerm {
		t.Fatalf("reopened: log %d..%d term %d, was %d..%d term %d", gotFirst, gotLast, gotTerm, oldFirst, oldLast, oldTerm)
	}
	for i := range oldEntries {
		if string(gotEntries[i]) != string(oldEntries[i]) {
			t.Fatalf("reopened: entry %d differs", oldFirst+uint64(i))
		}
	}

	// Restarted, it needs entries the others compacted away: the leader sends its snapshot,
	// the old leader's whole log is deleted and continues after the snapshot.
	old.start(t, nodes)
	apply(t, nodes, 1101, 1110)
	converged(t, nodes, 1110)
	first, last, _, _ = logContents(t, old.store)
	floor, _ := old.store.WAL().PurgedUpTo()
	if first == 0 || first <= oldLast+1 || floor != first-1 || last < first+9 {
		t.Fatalf("after the installed snapshot the restarted node's log is %d..%d (purged up to %d); its old log was %d..%d",
			first, last, floor, oldFirst, oldLast)
	}
}
