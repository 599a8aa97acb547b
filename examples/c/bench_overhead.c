/*
 * bench_overhead.c: per-call overhead of the C path vs the Rust path, for appends that do
 * not fsync (WALOGS_DURABILITY_NONE, 128-byte entries).
 *
 * Each round times N walogs_append calls through libwalogs.so, then runs the Rust baseline
 * (walogs-ffi/examples/bench_overhead.rs: the same appends on walogs_core::SharedWal, the
 * handle the C ABI wraps) as a child process. Rounds alternate C and Rust; the medians and
 * their ratio C / Rust are printed (target: <= 1.05).
 *
 * Build and run in the repository:   make bench
 * or by hand (after `make lib`):
 *   cargo build --release -p walogs-ffi --example bench_overhead
 *   cc -Wall -O2 -Iinclude examples/c/bench_overhead.c -Ltarget/c/lib \
 *      -Wl,-rpath,$PWD/target/c/lib -lwalogs -o bench_overhead
 *   ./bench_overhead target/release/examples/bench_overhead [N=200000] [ROUNDS=5] [DIR=/tmp]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "walogs.h"

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void rm_dir(const char *base) {
  char cmd[4300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", base);
}

/* One C round: ns per append, or -1 on a failure. */
static double c_round(long n, const char *dir_base) {
  char base[4096], dir[4200];
  snprintf(base, sizeof base, "%s/walogs-bench-c-XXXXXX", dir_base);
  if (mkdtemp(base) == NULL) return -1;
  snprintf(dir, sizeof dir, "%s/wal", base);
  walogs_options *o = NULL;
  walogs_wal *w = NULL;
  if (walogs_options_new(&o) != WALOGS_OK ||
      walogs_options_set_durability(o, WALOGS_DURABILITY_NONE, 0) != WALOGS_OK ||
      walogs_open(dir, o, &w) != WALOGS_OK)
    return -1;
  walogs_options_free(o);
  uint8_t payload[128];
  memset(payload, 0xA5, sizeof payload);
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    if (walogs_append(w, payload, sizeof payload, NULL) != WALOGS_OK) return -1;
  }
  double t1 = now_ns();
  if (walogs_close(w) != WALOGS_OK) return -1;
  rm_dir(base);
  return (t1 - t0) / (double)n;
}

/* One Rust round: run the baseline binary and parse its ns_per_op. */
static double rust_round(const char *bin, long n, const char *dir_base) {
  char cmd[8400];
  snprintf(cmd, sizeof cmd, "'%s' %ld '%s'", bin, n, dir_base);
  FILE *p = popen(cmd, "r");
  if (p == NULL) return -1;
  double ns = -1;
  char line[256];
  while (fgets(line, sizeof line, p) != NULL) sscanf(line, "ns_per_op=%lf", &ns);
  if (pclose(p) != 0) return -1;
  return ns;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s RUST_BASELINE_BIN [N] [ROUNDS] [DIR]\n", argv[0]);
    return 2;
  }
  const char *bin = argv[1];
  long n = argc > 2 ? atol(argv[2]) : 200000;
  int rounds = argc > 3 ? atoi(argv[3]) : 5;
  const char *dir = argc > 4 ? argv[4] : "/tmp";
  if (n < 1 || rounds < 1 || rounds > 99) return 2;
  double c[100], r[100];
  for (int i = 0; i < rounds; i++) {
    c[i] = c_round(n, dir);
    r[i] = rust_round(bin, n, dir);
    if (c[i] < 0 || r[i] < 0) {
      fprintf(stderr, "round %d failed (c %.1f, rust %.1f)\n", i, c[i], r[i]);
      return 1;
    }
    printf("round %d: C %.1f ns/append, Rust %.1f ns/append\n", i + 1, c[i], r[i]);
  }
  qsort(c, (size_t)rounds, sizeof c[0], cmp_double);
  qsort(r, (size_t)rounds, sizeof r[0], cmp_double);
  double cm = c[rounds / 2], rm = r[rounds / 2];
  printf("median over %d rounds of %ld appends (128 B, durability NONE):\n", rounds, n);
  printf("  C path    %.1f ns/append\n  Rust path %.1f ns/append\n", cm, rm);
  printf("  ratio C/Rust = %.3f (target <= 1.05)\n", cm / rm);
  return 0;
}
