package raftstore

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Child processes re-execute the test binary with childEnv set to their role and the
// store's directory in childDirEnv; TestMain sends them to it instead of running the tests.
const (
	childEnv    = "RAFTSTORE_TEST_CHILD"
	childDirEnv = "RAFTSTORE_TEST_DIR"
)

func TestMain(m *testing.M) {
	switch role := os.Getenv(childEnv); role {
	case "":
		os.Exit(m.Run())
	case "writer":
		writerChild(os.Getenv(childDirEnv))
	default:
		fmt.Fprintf(os.Stderr, "unknown child role %q\n", role)
		os.Exit(2)
	}
}

// writerChild stores entries in calls of 1 to 8, sets the term every few calls and
// compacts every so often, printing "ack <last index> <term>" after each call returned,
// until it is killed.
func writerChild(dir string) {
	s, err := Open(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	next, term := uint64(1), uint64(0)
	for call := 0; ; call++ {
		n := 1 + call%8
		if err := s.StoreLogs(testLogs(next, n)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		next += uint64(n)
		if call%5 == 0 {
			term++
			if err := s.SetUint64([]byte("CurrentTerm"), term); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		if call%20 == 19 {
			if err := s.DeleteRange(0, next-40); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		fmt.Printf("ack %d %d\n", next-1, term)
	}
}

// A writer killed with SIGKILL: every entry and term it acknowledged is there after a
// reopen, and every entry there is exactly the one stored at its index.
func TestCrashKeepsAcknowledged(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "raft")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=writer", childDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var ackLast, ackTerm uint64
	lines := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var last, term uint64
		if _, err := fmt.Sscanf(sc.Text(), "ack %d %d", &last, &term); err != nil {
			t.Fatalf("child printed %q", sc.Text())
		}
		ackLast, ackTerm = last, term
		if lines++; lines == 300 {
			cmd.Process.Signal(syscall.SIGKILL)
		}
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v", err)
	}
	s := openStore(t, dir)
	first, _ := s.FirstIndex()
	last, _ := s.LastIndex()
	term, err := s.GetUint64([]byte("CurrentTerm"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("acknowledged up to %d (term %d); found %d..%d (term %d)", ackLast, ackTerm, first, last, term)
	if last < ackLast || first == 0 || first > ackLast || term < ackTerm {
		t.Fatalf("after the kill: log %d..%d term %d; acknowledged up to %d term %d", first, last, term, ackLast, ackTerm)
	}
	checkLog(t, s, first, last)
	// And the log goes on.
	mustStore(t, s, testLogs(last+1, 2))
	checkLog(t, s, first, last+2)
}
