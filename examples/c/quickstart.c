/*
 * quickstart.c: open a WAL, append, append an atomic batch, iterate, "crash" while appending,
 * reopen and print the recovery report.
 *
 * Build in the repository (after `make lib`):
 *   cc -Wall -O2 -Iinclude examples/c/quickstart.c -Ltarget/c/lib \
 *      -Wl,-rpath,$PWD/target/c/lib -lwalogs -o quickstart
 * or against an installed walogs (`make install PREFIX=...`):
 *   cc quickstart.c $(pkg-config --cflags --libs walogs) -o quickstart
 * Run: ./quickstart [DIR]      (default: a new directory under /tmp)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "walogs.h"

/* Print what failed (the status and the thread's last error message) and exit. */
static void check(walogs_status s, const char *what) {
  if (s == WALOGS_OK) return;
  char msg[512];
  walogs_last_error(msg, sizeof msg, NULL);
  fprintf(stderr, "%s failed: %s (%d): %s\n", what, walogs_status_str(s), (int)s, msg);
  exit(1);
}

static void print_all(const walogs_wal *wal) {
  walogs_iter *it = NULL;
  check(walogs_iter_from(wal, 0, &it), "walogs_iter_from");
  uint64_t lsn;
  const uint8_t *data; /* borrowed: valid until the next walogs_iter_next */
  size_t len;
  walogs_status s;
  while ((s = walogs_iter_next(it, &lsn, &data, &len)) == WALOGS_OK) {
    printf("  lsn %llu: %.*s\n", (unsigned long long)lsn, (int)len, (const char *)data);
  }
  walogs_iter_free(it);
  check(s == WALOGS_END ? WALOGS_OK : s, "walogs_iter_next");
}

int main(int argc, char **argv) {
  char dir[4096];
  if (argc > 1) {
    snprintf(dir, sizeof dir, "%s", argv[1]);
  } else {
    char base[] = "/tmp/walogs-quickstart-XXXXXX";
    if (mkdtemp(base) == NULL) return 1;
    snprintf(dir, sizeof dir, "%s/wal", base);
  }
  printf("walogs %s, directory %s\n", walogs_version(), dir);

  /* 1. Open (creating the directory) with default options: every append is fdatasync'd. */
  walogs_wal *wal = NULL;
  check(walogs_open(dir, NULL, &wal), "walogs_open");

  /* 2. Append single entries; each returns its LSN once it is durable. */
  const char *words[] = {"hello", "write-ahead", "log"};
  for (int i = 0; i < 3; i++) {
    uint64_t lsn;
    check(walogs_append(wal, (const uint8_t *)words[i], strlen(words[i]), &lsn), "walogs_append");
    printf("appended \"%s\" as lsn %llu\n", words[i], (unsigned long long)lsn);
  }

  /* 3. An atomic batch: one write, one fdatasync, all or nothing after a crash. */
  const uint8_t *datas[] = {(const uint8_t *)"debit 10", (const uint8_t *)"credit 10"};
  size_t lens[] = {8, 9};
  uint64_t first, last;
  check(walogs_append_batch(wal, datas, lens, 2, true, &first, &last), "walogs_append_batch");
  printf("batch got lsn %llu..%llu\n", (unsigned long long)first, (unsigned long long)last);

  /* 4. Iterate from the oldest entry (0 = oldest). */
  printf("entries:\n");
  print_all(wal);
  check(walogs_close(wal), "walogs_close");

  /* 5. Simulate a crash: a child process appends and is killed without closing. */
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    walogs_wal *w = NULL;
    if (walogs_open(dir, NULL, &w) != WALOGS_OK) _exit(1);
    walogs_append(w, (const uint8_t *)"written just before the crash", 29, NULL);
    raise(SIGKILL); /* no walogs_close: the preallocated tail is left behind */
    _exit(1);
  }
  int status;
  waitpid(pid, &status, 0);
  printf("child %s\n", WIFSIGNALED(status) ? "killed by SIGKILL" : "exited");

  /* 6. Reopen: recovery verifies every frame and cuts the torn/zero tail. */
  check(walogs_open(dir, NULL, &wal), "walogs_open (after the crash)");
  walogs_report r;
  r.struct_size = sizeof r; /* always set before walogs_recovery_report */
  check(walogs_recovery_report(wal, &r), "walogs_recovery_report");
  printf("recovery report:\n");
  printf("  tail:            %s", r.tail == WALOGS_TAIL_CLEAN ? "clean\n" : "truncated");
  if (r.tail == WALOGS_TAIL_TRUNCATED)
    printf(" at byte %llu (%llu bytes cut)\n", (unsigned long long)r.tail_offset,
           (unsigned long long)r.bytes_truncated);
  printf("  segments:        %llu\n", (unsigned long long)r.segments);
  printf("  lsn range:       %llu..%llu\n", (unsigned long long)r.first_lsn,
         (unsigned long long)r.next_lsn - 1);
  printf("  salvaged:        %s\n", r.salvaged ? r.salvage_file : "no");
  printf("entries after recovery:\n");
  print_all(wal);
  check(walogs_close(wal), "walogs_close");
  return 0;
}
