/*
 * test_api.c: the core functions of walogs.h (open, options, append, read, iterate, rotate,
 * checkpoint, truncate, getters, reports) on their success path, with the values they must
 * give. Log control is in test_log_control.c, durability notifications in test_durable.c,
 * file-system rules in test_files.c, fork in test_fork.c.
 */
#include <stdbool.h>
#include <signal.h>
#include <sys/wait.h>

#include "check.h"

#ifndef EXPECTED_VERSION
#error "build with -DEXPECTED_VERSION=\"x.y.z\" (the workspace version in Cargo.toml)"
#endif

static void test_version(void) {
  char header_version[64];
  snprintf(header_version, sizeof header_version, "%d.%d.%d", WALOGS_VERSION_MAJOR,
           WALOGS_VERSION_MINOR, WALOGS_VERSION_PATCH);
  CHECK(strcmp(walogs_version(), EXPECTED_VERSION) == 0);
  CHECK(strcmp(header_version, EXPECTED_VERSION) == 0);
  CHECK(walogs_version_number() == WALOGS_VERSION_NUMBER);
  CHECK(WALOGS_VERSION_NUMBER ==
        WALOGS_VERSION_MAJOR * 1000000 + WALOGS_VERSION_MINOR * 1000 + WALOGS_VERSION_PATCH);
  CHECK(strcmp(walogs_status_str(WALOGS_OK), "ok") == 0);
}

/* Collect entries from `from` into lsns/bodies; returns the count, -1 on a failure. */
static int collect(const walogs_wal *w, uint64_t from, uint64_t *lsns, char bodies[][32], int max) {
  walogs_iter *it = NULL;
  if (walogs_iter_from(w, from, &it) != WALOGS_OK) return -1;
  int n = 0;
  uint64_t lsn;
  const uint8_t *data;
  size_t len;
  walogs_status s;
  while ((s = walogs_iter_next(it, &lsn, &data, &len)) == WALOGS_OK) {
    if (n < max) {
      lsns[n] = lsn;
      size_t k = len < 31 ? len : 31;
      memcpy(bodies[n], data, k);
      bodies[n][k] = '\0';
    }
    n++;
  }
  CHECK(s == WALOGS_END);
  /* Once ended, it stays ended. */
  CHECK(walogs_iter_next(it, &lsn, &data, &len) == WALOGS_END);
  walogs_iter_free(it);
  return n;
}

static void test_lifecycle(void) {
  char *dir = tmpdir_new("api");
  walogs_wal *w = NULL;
  EXPECT_OK(walogs_open(dir, NULL, &w));
  CHECK(w != NULL);

  walogs_report r;
  memset(&r, 0xAB, sizeof r);
  r.struct_size = sizeof r;
  EXPECT_OK(walogs_recovery_report(w, &r));
  CHECK(r.struct_size == sizeof r);
  CHECK(r.tail == WALOGS_TAIL_CLEAN && r.tail_offset == 0 && r.bytes_truncated == 0);
  CHECK(r.segments == 1 && r.first_lsn == 1 && r.next_lsn == 1);
  CHECK(!r.salvaged && !r.migrated_v1 && !r.read_only && r.salvage_file[0] == '\0');

  uint64_t v = 99;
  size_t count = 99;
  bool flag = true;
  EXPECT_OK(walogs_durable_lsn(w, &v));
  CHECK(v == 0);
  EXPECT_OK(walogs_next_lsn(w, &v));
  CHECK(v == 1);
  EXPECT_OK(walogs_first_lsn(w, &v));
  CHECK(v == 1);
  EXPECT_OK(walogs_segment_count(w, &count));
  CHECK(count == 1);
  EXPECT_OK(walogs_is_poisoned(w, &flag));
  CHECK(!flag);
  flag = true;
  EXPECT_OK(walogs_is_read_only(w, &flag));
  CHECK(!flag);

  /* Single appends, including an empty entry with a NULL pointer. */
  uint64_t lsn = 0;
  EXPECT_OK(walogs_append(w, (const uint8_t *)"one", 3, &lsn));
  CHECK(lsn == 1);
  EXPECT_OK(walogs_append(w, (const uint8_t *)"two", 3, NULL));
  EXPECT_OK(walogs_append(w, NULL, 0, &lsn));
  CHECK(lsn == 3);
  EXPECT_OK(walogs_durable_lsn(w, &v));
  CHECK(v == 3); /* EVERY_APPEND: durable on return */

  /* Atomic and non-atomic batches. */
  const uint8_t *datas[3] = {(const uint8_t *)"b-four", NULL, (const uint8_t *)"b-six"};
  size_t lens[3] = {6, 0, 5};
  uint64_t first = 0, last = 0;
  EXPECT_OK(walogs_append_batch(w, datas, lens, 3, true, &first, &last));
  CHECK(first == 4 && last == 6);
  const uint8_t *more[2] = {(const uint8_t *)"m-seven", (const uint8_t *)"m-eight"};
  size_t more_lens[2] = {7, 7};
  EXPECT_OK(walogs_append_batch(w, more, more_lens, 2, false, &first, &last));
  CHECK(first == 7 && last == 8);
  EXPECT_OK(walogs_append_batch(w, more, more_lens, 1, true, NULL, NULL));
  CHECK(walogs_next_lsn(w, &v) == WALOGS_OK && v == 10);

  /* Read into a buffer: exact fit, bigger, and an empty entry with no buffer at all. */
  uint8_t buf[16];
  size_t len = 0;
  EXPECT_OK(walogs_read(w, 4, buf, 6, &len));
  CHECK(len == 6 && memcmp(buf, "b-four", 6) == 0);
  EXPECT_OK(walogs_read(w, 8, buf, sizeof buf, &len));
  CHECK(len == 7 && memcmp(buf, "m-eight", 7) == 0);
  len = 99;
  EXPECT_OK(walogs_read(w, 5, NULL, 0, &len));
  CHECK(len == 0);

  /* Iterate: everything, from the middle, from the end. */
  uint64_t lsns[16];
  char bodies[16][32];
  int n = collect(w, 0, lsns, bodies, 16);
  CHECK(n == 9);
  const char *want[9] = {"one", "two", "", "b-four", "", "b-six", "m-seven", "m-eight", "m-seven"};
  for (int i = 0; i < n && i < 9; i++) {
    CHECK(lsns[i] == (uint64_t)i + 1);
    CHECK(strcmp(bodies[i], want[i]) == 0);
  }
  n = collect(w, 5, lsns, bodies, 16);
  CHECK(n == 5 && lsns[0] == 5 && lsns[4] == 9);
  CHECK(collect(w, 10, lsns, bodies, 16) == 0);

  /* Sync returns the durable watermark. */
  v = 0;
  EXPECT_OK(walogs_sync(w, &v));
  CHECK(v == 9);
  EXPECT_OK(walogs_sync(w, NULL));

  /* Rotate (a no-op when the active segment is empty), then checkpoint. */
  EXPECT_OK(walogs_rotate(w));
  EXPECT_OK(walogs_segment_count(w, &count));
  CHECK(count == 2);
  EXPECT_OK(walogs_rotate(w));
  EXPECT_OK(walogs_segment_count(w, &count));
  CHECK(count == 2);
  CHECK(append_str(w, "ten") == 10);
  size_t deleted = 99;
  EXPECT_OK(walogs_checkpoint(w, 0, &deleted));
  CHECK(deleted == 0);
  EXPECT_OK(walogs_checkpoint(w, 8, &deleted));
  CHECK(deleted == 0); /* segment 1 holds LSN 9 too */
  EXPECT_OK(walogs_checkpoint(w, 9, &deleted));
  CHECK(deleted == 1);
  EXPECT_OK(walogs_first_lsn(w, &v));
  CHECK(v == 10);
  EXPECT_OK(walogs_segment_count(w, &count));
  CHECK(count == 1);
  EXPECT_OK(walogs_checkpoint(w, 100, NULL));

  /* Truncate the newest entries; their LSNs are handed out again. */
  CHECK(append_str(w, "eleven") == 11);
  CHECK(append_str(w, "twelve") == 12);
  uint64_t removed = 0;
  EXPECT_OK(walogs_truncate_after(w, 10, &removed));
  CHECK(removed == 2);
  EXPECT_OK(walogs_truncate_after(w, 10, &removed));
  CHECK(removed == 0);
  EXPECT_OK(walogs_next_lsn(w, &v));
  CHECK(v == 11);
  CHECK(append_str(w, "eleven again") == 11);
  EXPECT_OK(walogs_truncate_after(w, 50, NULL));

  walogs_tail tail = 99;
  uint64_t off = 99;
  EXPECT_OK(walogs_tail_state(w, &tail, &off));
  CHECK(tail == WALOGS_TAIL_CLEAN && off == 0);

  /* An iterator may be freed after its WAL is closed, but reads no more: its next call
     says the WAL is closed, then the iteration is over. */
  walogs_iter *it = NULL;
  EXPECT_OK(walogs_iter_from(w, 0, &it));
  const uint8_t *data;
  EXPECT_OK(walogs_iter_next(it, &lsn, &data, &len));
  CHECK(lsn == 10 && len == 3 && memcmp(data, "ten", 3) == 0);
  walogs_iter *explicit_from = NULL;
  EXPECT_OK(walogs_iter_from(w, 11, &explicit_from));
  EXPECT_OK(walogs_close(w));
  lsn = 77;
  EXPECT_STATUS(walogs_iter_next(it, &lsn, &data, &len), WALOGS_CLOSED);
  EXPECT_ERROR_MENTIONS("closed");
  CHECK(lsn == 77);
  EXPECT_STATUS(walogs_iter_next(it, &lsn, &data, &len), WALOGS_END);
  EXPECT_STATUS(walogs_iter_next(explicit_from, &lsn, &data, &len), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_iter_next(explicit_from, &lsn, &data, &len), WALOGS_END);
  walogs_iter_free(it);
  walogs_iter_free(explicit_from);

  /* Reopen: everything is still there, the tail is clean after a clean close. */
  w = open_or_die(dir);
  EXPECT_OK(walogs_first_lsn(w, &v));
  CHECK(v == 10);
  EXPECT_OK(walogs_next_lsn(w, &v));
  CHECK(v == 12);
  r.struct_size = sizeof r;
  EXPECT_OK(walogs_recovery_report(w, &r));
  CHECK(r.tail == WALOGS_TAIL_CLEAN && r.first_lsn == 10 && r.next_lsn == 12);
  EXPECT_OK(walogs_close(w));
  EXPECT_OK(walogs_close(NULL));
  tmpdir_remove(dir);
}

static void test_shutdown(void) {
  char *dir = tmpdir_new("shutdown");
  walogs_wal *w = open_or_die(dir);
  CHECK(append_str(w, "x") == 1);
  EXPECT_OK(walogs_shutdown(w));
  EXPECT_OK(walogs_shutdown(w)); /* idempotent */
  EXPECT_STATUS(walogs_append(w, (const uint8_t *)"y", 1, NULL), WALOGS_CLOSED);
  uint64_t v = 77;
  EXPECT_STATUS(walogs_durable_lsn(w, &v), WALOGS_CLOSED); /* getters too */
  CHECK(v == 77);
  /* The lock is released at shutdown: another handle can open the directory now. */
  walogs_wal *w2 = NULL;
  EXPECT_OK(walogs_open(dir, NULL, &w2));
  CHECK(append_str(w2, "y") == 2);
  EXPECT_OK(walogs_close(w2));
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

static walogs_options *options_or_die(void) {
  walogs_options *o = NULL;
  if (walogs_options_new(&o) != WALOGS_OK || o == NULL) exit(2);
  return o;
}

static void test_options(void) {
  char *dir = tmpdir_new("opts");
  char seg[4200];
  walogs_options *o = options_or_die();

  /* MANUAL durability: nothing is durable until sync. No preallocation: exact file size. */
  EXPECT_OK(walogs_options_set_durability(o, WALOGS_DURABILITY_MANUAL, 0));
  EXPECT_OK(walogs_options_set_preallocate(o, false));
  EXPECT_OK(walogs_options_set_max_segment_size(o, 200));
  walogs_wal *w = NULL;
  EXPECT_OK(walogs_open(dir, o, &w));
  uint64_t v = 99;
  char payload[100];
  memset(payload, 'p', sizeof payload);
  for (int i = 0; i < 4; i++) EXPECT_OK(walogs_append(w, (const uint8_t *)payload, 100, NULL));
  size_t count = 0;
  EXPECT_OK(walogs_segment_count(w, &count));
  CHECK(count == 4); /* 116-byte frames, 200-byte segments: one frame each */
  EXPECT_OK(walogs_durable_lsn(w, &v));
  CHECK(v < 4); /* rotation synced the older segments, the newest entry is not durable */
  EXPECT_OK(walogs_sync(w, &v));
  CHECK(v == 4);
  segment_path(seg, sizeof seg, dir, 4);
  CHECK(file_size(seg) == 116);
  EXPECT_OK(walogs_close(w));

  /* NONE and INTERVAL are accepted and append normally. Under the relaxed policies the
     appends extend the file (no preallocated zero tail); EVERY_APPEND preallocates. */
  EXPECT_OK(walogs_options_set_durability(o, WALOGS_DURABILITY_NONE, 0));
  EXPECT_OK(walogs_options_set_preallocate(o, true));
  EXPECT_OK(walogs_options_set_max_segment_size(o, 0)); /* never rotate */
  EXPECT_OK(walogs_open(dir, o, &w));
  for (int i = 0; i < 5; i++) EXPECT_OK(walogs_append(w, (const uint8_t *)payload, 100, NULL));
  EXPECT_OK(walogs_segment_count(w, &count));
  CHECK(count == 4);
  CHECK(file_size(seg) == 116 * 6); /* exactly its frames while open */
  EXPECT_OK(walogs_close(w));
  CHECK(file_size(seg) == 116 * 6);
  {
    char *pdir = tmpdir_new("prealloc");
    walogs_options *p = NULL;
    EXPECT_OK(walogs_options_new(&p));
    EXPECT_OK(walogs_options_set_preallocate(p, true));
    walogs_wal *pw = NULL;
    EXPECT_OK(walogs_open(pdir, p, &pw));
    EXPECT_OK(walogs_append(pw, (const uint8_t *)payload, 100, NULL));
    char pseg[4200];
    segment_path(pseg, sizeof pseg, pdir, 1);
    CHECK(file_size(pseg) >= 1024 * 1024); /* preallocated while open */
    EXPECT_OK(walogs_close(pw));
    CHECK(file_size(pseg) == 116); /* trimmed on clean close */
    walogs_options_free(p);
    tmpdir_remove(pdir);
  }

  EXPECT_OK(walogs_options_set_durability(o, WALOGS_DURABILITY_INTERVAL, 1));
  EXPECT_OK(walogs_open(dir, o, &w));
  EXPECT_OK(walogs_append(w, (const uint8_t *)payload, 10, &v));
  CHECK(v == 10);
  EXPECT_OK(walogs_close(w));

  /* Read-only: flags and report say so, reads work. The options object is reusable. */
  EXPECT_OK(walogs_options_set_read_only(o, true));
  EXPECT_OK(walogs_options_set_salvage(o, false));
  EXPECT_OK(walogs_open(dir, o, &w));
  bool ro = false;
  EXPECT_OK(walogs_is_read_only(w, &ro));
  CHECK(ro);
  walogs_report r;
  r.struct_size = sizeof r;
  EXPECT_OK(walogs_recovery_report(w, &r));
  CHECK(r.read_only && r.next_lsn == 11 && r.segments == 4);
  size_t len = 0;
  uint8_t buf[128];
  EXPECT_OK(walogs_read(w, 10, buf, sizeof buf, &len));
  CHECK(len == 10 && memcmp(buf, payload, 10) == 0);
  EXPECT_OK(walogs_close(w));
  walogs_options_free(o);
  walogs_options_free(NULL);
  tmpdir_remove(dir);
}

/* A child appends and dies without closing (as a crash would); the parent recovers. */
static void test_crash_recovery(void) {
  char *dir = tmpdir_new("crash");
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    walogs_wal *w = NULL;
    if (walogs_open(dir, NULL, &w) != WALOGS_OK) _exit(10);
    for (int i = 0; i < 5; i++) {
      if (append_str(w, "survivor") == 0) _exit(11);
    }
    /* Die as a crash would: no walogs_close, so the preallocated zero tail stays behind.
       (SIGKILL also keeps valgrind from leak-checking the child.) */
    raise(SIGKILL);
    _exit(12);
  }
  int st = 0;
  CHECK(waitpid(pid, &st, 0) == pid);
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  if (!WIFSIGNALED(st)) fprintf(stderr, "child exit status %d\n", WEXITSTATUS(st));
  walogs_wal *w = open_or_die(dir);
  walogs_report r;
  r.struct_size = sizeof r;
  EXPECT_OK(walogs_recovery_report(w, &r));
  CHECK(r.next_lsn == 6);
  CHECK(r.tail == WALOGS_TAIL_TRUNCATED && r.tail_offset == 5 * (16 + 8));
  CHECK(r.bytes_truncated > 0);
  walogs_tail tail;
  uint64_t off = 0;
  EXPECT_OK(walogs_tail_state(w, &tail, &off));
  CHECK(tail == WALOGS_TAIL_TRUNCATED && off == r.tail_offset);
  uint64_t lsns[8];
  char bodies[8][32];
  CHECK(collect(w, 0, lsns, bodies, 8) == 5);
  CHECK(strcmp(bodies[4], "survivor") == 0);
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

int main(void) {
  test_version();
  test_lifecycle();
  test_shutdown();
  test_options();
  test_crash_recovery();
  return check_summary("test_api");
}
