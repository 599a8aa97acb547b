/*
 * threads.c: many pthreads appending to one walogs_wal at once (group commit).
 *
 * Every append is durable (fdatasync'd) when it returns. Threads that append at the same
 * time share one write and one fdatasync, so N threads get far more appends per second than
 * one. The program first measures one thread, then N, and estimates how many fdatasyncs were
 * shared from the durable watermark: each group commit publishes a new durable LSN, so the
 * number of distinct watermarks the appenders observed approximates the number of syncs.
 *
 * Build in the repository (after `make lib`):
 *   cc -Wall -O2 -Iinclude examples/c/threads.c -Ltarget/c/lib \
 *      -Wl,-rpath,$PWD/target/c/lib -lwalogs -lpthread -o threads
 * or against an installed walogs:
 *   cc threads.c $(pkg-config --cflags --libs walogs) -lpthread -o threads
 * Run: ./threads [THREADS=8] [APPENDS_PER_THREAD=200] [DIR]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "walogs.h"

struct worker {
  walogs_wal *wal;
  int id, count;
  uint64_t *watermarks; /* durable LSN seen after each append */
  int failed;
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *work(void *arg) {
  struct worker *w = arg;
  char body[128];
  memset(body, 'x', sizeof body);
  for (int i = 0; i < w->count; i++) {
    int n = snprintf(body, sizeof body, "thread %d entry %d", w->id, i);
    uint64_t lsn;
    if (walogs_append(w->wal, (const uint8_t *)body, (size_t)n, &lsn) != WALOGS_OK) {
      w->failed++;
      continue;
    }
    walogs_durable_lsn(w->wal, &w->watermarks[i]);
  }
  return NULL;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Run `threads` appenders of `count` entries each; print and return appends per second. */
static double run(walogs_wal *wal, int threads, int count) {
  struct worker *ws = calloc((size_t)threads, sizeof *ws);
  pthread_t *tids = calloc((size_t)threads, sizeof *tids);
  uint64_t *marks = calloc((size_t)threads * (size_t)count, sizeof *marks);
  if (ws == NULL || tids == NULL || marks == NULL) exit(1);
  double t0 = now();
  for (int i = 0; i < threads; i++) {
    ws[i] = (struct worker){wal, i, count, marks + (size_t)i * (size_t)count, 0};
    pthread_create(&tids[i], NULL, work, &ws[i]);
  }
  int failed = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(tids[i], NULL);
    failed += ws[i].failed;
  }
  double secs = now() - t0;
  size_t total = (size_t)threads * (size_t)count;
  qsort(marks, total, sizeof *marks, cmp_u64);
  size_t distinct = 0;
  for (size_t i = 0; i < total; i++)
    if (marks[i] != 0 && (i == 0 || marks[i] != marks[i - 1])) distinct++;
  double rate = (double)total / secs;
  printf("%2d thread(s): %6zu appends in %.3f s = %9.0f appends/s; ~%zu fdatasyncs "
         "(%.1f appends per sync)%s\n",
         threads, total, secs, rate, distinct, distinct ? (double)total / (double)distinct : 0.0,
         failed ? " SOME APPENDS FAILED" : "");
  free(ws);
  free(tids);
  free(marks);
  return failed ? -1.0 : rate;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 8;
  int count = argc > 2 ? atoi(argv[2]) : 200;
  char dir[4096];
  if (argc > 3) {
    snprintf(dir, sizeof dir, "%s", argv[3]);
  } else {
    char base[] = "/tmp/walogs-threads-XXXXXX";
    if (mkdtemp(base) == NULL) return 1;
    snprintf(dir, sizeof dir, "%s/wal", base);
  }
  if (threads < 1 || count < 1) {
    fprintf(stderr, "usage: %s [THREADS] [APPENDS_PER_THREAD] [DIR]\n", argv[0]);
    return 2;
  }
  walogs_wal *wal = NULL;
  walogs_status s = walogs_open(dir, NULL, &wal);
  if (s != WALOGS_OK) {
    char msg[512];
    walogs_last_error(msg, sizeof msg, NULL);
    fprintf(stderr, "walogs_open: %s\n", msg);
    return 1;
  }
  printf("walogs %s in %s, durability EVERY_APPEND\n", walogs_version(), dir);
  double one = run(wal, 1, count);
  double many = run(wal, threads, count);
  if (one > 0 && many > 0) printf("group commit speedup: %.1fx\n", many / one);
  walogs_close(wal);
  return one > 0 && many > 0 ? 0 : 1;
}
