/*
 * test_files.c: what walogs does with the file system. Files it creates are private (0600,
 * directories 0700) or exactly the mode asked for (umask ignored); bad modes are refused;
 * a symbolic link, FIFO or hard-linked file under a walogs file name is refused with
 * WALOGS_UNSAFE_FILE and left alone; a relative path is resolved once, at open, so appends
 * after a chdir land in the original directory.
 */
#include <limits.h>
#include <stdbool.h>

#include "check.h"

static unsigned mode_of(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return 0xFFFFFFFFu;
  return (unsigned)(st.st_mode & 07777);
}

static void path_in(char *out, size_t cap, const char *dir, const char *name) {
  snprintf(out, cap, "%s/%s", dir, name);
}

static walogs_wal *open_mode(const char *dir, walogs_options *o, walogs_status *st) {
  walogs_wal *w = NULL;
  *st = walogs_open(dir, o, &w);
  return w;
}

static void test_default_modes(void) {
  char *dir = tmpdir_new("mode-default");
  mode_t old = umask(0); /* a umask that would let 0666/0777 through: walogs still uses 0600 */
  walogs_wal *w = open_or_die(dir);
  CHECK(append_str(w, "x") == 1);
  EXPECT_OK(walogs_set_user_data(w, (const uint8_t *)"u", 1));
  umask(old);
  char p[4200];
  CHECK(mode_of(dir) == 0700);
  path_in(p, sizeof p, dir, "wal-000001.log");
  CHECK(mode_of(p) == 0600);
  path_in(p, sizeof p, dir, "walogs.lock");
  CHECK(mode_of(p) == 0600);
  path_in(p, sizeof p, dir, "walogs.user");
  CHECK(mode_of(p) == 0600);
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

static void test_file_mode_option(void) {
  char *dir = tmpdir_new("mode-0640");
  walogs_options *o = NULL;
  EXPECT_OK(walogs_options_new(&o));
  EXPECT_OK(walogs_options_set_file_mode(o, 0640));
  /* Refused modes leave the options as they were: no owner read+write, bits beyond 0777. */
  unsigned bad[] = {0, 0400, 0200, 0500, 0700 & ~0200u, 01600, 02640, 04600, 0100600, 0xFFFFFFFFu};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    EXPECT_STATUS(walogs_options_set_file_mode(o, bad[i]), WALOGS_INVALID_ARGUMENT);
  }
  mode_t old = umask(0077); /* a umask that would narrow 0640: walogs applies 0640 exactly */
  walogs_status st;
  walogs_wal *w = open_mode(dir, o, &st);
  CHECK(st == WALOGS_OK && w != NULL);
  if (w == NULL) exit(2);
  CHECK(append_str(w, "x") == 1);
  EXPECT_OK(walogs_set_user_data(w, (const uint8_t *)"u", 1));
  EXPECT_OK(walogs_rotate(w));
  umask(old);
  char p[4200];
  CHECK(mode_of(dir) == 0750); /* search permission wherever read is granted */
  path_in(p, sizeof p, dir, "wal-000001.log");
  CHECK(mode_of(p) == 0640);
  path_in(p, sizeof p, dir, "wal-000002.log");
  CHECK(mode_of(p) == 0640);
  path_in(p, sizeof p, dir, "walogs.lock");
  CHECK(mode_of(p) == 0640);
  path_in(p, sizeof p, dir, "walogs.user");
  CHECK(mode_of(p) == 0640);
  path_in(p, sizeof p, dir, "walogs.meta");
  CHECK(mode_of(p) == 0640);
  EXPECT_OK(walogs_close(w));

  /* Other accepted modes, at the edges. */
  EXPECT_OK(walogs_options_set_file_mode(o, 0600));
  EXPECT_OK(walogs_options_set_file_mode(o, 0777));
  walogs_options_free(o);
  tmpdir_remove(dir);
}

/* Make a WAL holding one entry in `dir`, closed. */
static void one_entry(const char *dir) {
  walogs_wal *w = open_or_die(dir);
  CHECK(append_str(w, "kept") == 1);
  EXPECT_OK(walogs_close(w));
}

static void expect_refused(const char *dir, const char *name) {
  walogs_wal *w = (walogs_wal *)(uintptr_t)0x66;
  EXPECT_STATUS(walogs_open(dir, NULL, &w), WALOGS_UNSAFE_FILE);
  EXPECT_ERROR_MENTIONS(name);
  CHECK(walogs_last_errno() == 0);
  CHECK(w == (walogs_wal *)(uintptr_t)0x66);
  walogs_options *ro = NULL;
  EXPECT_OK(walogs_options_new(&ro));
  EXPECT_OK(walogs_options_set_read_only(ro, true));
  EXPECT_STATUS(walogs_open(dir, ro, &w), WALOGS_UNSAFE_FILE);
  walogs_options_free(ro);
}

static void test_symlinked_segment(void) {
  char *dir = tmpdir_new("symlink");
  one_entry(dir);
  char seg[4200], target[4200];
  segment_path(seg, sizeof seg, dir, 1);
  snprintf(target, sizeof target, "%s-elsewhere.log", dir);
  CHECK(rename(seg, target) == 0);
  CHECK(symlink(target, seg) == 0);
  long long size = file_size(target);
  expect_refused(dir, "wal-000001.log");
  /* Nothing was read through it, written to it, or removed. */
  CHECK(file_size(target) == size);
  CHECK(mode_of(seg) != 0xFFFFFFFFu && (mode_of(target) & 0777) == 0600);
  struct stat st;
  CHECK(lstat(seg, &st) == 0 && S_ISLNK(st.st_mode));
  /* Put the file back: the WAL opens and holds its entry. */
  CHECK(unlink(seg) == 0 && rename(target, seg) == 0);
  walogs_wal *w = open_or_die(dir);
  uint8_t buf[8];
  size_t len = 0;
  EXPECT_OK(walogs_read(w, 1, buf, sizeof buf, &len));
  CHECK(len == 4 && memcmp(buf, "kept", 4) == 0);
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

static void test_fifo_and_hard_link(void) {
  char *dir = tmpdir_new("special");
  one_entry(dir);
  /* A FIFO under the metadata file's name: refused without blocking on it. */
  char p[4200];
  path_in(p, sizeof p, dir, "walogs.meta");
  unlink(p);
  CHECK(mkfifo(p, 0600) == 0);
  expect_refused(dir, "walogs.meta");
  CHECK(unlink(p) == 0);
  /* The active segment with a second hard link: writing it would change the other name. */
  char seg[4200], link_path[4200];
  segment_path(seg, sizeof seg, dir, 1);
  snprintf(link_path, sizeof link_path, "%s-hardlink.log", dir);
  CHECK(link(seg, link_path) == 0);
  long long size = file_size(seg);
  walogs_wal *w = (walogs_wal *)(uintptr_t)0x66;
  EXPECT_STATUS(walogs_open(dir, NULL, &w), WALOGS_UNSAFE_FILE);
  EXPECT_ERROR_MENTIONS("hard links");
  CHECK(file_size(seg) == size && w == (walogs_wal *)(uintptr_t)0x66);
  CHECK(unlink(link_path) == 0);
  w = open_or_die(dir);
  CHECK(append_str(w, "more") == 2);
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

static void test_relative_path_survives_chdir(void) {
  char *dir = tmpdir_new("relative");
  char base[2048];
  snprintf(base, sizeof base, "%s", dir);
  *strrchr(base, '/') = '\0'; /* the existing parent of the not-yet-created WAL directory */
  char cwd[PATH_MAX];
  CHECK(getcwd(cwd, sizeof cwd) != NULL);

  CHECK(chdir(base) == 0);
  walogs_wal *w = NULL;
  EXPECT_OK(walogs_open("rel/wal", NULL, &w));
  CHECK(append_str(w, "one") == 1);
  /* Move away, even into a directory holding a "rel/wal" of its own. */
  char other[2100];
  snprintf(other, sizeof other, "%s/other", base);
  CHECK(mkdir(other, 0700) == 0);
  CHECK(chdir(other) == 0);
  CHECK(append_str(w, "two") == 2);
  EXPECT_OK(walogs_rotate(w));
  CHECK(append_str(w, "three") == 3);
  EXPECT_OK(walogs_close(w));
  CHECK(chdir(cwd) == 0);

  char p[4200];
  snprintf(p, sizeof p, "%s/rel/wal/wal-000002.log", base);
  CHECK(file_size(p) > 0);
  snprintf(p, sizeof p, "%s/rel", other);
  CHECK(file_size(p) == -1); /* nothing under the new working directory */
  snprintf(p, sizeof p, "%s/rel/wal", base);
  w = open_or_die(p);
  uint64_t next = 0;
  EXPECT_OK(walogs_next_lsn(w, &next));
  CHECK(next == 4);
  uint8_t buf[8];
  size_t len = 0;
  EXPECT_OK(walogs_read(w, 3, buf, sizeof buf, &len));
  CHECK(len == 5 && memcmp(buf, "three", 5) == 0);
  EXPECT_OK(walogs_close(w));
  tmpdir_remove(dir);
}

int main(void) {
  test_default_modes();
  test_file_mode_option();
  test_symlinked_segment();
  test_fifo_and_hard_link();
  test_relative_path_survives_chdir();
  return check_summary("test_files");
}
