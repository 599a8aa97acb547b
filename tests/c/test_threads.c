/*
 * test_threads.c: one handle, many threads. Concurrent appends get unique dense LSNs and are
 * durable on return; readers iterate while writers append; walogs_shutdown from another
 * thread stops appenders with WALOGS_CLOSED and keeps every acknowledged entry.
 */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdatomic.h>

#include "check.h"

#define THREADS 4
#define PER_THREAD 100

struct writer {
  walogs_wal *w;
  int id;
  uint64_t lsns[PER_THREAD];
  int failures;
  int not_durable; /* appends that returned while durable_lsn was below their LSN */
};

static void *writer_main(void *arg) {
  struct writer *t = arg;
  for (int i = 0; i < PER_THREAD; i++) {
    char body[32];
    int n = snprintf(body, sizeof body, "t%d-%d", t->id, i);
    uint64_t lsn = 0;
    if (walogs_append(t->w, (const uint8_t *)body, (size_t)n, &lsn) != WALOGS_OK) {
      t->failures++;
      continue;
    }
    t->lsns[i] = lsn;
    uint64_t durable = 0;
    if (walogs_durable_lsn(t->w, &durable) != WALOGS_OK || durable < lsn) t->not_durable++;
  }
  return NULL;
}

static atomic_bool writers_done;

struct reader {
  walogs_wal *w;
  int passes;
  int bad; /* iterations that saw a gap, a wrong body or an error */
};

/* Iterate again and again while the writers run: every pass must see dense LSNs from 1. */
static void *reader_main(void *arg) {
  struct reader *r = arg;
  while (!atomic_load(&writers_done) || r->passes == 0) {
    walogs_iter *it = NULL;
    if (walogs_iter_from(r->w, 0, &it) != WALOGS_OK) {
      r->bad++;
      break;
    }
    uint64_t expect = 1, lsn;
    const uint8_t *data;
    size_t len;
    walogs_status s;
    while ((s = walogs_iter_next(it, &lsn, &data, &len)) == WALOGS_OK) {
      if (lsn != expect++ || len < 4 || data[0] != 't') r->bad++;
    }
    if (s != WALOGS_END) r->bad++;
    walogs_iter_free(it);
    r->passes++;
  }
  return NULL;
}

static void test_concurrent_appends(void) {
  char *dir = tmpdir_new("threads");
  walogs_wal *w = open_or_die(dir);
  struct writer ws[THREADS];
  pthread_t tids[THREADS], rtid;
  struct reader rd = {.w = w};
  atomic_store(&writers_done, false);
  CHECK(pthread_create(&rtid, NULL, reader_main, &rd) == 0);
  for (int i = 0; i < THREADS; i++) {
    memset(&ws[i], 0, sizeof ws[i]);
    ws[i].w = w;
    ws[i].id = i;
    CHECK(pthread_create(&tids[i], NULL, writer_main, &ws[i]) == 0);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(tids[i], NULL);
  atomic_store(&writers_done, true);
  pthread_join(rtid, NULL);
  CHECK(rd.passes > 0 && rd.bad == 0);

  /* Every LSN 1..THREADS*PER_THREAD was handed out exactly once, in order per thread. */
  static bool seen[THREADS * PER_THREAD + 1];
  memset(seen, 0, sizeof seen);
  int dup_or_range = 0, unordered = 0;
  for (int t = 0; t < THREADS; t++) {
    CHECK(ws[t].failures == 0 && ws[t].not_durable == 0);
    for (int i = 0; i < PER_THREAD; i++) {
      uint64_t l = ws[t].lsns[i];
      if (l < 1 || l > THREADS * PER_THREAD || seen[l]) dup_or_range++;
      else seen[l] = true;
      if (i > 0 && l <= ws[t].lsns[i - 1]) unordered++;
    }
  }
  CHECK(dup_or_range == 0 && unordered == 0);
  uint64_t v = 0;
  EXPECT_OK(walogs_durable_lsn(w, &v));
  CHECK(v == THREADS * PER_THREAD);

  /* Each thread's entries read back by LSN with the right bytes. */
  int wrong = 0;
  for (int t = 0; t < THREADS; t++) {
    for (int i = 0; i < PER_THREAD; i++) {
      char want[32], got[32];
      int n = snprintf(want, sizeof want, "t%d-%d", t, i);
      size_t len = 0;
      if (walogs_read(w, ws[t].lsns[i], (uint8_t *)got, sizeof got, &len) != WALOGS_OK ||
          len != (size_t)n || memcmp(got, want, len) != 0)
        wrong++;
    }
  }
  CHECK(wrong == 0);
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

struct looper {
  walogs_wal *w;
  uint64_t acked[100000];
  int count;
  walogs_status last;
};

static void *looper_main(void *arg) {
  struct looper *l = arg;
  for (;;) {
    uint64_t lsn = 0;
    walogs_status s = walogs_append(l->w, (const uint8_t *)"loop", 4, &lsn);
    if (s != WALOGS_OK) {
      l->last = s;
      return NULL;
    }
    l->acked[l->count++] = lsn;
    if (l->count == 100000) {
      l->last = WALOGS_OK; /* ran out of room before the shutdown: reported as a failure */
      return NULL;
    }
  }
}

static void test_shutdown_while_appending(void) {
  char *dir = tmpdir_new("threads-shutdown");
  walogs_options *o = NULL;
  EXPECT_OK(walogs_options_new(&o));
  EXPECT_OK(walogs_options_set_durability(o, WALOGS_DURABILITY_NONE, 0));
  walogs_wal *w = NULL;
  EXPECT_OK(walogs_open(dir, o, &w));
  walogs_options_free(o);
  if (w == NULL) return;
  static struct looper ls[THREADS];
  pthread_t tids[THREADS];
  for (int i = 0; i < THREADS; i++) {
    memset(&ls[i], 0, sizeof ls[i]);
    ls[i].w = w;
    CHECK(pthread_create(&tids[i], NULL, looper_main, &ls[i]) == 0);
  }
  /* Let them append for a moment, then shut down from this thread. */
  uint64_t next = 1;
  while (next < 200) {
    sched_yield();
    if (walogs_next_lsn(w, &next) != WALOGS_OK) break;
  }
  EXPECT_OK(walogs_shutdown(w));
  int total = 0, not_closed = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(tids[i], NULL);
    if (ls[i].last != WALOGS_CLOSED) not_closed++;
    total += ls[i].count;
  }
  CHECK(not_closed == 0);
  CHECK(total >= 199);
  EXPECT_OK(walogs_close(w));

  /* Every acknowledged append is in the reopened log; nothing else is. */
  w = open_or_die(dir);
  EXPECT_OK(walogs_next_lsn(w, &next));
  CHECK(next == (uint64_t)total + 1);
  int missing = 0;
  for (int i = 0; i < THREADS; i++) {
    for (int k = 0; k < ls[i].count; k++) {
      char buf[8];
      size_t len = 0;
      if (walogs_read(w, ls[i].acked[k], (uint8_t *)buf, sizeof buf, &len) != WALOGS_OK ||
          len != 4 || memcmp(buf, "loop", 4) != 0)
        missing++;
    }
  }
  CHECK(missing == 0);
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

int main(void) {
  test_concurrent_appends();
  test_shutdown_while_appending();
  return check_summary("test_threads");
}
