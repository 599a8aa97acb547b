/*
 * test_args.c: bad arguments to every function. Each gets its status and a message naming
 * the function; nothing is changed and no output is written.
 */
#include <stdbool.h>

#include "check.h"

#define SENTINEL 0x5A5A5A5A5A5A5A5AULL

static uint64_t next_lsn_of(const walogs_wal *w) {
  uint64_t v = 0;
  if (walogs_next_lsn(w, &v) != WALOGS_OK) return 0;
  return v;
}

static void test_status_and_errors(void) {
  CHECK(strcmp(walogs_status_str(-1), "unknown status") == 0);
  CHECK(strcmp(walogs_status_str(42), "unknown status") == 0);
  CHECK(strcmp(walogs_status_str(WALOGS_LOCKED), "wal directory locked by another handle") == 0);
  int codes[] = {WALOGS_OK, WALOGS_END, WALOGS_NULL_ARGUMENT, WALOGS_INVALID_ARGUMENT,
                 WALOGS_ENTRY_TOO_LARGE, WALOGS_BUFFER_TOO_SMALL, WALOGS_LOCKED, WALOGS_POISONED,
                 WALOGS_READ_ONLY, WALOGS_CLOSED, WALOGS_CORRUPT, WALOGS_LSN_OUT_OF_RANGE,
                 WALOGS_FORKED, WALOGS_UNSAFE_FILE, WALOGS_TIMEOUT, WALOGS_IO, WALOGS_PANIC};
  int numbers[] = {0, 1, 100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 300, 900};
  CHECK(sizeof codes == sizeof numbers);
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    CHECK(codes[i] == numbers[i]); /* the numbers are part of the ABI */
    const char *s = walogs_status_str(codes[i]);
    CHECK(s != NULL && s[0] != '\0' && strcmp(s, "unknown status") != 0);
  }

  /* walogs_last_error: snprintf-like, length query, NULL buffer refused. */
  walogs_status s = walogs_append(NULL, NULL, 0, NULL);
  CHECK(s == WALOGS_NULL_ARGUMENT);
  const char *want = "walogs_append: argument `wal` is NULL";
  size_t len = 0;
  CHECK(walogs_last_error(NULL, 0, &len) == WALOGS_BUFFER_TOO_SMALL);
  CHECK(len == strlen(want));
  char small[8];
  memset(small, 'z', sizeof small);
  CHECK(walogs_last_error(small, sizeof small, &len) == WALOGS_BUFFER_TOO_SMALL);
  CHECK(len == strlen(want) && small[7] == '\0' && strncmp(small, want, 7) == 0);
  char big[128];
  EXPECT_OK(walogs_last_error(big, sizeof big, &len));
  CHECK(strcmp(big, want) == 0);
  EXPECT_OK(walogs_last_error(big, sizeof big, NULL));
  CHECK(walogs_last_error(NULL, 5, &len) == WALOGS_NULL_ARGUMENT);
  CHECK(walogs_last_errno() == 0);

  /* walogs_last_damage: NULL and a short struct are refused without touching the last
     error; a failure that is not CORRUPT has no damage. */
  CHECK(walogs_last_damage(NULL) == WALOGS_NULL_ARGUMENT);
  walogs_damage d;
  memset(&d, 0x33, sizeof d);
  d.struct_size = sizeof d - 1;
  CHECK(walogs_last_damage(&d) == WALOGS_INVALID_ARGUMENT);
  CHECK(d.kind == 0x33333333u);
  d.struct_size = 0;
  CHECK(walogs_last_damage(&d) == WALOGS_INVALID_ARGUMENT);
  EXPECT_OK(walogs_last_error(big, sizeof big, &len));
  CHECK(strcmp(big, want) == 0);
  d.struct_size = sizeof d + 16; /* a newer caller's bigger struct is fine */
  EXPECT_OK(walogs_last_damage(&d));
  CHECK(d.struct_size == sizeof d + 16 && d.kind == WALOGS_DAMAGE_NONE && !d.has_file);
  /* The damage kinds are part of the ABI. */
  CHECK(WALOGS_DAMAGE_NONE == 0 && WALOGS_DAMAGE_COMPLETED_SEGMENT == 1 &&
        WALOGS_DAMAGE_MID_LOG == 2 && WALOGS_DAMAGE_LSN_DISCONTINUITY == 3 &&
        WALOGS_DAMAGE_SEGMENT_GAP == 4 && WALOGS_DAMAGE_EMPTY_COMPLETED_SEGMENT == 5 &&
        WALOGS_DAMAGE_SEAL_MISMATCH == 6 && WALOGS_DAMAGE_BELOW_SEAL == 7 &&
        WALOGS_DAMAGE_METADATA == 8 && WALOGS_DAMAGE_MIXED_LAYOUT == 9 &&
        WALOGS_DAMAGE_CHANGED_WHILE_READING == 10 && WALOGS_DAMAGE_USER_DATA == 11 &&
        WALOGS_DAMAGE_OTHER == 999);
}

static void test_options_args(void) {
  EXPECT_STATUS(walogs_options_new(NULL), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_options_set_max_segment_size(NULL, 1), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_options_set_durability(NULL, 0, 0), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_options_set_read_only(NULL, true), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_options_set_salvage(NULL, true), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_options_set_preallocate(NULL, true), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_options_set_file_mode(NULL, 0600), WALOGS_NULL_ARGUMENT);
  walogs_options *o = NULL;
  EXPECT_OK(walogs_options_new(&o));
  EXPECT_STATUS(walogs_options_set_durability(o, 4, 0), WALOGS_INVALID_ARGUMENT);
  EXPECT_ERROR_MENTIONS("unknown durability kind 4");
  EXPECT_STATUS(walogs_options_set_durability(o, 0xFFFFFFFFu, 0), WALOGS_INVALID_ARGUMENT);
  EXPECT_STATUS(walogs_options_set_durability(o, WALOGS_DURABILITY_INTERVAL, 0),
                WALOGS_INVALID_ARGUMENT);
  walogs_options_free(o);
  walogs_options_free(NULL);
}

static void test_open_args(void) {
  char *dir = tmpdir_new("args-open");
  walogs_wal *w = (walogs_wal *)(uintptr_t)0x1234;
  EXPECT_STATUS(walogs_open(NULL, NULL, &w), WALOGS_NULL_ARGUMENT);
  EXPECT_ERROR_MENTIONS("`dir`");
  CHECK(w == (walogs_wal *)(uintptr_t)0x1234); /* not written on failure */
  EXPECT_STATUS(walogs_open(dir, NULL, NULL), WALOGS_NULL_ARGUMENT);
  CHECK(file_size(dir) == -1); /* nothing was created */
  EXPECT_STATUS(walogs_open("", NULL, &w), WALOGS_INVALID_ARGUMENT);
  CHECK(w == (walogs_wal *)(uintptr_t)0x1234);

  /* A path that is not UTF-8 is a fine Unix path. */
  char odd[4200];
  snprintf(odd, sizeof odd, "%s-\xff\xfe", dir);
  w = NULL;
  EXPECT_OK(walogs_open(odd, NULL, &w));
  CHECK(append_str(w, "odd") == 1);
  EXPECT_OK(walogs_close(w));
  w = open_or_die(odd);
  CHECK(next_lsn_of(w) == 2);
  EXPECT_OK(walogs_close(w));

  /* A regular file where the directory should be; a missing directory opened read-only. */
  char file[4200];
  snprintf(file, sizeof file, "%s-file", dir);
  FILE *f = fopen(file, "w");
  CHECK(f != NULL);
  if (f) fclose(f);
  w = NULL;
  EXPECT_STATUS(walogs_open(file, NULL, &w), WALOGS_IO);
  CHECK(walogs_last_errno() == ENOTDIR);
  CHECK(w == NULL);
  walogs_options *ro = NULL;
  EXPECT_OK(walogs_options_new(&ro));
  EXPECT_OK(walogs_options_set_read_only(ro, true));
  EXPECT_STATUS(walogs_open(dir, ro, &w), WALOGS_IO);
  CHECK(walogs_last_errno() == ENOENT);
  CHECK(file_size(dir) == -1);
  walogs_options_free(ro);
  unlink(file);
  rm_tree(odd);
  tmpdir_remove(dir);
}

static void test_handle_args(void) {
  char *dir = tmpdir_new("args");
  walogs_wal *w = open_or_die(dir);
  CHECK(append_str(w, "first") == 1);
  CHECK(append_str(w, "second entry") == 2);
  uint64_t out = SENTINEL;
  size_t sout = (size_t)SENTINEL;
  bool bout = false;

  /* walogs_append */
  EXPECT_STATUS(walogs_append(NULL, (const uint8_t *)"x", 1, &out), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_append(w, NULL, 5, &out), WALOGS_NULL_ARGUMENT);
  EXPECT_ERROR_MENTIONS("`data` is NULL but its length is 5");
  uint8_t one = 1;
  EXPECT_STATUS(walogs_append(w, &one, (size_t)WALOGS_MAX_ENTRY_SIZE + 1, &out),
                WALOGS_ENTRY_TOO_LARGE);
  EXPECT_ERROR_MENTIONS("16777217");
  EXPECT_STATUS(walogs_append(w, &one, SIZE_MAX, &out), WALOGS_ENTRY_TOO_LARGE);
  CHECK(out == SENTINEL);
  CHECK(next_lsn_of(w) == 3);

  /* walogs_append_batch */
  const uint8_t *datas[2] = {(const uint8_t *)"a", NULL};
  size_t lens[2] = {1, 1};
  uint64_t first = SENTINEL, last = SENTINEL;
  EXPECT_STATUS(walogs_append_batch(NULL, datas, lens, 1, true, &first, &last),
                WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_append_batch(w, NULL, lens, 1, true, &first, &last),
                WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_append_batch(w, datas, NULL, 1, false, &first, &last),
                WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_append_batch(w, datas, lens, 0, true, &first, &last),
                WALOGS_INVALID_ARGUMENT);
  EXPECT_STATUS(walogs_append_batch(w, NULL, NULL, 0, false, &first, &last),
                WALOGS_INVALID_ARGUMENT);
  EXPECT_STATUS(walogs_append_batch(w, datas, lens, 2, true, &first, &last),
                WALOGS_NULL_ARGUMENT);
  EXPECT_ERROR_MENTIONS("datas[1]");
  EXPECT_STATUS(walogs_append_batch(w, datas, lens, SIZE_MAX, true, &first, &last),
                WALOGS_INVALID_ARGUMENT);
  size_t huge_lens[2] = {1, (size_t)WALOGS_MAX_ENTRY_SIZE + 1};
  const uint8_t *two[2] = {&one, &one};
  EXPECT_STATUS(walogs_append_batch(w, two, huge_lens, 2, false, &first, &last),
                WALOGS_ENTRY_TOO_LARGE);
  /* Five 16 MiB entries (one buffer, never read) exceed an atomic batch's 64 MiB. */
  uint8_t *big = malloc(WALOGS_MAX_ENTRY_SIZE);
  CHECK(big != NULL);
  const uint8_t *fives[5] = {big, big, big, big, big};
  size_t five_lens[5] = {WALOGS_MAX_ENTRY_SIZE, WALOGS_MAX_ENTRY_SIZE, WALOGS_MAX_ENTRY_SIZE,
                         WALOGS_MAX_ENTRY_SIZE, WALOGS_MAX_ENTRY_SIZE};
  EXPECT_STATUS(walogs_append_batch(w, fives, five_lens, 5, true, &first, &last),
                WALOGS_ENTRY_TOO_LARGE);
  EXPECT_ERROR_MENTIONS("67108864");
  free(big);
  CHECK(first == SENTINEL && last == SENTINEL);
  CHECK(next_lsn_of(w) == 3);

  /* walogs_sync, walogs_rotate, walogs_checkpoint, walogs_truncate_after */
  EXPECT_STATUS(walogs_sync(NULL, &out), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_rotate(NULL), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_checkpoint(NULL, 1, &sout), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_truncate_after(NULL, 1, &out), WALOGS_NULL_ARGUMENT);
  CHECK(out == SENTINEL && sout == (size_t)SENTINEL);

  /* walogs_read */
  uint8_t buf[4];
  size_t len = (size_t)SENTINEL;
  EXPECT_STATUS(walogs_read(NULL, 1, buf, sizeof buf, &len), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_read(w, 1, buf, sizeof buf, NULL), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_read(w, 1, NULL, 4, &len), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_read(w, 0, buf, sizeof buf, &len), WALOGS_LSN_OUT_OF_RANGE);
  EXPECT_STATUS(walogs_read(w, UINT64_MAX, buf, sizeof buf, &len), WALOGS_LSN_OUT_OF_RANGE);
  CHECK(len == (size_t)SENTINEL);
  memset(buf, 0xEE, sizeof buf);
  EXPECT_STATUS(walogs_read(w, 2, buf, sizeof buf, &len), WALOGS_BUFFER_TOO_SMALL);
  CHECK(len == 12); /* the size needed */
  CHECK(buf[0] == 0xEE && buf[3] == 0xEE); /* the buffer is untouched */
  EXPECT_STATUS(walogs_read(w, 2, NULL, 0, &len), WALOGS_BUFFER_TOO_SMALL);
  CHECK(len == 12);

  /* iterators */
  walogs_iter *it = (walogs_iter *)(uintptr_t)0x99;
  EXPECT_STATUS(walogs_iter_from(NULL, 0, &it), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_iter_from(w, 0, NULL), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_iter_from(w, 4, &it), WALOGS_LSN_OUT_OF_RANGE);
  EXPECT_ERROR_MENTIONS("lsn 4 out of range");
  CHECK(it == (walogs_iter *)(uintptr_t)0x99);
  EXPECT_OK(walogs_iter_from(w, 1, &it));
  const uint8_t *data = NULL;
  uint64_t lsn = SENTINEL;
  EXPECT_STATUS(walogs_iter_next(NULL, &lsn, &data, &len), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_iter_next(it, NULL, &data, &len), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_iter_next(it, &lsn, NULL, &len), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_iter_next(it, &lsn, &data, NULL), WALOGS_NULL_ARGUMENT);
  CHECK(lsn == SENTINEL && data == NULL);
  /* The refused calls did not advance it. */
  EXPECT_OK(walogs_iter_next(it, &lsn, &data, &len));
  CHECK(lsn == 1 && len == 5 && memcmp(data, "first", 5) == 0);
  walogs_iter_free(it);
  walogs_iter_free(NULL);

  /* getters */
  EXPECT_STATUS(walogs_next_lsn(NULL, &out), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_next_lsn(w, NULL), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_first_lsn(NULL, &out), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_first_lsn(w, NULL), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_durable_lsn(NULL, &out), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_durable_lsn(w, NULL), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_segment_count(NULL, &sout), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_segment_count(w, NULL), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_is_poisoned(NULL, &bout), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_is_poisoned(w, NULL), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_is_read_only(NULL, &bout), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_is_read_only(w, NULL), WALOGS_NULL_ARGUMENT);
  walogs_tail tail = 77;
  EXPECT_STATUS(walogs_tail_state(NULL, &tail, &out), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_tail_state(w, NULL, &out), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_tail_state(w, &tail, NULL), WALOGS_NULL_ARGUMENT);
  CHECK(out == SENTINEL && sout == (size_t)SENTINEL && tail == 77);

  /* walogs_recovery_report: NULL, and a struct_size that is too small. */
  walogs_report r;
  memset(&r, 0x11, sizeof r);
  EXPECT_STATUS(walogs_recovery_report(NULL, &r), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_recovery_report(w, NULL), WALOGS_NULL_ARGUMENT);
  r.struct_size = 0;
  EXPECT_STATUS(walogs_recovery_report(w, &r), WALOGS_INVALID_ARGUMENT);
  EXPECT_ERROR_MENTIONS("struct_size");
  r.struct_size = sizeof r - 1;
  EXPECT_STATUS(walogs_recovery_report(w, &r), WALOGS_INVALID_ARGUMENT);
  CHECK(r.next_lsn == 0x1111111111111111ULL);
  r.struct_size = sizeof r + 64; /* a newer caller's bigger struct is fine */
  EXPECT_OK(walogs_recovery_report(w, &r));
  CHECK(r.next_lsn == 1 && r.struct_size == sizeof r + 64);

  /* log control: purge, user data, durability notifications, ranges */
  EXPECT_STATUS(walogs_purge_up_to(NULL, 1, &sout), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_purged_up_to(NULL, &out), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_purged_up_to(w, NULL), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_set_user_data(NULL, &one, 1), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_set_user_data(w, NULL, 5), WALOGS_NULL_ARGUMENT);
  EXPECT_ERROR_MENTIONS("`data` is NULL but its length is 5");
  EXPECT_STATUS(walogs_set_user_data(w, &one, (size_t)WALOGS_MAX_USER_DATA + 1),
                WALOGS_ENTRY_TOO_LARGE);
  EXPECT_ERROR_MENTIONS("65537");
  EXPECT_STATUS(walogs_set_user_data(w, &one, SIZE_MAX), WALOGS_ENTRY_TOO_LARGE);
  EXPECT_STATUS(walogs_user_data(NULL, buf, sizeof buf, &len), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_user_data(w, buf, sizeof buf, NULL), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_user_data(w, NULL, 4, &len), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_wait_durable(NULL, 1, -1), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_on_durable(NULL, 1, NULL, NULL), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_on_durable(w, 1, NULL, &out), WALOGS_NULL_ARGUMENT);
  EXPECT_ERROR_MENTIONS("`cb`");
  walogs_range *range = (walogs_range *)(uintptr_t)0x98;
  EXPECT_STATUS(walogs_read_range(NULL, 1, 10, 100, &range), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_read_range(w, 1, 10, 100, NULL), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_read_range(w, 1, 0, 100, &range), WALOGS_INVALID_ARGUMENT);
  EXPECT_ERROR_MENTIONS("max_entries");
  EXPECT_STATUS(walogs_read_range(w, 0, 10, 100, &range), WALOGS_LSN_OUT_OF_RANGE);
  EXPECT_STATUS(walogs_read_range(w, 4, 10, 100, &range), WALOGS_LSN_OUT_OF_RANGE);
  CHECK(range == (walogs_range *)(uintptr_t)0x98);
  EXPECT_OK(walogs_read_range(w, 1, SIZE_MAX, SIZE_MAX, &range));
  EXPECT_STATUS(walogs_range_len(NULL, &sout), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_range_len(range, NULL), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_range_get(NULL, 0, &lsn, &data, &len), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_range_get(range, 0, NULL, &data, &len), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_range_get(range, 0, &lsn, NULL, &len), WALOGS_NULL_ARGUMENT);
  EXPECT_STATUS(walogs_range_get(range, 0, &lsn, &data, NULL), WALOGS_NULL_ARGUMENT);
  lsn = SENTINEL;
  EXPECT_STATUS(walogs_range_get(range, 2, &lsn, &data, &len), WALOGS_INVALID_ARGUMENT);
  EXPECT_ERROR_MENTIONS("index 2");
  EXPECT_STATUS(walogs_range_get(range, SIZE_MAX, &lsn, &data, &len), WALOGS_INVALID_ARGUMENT);
  CHECK(lsn == SENTINEL);
  EXPECT_OK(walogs_range_len(range, &sout));
  CHECK(sout == 2);
  sout = (size_t)SENTINEL;
  walogs_range_free(range);
  walogs_range_free(NULL);
  CHECK(out == SENTINEL && sout == (size_t)SENTINEL);
  CHECK(next_lsn_of(w) == 3);

  /* shutdown and close */
  EXPECT_STATUS(walogs_shutdown(NULL), WALOGS_NULL_ARGUMENT);
  EXPECT_OK(walogs_close(NULL));
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

int main(void) {
  test_status_and_errors();
  test_options_args();
  test_open_args();
  test_handle_args();
  return check_summary("test_args");
}
