/* Every golden vector under tests/golden/ (or $WALOGS_GOLDEN_DIR) read through the C ABI as
 * its expected.txt says (the line format of tests/golden/README.md): entries, LSNs, purge
 * floor, user data, tail, the damage an open refuses, the recovery report of a writable
 * open, and a streams store's topics, records and consumers. Every open works on a copy. */

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>

#include "check.h"

#define MAX_LINES 4096

/* expected.txt, one string per line (newline removed). */
typedef struct {
  char *lines[MAX_LINES];
  size_t count;
} expected;

static int read_expected(const char *path, expected *e) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return -1;
  e->count = 0;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, f)) >= 0 && e->count < MAX_LINES) {
    if (n > 0 && line[n - 1] == '\n') line[n - 1] = '\0';
    e->lines[e->count++] = strdup(line);
  }
  free(line);
  fclose(f);
  return 0;
}

static void free_expected(expected *e) {
  for (size_t i = 0; i < e->count; i++) free(e->lines[i]);
  e->count = 0;
}

/* The rest of the first line starting with `key` and a space, or NULL. */
static const char *value_of(const expected *e, const char *key) {
  size_t k = strlen(key);
  for (size_t i = 0; i < e->count; i++) {
    if (strncmp(e->lines[i], key, k) == 0 && e->lines[i][k] == ' ') return e->lines[i] + k + 1;
  }
  return NULL;
}

static bool has_line(const expected *e, const char *line) {
  for (size_t i = 0; i < e->count; i++) {
    if (strcmp(e->lines[i], line) == 0) return true;
  }
  return false;
}

/* Whether `bytes` are the hex token `want` ("-" for none). */
static bool hex_is(const uint8_t *bytes, size_t len, const char *want) {
  if (strcmp(want, "-") == 0) return len == 0;
  if (strlen(want) != 2 * len) return false;
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < len; i++) {
    if (want[2 * i] != digits[bytes[i] >> 4] || want[2 * i + 1] != digits[bytes[i] & 15]) {
      return false;
    }
  }
  return true;
}

/* Copy the regular files of `src` into the new directory `dst`. */
static int copy_dir(const char *src, const char *dst) {
  if (mkdir(dst, 0700) != 0) return -1;
  DIR *d = opendir(src);
  if (d == NULL) return -1;
  struct dirent *ent;
  int rc = 0;
  while (rc == 0 && (ent = readdir(d)) != NULL) {
    if (ent->d_name[0] == '.') continue;
    char from[4096], to[4096];
    snprintf(from, sizeof from, "%s/%s", src, ent->d_name);
    snprintf(to, sizeof to, "%s/%s", dst, ent->d_name);
    int in = open(from, O_RDONLY);
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600);
    char buf[65536];
    ssize_t n = 0;
    while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0) {
      if (write(out, buf, (size_t)n) != n) n = -1;
      if (n < 0) break;
    }
    if (in < 0 || out < 0 || n < 0) rc = -1;
    if (in >= 0) close(in);
    if (out >= 0) close(out);
  }
  closedir(d);
  return rc;
}

/* A fresh copy of `vector`/wal; the caller frees it with tmpdir_remove. */
static char *copy_of(const char *vector) {
  char *dir = tmpdir_new("golden");
  char src[4096];
  snprintf(src, sizeof src, "%s/wal", vector);
  if (copy_dir(src, dir) != 0) {
    perror("copy");
    exit(2);
  }
  return dir;
}

/* The WALOGS_DAMAGE_* value of a DamageKind name. */
static walogs_damage_kind damage_kind(const char *name) {
  static const struct {
    const char *name;
    walogs_damage_kind kind;
  } kinds[] = {
      {"CompletedSegment", WALOGS_DAMAGE_COMPLETED_SEGMENT},
      {"MidLog", WALOGS_DAMAGE_MID_LOG},
      {"LsnDiscontinuity", WALOGS_DAMAGE_LSN_DISCONTINUITY},
      {"SegmentGap", WALOGS_DAMAGE_SEGMENT_GAP},
      {"EmptyCompletedSegment", WALOGS_DAMAGE_EMPTY_COMPLETED_SEGMENT},
      {"SealMismatch", WALOGS_DAMAGE_SEAL_MISMATCH},
      {"BelowSeal", WALOGS_DAMAGE_BELOW_SEAL},
      {"Metadata", WALOGS_DAMAGE_METADATA},
      {"MixedLayout", WALOGS_DAMAGE_MIXED_LAYOUT},
      {"ChangedWhileReading", WALOGS_DAMAGE_CHANGED_WHILE_READING},
      {"UserData", WALOGS_DAMAGE_USER_DATA},
  };
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    if (strcmp(kinds[i].name, name) == 0) return kinds[i].kind;
  }
  return WALOGS_DAMAGE_OTHER;
}

static uint64_t num(const expected *e, const char *key) {
  const char *v = value_of(e, key);
  CHECK(v != NULL);
  return v == NULL ? 0 : strtoull(v, NULL, 10);
}

/* The open failed: the damage is the expected one. */
static void check_damage(const char *error_line) {
  char kind[64], damage[64], file[128], offset[32];
  CHECK(sscanf(error_line, "%63s %63s %127s %31s", kind, damage, file, offset) == 4);
  CHECK(strcmp(kind, "Corrupt") == 0);
  walogs_damage d;
  memset(&d, 0, sizeof d);
  d.struct_size = sizeof d;
  EXPECT_OK(walogs_last_damage(&d));
  CHECK(d.kind == damage_kind(damage));
  if (strcmp(file, "-") == 0) {
    CHECK(!d.has_file);
  } else {
    CHECK(d.has_file && strcmp(d.file, file) == 0);
  }
  if (strcmp(offset, "-") == 0) {
    CHECK(!d.has_offset);
  } else {
    CHECK(d.has_offset && d.offset == strtoull(offset, NULL, 10));
  }
}

/* Entries, LSNs, floor and user data of an open log. */
static void check_log(walogs_wal *w, const expected *e) {
  walogs_iter *it = NULL;
  uint64_t first = 0, next = 0, purged = 0;
  EXPECT_OK(walogs_first_lsn(w, &first));
  EXPECT_OK(walogs_next_lsn(w, &next));
  EXPECT_OK(walogs_purged_up_to(w, &purged));
  CHECK(first == num(e, "first_lsn"));
  CHECK(next == num(e, "next_lsn"));
  CHECK(purged == num(e, "purged_up_to"));
  EXPECT_OK(walogs_iter_from(w, first, &it));
  size_t line = 0;
  for (;;) {
    uint64_t lsn = 0;
    const uint8_t *data = NULL;
    size_t len = 0;
    walogs_status s = walogs_iter_next(it, &lsn, &data, &len);
    while (line < e->count && strncmp(e->lines[line], "entry ", 6) != 0) line++;
    if (s == WALOGS_END) {
      CHECK(line == e->count); /* no expected entry left */
      break;
    }
    CHECK(s == WALOGS_OK && line < e->count);
    if (s != WALOGS_OK || line >= e->count) break;
    uint64_t want_lsn = 0;
    char *want = NULL; /* %ms: any length, allocated by sscanf */
    CHECK(sscanf(e->lines[line], "entry %" SCNu64 " %ms", &want_lsn, &want) == 2);
    CHECK(lsn == want_lsn);
    CHECK(want != NULL && hex_is(data, len, want));
    free(want);
    line++;
  }
  walogs_iter_free(it);
  static uint8_t ud[WALOGS_MAX_USER_DATA];
  size_t ud_len = 0;
  EXPECT_OK(walogs_user_data(w, ud, sizeof ud, &ud_len));
  const char *want_ud = value_of(e, "user_data");
  CHECK(want_ud != NULL && hex_is(ud, ud_len, want_ud));
}

/* A streams store's topics, records and consumers. */
static void check_streams(const char *dir, const expected *e) {
  walogs_streams_options *o = NULL;
  walogs_streams *s = NULL;
  EXPECT_OK(walogs_streams_options_new(&o));
  EXPECT_OK(walogs_streams_options_set_read_only(o, true));
  EXPECT_OK(walogs_streams_open(dir, o, &s));
  walogs_streams_options_free(o);
  if (s == NULL) return;
  walogs_topics *topics = NULL;
  size_t n = 0, want_topics = 0, want_records = 0, want_consumers = 0;
  for (size_t i = 0; i < e->count; i++) {
    want_topics += strncmp(e->lines[i], "topic ", 6) == 0;
    want_consumers += strncmp(e->lines[i], "consumer ", 9) == 0;
    want_records += strncmp(e->lines[i], "record ", 7) == 0;
  }
  EXPECT_OK(walogs_streams_topics(s, &topics));
  EXPECT_OK(walogs_topics_len(topics, &n));
  CHECK(n == want_topics);
  size_t records_seen = 0;
  for (size_t i = 0; i < n; i++) {
    const char *name = NULL;
    uint64_t first = 0, next = 0, bytes = 0;
    EXPECT_OK(walogs_topics_get(topics, i, &name, &first, &next, &bytes));
    char line[512];
    snprintf(line, sizeof line, "topic %s %" PRIu64 " %" PRIu64, name, first, next);
    CHECK(has_line(e, line));
    walogs_records *recs = NULL;
    size_t count = 0;
    EXPECT_OK(walogs_streams_read_range(s, name, first, SIZE_MAX, SIZE_MAX, &recs));
    EXPECT_OK(walogs_records_len(recs, &count));
    for (size_t r = 0; r < count; r++) {
      uint64_t lsn = 0, ts = 0;
      const uint8_t *data = NULL, *header = NULL;
      size_t len = 0, hlen = 0;
      EXPECT_OK(walogs_records_get(recs, r, &lsn, &data, &len, &header, &hlen, &ts));
      /* Find the expected record line of this topic and LSN, then compare its bytes. */
      char prefix[512];
      snprintf(prefix, sizeof prefix, "record %s %" PRIu64 " ", name, lsn);
      const char *found = NULL;
      for (size_t l = 0; l < e->count && found == NULL; l++) {
        if (strncmp(e->lines[l], prefix, strlen(prefix)) == 0) found = e->lines[l];
      }
      CHECK(found != NULL);
      if (found == NULL) continue;
      uint64_t want_ts = 0;
      char *want_data = NULL, *want_header = NULL;
      CHECK(sscanf(found + strlen(prefix), "%" SCNu64 " %ms %ms", &want_ts, &want_data,
                   &want_header) == 3);
      CHECK(ts == want_ts);
      CHECK(want_data != NULL && hex_is(data, len, want_data));
      CHECK(want_header != NULL && hex_is(header, hlen, want_header));
      free(want_data);
      free(want_header);
      records_seen++;
    }
    walogs_records_free(recs);
  }
  CHECK(records_seen == want_records);
  walogs_topics_free(topics);
  walogs_consumers *cs = NULL;
  EXPECT_OK(walogs_streams_consumers(s, &cs));
  EXPECT_OK(walogs_consumers_len(cs, &n));
  CHECK(n == want_consumers);
  for (size_t i = 0; i < n; i++) {
    const char *topic = NULL, *name = NULL;
    walogs_consumer_mode mode = 0;
    uint32_t every = 0;
    uint64_t position = 0;
    EXPECT_OK(walogs_consumers_get(cs, i, &topic, &name, &mode, &every, &position));
    const char *m = mode == WALOGS_CONSUMER_STRICT ? "strict" : "at_least_once";
    char line[1024];
    snprintf(line, sizeof line, "consumer %s %s %s %" PRIu32 " %" PRIu64, topic, name, m,
             mode == WALOGS_CONSUMER_STRICT ? 0 : every, position);
    CHECK(has_line(e, line));
  }
  walogs_consumers_free(cs);
  EXPECT_OK(walogs_streams_close(s));
}

static void check_vector(const char *vector) {
  char path[4096];
  int k = snprintf(path, sizeof path, "%s/expected.txt", vector);
  expected e;
  if (k < 0 || (size_t)k >= sizeof path || read_expected(path, &e) != 0) {
    CHECK(!"expected.txt readable");
    return;
  }
  int failed_before = check_failed;
  CHECK(has_line(&e, "open read_only"));
  char *ro_dir = copy_of(vector);
  char *rw_dir = copy_of(vector);
  walogs_options *ro = NULL;
  EXPECT_OK(walogs_options_new(&ro));
  EXPECT_OK(walogs_options_set_read_only(ro, true));
  walogs_wal *r = NULL, *w = NULL;
  walogs_status rs = walogs_open(ro_dir, ro, &r);
  walogs_options_free(ro);
  const char *error = value_of(&e, "error");
  if (error != NULL) {
    CHECK(rs == WALOGS_CORRUPT);
    check_damage(error);
    CHECK(walogs_open(rw_dir, NULL, &w) == WALOGS_CORRUPT);
    check_damage(error);
  } else {
    CHECK(rs == WALOGS_OK);
    if (r != NULL) {
      check_log(r, &e);
      walogs_tail tail = 0;
      uint64_t offset = 0;
      EXPECT_OK(walogs_tail_state(r, &tail, &offset));
      const char *torn = value_of(&e, "tail_truncated_at");
      CHECK(torn == NULL ? tail == WALOGS_TAIL_CLEAN
                         : tail == WALOGS_TAIL_TRUNCATED && offset == strtoull(torn, NULL, 10));
      EXPECT_OK(walogs_close(r));
    }
    EXPECT_OK(walogs_open(rw_dir, NULL, &w));
    if (w != NULL) {
      walogs_report rep;
      memset(&rep, 0, sizeof rep);
      rep.struct_size = sizeof rep;
      EXPECT_OK(walogs_recovery_report(w, &rep));
      char tail[32], bytes[32];
      int migrated = -1;
      const char *want = value_of(&e, "recovery");
      CHECK(want != NULL && sscanf(want, "%31s %31s %d", tail, bytes, &migrated) == 3);
      if (strcmp(tail, "-") == 0) {
        CHECK(rep.tail == WALOGS_TAIL_CLEAN);
      } else {
        CHECK(rep.tail == WALOGS_TAIL_TRUNCATED && rep.tail_offset == strtoull(tail, NULL, 10));
      }
      CHECK(rep.bytes_truncated == strtoull(bytes, NULL, 10));
      CHECK(rep.migrated_v1 == (migrated == 1));
      check_log(w, &e);
      EXPECT_OK(walogs_close(w));
    }
    if (has_line(&e, "streams")) check_streams(ro_dir, &e);
  }
  if (check_failed != failed_before) fprintf(stderr, "  in vector %s\n", vector);
  tmpdir_remove(ro_dir);
  tmpdir_remove(rw_dir);
  free_expected(&e);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
  const char *root = getenv("WALOGS_GOLDEN_DIR");
  if (root == NULL || root[0] == '\0') root = "tests/golden";
  DIR *d = opendir(root);
  if (d == NULL) {
    perror(root);
    return 2;
  }
  char *names[256];
  size_t count = 0;
  struct dirent *ent;
  while ((ent = readdir(d)) != NULL && count < 256) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/expected.txt", root, ent->d_name);
    if (ent->d_name[0] != '.' && access(path, R_OK) == 0) names[count++] = strdup(ent->d_name);
  }
  closedir(d);
  qsort(names, count, sizeof names[0], by_name);
  CHECK(count > 0);
  for (size_t i = 0; i < count; i++) {
    char vector[4096];
    snprintf(vector, sizeof vector, "%s/%s", root, names[i]);
    check_vector(vector);
    free(names[i]);
  }
  printf("golden vectors: %zu\n", count);
  return check_summary("test_golden");
}
