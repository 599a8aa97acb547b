/* shim.c: see shim.h. */
#include "shim.h"

#include <string.h>

/* Turn a status into a gw_status, copying this thread's last error when it is a failure.
 * Must be called on the thread (in the same cgo call) that made the failing walogs_* call. */
static gw_status gw_capture(walogs_status s) {
  gw_status r = {s, 0, NULL};
  if (s == WALOGS_OK || s == WALOGS_END) return r;
  r.err_no = walogs_last_errno();
  size_t n = 0;
  walogs_last_error(NULL, 0, &n);
  r.msg = malloc(n + 1);
  if (r.msg != NULL) {
    if (n == 0) {
      r.msg[0] = '\0';
    } else {
      walogs_last_error(r.msg, n + 1, NULL);
    }
  }
  return r;
}

gw_open_res gw_open(const char *dir, gw_options o) {
  gw_open_res r;
  memset(&r, 0, sizeof r);
  walogs_options *opts = NULL;
  walogs_status s = walogs_options_new(&opts);
  if (s == WALOGS_OK && o.set_max_segment_size)
    s = walogs_options_set_max_segment_size(opts, o.max_segment_size);
  if (s == WALOGS_OK && o.set_durability)
    s = walogs_options_set_durability(opts, o.durability, o.interval_ms);
  if (s == WALOGS_OK) s = walogs_options_set_read_only(opts, o.read_only);
  if (s == WALOGS_OK) s = walogs_options_set_salvage(opts, o.salvage);
  if (s == WALOGS_OK) s = walogs_options_set_preallocate(opts, o.preallocate);
  if (s == WALOGS_OK) s = walogs_open(dir, opts, &r.wal);
  r.st = gw_capture(s);
  walogs_options_free(opts);
  return r;
}

gw_status gw_close(walogs_wal *w) { return gw_capture(walogs_close(w)); }

gw_u64x2 gw_append(walogs_wal *w, const uint8_t *data, size_t len) {
  gw_u64x2 r = {{0, 0, NULL}, 0, 0};
  r.st = gw_capture(walogs_append(w, data, len, &r.a));
  return r;
}

gw_u64x2 gw_append_batch(walogs_wal *w, const uint8_t *const *datas, const size_t *lens, size_t n,
                         bool atomic) {
  gw_u64x2 r = {{0, 0, NULL}, 0, 0};
  r.st = gw_capture(walogs_append_batch(w, datas, lens, n, atomic, &r.a, &r.b));
  return r;
}

gw_u64x2 gw_sync(walogs_wal *w) {
  gw_u64x2 r = {{0, 0, NULL}, 0, 0};
  r.st = gw_capture(walogs_sync(w, &r.a));
  return r;
}

gw_u64x2 gw_read(const walogs_wal *w, uint64_t lsn, uint8_t *buf, size_t cap) {
  gw_u64x2 r = {{0, 0, NULL}, 0, 0};
  size_t len = 0;
  r.st = gw_capture(walogs_read(w, lsn, buf, cap, &len));
  r.a = len;
  return r;
}

gw_iter_res gw_iter_from(const walogs_wal *w, uint64_t from) {
  gw_iter_res r = {{0, 0, NULL}, NULL};
  r.st = gw_capture(walogs_iter_from(w, from, &r.it));
  return r;
}

gw_next_res gw_iter_next(walogs_iter *it) {
  gw_next_res r = {{0, 0, NULL}, 0, NULL, 0};
  r.st = gw_capture(walogs_iter_next(it, &r.lsn, &r.data, &r.len));
  return r;
}

gw_status gw_rotate(walogs_wal *w) { return gw_capture(walogs_rotate(w)); }

gw_u64x2 gw_checkpoint(walogs_wal *w, uint64_t applied_up_to) {
  gw_u64x2 r = {{0, 0, NULL}, 0, 0};
  size_t deleted = 0;
  r.st = gw_capture(walogs_checkpoint(w, applied_up_to, &deleted));
  r.a = deleted;
  return r;
}

gw_u64x2 gw_truncate_after(walogs_wal *w, uint64_t keep_up_to) {
  gw_u64x2 r = {{0, 0, NULL}, 0, 0};
  r.st = gw_capture(walogs_truncate_after(w, keep_up_to, &r.a));
  return r;
}

gw_u64x2 gw_next_lsn(const walogs_wal *w) {
  gw_u64x2 r = {{0, 0, NULL}, 0, 0};
  r.st = gw_capture(walogs_next_lsn(w, &r.a));
  return r;
}

gw_u64x2 gw_first_lsn(const walogs_wal *w) {
  gw_u64x2 r = {{0, 0, NULL}, 0, 0};
  r.st = gw_capture(walogs_first_lsn(w, &r.a));
  return r;
}

gw_u64x2 gw_durable_lsn(const walogs_wal *w) {
  gw_u64x2 r = {{0, 0, NULL}, 0, 0};
  r.st = gw_capture(walogs_durable_lsn(w, &r.a));
  return r;
}

gw_u64x2 gw_segment_count(const walogs_wal *w) {
  gw_u64x2 r = {{0, 0, NULL}, 0, 0};
  size_t n = 0;
  r.st = gw_capture(walogs_segment_count(w, &n));
  r.a = n;
  return r;
}

gw_u64x2 gw_flags(const walogs_wal *w) {
  gw_u64x2 r = {{0, 0, NULL}, 0, 0};
  bool poisoned = false, read_only = false;
  walogs_status s = walogs_is_poisoned(w, &poisoned);
  if (s == WALOGS_OK) s = walogs_is_read_only(w, &read_only);
  r.st = gw_capture(s);
  r.a = poisoned;
  r.b = read_only;
  return r;
}

gw_u64x2 gw_tail_state(const walogs_wal *w) {
  gw_u64x2 r = {{0, 0, NULL}, 0, 0};
  walogs_tail kind = WALOGS_TAIL_CLEAN;
  r.st = gw_capture(walogs_tail_state(w, &kind, &r.b));
  r.a = kind;
  return r;
}

gw_report_res gw_recovery_report(const walogs_wal *w) {
  gw_report_res r;
  memset(&r, 0, sizeof r);
  r.r.struct_size = sizeof r.r;
  r.st = gw_capture(walogs_recovery_report(w, &r.r));
  return r;
}
