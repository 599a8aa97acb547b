// Command crash is examples/c/quickstart.c in Go, crash included: open a WAL, append, append
// an atomic batch, iterate, then "crash" while appending (a child process, this program
// re-executed, appends and is killed with SIGKILL without closing), reopen and print the
// recovery report and the entries, the child's acknowledged one included.
//
// Build the library first (`make lib` at the repository root), then:
//
//	cd examples/go && go run ./crash [DIR]     (default: a new directory under /tmp)
package main

import (
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	walogs "example.invalid/walogs"
)

const childEnv = "WALOGS_CRASH_EXAMPLE_CHILD"

func main() {
	log.SetFlags(0)
	if dir := os.Getenv(childEnv); dir != "" {
		crash(dir)
		return
	}
	var dir string
	if len(os.Args) > 1 {
		dir = os.Args[1]
	} else {
		base, err := os.MkdirTemp("", "walogs-crash-")
		if err != nil {
			log.Fatal(err)
		}
		dir = filepath.Join(base, "wal")
	}
	fmt.Printf("walogs %s, directory %s\n", walogs.Version(), dir)

	// 1. Open (creating the directory) with default options: every append is fdatasync'd.
	w, err := walogs.Open(dir)
	check(err, "Open")

	// 2. Append single entries; each returns its LSN once it is durable.
	for _, word := range []string{"hello", "write-ahead", "log"} {
		lsn, err := w.Append([]byte(word))
		check(err, "Append")
		fmt.Printf("appended %q as lsn %d\n", word, lsn)
	}

	// 3. An atomic batch: one write, one fdatasync, all or nothing after a crash.
	first, last, err := w.AppendBatch([][]byte{[]byte("debit 10"), []byte("credit 10")})
	check(err, "AppendBatch")
	fmt.Printf("batch got lsn %d..%d\n", first, last)

	// 4. Iterate from the oldest entry (0 = oldest).
	fmt.Println("entries:")
	printAll(w)
	check(w.Close(), "Close")

	// 5. Simulate a crash: a child process (this program again) appends and is killed
	// without closing.
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	cmd.Stderr = os.Stderr
	err = cmd.Run()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		fmt.Println("child killed by SIGKILL")
	} else {
		log.Fatalf("child: %v", err)
	}

	// 6. Reopen: recovery verifies every frame and cuts the torn/zero tail.
	w, err = walogs.Open(dir)
	check(err, "Open (after the crash)")
	r, err := w.RecoveryReport()
	check(err, "RecoveryReport")
	fmt.Println("recovery report:")
	if r.Tail.Truncated {
		fmt.Printf("  tail:            truncated at byte %d (%d bytes cut)\n", r.Tail.Offset, r.BytesTruncated)
	} else {
		fmt.Println("  tail:            clean")
	}
	fmt.Printf("  segments:        %d\n", r.Segments)
	fmt.Printf("  lsn range:       %d..%d\n", r.FirstLSN, r.NextLSN-1)
	if r.Salvaged {
		fmt.Printf("  salvaged:        %s\n", r.SalvageFile)
	} else {
		fmt.Println("  salvaged:        no")
	}
	fmt.Println("entries after recovery:")
	printAll(w)
	check(w.Close(), "Close")
}

// crash is the child: append one entry, then die without closing (the preallocated tail
// is left behind).
func crash(dir string) {
	w, err := walogs.Open(dir)
	check(err, "Open (child)")
	_, err = w.Append([]byte("written just before the crash"))
	check(err, "Append (child)")
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // not reached
}

func printAll(w *walogs.WAL) {
	it, err := w.Iter(0, walogs.NoCopy()) // Data is valid until the next Next
	check(err, "Iter")
	defer it.Close()
	for it.Next() {
		fmt.Printf("  lsn %d: %s\n", it.LSN(), it.Data())
	}
	check(it.Err(), "Iterator.Next")
}

// check prints what failed (the error carries the status and the library's message) and
// exits.
func check(err error, what string) {
	if err != nil {
		log.Fatalf("%s failed: %v", what, err)
	}
}
