// Command bench_overhead measures the per-call cost of Append through the Go package (cgo
// -> libwalogs.so -> SharedWal::append) against the same appends made directly in Rust, in
// the same run: appends that do not fsync (DurabilityNone), 128-byte entries.
//
// The Rust side is the baseline of the C benchmark (walogs-ffi/examples/bench_overhead.rs),
// run as a child process that serves timed batches over a pipe: for each line N on its
// stdin it times N appends and answers "ns_per_op=<float>". This program alternates a batch
// of N Go appends with a batch of N Rust appends (which side goes first alternates too),
// ROUNDS times, so that both see the same machine noise, and prints the medians, the
// median of the per-round ratios Go/Rust and the ratio of the fastest batches.
//
//	cargo build --release -p walogs-ffi --example bench_overhead
//	cd examples/go && go run ./bench_overhead [-n 20000] [-rounds 25] [-dir /tmp] \
//	    [-max-ratio 0] ../../target/release/examples/bench_overhead
//
// With -max-ratio R > 0 it exits 1 when the median ratio exceeds R.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	walogs "example.invalid/walogs"
)

type baseline struct {
	cmd *exec.Cmd
	to  io.WriteCloser
	rd  *bufio.Reader
}

func startBaseline(bin, dir string) (*baseline, error) {
	cmd := exec.Command(bin, dir)
	cmd.Stderr = os.Stderr
	to, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	from, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &baseline{cmd: cmd, to: to, rd: bufio.NewReader(from)}, nil
}

func (b *baseline) batch(n int) (float64, error) {
	if _, err := fmt.Fprintf(b.to, "%d\n", n); err != nil {
		return 0, err
	}
	line, err := b.rd.ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("rust baseline: %w", err)
	}
	var ns float64
	if _, err := fmt.Sscanf(strings.TrimSpace(line), "ns_per_op=%g", &ns); err != nil {
		return 0, fmt.Errorf("rust baseline said %q: %w", line, err)
	}
	return ns, nil
}

func (b *baseline) stop() error {
	b.to.Close()
	return b.cmd.Wait()
}

func goBatch(w *walogs.WAL, n int) (float64, error) {
	p := make([]byte, 128)
	for i := range p {
		p[i] = 0xA5
	}
	t0 := time.Now()
	for i := 0; i < n; i++ {
		if _, err := w.Append(p); err != nil {
			return 0, err
		}
	}
	return float64(time.Since(t0).Nanoseconds()) / float64(n), nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func minOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		if x < m {
			m = x
		}
	}
	return m
}

func main() {
	log.SetFlags(0)
	n := flag.Int("n", 20000, "appends per batch")
	rounds := flag.Int("rounds", 25, "alternating rounds")
	dirBase := flag.String("dir", os.TempDir(), "directory for the two WALs")
	maxRatio := flag.Float64("max-ratio", 0, "exit 1 when the median ratio Go/Rust exceeds this (0: report only)")
	flag.Parse()
	if flag.NArg() != 1 || *n < 1 || *rounds < 1 {
		log.Fatalf("usage: bench_overhead [flags] RUST_BASELINE_BIN")
	}
	base, err := os.MkdirTemp(*dirBase, "walogs-bench-go-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(base)
	w, err := walogs.Open(filepath.Join(base, "wal"), walogs.WithDurability(walogs.DurabilityNone),
		walogs.WithMaxSegmentSize(0))
	if err != nil {
		log.Fatal(err)
	}
	b, err := startBaseline(flag.Arg(0), *dirBase)
	if err != nil {
		log.Fatal(err)
	}
	// One warm-up batch each, not counted.
	if _, err := goBatch(w, *n); err != nil {
		log.Fatal(err)
	}
	if _, err := b.batch(*n); err != nil {
		log.Fatal(err)
	}
	goNs := make([]float64, *rounds)
	rustNs := make([]float64, *rounds)
	ratio := make([]float64, *rounds)
	for i := 0; i < *rounds; i++ {
		var errG, errR error
		if i%2 == 0 {
			goNs[i], errG = goBatch(w, *n)
			rustNs[i], errR = b.batch(*n)
		} else {
			rustNs[i], errR = b.batch(*n)
			goNs[i], errG = goBatch(w, *n)
		}
		if errG != nil || errR != nil {
			log.Fatalf("round %d: go %v, rust %v", i+1, errG, errR)
		}
		ratio[i] = goNs[i] / rustNs[i]
	}
	if err := b.stop(); err != nil {
		log.Fatalf("rust baseline: %v", err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	q := median(ratio)
	fmt.Printf("%d alternating rounds of %d appends each (128 B, durability NONE):\n", *rounds, *n)
	fmt.Printf("  Go path (WAL.Append via cgo + libwalogs.so)  median %.1f ns/append\n", median(goNs))
	fmt.Printf("  Rust path (SharedWal::append)                median %.1f ns/append\n", median(rustNs))
	fmt.Printf("  ratio Go/Rust: median of per-round ratios %.3f (min %.3f, max %.3f)\n", q, minOf(ratio),
		maxOf(ratio))
	fmt.Printf("  fastest batch: Go %.1f ns, Rust %.1f ns, ratio %.3f (least disturbed by other load)\n",
		minOf(goNs), minOf(rustNs), minOf(goNs)/minOf(rustNs))
	fmt.Printf("  target: Go/Rust <= 1.5\n")
	if *maxRatio > 0 && q > *maxRatio {
		fmt.Printf("FAIL: median ratio %.3f > %.3f\n", q, *maxRatio)
		os.Exit(1)
	}
}

func maxOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		if x > m {
			m = x
		}
	}
	return m
}
