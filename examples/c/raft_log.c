/*
 * raft_log.c: the log control calls as a Raft node would use them. The term and vote live in
 * the durable user data; a leader's conflicting suffix is cut with walogs_truncate_after
 * (at any LSN, batches included); after a snapshot the applied prefix is dropped with
 * walogs_purge_up_to (also past the end: restart after installing a leader's snapshot);
 * entries are appended under MANUAL durability and acknowledged by a walogs_on_durable
 * callback once one walogs_sync made them durable; walogs_read_range ships a bounded batch
 * to a follower.
 *
 * Build in the repository (after `make lib`):
 *   cc -Wall -O2 -Iinclude examples/c/raft_log.c -Ltarget/c/lib \
 *      -Wl,-rpath,$PWD/target/c/lib -lwalogs -lpthread -o raft_log
 * Run: ./raft_log [DIR]      (default: a new directory under /tmp)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "walogs.h"

static void check(walogs_status s, const char *what) {
  if (s == WALOGS_OK) return;
  char msg[512];
  walogs_last_error(msg, sizeof msg, NULL);
  fprintf(stderr, "%s failed: %s (%d): %s\n", what, walogs_status_str(s), (int)s, msg);
  exit(1);
}

/* Term and vote, stored as the WAL's user data. */
struct hard_state {
  uint64_t term;
  uint64_t voted_for;
};

static void save_hard_state(walogs_wal *wal, struct hard_state hs) {
  /* Durable on return, and never ahead of the entries appended before it. */
  check(walogs_set_user_data(wal, (const uint8_t *)&hs, sizeof hs), "walogs_set_user_data");
}

static struct hard_state load_hard_state(const walogs_wal *wal) {
  struct hard_state hs = {0, 0};
  size_t len = 0;
  check(walogs_user_data(wal, (uint8_t *)&hs, sizeof hs, &len), "walogs_user_data");
  return hs; /* len 0 on a fresh log: term 0, no vote */
}

/* Acknowledgements: the callback runs on walogs' notifier thread. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t acked_cond = PTHREAD_COND_INITIALIZER;
static uint64_t acked;

static void on_durable(void *ctx, walogs_status status) {
  uint64_t lsn = (uint64_t)(uintptr_t)ctx;
  pthread_mutex_lock(&mu);
  if (status == WALOGS_OK && lsn > acked) acked = lsn;
  pthread_cond_broadcast(&acked_cond);
  pthread_mutex_unlock(&mu);
}

static uint64_t append(walogs_wal *wal, const char *s) {
  uint64_t lsn = 0;
  check(walogs_append(wal, (const uint8_t *)s, strlen(s), &lsn), "walogs_append");
  return lsn;
}

static void print_range(const walogs_wal *wal, uint64_t from, size_t max_entries) {
  walogs_range *r = NULL;
  check(walogs_read_range(wal, from, max_entries, 1 << 20, &r), "walogs_read_range");
  size_t n = 0;
  check(walogs_range_len(r, &n), "walogs_range_len");
  for (size_t i = 0; i < n; i++) {
    uint64_t lsn;
    const uint8_t *data; /* borrowed until walogs_range_free */
    size_t len;
    check(walogs_range_get(r, i, &lsn, &data, &len), "walogs_range_get");
    printf("  lsn %llu: %.*s\n", (unsigned long long)lsn, (int)len, (const char *)data);
  }
  walogs_range_free(r);
}

int main(int argc, char **argv) {
  char dir[4096];
  if (argc > 1) {
    snprintf(dir, sizeof dir, "%s", argv[1]);
  } else {
    char base[] = "/tmp/walogs-raft-XXXXXX";
    if (mkdtemp(base) == NULL) return 1;
    snprintf(dir, sizeof dir, "%s/wal", base);
  }
  walogs_options *opts = NULL;
  check(walogs_options_new(&opts), "walogs_options_new");
  /* Appends return after the write; one walogs_sync makes a whole burst durable. */
  check(walogs_options_set_durability(opts, WALOGS_DURABILITY_MANUAL, 0), "set_durability");
  walogs_wal *wal = NULL;
  check(walogs_open(dir, opts, &wal), "walogs_open");
  walogs_options_free(opts);

  struct hard_state hs = load_hard_state(wal);
  printf("hard state at open: term %llu, voted for %llu\n", (unsigned long long)hs.term,
         (unsigned long long)hs.voted_for);
  hs.term = 3;
  hs.voted_for = 2;
  save_hard_state(wal, hs);

  /* A burst of entries, acknowledged by callbacks after one sync. */
  const char *cmds[] = {"x=1", "y=2", "x=3", "z=4", "y=5"};
  uint64_t last = 0;
  for (size_t i = 0; i < 5; i++) {
    last = append(wal, cmds[i]);
    check(walogs_on_durable(wal, last, on_durable, (void *)(uintptr_t)last), "walogs_on_durable");
  }
  check(walogs_sync(wal, NULL), "walogs_sync");
  pthread_mutex_lock(&mu);
  while (acked < last) pthread_cond_wait(&acked_cond, &mu);
  uint64_t seen = acked;
  pthread_mutex_unlock(&mu);
  printf("acknowledged up to lsn %llu\n", (unsigned long long)seen);

  /* A new leader's log diverges after lsn 3: cut our suffix, take its entries. */
  uint64_t removed = 0;
  check(walogs_truncate_after(wal, 3, &removed), "walogs_truncate_after");
  const uint8_t *theirs[2] = {(const uint8_t *)"z=40", (const uint8_t *)"w=50"};
  size_t lens[2] = {4, 4};
  uint64_t first = 0;
  check(walogs_append_batch(wal, theirs, lens, 2, true, &first, &last), "walogs_append_batch");
  /* Under MANUAL nothing is durable before a sync: a wait with timeout 0 only looks. */
  walogs_status before = walogs_wait_durable(wal, last, 0);
  printf("lsn %llu before the sync: %s\n", (unsigned long long)last, walogs_status_str(before));
  check(walogs_sync(wal, NULL), "walogs_sync");
  check(walogs_wait_durable(wal, last, -1), "walogs_wait_durable");
  printf("cut %llu entries after lsn 3, appended lsn %llu..%llu\n", (unsigned long long)removed,
         (unsigned long long)first, (unsigned long long)last);
  printf("entries for a follower from lsn 2 (at most 3):\n");
  print_range(wal, 2, 3);

  /* A snapshot covers lsn 1..4: drop them for good. */
  check(walogs_purge_up_to(wal, 4, NULL), "walogs_purge_up_to");
  uint64_t oldest = 0, floor = 0;
  check(walogs_first_lsn(wal, &oldest), "walogs_first_lsn");
  check(walogs_purged_up_to(wal, &floor), "walogs_purged_up_to");
  printf("after a snapshot at 4: oldest lsn %llu, purged up to %llu\n",
         (unsigned long long)oldest, (unsigned long long)floor);

  /* Installing a leader's snapshot at lsn 100 restarts the log after it. */
  check(walogs_purge_up_to(wal, 100, NULL), "walogs_purge_up_to");
  uint64_t next_lsn = append(wal, "after the snapshot");
  printf("after installing a snapshot at 100: next append got lsn %llu\n",
         (unsigned long long)next_lsn);
  check(walogs_close(wal), "walogs_close");

  /* Everything above survives a reopen. */
  check(walogs_open(dir, NULL, &wal), "walogs_open");
  hs = load_hard_state(wal);
  printf("after reopen: term %llu, voted for %llu, entries:\n", (unsigned long long)hs.term,
         (unsigned long long)hs.voted_for);
  check(walogs_first_lsn(wal, &oldest), "walogs_first_lsn");
  print_range(wal, oldest, 10);
  check(walogs_close(wal), "walogs_close");
  return 0;
}
