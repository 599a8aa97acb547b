/*
 * test_fork.c: a handle inherited across fork() is useless and harmless in the child. The
 * child calls every function on the inherited handle (and on an inherited iterator): each
 * returns WALOGS_FORKED, outputs untouched; walogs_close frees the handle there and writes
 * nothing. Meanwhile the parent appends; its log is byte-for-byte what it wrote, and it goes
 * on appending after the child is gone. Twice: with fork(), which runs the fork handlers,
 * and with the raw fork system call, which runs none.
 */
#include <signal.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define SENTINEL 0x5A5A5A5A5A5A5A5AULL

static void never_called(void *ctx, walogs_status status) {
  (void)status;
  *(int *)ctx = 1;
}

/* Every call on `w` (and on `it`, made before the fork) in the child; returns how many did
   not return WALOGS_FORKED, wrote an output, or left a wrong message. */
static int child_calls(walogs_wal *w, walogs_iter *it) {
  int wrong = 0;
#define FORKED(call)                                              \
  do {                                                            \
    walogs_status s_ = (call);                                    \
    if (s_ != WALOGS_FORKED) {                                    \
      fprintf(stderr, "child: %s returned %d\n", #call, (int)s_); \
      wrong++;                                                    \
    }                                                             \
  } while (0)
  uint64_t out = SENTINEL;
  size_t sout = (size_t)SENTINEL;
  bool flag = true;
  walogs_tail tail = 77;
  uint8_t buf[16];
  const uint8_t *datas[2] = {(const uint8_t *)"a", (const uint8_t *)"b"};
  size_t lens[2] = {1, 1};
  walogs_iter *new_it = NULL;
  walogs_range *range = NULL;
  int called = 0;
  walogs_report r;
  r.struct_size = sizeof r;
  r.next_lsn = SENTINEL;
  const uint8_t *data = NULL;

  FORKED(walogs_append(w, (const uint8_t *)"child", 5, &out));
  FORKED(walogs_append_batch(w, datas, lens, 2, true, &out, &out));
  FORKED(walogs_append_batch(w, datas, lens, 2, false, &out, &out));
  FORKED(walogs_sync(w, &out));
  FORKED(walogs_read(w, 1, buf, sizeof buf, &sout));
  FORKED(walogs_read_range(w, 1, 10, 100, &range));
  FORKED(walogs_iter_from(w, 1, &new_it));
  FORKED(walogs_iter_from(w, 0, &new_it));
  FORKED(walogs_iter_next(it, &out, &data, &sout));
  FORKED(walogs_rotate(w));
  FORKED(walogs_checkpoint(w, 1, &sout));
  FORKED(walogs_truncate_after(w, 0, &out));
  FORKED(walogs_purge_up_to(w, 1, &sout));
  FORKED(walogs_set_user_data(w, (const uint8_t *)"u", 1));
  FORKED(walogs_user_data(w, buf, sizeof buf, &sout));
  FORKED(walogs_wait_durable(w, 1, -1));
  FORKED(walogs_on_durable(w, 1, never_called, &called));
  FORKED(walogs_next_lsn(w, &out));
  FORKED(walogs_first_lsn(w, &out));
  FORKED(walogs_durable_lsn(w, &out));
  FORKED(walogs_purged_up_to(w, &out));
  FORKED(walogs_segment_count(w, &sout));
  FORKED(walogs_is_poisoned(w, &flag));
  FORKED(walogs_is_read_only(w, &flag));
  FORKED(walogs_tail_state(w, &tail, &out));
  FORKED(walogs_recovery_report(w, &r));
  FORKED(walogs_shutdown(w));
  /* The message names the parent's process. */
  char msg[512];
  walogs_last_error(msg, sizeof msg, NULL);
  char pid[32];
  snprintf(pid, sizeof pid, "process %ld", (long)getppid());
  if (strstr(msg, pid) == NULL || strstr(msg, "walogs_shutdown: ") != msg) {
    fprintf(stderr, "child: last error \"%s\" does not name %s\n", msg, pid);
    wrong++;
  }
  if (out != SENTINEL || sout != (size_t)SENTINEL || !flag || tail != 77 || new_it != NULL ||
      range != NULL || called != 0 || r.next_lsn != SENTINEL || data != NULL) {
    fprintf(stderr, "child: an output was written\n");
    wrong++;
  }
  /* Freeing the inherited iterator and closing the inherited handle: memory only. */
  walogs_iter_free(it);
  FORKED(walogs_close(w));
#undef FORKED
  return wrong;
}

static long long read_all(const char *path, unsigned char *buf, size_t cap) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, cap);
  close(fd);
  return (long long)n;
}

/* `raw`: fork with the system call itself (syscall(SYS_fork)), which runs no handler
   registered with pthread_atfork. */
static void test_inherited_handle(bool raw) {
  char *dir = tmpdir_new(raw ? "rawfork" : "fork");
  walogs_wal *w = open_or_die(dir);
  CHECK(append_str(w, "before fork") == 1);
  walogs_iter *it = NULL;
  EXPECT_OK(walogs_iter_from(w, 1, &it));
  int go[2], result[2];
  CHECK(pipe(go) == 0 && pipe(result) == 0);
  fflush(NULL);
  pid_t pid = raw ? (pid_t)syscall(SYS_fork) : fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    close(go[1]);
    close(result[0]);
    char b;
    /* Wait until the parent has appended after the fork. */
    if (read(go[0], &b, 1) != 1) _exit(3);
    int wrong = child_calls(w, it);
    if (write(result[1], &wrong, sizeof wrong) != sizeof wrong) _exit(4);
    /* End without exit handlers and without a leak check (valgrind's too) of the memory the
       child inherited: the report went through the pipe. */
    raise(SIGKILL);
    _exit(5);
  }
  close(go[0]);
  close(result[1]);
  /* The parent goes on while the child holds its copy. */
  for (int i = 0; i < 20; i++) CHECK(append_str(w, "parent after fork") == (uint64_t)i + 2);
  char seg[4200];
  segment_path(seg, sizeof seg, dir, 1);
  static unsigned char before[1 << 16], after[1 << 16];
  long long n_before = read_all(seg, before, sizeof before);
  long long size_before = file_size(seg);
  CHECK(n_before > 0 && size_before >= n_before);
  CHECK(write(go[1], "x", 1) == 1);
  int wrong = -1;
  CHECK(read(result[0], &wrong, sizeof wrong) == sizeof wrong);
  CHECK(wrong == 0);
  int st = 0;
  CHECK(waitpid(pid, &st, 0) == pid);
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  close(go[1]);
  close(result[0]);
  /* The child changed nothing: not the segment's bytes (nor its preallocated length). */
  long long n_after = read_all(seg, after, sizeof after);
  CHECK(n_after == n_before && memcmp(before, after, (size_t)n_before) == 0);
  CHECK(file_size(seg) == size_before);

  /* The parent's handle and iterator work on. */
  uint64_t lsn = 0;
  const uint8_t *data;
  size_t len;
  EXPECT_OK(walogs_iter_next(it, &lsn, &data, &len));
  CHECK(lsn == 1 && len == 11 && memcmp(data, "before fork", 11) == 0);
  walogs_iter_free(it);
  CHECK(append_str(w, "last") == 22);
  EXPECT_OK(walogs_close(w));

  /* Everything the parent wrote, before and after the fork, is there; nothing else. */
  w = open_or_die(dir);
  uint64_t next = 0;
  EXPECT_OK(walogs_next_lsn(w, &next));
  CHECK(next == 23);
  char got[32];
  EXPECT_OK(walogs_read(w, 1, (uint8_t *)got, sizeof got, &len));
  CHECK(len == 11 && memcmp(got, "before fork", 11) == 0);
  EXPECT_OK(walogs_read(w, 21, (uint8_t *)got, sizeof got, &len));
  CHECK(len == 17 && memcmp(got, "parent after fork", 17) == 0);
  EXPECT_OK(walogs_read(w, 22, (uint8_t *)got, sizeof got, &len));
  CHECK(len == 4 && memcmp(got, "last", 4) == 0);
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

int main(void) {
  test_inherited_handle(false);
  test_inherited_handle(true);
  return check_summary("test_fork");
}
