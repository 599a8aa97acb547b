package walogs

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The crash test re-executes this test binary as a child that appends from several
// goroutines (single entries and atomic batches) and prints "ack LSN ID" on stdout after
// each append returned; the parent SIGKILLs it at a random moment, reopens the directory and
// checks every acknowledged entry byte for byte. Several rounds on one directory.

const crashGoroutines = 4

func crashID(round, g, seq int) string { return fmt.Sprintf("r%d.g%d.s%d", round, g, seq) }

func crashPayload(id string) []byte {
	h := 0
	for _, c := range id {
		h = h*31 + int(c)
	}
	return payload(id, h%3000) // 0..2999 bytes after the id
}

func crashChild() {
	dir := os.Getenv("WALOGS_GO_TEST_DIR")
	round, _ := strconv.Atoi(os.Getenv("WALOGS_GO_TEST_ROUND"))
	w, err := Open(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	ack := func(lsn uint64, id string) {
		mu.Lock()
		// One write(2) per line, after the append returned: a full line is an ack.
		fmt.Fprintf(os.Stdout, "ack %d %s\n", lsn, id)
		mu.Unlock()
	}
	deadline := time.Now().Add(60 * time.Second) // a safety net; the parent kills us long before
	var wg sync.WaitGroup
	for g := 0; g < crashGoroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for seq := 0; time.Now().Before(deadline); seq++ {
				if seq%5 == 4 { // an atomic batch of 3
					ids := []string{crashID(round, g, seq), crashID(round, g, seq+1000000), crashID(round, g, seq+2000000)}
					batch := [][]byte{crashPayload(ids[0]), crashPayload(ids[1]), crashPayload(ids[2])}
					first, _, err := w.AppendBatch(batch)
					if err != nil {
						fmt.Fprintln(os.Stderr, "child batch:", err)
						os.Exit(1)
					}
					for i, id := range ids {
						ack(first+uint64(i), id)
					}
					continue
				}
				id := crashID(round, g, seq)
				lsn, err := w.Append(crashPayload(id))
				if err != nil {
					fmt.Fprintln(os.Stderr, "child append:", err)
					os.Exit(1)
				}
				ack(lsn, id)
			}
		}(g)
	}
	wg.Wait()
	os.Exit(3)
}

func TestCrashSIGKILL(t *testing.T) {
	dir := walDir(t)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	acked := map[uint64]string{}
	rounds := 3
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=crash", "WALOGS_GO_TEST_DIR="+dir,
			"WALOGS_GO_TEST_ROUND="+strconv.Itoa(round))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killAfter := 20 + rng.Intn(200)
		sc := bufio.NewScanner(stdout)
		lines, killed := 0, false
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 3 || f[0] != "ack" {
				t.Fatalf("child printed %q", sc.Text())
			}
			lsn, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			if prev, dup := acked[lsn]; dup {
				t.Fatalf("lsn %d acknowledged twice: %s and %s", lsn, prev, f[2])
			}
			acked[lsn] = f[2]
			lines++
			if lines == killAfter && !killed {
				// Lines already in the pipe are still read: they were acknowledged too.
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				killed = true
			}
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended with %v (stderr %q), want killed by SIGKILL", round, err, stderr.String())
		}

		w, err := Open(dir)
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		rep, err := w.RecoveryReport()
		if err != nil {
			t.Fatal(err)
		}
		first, all := readAll(t, w) // dense LSNs from 1
		if first != 1 {
			t.Fatalf("FirstLSN %d", first)
		}
		for lsn, id := range acked {
			if lsn < 1 || lsn > uint64(len(all)) {
				t.Fatalf("round %d: acknowledged lsn %d (%s) lost; log has 1..%d (report %+v)", round, lsn, id, len(all), rep)
			}
			checkEqual(t, fmt.Sprintf("round %d: acknowledged lsn %d (%s)", round, lsn, id), all[lsn-1], crashPayload(id))
		}
		// Entries in flight at the kill may be there too; they must be whole and well-formed.
		for i, e := range all {
			id, _, ok := strings.Cut(string(e), "|")
			if !ok {
				t.Fatalf("lsn %d is not an entry the child wrote: %q", i+1, trunc(e))
			}
			checkEqual(t, fmt.Sprintf("unacknowledged lsn %d", i+1), e, crashPayload(id))
		}
		t.Logf("round %d: killed after %d acks (%d read), log holds %d entries, tail %+v",
			round, killAfter, lines, len(all), rep.Tail)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		// Each round's acks include the previous rounds' entries: they must all survive.
	}
}

// poisonChild limits its file size (RLIMIT_FSIZE) so that a write fails with EFBIG, then
// checks that the failure is ErrIO with that errno and poisons the WAL. It prints the
// acknowledged LSNs and "done" and exits 0, or "FAIL ..." and exits 1.
func poisonChild() {
	fail := func(format string, a ...any) {
		fmt.Printf("FAIL "+format+"\n", a...)
		os.Exit(1)
	}
	dir := os.Getenv("WALOGS_GO_TEST_DIR")
	signal.Ignore(syscall.SIGXFSZ) // write(2) then returns EFBIG instead of killing us
	w, err := Open(dir, WithPreallocate(false), WithMaxSegmentSize(0))
	if err != nil {
		fail("open: %v", err)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		fail("getrlimit: %v", err)
	}
	lim.Cur = 64 << 10
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		fail("setrlimit: %v", err)
	}
	var firstErr error
	for i := 0; i < 1000; i++ {
		lsn, err := w.Append(payload(strconv.Itoa(i), 1000))
		if err != nil {
			firstErr = err
			break
		}
		fmt.Printf("ack %d %d\n", lsn, i)
	}
	var we *Error
	if !errors.As(firstErr, &we) || we.Code != CodeIO || !errors.Is(firstErr, syscall.EFBIG) || we.Message == "" {
		fail("the append over the file size limit failed with %#v, want ErrIO wrapping EFBIG", firstErr)
	}
	if p, err := w.IsPoisoned(); err != nil || !p {
		fail("IsPoisoned after a failed write = %v, %v", p, err)
	}
	if _, err := w.Append([]byte("x")); !errors.Is(err, ErrPoisoned) {
		fail("Append after poisoning = %v, want ErrPoisoned", err)
	}
	if _, _, err := w.AppendBatch([][]byte{[]byte("x")}); !errors.Is(err, ErrPoisoned) {
		fail("AppendBatch after poisoning = %v, want ErrPoisoned", err)
	}
	if _, err := w.Sync(); !errors.Is(err, ErrPoisoned) {
		fail("Sync after poisoning = %v, want ErrPoisoned", err)
	}
	if err := w.Rotate(); !errors.Is(err, ErrPoisoned) {
		fail("Rotate after poisoning = %v, want ErrPoisoned", err)
	}
	if got, err := w.Read(1); err != nil || string(got) != string(payload("0", 1000)) {
		fail("Read after poisoning = %v", err)
	}
	_ = w.Close() // may report the failed final write
	fmt.Println("done")
	os.Exit(0)
}

func TestErrPoisoned(t *testing.T) {
	dir := walDir(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=poison", "WALOGS_GO_TEST_DIR="+dir)
	out, err := cmd.Output()
	if err != nil || !strings.HasSuffix(string(out), "done\n") {
		t.Fatalf("poison child: %v\n%s", err, out)
	}
	acked := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "ack ") {
			acked++
		}
	}
	if acked < 10 {
		t.Fatalf("only %d appends fit under 64 KiB", acked)
	}
	// Reopened without the limit: every acknowledged entry is there, and appends work again.
	w := openT(t, dir)
	_, all := readAll(t, w)
	if len(all) < acked {
		t.Fatalf("%d entries after reopen, %d were acknowledged", len(all), acked)
	}
	for i := 0; i < acked; i++ {
		checkEqual(t, fmt.Sprintf("lsn %d", i+1), all[i], payload(strconv.Itoa(i), 1000))
	}
	if p, err := w.IsPoisoned(); err != nil || p {
		t.Fatalf("IsPoisoned after reopen = %v, %v", p, err)
	}
	if _, err := w.Append([]byte("again")); err != nil {
		t.Fatalf("Append after reopen: %v", err)
	}
}
