/*
 * test_lock.c: one writer per directory. A second open in this process and from a forked
 * child gets WALOGS_LOCKED; a holder killed with SIGKILL releases the lock, and what it
 * appended is recovered.
 */
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>

#include "check.h"

static void test_in_process(void) {
  char *dir = tmpdir_new("lock");
  walogs_wal *w = open_or_die(dir);
  walogs_wal *second = (walogs_wal *)(uintptr_t)0x42;
  EXPECT_STATUS(walogs_open(dir, NULL, &second), WALOGS_LOCKED);
  EXPECT_ERROR_MENTIONS(dir);
  EXPECT_ERROR_MENTIONS("already open for writing by another handle");
  CHECK(second == (walogs_wal *)(uintptr_t)0x42);
  CHECK(walogs_last_errno() == 0);
  EXPECT_OK(walogs_close(w));
  second = NULL;
  EXPECT_OK(walogs_open(dir, NULL, &second));
  EXPECT_OK(walogs_close(second));
  tmpdir_remove(dir);
}

/* Die without running exit handlers or valgrind's leak check. */
static void die_now(int code) {
  if (code == 0) raise(SIGKILL);
  _exit(code);
}

static void test_child_is_refused(void) {
  char *dir = tmpdir_new("lock-child");
  walogs_wal *w = open_or_die(dir);
  int result[2];
  CHECK(pipe(result) == 0);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    close(result[0]);
    walogs_wal *c = NULL;
    int32_t s = walogs_open(dir, NULL, &c);
    /* Report the status through the pipe, then die without exit-time checks. */
    if (write(result[1], &s, sizeof s) != sizeof s) _exit(3);
    die_now(0);
  }
  close(result[1]);
  int32_t child_status = -1;
  CHECK(read(result[0], &child_status, sizeof child_status) == sizeof child_status);
  close(result[0]);
  CHECK(child_status == WALOGS_LOCKED);
  int st = 0;
  CHECK(waitpid(pid, &st, 0) == pid);
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

static void test_killed_holder(void) {
  char *dir = tmpdir_new("lock-kill");
  int ready[2];
  CHECK(pipe(ready) == 0);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    close(ready[0]);
    walogs_wal *c = NULL;
    if (walogs_open(dir, NULL, &c) != WALOGS_OK) die_now(3);
    for (int i = 0; i < 3; i++) {
      if (append_str(c, "from the child") == 0) die_now(4);
    }
    char one = 1;
    if (write(ready[1], &one, 1) != 1) die_now(5);
    for (;;) pause(); /* hold the lock until killed */
  }
  close(ready[1]);
  char got = 0;
  CHECK(read(ready[0], &got, 1) == 1 && got == 1);
  close(ready[0]);

  walogs_wal *w = (walogs_wal *)(uintptr_t)0x42;
  EXPECT_STATUS(walogs_open(dir, NULL, &w), WALOGS_LOCKED);
  CHECK(w == (walogs_wal *)(uintptr_t)0x42);
  /* A read-only open takes no lock and sees the child's acknowledged entries. */
  walogs_options *o = NULL;
  EXPECT_OK(walogs_options_new(&o));
  EXPECT_OK(walogs_options_set_read_only(o, true));
  w = NULL;
  EXPECT_OK(walogs_open(dir, o, &w));
  uint64_t next = 0;
  EXPECT_OK(walogs_next_lsn(w, &next));
  CHECK(next == 4);
  EXPECT_OK(walogs_close(w));
  walogs_options_free(o);

  CHECK(kill(pid, SIGKILL) == 0);
  int st = 0;
  CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st));
  w = NULL;
  EXPECT_OK(walogs_open(dir, NULL, &w));
  if (w != NULL) {
    EXPECT_OK(walogs_next_lsn(w, &next));
    CHECK(next == 4);
    uint8_t buf[32];
    size_t len = 0;
    EXPECT_OK(walogs_read(w, 3, buf, sizeof buf, &len));
    CHECK(len == 14 && memcmp(buf, "from the child", 14) == 0);
    EXPECT_OK(walogs_close(w));
  }
  tmpdir_remove(dir);
}

int main(void) {
  test_in_process();
  test_child_is_refused();
  test_killed_holder();
  return check_summary("test_lock");
}
