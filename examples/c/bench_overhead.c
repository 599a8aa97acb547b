/*
 * bench_overhead.c: per-call overhead of the C path vs the Rust path, for appends that do
 * not fsync (WALOGS_DURABILITY_NONE, 128-byte entries).
 *
 * The Rust baseline (walogs-ffi/examples/bench_overhead.rs: the same appends made directly on
 * walogs_core::SharedWal, the handle the C ABI wraps) runs as a child process serving timed
 * batches over a pipe. This program alternates: a batch of N walogs_append calls through
 * libwalogs.so, then a batch of N Rust appends (which side goes first alternates too), ROUNDS
 * times, so that both sides see the same machine noise. It prints the median ns/append of
 * each side, the median of the per-round ratios C / Rust, and the ratio of the fastest
 * batches of each side (the least disturbed by other load). Target: C / Rust <= 1.05.
 *
 * Build and run in the repository:   make bench
 * or by hand (after `make lib`):
 *   cargo build --release -p walogs-ffi --example bench_overhead
 *   cc -Wall -O2 -Iinclude examples/c/bench_overhead.c -Ltarget/c/lib \
 *      -Wl,-rpath,$PWD/target/c/lib -lwalogs -o bench_overhead
 *   ./bench_overhead target/release/examples/bench_overhead [N=20000] [ROUNDS=25] [DIR=/tmp]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "walogs.h"

#define MAX_ROUNDS 1000

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The Rust side: a child process reading batch sizes, answering ns per append. */
struct baseline {
  pid_t pid;
  FILE *to, *from;
};

static int baseline_start(struct baseline *b, const char *bin, const char *dir) {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) return -1;
  b->pid = fork();
  if (b->pid < 0) return -1;
  if (b->pid == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
    execl(bin, bin, dir, (char *)NULL);
    perror("exec");
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  b->to = fdopen(in[1], "w");
  b->from = fdopen(out[0], "r");
  return b->to && b->from ? 0 : -1;
}

static double baseline_batch(struct baseline *b, long n) {
  fprintf(b->to, "%ld\n", n);
  fflush(b->to);
  char line[256];
  double ns = -1;
  if (fgets(line, sizeof line, b->from) == NULL || sscanf(line, "ns_per_op=%lf", &ns) != 1)
    return -1;
  return ns;
}

static int baseline_stop(struct baseline *b) {
  fclose(b->to);
  fclose(b->from);
  int st = 0;
  waitpid(b->pid, &st, 0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* The C side: one open handle, batches of n appends. */
static double c_batch(walogs_wal *w, long n) {
  uint8_t payload[128];
  memset(payload, 0xA5, sizeof payload);
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    if (walogs_append(w, payload, sizeof payload, NULL) != WALOGS_OK) return -1;
  }
  return (now_ns() - t0) / (double)n;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof v[0], cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s RUST_BASELINE_BIN [N] [ROUNDS] [DIR]\n", argv[0]);
    return 2;
  }
  const char *bin = argv[1];
  long n = argc > 2 ? atol(argv[2]) : 20000;
  int rounds = argc > 3 ? atoi(argv[3]) : 25;
  const char *dir_base = argc > 4 ? argv[4] : "/tmp";
  if (n < 1 || rounds < 1 || rounds > MAX_ROUNDS) return 2;

  char base[4096], dir[4200];
  snprintf(base, sizeof base, "%s/walogs-bench-c-XXXXXX", dir_base);
  if (mkdtemp(base) == NULL) return 1;
  snprintf(dir, sizeof dir, "%s/wal", base);
  walogs_options *o = NULL;
  walogs_wal *w = NULL;
  if (walogs_options_new(&o) != WALOGS_OK ||
      walogs_options_set_durability(o, WALOGS_DURABILITY_NONE, 0) != WALOGS_OK ||
      walogs_options_set_max_segment_size(o, 0) != WALOGS_OK || walogs_open(dir, o, &w) != WALOGS_OK) {
    fprintf(stderr, "cannot open %s\n", dir);
    return 1;
  }
  walogs_options_free(o);
  struct baseline b;
  signal(SIGPIPE, SIG_IGN);
  if (baseline_start(&b, bin, dir_base) != 0) return 1;

  /* One warm-up batch each, not counted. */
  if (c_batch(w, n) < 0 || baseline_batch(&b, n) < 0) return 1;
  static double c[MAX_ROUNDS], r[MAX_ROUNDS], ratio[MAX_ROUNDS];
  for (int i = 0; i < rounds; i++) {
    if (i % 2 == 0) {
      c[i] = c_batch(w, n);
      r[i] = baseline_batch(&b, n);
    } else {
      r[i] = baseline_batch(&b, n);
      c[i] = c_batch(w, n);
    }
    if (c[i] < 0 || r[i] < 0) {
      fprintf(stderr, "round %d failed\n", i + 1);
      return 1;
    }
    ratio[i] = c[i] / r[i];
  }
  int bad = baseline_stop(&b) != 0;
  bad |= walogs_close(w) != WALOGS_OK;
  char cmd[4300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
  bad |= system(cmd) != 0;

  double cm = median(c, rounds), rm = median(r, rounds), q = median(ratio, rounds);
  /* c and r are sorted now: their first elements are the fastest batches. */
  double cmin = c[0], rmin = r[0];
  printf("%d alternating rounds of %ld appends each (128 B, durability NONE):\n", rounds, n);
  printf("  C path (walogs_append via libwalogs.so)  median %.1f ns/append\n", cm);
  printf("  Rust path (SharedWal::append)            median %.1f ns/append\n", rm);
  printf("  ratio C/Rust: median of per-round ratios %.3f (min %.3f, max %.3f)\n", q, ratio[0],
         ratio[rounds - 1]);
  printf("  fastest batch: C %.1f ns, Rust %.1f ns, ratio %.3f (least disturbed by other load)\n",
         cmin, rmin, cmin / rmin);
  printf("  target: C/Rust <= 1.05\n");
  return bad;
}
