package walogs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A Go program can fork only through the raw system call, which runs no fork handler; the
// child it makes is still known to be another process: every call on the inherited WAL
// fails with ErrForked and nothing is written to the parent's log.
func TestRawForkChildGetsErrForkedAndWritesNothing(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Append([]byte("before fork")); err != nil {
		t.Fatal(err)
	}
	segment := filepath.Join(dir, "wal-000001.log")
	before, err := os.ReadFile(segment)
	if err != nil {
		t.Fatal(err)
	}

	// The child runs on the forking thread alone: it makes a few calls, each checked
	// against ErrForked, and leaves with exit_group (no deferred function, no runtime exit
	// path). Its exit status has one bit per call that did not fail with ErrForked.
	pid, _, errno := syscall.RawSyscall(syscall.SYS_FORK, 0, 0, 0)
	if errno != 0 {
		t.Fatalf("fork: %v", errno)
	}
	if pid == 0 {
		var bad uintptr
		if _, err := w.Append([]byte("child")); !errors.Is(err, ErrForked) {
			bad |= 1
		}
		if _, err := w.Sync(); !errors.Is(err, ErrForked) {
			bad |= 2
		}
		if _, err := w.Iter(0); !errors.Is(err, ErrForked) {
			bad |= 4
		}
		if err := w.Close(); !errors.Is(err, ErrForked) {
			bad |= 8
		}
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, bad, 0, 0)
	}
	// A child that hangs (it has no other thread of the runtime) is killed, failing the test.
	timer := time.AfterFunc(30*time.Second, func() { syscall.Kill(int(pid), syscall.SIGKILL) })
	defer timer.Stop()
	var status syscall.WaitStatus
	if _, err := syscall.Wait4(int(pid), &status, 0, nil); err != nil {
		t.Fatal(err)
	}
	if !status.Exited() || status.ExitStatus() != 0 {
		t.Fatalf("in the child, calls that did not fail with ErrForked (bits: 1 Append, 2 Sync, 4 Iter, 8 Close): %v", status)
	}
	after, err := os.ReadFile(segment)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("the child changed the parent's segment")
	}
	if lsn, err := w.Append([]byte("after fork")); err != nil || lsn != 2 {
		t.Fatalf("the parent's append after the fork: %d, %v", lsn, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := r.ReadRange(1, 10, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[0].Data) != "before fork" || string(got[1].Data) != "after fork" {
		t.Fatalf("the parent's log after the fork: %+v", got)
	}
}
