/*
 * test_files.c: what walogs does with the file system. Files it creates are private (0600,
 * directories 0700) or exactly the mode asked for (umask ignored); bad modes are refused;
 * a symbolic link, FIFO or hard-linked file under a walogs file name is refused with
 * WALOGS_UNSAFE_FILE and left alone (every walogs file name, every kind of entry, a file
 * outside the WAL as the sentinel); the streams store's files get the same modes; a relative path is resolved once, at open, so appends
 * after a chdir land in the original directory.
 */
#include <limits.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>

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

/* The bytes and modification time of a regular file. */
struct snap {
  char bytes[1024];
  ssize_t len;
  struct timespec mtime;
};

static struct snap snap_of(const char *path) {
  struct snap s;
  memset(&s, 0, sizeof s);
  int fd = open(path, O_RDONLY | O_NOFOLLOW);
  if (fd >= 0) {
    s.len = read(fd, s.bytes, sizeof s.bytes);
    close(fd);
  }
  struct stat st;
  if (stat(path, &st) == 0) s.mtime = st.st_mtim;
  return s;
}

static bool same_snap(struct snap a, struct snap b) {
  return a.len == b.len && memcmp(a.bytes, b.bytes, sizeof a.bytes) == 0 &&
         a.mtime.tv_sec == b.mtime.tv_sec && a.mtime.tv_nsec == b.mtime.tv_nsec;
}

/*
 * Every walogs file name with a planted entry: a link to a file outside the WAL ('l'), a FIFO
 * ('f'), a socket ('s'), or a second hard link outside the WAL ('h'). Read-only opens refuse
 * it except where they never open that file (the lock) or read a hard-linked file; writable
 * opens refuse it except a hard-linked walogs.meta (replaced by a rename, never written).
 * Nothing blocks, the file outside keeps its bytes and time, the entry stays what it was.
 */
static void test_planted_entries(void) {
  struct {
    const char *name;
    char kind;
    bool ro_opens, rw_opens;
  } cases[] = {
      {"wal-000002.log", 'l', false, false}, {"wal-000001.log", 'l', false, false},
      {"walogs.lock", 'l', true, false},     {"walogs.meta", 'l', false, false},
      {"walogs.user", 'l', false, false},    {"wal.log", 'l', false, false},
      {"wal-000002.log", 'f', false, false}, {"walogs.meta", 'f', false, false},
      {"walogs.user", 'f', false, false},    {"walogs.lock", 'f', true, false},
      {"wal.log", 'f', false, false},        {"wal-000002.log", 's', false, false},
      {"wal-000002.log", 'h', true, false},  {"walogs.lock", 'h', true, false},
      {"walogs.user", 'h', true, false},     {"walogs.meta", 'h', true, true},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *dir = tmpdir_new("planted");
    bool v1 = strcmp(cases[i].name, "wal.log") == 0;
    if (v1) {
      CHECK(mkdir(dir, 0700) == 0);
    } else {
      walogs_wal *w = open_or_die(dir);
      CHECK(append_str(w, "one") == 1);
      EXPECT_OK(walogs_set_user_data(w, (const uint8_t *)"u", 1));
      EXPECT_OK(walogs_rotate(w));
      CHECK(append_str(w, "two") == 2);
      EXPECT_OK(walogs_close(w));
    }
    char p[4200], outside[4200];
    path_in(p, sizeof p, dir, cases[i].name);
    snprintf(outside, sizeof outside, "%s-outside", dir);
    if (cases[i].kind == 'h') {
      CHECK(link(p, outside) == 0);
    } else {
      FILE *f = fopen(outside, "w");
      CHECK(f != NULL);
      for (int k = 0; k < 100; k++) fputs("precious", f);
      fclose(f);
      unlink(p);
      if (cases[i].kind == 'l') CHECK(symlink(outside, p) == 0);
      if (cases[i].kind == 'f') CHECK(mkfifo(p, 0600) == 0);
      if (cases[i].kind == 's') {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        size_t n = strlen(p);
        CHECK(n < sizeof a.sun_path);
        memcpy(a.sun_path, p, n < sizeof a.sun_path ? n : 0);
        CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
        close(fd);
      }
    }
    struct snap before = snap_of(outside);
    struct stat entry_before, entry_after;
    CHECK(lstat(p, &entry_before) == 0);
    for (int ro = 1; ro >= 0; ro--) {
      walogs_options *o = NULL;
      EXPECT_OK(walogs_options_new(&o));
      EXPECT_OK(walogs_options_set_read_only(o, ro));
      walogs_wal *w = NULL;
      walogs_status st = walogs_open(dir, o, &w);
      walogs_options_free(o);
      bool opens = ro ? cases[i].ro_opens : cases[i].rw_opens;
      if (opens) {
        CHECK(st == WALOGS_OK);
        if (!ro && st == WALOGS_OK) {
          EXPECT_OK(walogs_rotate(w)); /* writes walogs.meta */
        }
        if (st == WALOGS_OK) EXPECT_OK(walogs_close(w));
      } else {
        CHECK(st == WALOGS_UNSAFE_FILE);
        EXPECT_ERROR_MENTIONS(cases[i].name);
      }
      if (!opens && st != WALOGS_UNSAFE_FILE) {
        fprintf(stderr, "  case %s '%c' read_only=%d: status %d\n", cases[i].name,
                cases[i].kind, ro, (int)st);
      }
      CHECK(same_snap(before, snap_of(outside)));
    }
    if (strcmp(cases[i].name, "walogs.meta") != 0 || cases[i].kind != 'h') {
      CHECK(lstat(p, &entry_after) == 0 && entry_after.st_ino == entry_before.st_ino &&
            entry_after.st_mode == entry_before.st_mode);
    }
    tmpdir_remove(dir);
  }
}

/* The streams store creates private files whatever the umask (0600, directory 0700). */
static void test_streams_default_modes(void) {
  char *dir = tmpdir_new("streams-mode");
  mode_t old = umask(0);
  walogs_streams *s = NULL;
  EXPECT_OK(walogs_streams_open(dir, NULL, &s));
  EXPECT_OK(walogs_streams_append(s, "t", (const uint8_t *)"x", 1, NULL, 0, -1, NULL));
  EXPECT_OK(walogs_streams_close(s));
  umask(old);
  char p[4200];
  CHECK(mode_of(dir) == 0700);
  segment_path(p, sizeof p, dir, 1);
  CHECK(mode_of(p) == 0600);
  path_in(p, sizeof p, dir, "walogs.lock");
  CHECK(mode_of(p) == 0600);
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
  test_planted_entries();
  test_streams_default_modes();
  test_relative_path_survives_chdir();
  return check_summary("test_files");
}
