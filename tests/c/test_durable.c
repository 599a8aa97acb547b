/*
 * test_durable.c: being told when an entry is durable. walogs_wait_durable (timeouts, LSNs
 * never handed out, a wait ended by a sync, a truncation or a shutdown) and
 * walogs_on_durable (runs once, on another thread, after the entry is durable; failures
 * carry their status and last error on the notifier thread; a callback may call walogs;
 * pending callbacks run by close; refused after close). No timed assertions: every wait
 * ends because of an event the test causes, and each case gives the same result whether
 * that event comes before or after the other thread starts waiting.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "check.h"

static walogs_wal *open_durability(const char *dir, walogs_durability d, uint64_t interval_ms) {
  walogs_options *o = NULL;
  walogs_wal *w = NULL;
  if (walogs_options_new(&o) != WALOGS_OK) exit(2);
  if (walogs_options_set_durability(o, d, interval_ms) != WALOGS_OK) exit(2);
  walogs_status s = walogs_open(dir, o, &w);
  walogs_options_free(o);
  if (s != WALOGS_OK) {
    fprintf(stderr, "cannot open %s: %s\n", dir, last_error_text());
    exit(2);
  }
  return w;
}

/* ---- walogs_wait_durable ---------------------------------------------------------------- */

struct waiter {
  walogs_wal *w;
  uint64_t lsn;
  atomic_bool started;
  walogs_status status;
  char message[256];
};

static void *waiter_main(void *arg) {
  struct waiter *t = arg;
  atomic_store(&t->started, true);
  t->status = walogs_wait_durable(t->w, t->lsn, -1);
  if (t->status != WALOGS_OK) walogs_last_error(t->message, sizeof t->message, NULL);
  return NULL;
}

/* Start a thread blocked in walogs_wait_durable(w, lsn, no limit). */
static void start_waiter(pthread_t *tid, struct waiter *t, walogs_wal *w, uint64_t lsn) {
  memset(t, 0, sizeof *t);
  t->w = w;
  t->lsn = lsn;
  atomic_store(&t->started, false);
  if (pthread_create(tid, NULL, waiter_main, t) != 0) exit(2);
  while (!atomic_load(&t->started)) sched_yield();
}

static void test_wait_durable(void) {
  char *dir = tmpdir_new("wait");
  walogs_wal *w = open_durability(dir, WALOGS_DURABILITY_MANUAL, 0);
  uint64_t lsn = append_str(w, "x");
  CHECK(lsn == 1);

  /* Not durable under MANUAL until a sync: a zero timeout only looks. */
  EXPECT_STATUS(walogs_wait_durable(w, lsn, 0), WALOGS_TIMEOUT);
  EXPECT_ERROR_MENTIONS("not durable within the timeout");
  CHECK(walogs_last_errno() == 0);
  EXPECT_STATUS(walogs_wait_durable(w, lsn, 1), WALOGS_TIMEOUT);
  /* Never handed out: refused at once, whatever the timeout. */
  EXPECT_STATUS(walogs_wait_durable(w, 5, -1), WALOGS_LSN_OUT_OF_RANGE);
  EXPECT_ERROR_MENTIONS("lsn 5 out of range");
  EXPECT_STATUS(walogs_wait_durable(w, UINT64_MAX, INT64_MIN), WALOGS_LSN_OUT_OF_RANGE);
  /* LSN 0 is durable at once. */
  EXPECT_OK(walogs_wait_durable(w, 0, 0));
  EXPECT_OK(walogs_wait_durable(w, 0, -1));

  /* A waiter without limit is released by a sync from this thread. */
  pthread_t tid;
  struct waiter t;
  start_waiter(&tid, &t, w, lsn);
  EXPECT_OK(walogs_sync(w, NULL));
  pthread_join(tid, NULL);
  CHECK(t.status == WALOGS_OK);
  EXPECT_OK(walogs_wait_durable(w, lsn, 0)); /* durable now: no wait */

  /* A wait for an entry that a truncation removes fails with LSN_OUT_OF_RANGE. */
  uint64_t l2 = append_str(w, "y");
  CHECK(l2 == 2);
  start_waiter(&tid, &t, w, l2);
  EXPECT_OK(walogs_truncate_after(w, 1, NULL));
  pthread_join(tid, NULL);
  CHECK(t.status == WALOGS_LSN_OUT_OF_RANGE);
  CHECK(strstr(t.message, "walogs_wait_durable: lsn 2 out of range") == t.message);

  /* After a shutdown every wait is CLOSED, even for an entry the shutdown made durable. */
  uint64_t l3 = append_str(w, "z");
  CHECK(l3 == 2);
  EXPECT_OK(walogs_shutdown(w));
  EXPECT_STATUS(walogs_wait_durable(w, l3, -1), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_wait_durable(w, 0, -1), WALOGS_CLOSED);
  EXPECT_OK(walogs_close(w));

  /* INTERVAL: the background flusher makes an entry durable without a further call (the
     minute-long limit only keeps a broken flusher from hanging the test). */
  w = open_durability(dir, WALOGS_DURABILITY_INTERVAL, 5);
  lsn = append_str(w, "flushed");
  CHECK(lsn == 3);
  EXPECT_OK(walogs_wait_durable(w, lsn, 60000));
  uint64_t durable = 0;
  EXPECT_OK(walogs_durable_lsn(w, &durable));
  CHECK(durable >= lsn);
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

/* ---- walogs_on_durable ------------------------------------------------------------------ */

/* What one callback saw. The test waits for `called` under the mutex. */
struct seen {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  int called;
  walogs_status status;
  pthread_t thread;
  char message[256];
  walogs_wal *w;            /* when set, the callback appends to it */
  walogs_status appended;   /* status of that append */
};

static void seen_init(struct seen *s) {
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cond, NULL);
  s->status = -1;
  s->appended = -1;
}

static void seen_destroy(struct seen *s) {
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cond);
}

static void on_durable_cb(void *ctx, walogs_status status) {
  struct seen *s = ctx;
  walogs_status appended = -1;
  if (s->w != NULL) appended = walogs_append(s->w, (const uint8_t *)"from a callback", 15, NULL);
  pthread_mutex_lock(&s->mu);
  s->called++;
  s->status = status;
  s->thread = pthread_self();
  s->appended = appended;
  s->message[0] = '\0';
  if (status != WALOGS_OK) walogs_last_error(s->message, sizeof s->message, NULL);
  pthread_cond_broadcast(&s->cond);
  pthread_mutex_unlock(&s->mu);
}

/* Block until the callback ran (no time limit: an event of the test ends every wait). */
static void wait_called(struct seen *s) {
  pthread_mutex_lock(&s->mu);
  while (s->called == 0) pthread_cond_wait(&s->cond, &s->mu);
  pthread_mutex_unlock(&s->mu);
}

static int calls(struct seen *s) {
  pthread_mutex_lock(&s->mu);
  int n = s->called;
  pthread_mutex_unlock(&s->mu);
  return n;
}

static void test_on_durable(void) {
  char *dir = tmpdir_new("callback");
  walogs_wal *w = open_durability(dir, WALOGS_DURABILITY_MANUAL, 0);
  uint64_t l1 = append_str(w, "a");
  uint64_t l2 = append_str(w, "b");
  CHECK(l1 == 1 && l2 == 2);

  struct seen first, second;
  seen_init(&first);
  seen_init(&second);
  second.w = w; /* a callback may call back into the WAL */
  EXPECT_OK(walogs_on_durable(w, l1, on_durable_cb, &first));
  EXPECT_OK(walogs_on_durable(w, l2, on_durable_cb, &second));
  /* Nothing is durable under MANUAL before the sync, so nothing ran: nothing else syncs. */
  CHECK(calls(&first) == 0 && calls(&second) == 0);
  EXPECT_OK(walogs_sync(w, NULL));
  wait_called(&first);
  wait_called(&second);
  CHECK(first.status == WALOGS_OK && !pthread_equal(first.thread, pthread_self()));
  CHECK(second.status == WALOGS_OK && second.appended == WALOGS_OK);
  uint64_t next = 0;
  EXPECT_OK(walogs_next_lsn(w, &next));
  CHECK(next == 4); /* the callback's append */

  /* Already durable: still reported, on the notifier thread. */
  struct seen again;
  seen_init(&again);
  EXPECT_OK(walogs_on_durable(w, l1, on_durable_cb, &again));
  wait_called(&again);
  CHECK(again.status == WALOGS_OK && !pthread_equal(again.thread, pthread_self()));
  struct seen zero;
  seen_init(&zero);
  EXPECT_OK(walogs_on_durable(w, 0, on_durable_cb, &zero));
  wait_called(&zero);
  CHECK(zero.status == WALOGS_OK);

  /* Never handed out: refused here, never called. */
  struct seen never;
  seen_init(&never);
  EXPECT_STATUS(walogs_on_durable(w, 1000, on_durable_cb, &never), WALOGS_LSN_OUT_OF_RANGE);
  EXPECT_ERROR_MENTIONS("lsn 1000 out of range");

  /* Truncated away before durable: the callback gets LSN_OUT_OF_RANGE, and the last error
     of the notifier thread, read inside the callback, says so. */
  uint64_t l4 = append_str(w, "e");
  CHECK(l4 == 4);
  struct seen cut;
  seen_init(&cut);
  EXPECT_OK(walogs_on_durable(w, l4, on_durable_cb, &cut));
  EXPECT_OK(walogs_truncate_after(w, 3, NULL));
  wait_called(&cut);
  CHECK(cut.status == WALOGS_LSN_OUT_OF_RANGE);
  CHECK(strstr(cut.message, "walogs_on_durable: lsn 4 out of range") == cut.message);

  /* Pending at close: close runs it (durable by then) before it returns. */
  uint64_t l6 = append_str(w, "f");
  CHECK(l6 == 4);
  struct seen pending;
  seen_init(&pending);
  EXPECT_OK(walogs_on_durable(w, l6, on_durable_cb, &pending));
  EXPECT_OK(walogs_shutdown(w));
  CHECK(calls(&pending) == 1 && pending.status == WALOGS_OK);

  /* After shutdown: refused, never called. */
  struct seen late;
  seen_init(&late);
  EXPECT_STATUS(walogs_on_durable(w, l1, on_durable_cb, &late), WALOGS_CLOSED);
  EXPECT_OK(walogs_close(w));
  /* Each ran exactly once; the refused ones never. */
  CHECK(calls(&first) == 1 && calls(&second) == 1 && calls(&again) == 1 && calls(&zero) == 1);
  CHECK(calls(&cut) == 1 && calls(&pending) == 1 && calls(&never) == 0 && calls(&late) == 0);
  struct seen *all[] = {&first, &second, &again, &zero, &never, &cut, &pending, &late};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) seen_destroy(all[i]);

  /* The appends made by callbacks are in the log. */
  w = open_or_die(dir);
  uint8_t buf[32];
  size_t len = 0;
  EXPECT_OK(walogs_read(w, 3, buf, sizeof buf, &len));
  CHECK(len == 15 && memcmp(buf, "from a callback", 15) == 0);
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

/* A callback that shuts its own WAL down (allowed: not walogs_close). */
static void shutdown_cb(void *ctx, walogs_status status) {
  struct seen *s = ctx;
  walogs_status shut = walogs_shutdown(s->w);
  pthread_mutex_lock(&s->mu);
  s->called++;
  s->status = status;
  s->appended = shut;
  pthread_cond_broadcast(&s->cond);
  pthread_mutex_unlock(&s->mu);
}

static void test_callback_shuts_down(void) {
  char *dir = tmpdir_new("callback-shutdown");
  walogs_wal *w = open_or_die(dir);
  uint64_t lsn = append_str(w, "a");
  struct seen s;
  seen_init(&s);
  s.w = w;
  EXPECT_OK(walogs_on_durable(w, lsn, shutdown_cb, &s));
  wait_called(&s);
  CHECK(s.status == WALOGS_OK && s.appended == WALOGS_OK);
  EXPECT_STATUS(walogs_append(w, (const uint8_t *)"b", 1, NULL), WALOGS_CLOSED);
  EXPECT_OK(walogs_close(w));
  CHECK(calls(&s) == 1);
  seen_destroy(&s);
  tmpdir_remove(dir);
}

int main(void) {
  test_wait_durable();
  test_on_durable();
  test_callback_shuts_down();
  return check_summary("test_durable");
}
