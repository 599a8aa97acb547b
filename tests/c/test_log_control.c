/*
 * test_log_control.c: purge (drop the oldest entries up to any LSN, also past the end),
 * truncation at any LSN (inside atomic and non-atomic batches too), durable user data,
 * bounded range reads, and what iterators do when the log is cut under them. Every case
 * checks the values, the refusals (below the floor, past the end, over the limits) and that
 * a refusal changed nothing, also after a reopen.
 */
#include <stdbool.h>

#include "check.h"

static uint64_t getter(walogs_status (*f)(const walogs_wal *, uint64_t *), const walogs_wal *w) {
  uint64_t v = 0;
  if (f(w, &v) != WALOGS_OK) return UINT64_MAX;
  return v;
}
#define FIRST(w) getter(walogs_first_lsn, (w))
#define NEXT(w) getter(walogs_next_lsn, (w))
#define FLOOR(w) getter(walogs_purged_up_to, (w))

/* The body of entry `lsn` in these tests. */
static int body(uint64_t lsn, char *out, size_t cap) {
  return snprintf(out, cap, "entry-%llu", (unsigned long long)lsn);
}

static uint64_t append_body(walogs_wal *w, uint64_t lsn) {
  char b[32];
  int n = body(lsn, b, sizeof b);
  uint64_t got = 0;
  if (walogs_append(w, (const uint8_t *)b, (size_t)n, &got) != WALOGS_OK) return 0;
  return got;
}

/* Entry `lsn` reads back as its body. */
static bool holds(const walogs_wal *w, uint64_t lsn) {
  char want[32], got[32];
  int n = body(lsn, want, sizeof want);
  size_t len = 0;
  return walogs_read(w, lsn, (uint8_t *)got, sizeof got, &len) == WALOGS_OK &&
         len == (size_t)n && memcmp(got, want, len) == 0;
}

/* The LSNs an iterator from `from` yields into `lsns` (at most `max`); -1 when it does not
   end with WALOGS_END. */
static int lsns_from(const walogs_wal *w, uint64_t from, uint64_t *lsns, int max) {
  walogs_iter *it = NULL;
  if (walogs_iter_from(w, from, &it) != WALOGS_OK) return -1;
  int n = 0;
  uint64_t lsn;
  const uint8_t *data;
  size_t len;
  walogs_status s;
  while ((s = walogs_iter_next(it, &lsn, &data, &len)) == WALOGS_OK) {
    if (n < max) lsns[n] = lsn;
    n++;
  }
  walogs_iter_free(it);
  return s == WALOGS_END ? n : -1;
}

static walogs_wal *open_opts(const char *dir, walogs_durability d, uint64_t seg, bool ro) {
  walogs_options *o = NULL;
  walogs_wal *w = NULL;
  if (walogs_options_new(&o) != WALOGS_OK) exit(2);
  if (walogs_options_set_durability(o, d, 0) != WALOGS_OK ||
      walogs_options_set_max_segment_size(o, seg) != WALOGS_OK ||
      walogs_options_set_read_only(o, ro) != WALOGS_OK)
    exit(2);
  walogs_status s = walogs_open(dir, o, &w);
  walogs_options_free(o);
  if (s != WALOGS_OK) {
    fprintf(stderr, "cannot open %s: %s\n", dir, last_error_text());
    exit(2);
  }
  return w;
}

static void test_purge(void) {
  char *dir = tmpdir_new("purge");
  walogs_wal *w = open_or_die(dir);
  for (uint64_t i = 1; i <= 20; i++) CHECK(append_body(w, i) == i);
  CHECK(FLOOR(w) == 0);

  /* Inside the log: entries up to 7 are gone at once. */
  size_t deleted = 99;
  EXPECT_OK(walogs_purge_up_to(w, 7, &deleted));
  CHECK(deleted == 0); /* one segment, still holding 8..20 */
  CHECK(FIRST(w) == 8 && FLOOR(w) == 7 && NEXT(w) == 21);
  uint8_t buf[32];
  size_t len = 77;
  EXPECT_STATUS(walogs_read(w, 7, buf, sizeof buf, &len), WALOGS_LSN_OUT_OF_RANGE);
  CHECK(len == 77);
  walogs_iter *it = NULL;
  EXPECT_STATUS(walogs_iter_from(w, 3, &it), WALOGS_LSN_OUT_OF_RANGE);
  CHECK(it == NULL);
  uint64_t lsns[32];
  CHECK(lsns_from(w, 0, lsns, 32) == 13 && lsns[0] == 8 && lsns[12] == 20);
  CHECK(holds(w, 8) && holds(w, 20));

  /* Lower than the floor: nothing happens. */
  deleted = 99;
  EXPECT_OK(walogs_purge_up_to(w, 3, &deleted));
  CHECK(deleted == 0 && FIRST(w) == 8 && FLOOR(w) == 7);
  EXPECT_OK(walogs_purge_up_to(w, 0, NULL));
  CHECK(FIRST(w) == 8);
  /* Truncating below the floor is refused and removes nothing. */
  uint64_t removed = 77;
  EXPECT_STATUS(walogs_truncate_after(w, 5, &removed), WALOGS_LSN_OUT_OF_RANGE);
  CHECK(removed == 77 && NEXT(w) == 21 && holds(w, 20));
  EXPECT_OK(walogs_close(w));

  /* The floor survives a reopen. */
  w = open_or_die(dir);
  CHECK(FIRST(w) == 8 && FLOOR(w) == 7 && NEXT(w) == 21);
  EXPECT_STATUS(walogs_read(w, 7, buf, sizeof buf, &len), WALOGS_LSN_OUT_OF_RANGE);
  CHECK(holds(w, 8));

  /* Past the end: the log is empty and restarts after the floor. */
  EXPECT_OK(walogs_purge_up_to(w, 100, NULL));
  CHECK(FIRST(w) == 101 && NEXT(w) == 101 && FLOOR(w) == 100);
  CHECK(lsns_from(w, 0, lsns, 32) == 0);
  size_t count = 0;
  EXPECT_OK(walogs_segment_count(w, &count));
  CHECK(count == 1);
  CHECK(append_body(w, 101) == 101);
  EXPECT_OK(walogs_close(w));
  w = open_or_die(dir);
  CHECK(lsns_from(w, 0, lsns, 32) == 1 && lsns[0] == 101 && holds(w, 101));
  CHECK(NEXT(w) == 102);
  /* The next LSN never moves backwards. */
  EXPECT_OK(walogs_purge_up_to(w, 101, NULL));
  CHECK(NEXT(w) == 102 && FIRST(w) == 102);
  EXPECT_OK(walogs_close(w));
  w = open_or_die(dir);
  CHECK(NEXT(w) == 102 && FIRST(w) == 102 && FLOOR(w) == 101);

  /* A read-only handle reads the floor and cannot move it. */
  walogs_wal *ro = open_opts(dir, WALOGS_DURABILITY_EVERY_APPEND, 0, true);
  CHECK(FLOOR(ro) == 101);
  EXPECT_STATUS(walogs_purge_up_to(ro, 200, &deleted), WALOGS_READ_ONLY);
  EXPECT_OK(walogs_close(ro));
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

static void test_purge_deletes_segments(void) {
  char *dir = tmpdir_new("purge-seg");
  /* 16-byte header + 8-byte body: 24 bytes a frame, 100-byte segments hold four. */
  walogs_wal *w = open_opts(dir, WALOGS_DURABILITY_EVERY_APPEND, 100, false);
  for (uint64_t i = 1; i <= 12; i++) CHECK(append_body(w, i) == i);
  size_t before = 0, after = 0, deleted = 0;
  EXPECT_OK(walogs_segment_count(w, &before));
  CHECK(before == 3);
  EXPECT_OK(walogs_purge_up_to(w, 9, &deleted));
  EXPECT_OK(walogs_segment_count(w, &after));
  CHECK(deleted == 2 && after == 1);
  CHECK(FIRST(w) == 10 && holds(w, 10) && holds(w, 12));
  /* Past the end with segments: all purged ones deleted, the next append gets 51. */
  EXPECT_OK(walogs_purge_up_to(w, 50, &deleted));
  EXPECT_OK(walogs_segment_count(w, &after));
  CHECK(after == 1);
  for (uint64_t i = 51; i <= 55; i++) CHECK(append_body(w, i) == i);
  uint64_t removed = 0;
  EXPECT_OK(walogs_truncate_after(w, 52, &removed));
  CHECK(removed == 3);
  EXPECT_STATUS(walogs_truncate_after(w, 49, &removed), WALOGS_LSN_OUT_OF_RANGE);
  EXPECT_OK(walogs_truncate_after(w, 50, &removed));
  CHECK(removed == 2 && NEXT(w) == 51);
  EXPECT_OK(walogs_close(w));
  w = open_or_die(dir);
  CHECK(FIRST(w) == 51 && NEXT(w) == 51);
  CHECK(append_str(w, "again") == 51);
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

static void test_truncate_inside_batches(void) {
  char *dir = tmpdir_new("trunc-batch");
  walogs_wal *w = open_or_die(dir);
  char bodies[10][32];
  const uint8_t *datas[5];
  size_t lens[5];
  for (int i = 0; i < 10; i++) body((uint64_t)i + 1, bodies[i], sizeof bodies[i]);
  for (int i = 0; i < 5; i++) {
    datas[i] = (const uint8_t *)bodies[i];
    lens[i] = strlen(bodies[i]);
  }
  uint64_t first = 0, last = 0;
  EXPECT_OK(walogs_append_batch(w, datas, lens, 5, true, &first, &last));
  CHECK(first == 1 && last == 5);
  for (int i = 0; i < 5; i++) {
    datas[i] = (const uint8_t *)bodies[5 + i];
    lens[i] = strlen(bodies[5 + i]);
  }
  EXPECT_OK(walogs_append_batch(w, datas, lens, 5, false, &first, &last));
  CHECK(first == 6 && last == 10);

  /* Past the end: nothing to remove. */
  uint64_t removed = 77;
  EXPECT_OK(walogs_truncate_after(w, 10, &removed));
  CHECK(removed == 0);
  EXPECT_OK(walogs_truncate_after(w, UINT64_MAX, &removed));
  CHECK(removed == 0 && NEXT(w) == 11);
  /* Inside the non-atomic batch, then inside the atomic one. */
  EXPECT_OK(walogs_truncate_after(w, 8, &removed));
  CHECK(removed == 2 && NEXT(w) == 9 && holds(w, 8));
  EXPECT_OK(walogs_truncate_after(w, 3, &removed));
  CHECK(removed == 5 && NEXT(w) == 4 && holds(w, 3));
  uint8_t buf[32];
  size_t len = 77;
  EXPECT_STATUS(walogs_read(w, 4, buf, sizeof buf, &len), WALOGS_LSN_OUT_OF_RANGE);
  CHECK(len == 77);
  EXPECT_OK(walogs_close(w));

  /* The cut holds after a reopen, and the freed LSNs are handed out again. */
  w = open_or_die(dir);
  uint64_t lsns[16];
  CHECK(lsns_from(w, 0, lsns, 16) == 3 && lsns[2] == 3);
  CHECK(holds(w, 1) && holds(w, 2) && holds(w, 3));
  CHECK(append_body(w, 4) == 4 && holds(w, 4));
  /* Cutting everything: keep_up_to 0 on a log starting at 1. */
  EXPECT_OK(walogs_truncate_after(w, 0, &removed));
  CHECK(removed == 4 && NEXT(w) == 1 && FIRST(w) == 1);
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

static void test_user_data(void) {
  char *dir = tmpdir_new("user");
  walogs_wal *w = open_opts(dir, WALOGS_DURABILITY_MANUAL, 0, false);
  /* Empty before the first set: length 0, no buffer needed. */
  size_t len = 77;
  EXPECT_OK(walogs_user_data(w, NULL, 0, &len));
  CHECK(len == 0);
  CHECK(append_str(w, "a") == 1);
  uint64_t durable = 77;
  EXPECT_OK(walogs_durable_lsn(w, &durable));
  CHECK(durable == 0); /* MANUAL: not synced yet */
  const char *vote = "term=1 vote=2";
  EXPECT_OK(walogs_set_user_data(w, (const uint8_t *)vote, strlen(vote)));
  EXPECT_OK(walogs_durable_lsn(w, &durable));
  CHECK(durable == 1); /* the log was made durable before the user data */

  /* Too small a buffer: the size needed, the buffer untouched. */
  uint8_t small[4];
  memset(small, 0xEE, sizeof small);
  EXPECT_STATUS(walogs_user_data(w, small, sizeof small, &len), WALOGS_BUFFER_TOO_SMALL);
  CHECK(len == strlen(vote) && small[0] == 0xEE && small[3] == 0xEE);
  EXPECT_STATUS(walogs_user_data(w, NULL, 0, &len), WALOGS_BUFFER_TOO_SMALL);
  CHECK(len == strlen(vote));
  char exact[13];
  EXPECT_OK(walogs_user_data(w, (uint8_t *)exact, sizeof exact, &len));
  CHECK(len == 13 && memcmp(exact, vote, 13) == 0);

  /* Exactly the limit is fine; one byte more is refused and changes nothing. */
  uint8_t *big = malloc(WALOGS_MAX_USER_DATA + 1);
  uint8_t *back = malloc(WALOGS_MAX_USER_DATA + 1);
  CHECK(big != NULL && back != NULL);
  if (big == NULL || back == NULL) exit(2);
  for (size_t i = 0; i <= WALOGS_MAX_USER_DATA; i++) big[i] = (uint8_t)(i * 7);
  EXPECT_OK(walogs_set_user_data(w, big, WALOGS_MAX_USER_DATA));
  big[0] ^= 0xFF;
  EXPECT_STATUS(walogs_set_user_data(w, big, WALOGS_MAX_USER_DATA + 1), WALOGS_ENTRY_TOO_LARGE);
  EXPECT_ERROR_MENTIONS("65536");
  big[0] ^= 0xFF;
  EXPECT_OK(walogs_user_data(w, back, WALOGS_MAX_USER_DATA + 1, &len));
  CHECK(len == WALOGS_MAX_USER_DATA && memcmp(back, big, len) == 0);

  /* A read-only handle reads the value as of its open and cannot set it. */
  walogs_wal *ro = open_opts(dir, WALOGS_DURABILITY_EVERY_APPEND, 0, true);
  memset(back, 0, WALOGS_MAX_USER_DATA);
  EXPECT_OK(walogs_user_data(ro, back, WALOGS_MAX_USER_DATA, &len));
  CHECK(len == WALOGS_MAX_USER_DATA && memcmp(back, big, len) == 0);
  EXPECT_STATUS(walogs_set_user_data(ro, (const uint8_t *)"x", 1), WALOGS_READ_ONLY);
  EXPECT_OK(walogs_close(ro));

  /* Replaced many times; the last value survives a reopen. An empty value is a value. */
  for (int i = 0; i < 5; i++) {
    uint8_t v[3] = {(uint8_t)i, (uint8_t)i, (uint8_t)i};
    EXPECT_OK(walogs_set_user_data(w, v, sizeof v));
  }
  EXPECT_OK(walogs_close(w));
  w = open_or_die(dir);
  uint8_t v[8];
  EXPECT_OK(walogs_user_data(w, v, sizeof v, &len));
  CHECK(len == 3 && v[0] == 4 && v[2] == 4);
  EXPECT_OK(walogs_set_user_data(w, NULL, 0));
  EXPECT_OK(walogs_user_data(w, v, sizeof v, &len));
  CHECK(len == 0);
  EXPECT_OK(walogs_close(w));
  w = open_or_die(dir);
  len = 77;
  EXPECT_OK(walogs_user_data(w, v, sizeof v, &len));
  CHECK(len == 0);
  EXPECT_OK(walogs_close(w));
  free(big);
  free(back);
  tmpdir_remove(dir);
}

/* The LSNs and payload sizes of a range. */
static size_t range_lsns(const walogs_range *r, uint64_t *lsns, size_t *sizes, size_t max) {
  size_t n = 0;
  if (walogs_range_len(r, &n) != WALOGS_OK) return SIZE_MAX;
  for (size_t i = 0; i < n && i < max; i++) {
    const uint8_t *data = NULL;
    if (walogs_range_get(r, i, &lsns[i], &data, &sizes[i]) != WALOGS_OK || data == NULL)
      return SIZE_MAX;
  }
  return n;
}

static void test_read_range(void) {
  char *dir = tmpdir_new("range");
  walogs_wal *w = open_or_die(dir);
  uint8_t e1[100], e2[100], e3[100], e4[1000];
  memset(e1, 1, sizeof e1);
  memset(e2, 2, sizeof e2);
  memset(e3, 3, sizeof e3);
  memset(e4, 4, sizeof e4);
  const uint8_t *datas[3] = {e1, e2, e3};
  size_t lens[3] = {100, 100, 100};
  EXPECT_OK(walogs_append_batch(w, datas, lens, 3, true, NULL, NULL));
  EXPECT_OK(walogs_append(w, e4, sizeof e4, NULL));
  EXPECT_OK(walogs_append(w, NULL, 0, NULL)); /* an empty entry: LSN 5 */

  walogs_range *r = NULL;
  uint64_t lsns[8];
  size_t sizes[8];
  /* Bounded by bytes: 1 and 2 fit 250 bytes, 3 would not. */
  EXPECT_OK(walogs_read_range(w, 1, 10, 250, &r));
  CHECK(range_lsns(r, lsns, sizes, 8) == 2 && lsns[0] == 1 && lsns[1] == 2);
  const uint8_t *data = NULL;
  uint64_t lsn = 0;
  size_t len = 0;
  EXPECT_OK(walogs_range_get(r, 1, &lsn, &data, &len));
  CHECK(lsn == 2 && len == 100 && data[0] == 2 && data[99] == 2);
  walogs_range_free(r);
  /* Bounded by count. */
  EXPECT_OK(walogs_read_range(w, 2, 1, 1 << 20, &r));
  CHECK(range_lsns(r, lsns, sizes, 8) == 1 && lsns[0] == 2);
  walogs_range_free(r);
  /* At least one entry, even past max_bytes (also 0 bytes). */
  EXPECT_OK(walogs_read_range(w, 4, 10, 10, &r));
  CHECK(range_lsns(r, lsns, sizes, 8) == 1 && lsns[0] == 4 && sizes[0] == 1000);
  walogs_range_free(r);
  EXPECT_OK(walogs_read_range(w, 1, 10, 0, &r));
  CHECK(range_lsns(r, lsns, sizes, 8) == 1);
  walogs_range_free(r);
  /* An empty entry: length 0, a non-NULL pointer. */
  EXPECT_OK(walogs_read_range(w, 5, 10, 100, &r));
  data = NULL;
  EXPECT_OK(walogs_range_get(r, 0, &lsn, &data, &len));
  CHECK(lsn == 5 && len == 0 && data != NULL);
  walogs_range_free(r);
  /* At the next LSN: empty; past it: out of range. */
  EXPECT_OK(walogs_read_range(w, 6, 10, 100, &r));
  CHECK(range_lsns(r, lsns, sizes, 8) == 0);
  walogs_range_free(r);
  r = NULL;
  EXPECT_STATUS(walogs_read_range(w, 7, 10, 100, &r), WALOGS_LSN_OUT_OF_RANGE);
  CHECK(r == NULL);
  /* Below the purge floor: out of range. */
  EXPECT_OK(walogs_purge_up_to(w, 2, NULL));
  EXPECT_STATUS(walogs_read_range(w, 1, 10, 100, &r), WALOGS_LSN_OUT_OF_RANGE);
  EXPECT_OK(walogs_read_range(w, 3, 10, 1 << 20, &r));
  CHECK(range_lsns(r, lsns, sizes, 8) == 3 && lsns[0] == 3 && lsns[2] == 5);
  /* A range owns its entries: it outlives the WAL. */
  EXPECT_OK(walogs_close(w));
  EXPECT_OK(walogs_range_get(r, 1, &lsn, &data, &len));
  CHECK(lsn == 4 && len == 1000 && data[0] == 4 && data[999] == 4);
  walogs_range_free(r);
  tmpdir_remove(dir);
}

static void test_iterators_meet_log_control(void) {
  char *dir = tmpdir_new("iter-cut");
  walogs_wal *w = open_or_die(dir);
  for (uint64_t i = 1; i <= 20; i++) CHECK(append_body(w, i) == i);
  uint64_t lsn = 0;
  const uint8_t *data;
  size_t len;

  /* A truncation after the iterator started: it stops at the cut, never reading the entries
     appended later under the same LSNs. */
  walogs_iter *it = NULL;
  EXPECT_OK(walogs_iter_from(w, 1, &it));
  EXPECT_OK(walogs_iter_next(it, &lsn, &data, &len));
  CHECK(lsn == 1);
  EXPECT_OK(walogs_truncate_after(w, 3, NULL));
  for (int i = 0; i < 5; i++) CHECK(append_str(w, "replaced") != 0);
  EXPECT_OK(walogs_iter_next(it, &lsn, &data, &len));
  CHECK(lsn == 2);
  EXPECT_OK(walogs_iter_next(it, &lsn, &data, &len));
  CHECK(lsn == 3);
  EXPECT_STATUS(walogs_iter_next(it, &lsn, &data, &len), WALOGS_LSN_OUT_OF_RANGE);
  EXPECT_ERROR_MENTIONS("lsn 4 out of range");
  CHECK(lsn == 3);
  EXPECT_STATUS(walogs_iter_next(it, &lsn, &data, &len), WALOGS_END);
  walogs_iter_free(it);
  CHECK(NEXT(w) == 9);

  /* A purge after the iterator started: from the oldest entry it goes on from the new
     oldest entry; from an explicit LSN it stops. */
  walogs_iter *oldest = NULL, *explicit_from = NULL;
  EXPECT_OK(walogs_iter_from(w, 0, &oldest));
  EXPECT_OK(walogs_iter_from(w, 1, &explicit_from));
  EXPECT_OK(walogs_iter_next(oldest, &lsn, &data, &len));
  CHECK(lsn == 1);
  EXPECT_OK(walogs_iter_next(explicit_from, &lsn, &data, &len));
  CHECK(lsn == 1);
  EXPECT_OK(walogs_purge_up_to(w, 5, NULL));
  EXPECT_OK(walogs_iter_next(oldest, &lsn, &data, &len));
  CHECK(lsn == 6 && len == 8 && memcmp(data, "replaced", 8) == 0);
  EXPECT_STATUS(walogs_iter_next(explicit_from, &lsn, &data, &len), WALOGS_LSN_OUT_OF_RANGE);
  int more = 0;
  while (walogs_iter_next(oldest, &lsn, &data, &len) == WALOGS_OK) more++;
  CHECK(more == 2 && lsn == 8);
  walogs_iter_free(oldest);
  walogs_iter_free(explicit_from);
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

int main(void) {
  test_purge();
  test_purge_deletes_segments();
  test_truncate_inside_batches();
  test_user_data();
  test_read_range();
  test_iterators_meet_log_control();
  return check_summary("test_log_control");
}
