/*
 * test_errors.c: the WAL-state statuses. Damaged directories (CORRUPT with its damage as
 * data, salvage), torn tails, read-only handles, shut-down handles, LSNs out of range,
 * truncation inside a batch, and iterators that meet damage, removed segments or a
 * truncation.
 */
#include <stdbool.h>

#include "check.h"

/* Frames of these tests: 16-byte header + 4-byte payload. */
#define FRAME 20

static walogs_wal *open_with(const char *dir, bool read_only, bool salvage, walogs_status *st) {
  walogs_options *o = NULL;
  walogs_wal *w = NULL;
  if (walogs_options_new(&o) != WALOGS_OK) exit(2);
  walogs_options_set_read_only(o, read_only);
  walogs_options_set_salvage(o, salvage);
  *st = walogs_open(dir, o, &w);
  walogs_options_free(o);
  return w;
}

/* The damage of the last failure on this thread. */
static walogs_damage last_damage(void) {
  walogs_damage d;
  memset(&d, 0x5A, sizeof d);
  d.struct_size = sizeof d;
  CHECK(walogs_last_damage(&d) == WALOGS_OK);
  return d;
}

static void write_three(const char *dir) {
  walogs_wal *w = open_or_die(dir);
  CHECK(append_str(w, "aaaa") == 1);
  CHECK(append_str(w, "bbbb") == 2);
  CHECK(append_str(w, "cccc") == 3);
  EXPECT_OK(walogs_close(w));
}

static void test_mid_log_damage(void) {
  char *dir = tmpdir_new("corrupt");
  char seg[4200];
  segment_path(seg, sizeof seg, dir, 1);
  write_three(dir);
  CHECK(flip_byte(seg, FRAME + 16) == 0); /* payload of entry 2; entry 3 stays valid */

  walogs_wal *w = (walogs_wal *)(uintptr_t)0x77;
  EXPECT_STATUS(walogs_open(dir, NULL, &w), WALOGS_CORRUPT);
  EXPECT_ERROR_MENTIONS("wal-000001.log at offset 20");
  CHECK(w == (walogs_wal *)(uintptr_t)0x77);
  CHECK(file_size(seg) == 3 * FRAME); /* nothing was cut */
  /* The same damage as data: entry 2 is bad, entry 3 after it is valid. */
  walogs_damage d = last_damage();
  CHECK(d.struct_size == sizeof d);
  CHECK(d.kind == WALOGS_DAMAGE_MID_LOG && d.salvageable);
  CHECK(d.has_file && strcmp(d.file, "wal-000001.log") == 0);
  CHECK(d.has_offset && d.offset == FRAME);
  CHECK(d.has_last_good_lsn && d.last_good_lsn == 1);
  CHECK(d.has_first_lsn_after && d.first_lsn_after == 3 && d.frames_after == 1);
  /* Reading it changes nothing: the message and the damage are still there. */
  EXPECT_ERROR_MENTIONS("wal-000001.log at offset 20");
  CHECK(last_damage().kind == WALOGS_DAMAGE_MID_LOG);
  walogs_status st;
  w = open_with(dir, true, false, &st);
  CHECK(st == WALOGS_CORRUPT && w == NULL);
  CHECK(last_damage().kind == WALOGS_DAMAGE_MID_LOG);
  /* Another failure replaces it: no damage. */
  EXPECT_STATUS(walogs_append(NULL, NULL, 0, NULL), WALOGS_NULL_ARGUMENT);
  d = last_damage();
  CHECK(d.kind == WALOGS_DAMAGE_NONE && !d.salvageable && !d.has_file && d.file[0] == '\0');
  CHECK(!d.has_offset && d.offset == 0 && !d.has_last_good_lsn && d.last_good_lsn == 0);
  CHECK(!d.has_first_lsn_after && d.first_lsn_after == 0 && d.frames_after == 0);

  /* Salvage cuts at the damage and reports what it cut. */
  w = open_with(dir, false, true, &st);
  CHECK(st == WALOGS_OK && w != NULL);
  if (w == NULL) return;
  walogs_report r;
  r.struct_size = sizeof r;
  EXPECT_OK(walogs_recovery_report(w, &r));
  CHECK(r.salvaged);
  CHECK(strcmp(r.salvage_file, "wal-000001.log") == 0);
  CHECK(r.salvage_offset == FRAME && r.salvage_bytes_cut == 2 * FRAME);
  CHECK(r.salvage_valid_frames_cut == 1 && r.salvage_first_lsn_cut == 3);
  CHECK(r.tail == WALOGS_TAIL_TRUNCATED && r.tail_offset == FRAME);
  CHECK(r.next_lsn == 2);
  uint8_t buf[8];
  size_t len = 0;
  EXPECT_OK(walogs_read(w, 1, buf, sizeof buf, &len));
  CHECK(len == 4 && memcmp(buf, "aaaa", 4) == 0);
  EXPECT_STATUS(walogs_read(w, 2, buf, sizeof buf, &len), WALOGS_LSN_OUT_OF_RANGE);
  CHECK(append_str(w, "dddd") == 2);
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

static void test_completed_segment_damage(void) {
  char *dir = tmpdir_new("corrupt-done");
  walogs_wal *w = open_or_die(dir);
  CHECK(append_str(w, "aaaa") == 1);
  CHECK(append_str(w, "bbbb") == 2);
  EXPECT_OK(walogs_rotate(w));
  CHECK(append_str(w, "cccc") == 3);
  EXPECT_OK(walogs_close(w));
  char seg[4200];
  segment_path(seg, sizeof seg, dir, 1);
  CHECK(flip_byte(seg, FRAME + 16) == 0); /* the last frame of a completed segment */
  w = NULL;
  EXPECT_STATUS(walogs_open(dir, NULL, &w), WALOGS_CORRUPT);
  EXPECT_ERROR_MENTIONS("completed segment wal-000001.log at offset 20");
  walogs_damage d = last_damage();
  CHECK(d.kind == WALOGS_DAMAGE_COMPLETED_SEGMENT && !d.salvageable);
  CHECK(d.has_file && strcmp(d.file, "wal-000001.log") == 0);
  CHECK(d.has_offset && d.offset == FRAME);
  walogs_status st;
  w = open_with(dir, false, true, &st); /* salvage only applies to the last segment */
  CHECK(st == WALOGS_CORRUPT && w == NULL);
  CHECK(last_damage().kind == WALOGS_DAMAGE_COMPLETED_SEGMENT);
  tmpdir_remove(dir);
}

static void test_torn_tail(void) {
  char *dir = tmpdir_new("torn");
  char seg[4200];
  segment_path(seg, sizeof seg, dir, 1);
  write_three(dir);
  CHECK(truncate(seg, 3 * FRAME - 5) == 0); /* a torn final write */

  walogs_status st;
  walogs_wal *w = open_with(dir, true, false, &st);
  CHECK(st == WALOGS_OK && w != NULL);
  walogs_report r;
  r.struct_size = sizeof r;
  EXPECT_OK(walogs_recovery_report(w, &r));
  CHECK(r.read_only && r.tail == WALOGS_TAIL_TRUNCATED && r.tail_offset == 2 * FRAME);
  CHECK(r.bytes_truncated == FRAME - 5 && !r.salvaged && r.next_lsn == 3);
  EXPECT_OK(walogs_close(w));
  CHECK(file_size(seg) == 3 * FRAME - 5); /* read-only changed nothing */

  w = open_or_die(dir);
  walogs_tail tail;
  uint64_t off;
  EXPECT_OK(walogs_tail_state(w, &tail, &off));
  CHECK(tail == WALOGS_TAIL_TRUNCATED && off == 2 * FRAME);
  CHECK(file_size(seg) >= 2 * FRAME);
  CHECK(append_str(w, "CCCC") == 3);
  EXPECT_OK(walogs_close(w));
  CHECK(file_size(seg) == 3 * FRAME);
  tmpdir_remove(dir);
}

static void test_read_only_handle(void) {
  char *dir = tmpdir_new("ro");
  write_three(dir);
  walogs_status st;
  walogs_wal *w = open_with(dir, true, false, &st);
  CHECK(st == WALOGS_OK && w != NULL);
  uint64_t out = 7;
  size_t sout = 7;
  const uint8_t *datas[1] = {(const uint8_t *)"x"};
  size_t lens[1] = {1};
  EXPECT_STATUS(walogs_append(w, (const uint8_t *)"x", 1, &out), WALOGS_READ_ONLY);
  EXPECT_ERROR_MENTIONS("read-only");
  EXPECT_STATUS(walogs_append_batch(w, datas, lens, 1, true, &out, &out), WALOGS_READ_ONLY);
  EXPECT_STATUS(walogs_append_batch(w, datas, lens, 1, false, &out, &out), WALOGS_READ_ONLY);
  EXPECT_STATUS(walogs_sync(w, &out), WALOGS_READ_ONLY);
  EXPECT_STATUS(walogs_rotate(w), WALOGS_READ_ONLY);
  EXPECT_STATUS(walogs_checkpoint(w, 3, &sout), WALOGS_READ_ONLY);
  EXPECT_STATUS(walogs_truncate_after(w, 1, &out), WALOGS_READ_ONLY);
  CHECK(out == 7 && sout == 7);
  /* Reads work, and a writer can open the directory at the same time (no lock taken). */
  uint8_t buf[8];
  size_t len;
  EXPECT_OK(walogs_read(w, 3, buf, sizeof buf, &len));
  CHECK(len == 4 && memcmp(buf, "cccc", 4) == 0);
  walogs_wal *writer = open_or_die(dir);
  CHECK(append_str(writer, "dddd") == 4);
  EXPECT_OK(walogs_close(writer));
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

static void test_closed_handle(void) {
  char *dir = tmpdir_new("closed");
  walogs_wal *w = open_or_die(dir);
  CHECK(append_str(w, "aaaa") == 1);
  EXPECT_OK(walogs_shutdown(w));
  uint64_t out = 7;
  size_t sout = 7;
  const uint8_t *datas[1] = {(const uint8_t *)"x"};
  size_t lens[1] = {1};
  uint8_t buf[8];
  walogs_iter *it = NULL;
  EXPECT_STATUS(walogs_append(w, (const uint8_t *)"x", 1, &out), WALOGS_CLOSED);
  EXPECT_ERROR_MENTIONS("closed");
  EXPECT_STATUS(walogs_append_batch(w, datas, lens, 1, true, &out, &out), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_append_batch(w, datas, lens, 1, false, &out, &out), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_sync(w, &out), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_rotate(w), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_checkpoint(w, 1, &sout), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_truncate_after(w, 0, &out), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_read(w, 1, buf, sizeof buf, &sout), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_iter_from(w, 1, &it), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_iter_from(w, 0, &it), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_purge_up_to(w, 1, &sout), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_set_user_data(w, (const uint8_t *)"u", 1), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_user_data(w, buf, sizeof buf, &sout), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_wait_durable(w, 1, -1), WALOGS_CLOSED);
  walogs_range *range = NULL;
  EXPECT_STATUS(walogs_read_range(w, 1, 10, 100, &range), WALOGS_CLOSED);
  /* Every getter: the handle takes no calls any more. */
  bool flag = true;
  walogs_tail tail = 77;
  walogs_report r;
  r.struct_size = sizeof r;
  r.next_lsn = 7;
  EXPECT_STATUS(walogs_next_lsn(w, &out), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_first_lsn(w, &out), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_durable_lsn(w, &out), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_purged_up_to(w, &out), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_segment_count(w, &sout), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_is_poisoned(w, &flag), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_is_read_only(w, &flag), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_tail_state(w, &tail, &out), WALOGS_CLOSED);
  EXPECT_STATUS(walogs_recovery_report(w, &r), WALOGS_CLOSED);
  CHECK(out == 7 && sout == 7 && it == NULL && range == NULL && flag && tail == 77 &&
        r.next_lsn == 7);
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

static void test_ranges_and_batches(void) {
  char *dir = tmpdir_new("range");
  walogs_wal *w = open_or_die(dir);
  const uint8_t *datas[3] = {(const uint8_t *)"b1", (const uint8_t *)"b2",
                             (const uint8_t *)"b3"};
  size_t lens[3] = {2, 2, 2};
  uint64_t first = 0, last = 0, out = 7;
  EXPECT_OK(walogs_append_batch(w, datas, lens, 3, true, &first, &last));
  CHECK(first == 1 && last == 3);
  CHECK(append_str(w, "four") == 4);
  /* Inside an atomic batch: the batch is cut there (it was atomic against a crash during
     its append; cutting it later is a request). */
  EXPECT_OK(walogs_truncate_after(w, 1, &out));
  CHECK(out == 3);
  CHECK(append_str(w, "B2") == 2);
  CHECK(append_str(w, "B3") == 3);
  uint8_t got[8];
  size_t got_len = 0;
  EXPECT_OK(walogs_read(w, 1, got, sizeof got, &got_len));
  CHECK(got_len == 2 && memcmp(got, "b1", 2) == 0);
  EXPECT_OK(walogs_read(w, 2, got, sizeof got, &got_len));
  CHECK(got_len == 2 && memcmp(got, "B2", 2) == 0);

  EXPECT_OK(walogs_rotate(w));
  CHECK(append_str(w, "four again") == 4);
  size_t deleted = 0;
  EXPECT_OK(walogs_checkpoint(w, 3, &deleted));
  CHECK(deleted == 1);
  uint8_t buf[16];
  size_t len = 0;
  EXPECT_STATUS(walogs_read(w, 2, buf, sizeof buf, &len), WALOGS_LSN_OUT_OF_RANGE);
  EXPECT_ERROR_MENTIONS("lsn 2 out of range");
  EXPECT_STATUS(walogs_read(w, 5, buf, sizeof buf, &len), WALOGS_LSN_OUT_OF_RANGE);
  walogs_iter *it = NULL;
  EXPECT_STATUS(walogs_iter_from(w, 3, &it), WALOGS_LSN_OUT_OF_RANGE);
  EXPECT_STATUS(walogs_iter_from(w, 6, &it), WALOGS_LSN_OUT_OF_RANGE);
  CHECK(it == NULL);
  EXPECT_STATUS(walogs_truncate_after(w, 2, &out), WALOGS_LSN_OUT_OF_RANGE);
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

static void test_iterator_failures(void) {
  char *dir = tmpdir_new("iterfail");
  walogs_wal *w = open_or_die(dir);
  CHECK(append_str(w, "aaaa") == 1);
  CHECK(append_str(w, "bbbb") == 2);
  EXPECT_OK(walogs_rotate(w));
  CHECK(append_str(w, "cccc") == 3);
  CHECK(append_str(w, "dddd") == 4);
  CHECK(append_str(w, "eeee") == 5);

  /* A segment removed by a checkpoint after the iterator was made: WALOGS_IO, then END. */
  walogs_iter *it = NULL;
  EXPECT_OK(walogs_iter_from(w, 1, &it));
  EXPECT_OK(walogs_checkpoint(w, 2, NULL));
  uint64_t lsn;
  const uint8_t *data;
  size_t len;
  EXPECT_STATUS(walogs_iter_next(it, &lsn, &data, &len), WALOGS_IO);
  CHECK(walogs_last_errno() == ENOENT);
  EXPECT_ERROR_MENTIONS("removed by a checkpoint");
  EXPECT_STATUS(walogs_iter_next(it, &lsn, &data, &len), WALOGS_END);
  walogs_iter_free(it);

  /* Damage made after open: the iterator reports CORRUPT at that entry, then ends. */
  char seg[4200];
  segment_path(seg, sizeof seg, dir, 2);
  CHECK(flip_byte(seg, FRAME + 16) == 0);
  EXPECT_OK(walogs_iter_from(w, 0, &it));
  EXPECT_OK(walogs_iter_next(it, &lsn, &data, &len));
  CHECK(lsn == 3 && len == 4 && memcmp(data, "cccc", 4) == 0);
  EXPECT_STATUS(walogs_iter_next(it, &lsn, &data, &len), WALOGS_CORRUPT);
  EXPECT_ERROR_MENTIONS("wal-000002.log is damaged at offset 20");
  walogs_damage d = last_damage();
  CHECK(d.kind == WALOGS_DAMAGE_CHANGED_WHILE_READING && !d.salvageable);
  CHECK(d.has_file && strcmp(d.file, "wal-000002.log") == 0 && d.has_offset && d.offset == 20);
  CHECK(lsn == 3);
  EXPECT_STATUS(walogs_iter_next(it, &lsn, &data, &len), WALOGS_END);
  walogs_iter_free(it);
  uint8_t buf[8];
  EXPECT_STATUS(walogs_read(w, 4, buf, sizeof buf, &len), WALOGS_CORRUPT);
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

int main(void) {
  test_mid_log_damage();
  test_completed_segment_damage();
  test_torn_tail();
  test_read_only_handle();
  test_closed_handle();
  test_ranges_and_batches();
  test_iterator_failures();
  return check_summary("test_errors");
}
