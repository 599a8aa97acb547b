/*
 * check.h: the tiny test harness shared by the C tests of walogs.
 *
 * CHECK(cond) records a pass or a failure (with file:line and the last walogs error);
 * EXPECT_STATUS(call, status) checks a walogs_status and, for a failure status, that the
 * last-error message is not empty. Each test program ends with check_summary(), which prints
 * "N passed, N failed" and returns the exit code.
 *
 * Temporary WAL directories live under $WALOGS_TEST_TMP (default /tmp) and are removed by
 * tmpdir_remove().
 */
#ifndef WALOGS_TEST_CHECK_H
#define WALOGS_TEST_CHECK_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "walogs.h"

static int check_passed;
static int check_failed;

static inline const char *last_error_text(void) {
  static char buf[1024];
  size_t len = 0;
  walogs_last_error(buf, sizeof buf, &len);
  return buf;
}

#define CHECK(cond)                                                                     \
  do {                                                                                  \
    if (cond) {                                                                         \
      check_passed++;                                                                   \
    } else {                                                                            \
      check_failed++;                                                                   \
      fprintf(stderr, "FAIL %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, #cond, \
              last_error_text());                                                       \
    }                                                                                   \
  } while (0)

/* After a failing call written as `walogs_xxx(...)`, the last error must name walogs_xxx. */
static inline int last_error_names(const char *call_text) {
  char fn[128];
  size_t n = strcspn(call_text, "(");
  if (n >= sizeof fn) n = sizeof fn - 1;
  memcpy(fn, call_text, n);
  fn[n] = '\0';
  const char *msg = last_error_text();
  return strncmp(msg, fn, n) == 0 && msg[n] == ':' && strlen(msg) > n + 2;
}

#define EXPECT_STATUS(call, want)                                                      \
  do {                                                                                 \
    walogs_status got_ = (call);                                                       \
    walogs_status want_ = (want);                                                      \
    if (got_ == want_) {                                                               \
      check_passed++;                                                                  \
      if (want_ >= 100) CHECK(last_error_names(#call));                                \
    } else {                                                                           \
      check_failed++;                                                                  \
      fprintf(stderr, "FAIL %s:%d: %s returned %d (%s), expected %d (%s); last error: %s\n", \
              __FILE__, __LINE__, #call, (int)got_, walogs_status_str(got_), (int)want_,    \
              walogs_status_str(want_), last_error_text());                           \
    }                                                                                  \
  } while (0)

#define EXPECT_OK(call) EXPECT_STATUS(call, WALOGS_OK)

/* The last error message contains `needle`. */
#define EXPECT_ERROR_MENTIONS(needle)                                                  \
  do {                                                                                 \
    const char *msg_ = last_error_text();                                              \
    if (strstr(msg_, (needle)) != NULL) {                                              \
      check_passed++;                                                                  \
    } else {                                                                           \
      check_failed++;                                                                  \
      fprintf(stderr, "FAIL %s:%d: last error \"%s\" does not mention \"%s\"\n",     \
              __FILE__, __LINE__, msg_, (needle));                                     \
    }                                                                                  \
  } while (0)

static inline int check_summary(const char *name) {
  printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
  return check_failed == 0 ? 0 : 1;
}

/* A fresh empty directory path (not created) under $WALOGS_TEST_TMP; caller frees. */
static inline char *tmpdir_new(const char *tag) {
  const char *base = getenv("WALOGS_TEST_TMP");
  if (base == NULL || base[0] == '\0') base = "/tmp";
  char templ[4096];
  snprintf(templ, sizeof templ, "%s/walogs-c-%s-XXXXXX", base, tag);
  if (mkdtemp(templ) == NULL) {
    perror("mkdtemp");
    exit(2);
  }
  /* The WAL creates its directory itself: hand out a child path that does not exist yet. */
  size_t n = strlen(templ) + 8;
  char *dir = malloc(n);
  if (dir == NULL) exit(2);
  snprintf(dir, n, "%s/wal", templ);
  return dir;
}

static inline void rm_tree(const char *path) {
  DIR *d = opendir(path);
  if (d != NULL) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      char child[4096];
      int k = snprintf(child, sizeof child, "%s/%s", path, e->d_name);
      if (k > 0 && (size_t)k < sizeof child) rm_tree(child);
    }
    closedir(d);
    rmdir(path);
  } else {
    unlink(path);
  }
}

/* Remove the WAL directory from tmpdir_new and its parent; frees `dir`. */
static inline void tmpdir_remove(char *dir) {
  char *slash = strrchr(dir, '/');
  if (slash != NULL) *slash = '\0';
  rm_tree(dir);
  free(dir);
}

/* Path of segment `seq` in `dir` into `out`. */
static inline void segment_path(char *out, size_t cap, const char *dir, unsigned seq) {
  snprintf(out, cap, "%s/wal-%06u.log", dir, seq);
}

static inline long long file_size(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return -1;
  return (long long)st.st_size;
}

/* XOR one byte of a file with 0xFF. Returns 0 on success. */
static inline int flip_byte(const char *path, long long offset) {
  int fd = open(path, O_RDWR);
  if (fd < 0) return -1;
  unsigned char b;
  int rc = -1;
  if (pread(fd, &b, 1, offset) == 1) {
    b ^= 0xFF;
    if (pwrite(fd, &b, 1, offset) == 1) rc = 0;
  }
  close(fd);
  return rc;
}

/* Open `dir` with default options; aborts the test program on failure. */
static inline walogs_wal *open_or_die(const char *dir) {
  walogs_wal *w = NULL;
  walogs_status s = walogs_open(dir, NULL, &w);
  if (s != WALOGS_OK) {
    fprintf(stderr, "cannot open %s: %s: %s\n", dir, walogs_status_str(s), last_error_text());
    exit(2);
  }
  return w;
}

/* Append a NUL-terminated string as an entry; returns its LSN or 0 on failure. */
static inline uint64_t append_str(walogs_wal *w, const char *s) {
  uint64_t lsn = 0;
  if (walogs_append(w, (const uint8_t *)s, strlen(s), &lsn) != WALOGS_OK) return 0;
  return lsn;
}

#endif /* WALOGS_TEST_CHECK_H */
