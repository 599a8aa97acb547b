/*
 * shim.h: small C wrappers around the walogs C API for the Go package.
 *
 * walogs_last_error() and walogs_last_errno() are thread-local, and two consecutive cgo calls
 * may run on different OS threads. So every wrapper makes one walogs_* call and, when it
 * fails, copies the message and errno into the result in the same C call. Results come back
 * by value (no Go pointer is written by C, nothing escapes to the Go heap on success).
 */
#ifndef WALOGS_GO_SHIM_H
#define WALOGS_GO_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "walogs.h"

/* The outcome of one call. msg is NULL on success (and for WALOGS_END); on a failure it is a
 * malloc'd copy of walogs_last_error() that the Go side frees. */
typedef struct {
  int32_t status;
  int32_t err_no;
  char *msg;
} gw_status;

typedef struct {
  gw_status st;
  uint64_t a;
  uint64_t b;
} gw_u64x2;

typedef struct {
  uint64_t max_segment_size;
  uint64_t interval_ms;
  uint32_t durability;
  bool set_max_segment_size;
  bool set_durability;
  bool read_only;
  bool salvage;
  bool preallocate;
} gw_options;

typedef struct {
  gw_status st;
  walogs_wal *wal;
} gw_open_res;

typedef struct {
  gw_status st;
  walogs_iter *it;
} gw_iter_res;

typedef struct {
  gw_status st;
  uint64_t lsn;
  const uint8_t *data;
  size_t len;
} gw_next_res;

typedef struct {
  gw_status st;
  walogs_report r;
} gw_report_res;

gw_open_res gw_open(const char *dir, gw_options o);
gw_status gw_close(walogs_wal *w);
gw_u64x2 gw_append(walogs_wal *w, const uint8_t *data, size_t len);
gw_u64x2 gw_append_batch(walogs_wal *w, const uint8_t *const *datas, const size_t *lens, size_t n,
                         bool atomic);
gw_u64x2 gw_sync(walogs_wal *w);
gw_u64x2 gw_read(const walogs_wal *w, uint64_t lsn, uint8_t *buf, size_t cap);
gw_iter_res gw_iter_from(const walogs_wal *w, uint64_t from);
gw_next_res gw_iter_next(walogs_iter *it);
gw_status gw_rotate(walogs_wal *w);
gw_u64x2 gw_checkpoint(walogs_wal *w, uint64_t applied_up_to);
gw_u64x2 gw_truncate_after(walogs_wal *w, uint64_t keep_up_to);
gw_u64x2 gw_next_lsn(const walogs_wal *w);
gw_u64x2 gw_first_lsn(const walogs_wal *w);
gw_u64x2 gw_durable_lsn(const walogs_wal *w);
gw_u64x2 gw_segment_count(const walogs_wal *w);
/* a = poisoned, b = read-only (0 or 1). */
gw_u64x2 gw_flags(const walogs_wal *w);
/* a = walogs_tail kind, b = offset. */
gw_u64x2 gw_tail_state(const walogs_wal *w);
gw_report_res gw_recovery_report(const walogs_wal *w);

#endif
