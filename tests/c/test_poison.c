/*
 * test_poison.c: the poisoned path. A write that fails mid-append poisons the handle: every
 * later mutating call returns WALOGS_POISONED (reads still work), and a reopen recovers
 * exactly the acknowledged entries. A failed preallocation, by contrast, is a clean
 * WALOGS_IO that leaves the handle usable.
 *
 * Failures are made without LD_PRELOAD:
 *   - always: RLIMIT_FSIZE (writes past the limit fail with EFBIG; SIGXFSZ is ignored).
 *     Nothing is printed while the limit is in force (stdout may be a regular file).
 *   - with an argument: a directory on a small, nearly full file system (the test script
 *     mounts a 512 KiB tmpfs as root), where writes fail with ENOSPC.
 */
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>

#include "check.h"

#define ENTRY 4096

/*
 * A preallocation that cannot be made (EFBIG, ENOSPC) is not an error: the frame is written
 * into unallocated space, and only a write that really fails poisons the handle.
 */

static walogs_wal *open_prealloc(const char *dir, bool preallocate) {
  walogs_options *o = NULL;
  walogs_wal *w = NULL;
  if (walogs_options_new(&o) != WALOGS_OK) exit(2);
  walogs_options_set_preallocate(o, preallocate);
  walogs_status s = walogs_open(dir, o, &w);
  walogs_options_free(o);
  if (s != WALOGS_OK) {
    fprintf(stderr, "cannot open %s: %s\n", dir, last_error_text());
    exit(2);
  }
  return w;
}

/* What the calls made after the failure returned. */
struct after_failure {
  int appended;            /* appends that succeeded before the failure */
  walogs_status failed;    /* status of the failing append */
  int failed_errno;        /* its errno */
  walogs_status append, batch, many, sync, rotate, checkpoint, truncate;
  bool poisoned;
};

/* Append ENTRY-byte entries until one fails, then try every mutating call. No printing. */
static void fill_until_failure(walogs_wal *w, const uint8_t *payload, struct after_failure *r) {
  memset(r, 0, sizeof *r);
  r->failed = WALOGS_OK;
  for (int i = 0; i < 10000; i++) {
    walogs_status s = walogs_append(w, payload, ENTRY, NULL);
    if (s != WALOGS_OK) {
      r->failed = s;
      r->failed_errno = walogs_last_errno();
      break;
    }
    r->appended++;
  }
  const uint8_t *datas[1] = {payload};
  size_t lens[1] = {1};
  r->append = walogs_append(w, payload, 1, NULL);
  r->batch = walogs_append_batch(w, datas, lens, 1, true, NULL, NULL);
  r->many = walogs_append_batch(w, datas, lens, 1, false, NULL, NULL);
  r->sync = walogs_sync(w, NULL);
  r->rotate = walogs_rotate(w);
  r->checkpoint = walogs_checkpoint(w, 1, NULL);
  r->truncate = walogs_truncate_after(w, 1, NULL);
  walogs_is_poisoned(w, &r->poisoned);
}

static void check_poisoned(const struct after_failure *r, int want_errno) {
  CHECK(r->appended > 0);
  CHECK(r->failed == WALOGS_IO);
  CHECK(r->failed_errno == want_errno);
  if (r->failed_errno != want_errno)
    fprintf(stderr, "  errno %d (%s), expected %d\n", r->failed_errno,
            strerror(r->failed_errno), want_errno);
  CHECK(r->poisoned);
  CHECK(r->append == WALOGS_POISONED);
  CHECK(r->batch == WALOGS_POISONED);
  CHECK(r->many == WALOGS_POISONED);
  CHECK(r->sync == WALOGS_POISONED);
  CHECK(r->rotate == WALOGS_POISONED);
  CHECK(r->checkpoint == WALOGS_POISONED);
  CHECK(r->truncate == WALOGS_POISONED);
}

/* After a poisoning failure: reads still work; close; reopen finds exactly the entries. */
static void check_recovered(const char *dir, walogs_wal *w, int appended, const uint8_t *payload) {
  uint8_t *buf = malloc(ENTRY);
  size_t len = 0;
  EXPECT_OK(walogs_read(w, (uint64_t)appended, buf, ENTRY, &len));
  CHECK(len == ENTRY && memcmp(buf, payload, ENTRY) == 0);
  EXPECT_STATUS(walogs_append(w, payload, 1, NULL), WALOGS_POISONED);
  EXPECT_ERROR_MENTIONS("reopen");
  EXPECT_OK(walogs_close(w));

  w = open_or_die(dir);
  uint64_t next = 0;
  EXPECT_OK(walogs_next_lsn(w, &next));
  CHECK(next == (uint64_t)appended + 1);
  walogs_tail tail;
  uint64_t off;
  EXPECT_OK(walogs_tail_state(w, &tail, &off));
  CHECK(tail == WALOGS_TAIL_CLEAN); /* the partial frame was cut before poisoning */
  EXPECT_OK(walogs_read(w, (uint64_t)appended, buf, ENTRY, &len));
  CHECK(len == ENTRY && memcmp(buf, payload, ENTRY) == 0);
  EXPECT_OK(walogs_close(w));
  free(buf);
}

static void test_file_size_limit(const uint8_t *payload) {
  char *dir = tmpdir_new("poison");
  walogs_wal *w = open_prealloc(dir, false);
  struct rlimit old;
  CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
  struct rlimit lim = old;
  lim.rlim_cur = 64 * 1024;
  signal(SIGXFSZ, SIG_IGN);
  fflush(NULL);
  /* ---- no printing while the limit is in force ---- */
  int set = setrlimit(RLIMIT_FSIZE, &lim);
  struct after_failure r;
  fill_until_failure(w, payload, &r);
  int restored = setrlimit(RLIMIT_FSIZE, &old);
  /* ---- limit lifted ---- */
  CHECK(set == 0 && restored == 0);
  check_poisoned(&r, EFBIG);
  CHECK(r.appended == 15); /* 15 frames of 4112 bytes fit in 64 KiB */
  check_recovered(dir, w, r.appended, payload);
  tmpdir_remove(dir);
}

static void test_preallocation_failure_is_not_an_error(const uint8_t *payload) {
  char *dir = tmpdir_new("prealloc");
  walogs_wal *w = open_prealloc(dir, true);
  struct rlimit old;
  CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
  struct rlimit lim = old;
  lim.rlim_cur = 64 * 1024; /* below the 1 MiB preallocation step */
  signal(SIGXFSZ, SIG_IGN);
  fflush(NULL);
  int set = setrlimit(RLIMIT_FSIZE, &lim);
  uint64_t first = 0, second = 0;
  walogs_status s1 = walogs_append(w, payload, ENTRY, &first);
  walogs_status s2 = walogs_append(w, payload, ENTRY, &second);
  bool poisoned = true;
  walogs_is_poisoned(w, &poisoned);
  int restored = setrlimit(RLIMIT_FSIZE, &old);
  CHECK(set == 0 && restored == 0);
  CHECK(s1 == WALOGS_OK && first == 1);
  CHECK(s2 == WALOGS_OK && second == 2);
  CHECK(!poisoned);
  EXPECT_OK(walogs_close(w));
  w = open_or_die(dir);
  uint64_t next = 0;
  EXPECT_OK(walogs_next_lsn(w, &next));
  CHECK(next == 3);
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

/* A directory on a small file system: ENOSPC poisons; preallocation ENOSPC does not. */
static void test_full_file_system(const char *mount, const uint8_t *payload) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/wal", mount);
  rm_tree(dir);
  walogs_wal *w = open_prealloc(dir, false);
  struct after_failure r;
  fill_until_failure(w, payload, &r);
  check_poisoned(&r, ENOSPC);
  check_recovered(dir, w, r.appended, payload);
  rm_tree(dir);

  /* Preallocating 1 MiB cannot succeed on a 512 KiB file system: not an error. */
  w = open_prealloc(dir, true);
  uint64_t lsn = 0;
  EXPECT_OK(walogs_append(w, payload, ENTRY, &lsn));
  CHECK(lsn == 1);
  bool poisoned = true;
  EXPECT_OK(walogs_is_poisoned(w, &poisoned));
  CHECK(!poisoned);
  EXPECT_OK(walogs_close(w));
  w = open_or_die(dir);
  uint64_t reopened_next = 0;
  EXPECT_OK(walogs_next_lsn(w, &reopened_next));
  CHECK(reopened_next == 2);
  EXPECT_OK(walogs_close(w));
  rm_tree(dir);
}

int main(int argc, char **argv) {
  uint8_t *payload = malloc(ENTRY);
  if (payload == NULL) return 2;
  for (int i = 0; i < ENTRY; i++) payload[i] = (uint8_t)(i * 7 + 3);
  test_file_size_limit(payload);
  test_preallocation_failure_is_not_an_error(payload);
  if (argc > 1) {
    test_full_file_system(argv[1], payload);
  } else {
    printf("test_poison: no small file system given; ENOSPC case skipped\n");
  }
  free(payload);
  return check_summary("test_poison");
}
