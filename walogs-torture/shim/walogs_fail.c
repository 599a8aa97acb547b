/*
 * walogs_fail.c: an LD_PRELOAD shim that makes the N-th write or sync of a real process
 * fail, for walogs' fault-injection tests.
 *
 * It wraps write, pwrite, pwrite64, fsync and fdatasync. Only calls on file descriptors
 * whose path (readlink of /proc/self/fd/N) is the WAL directory or lies inside it are
 * counted, so unrelated I/O (stdout, the test's own files) never shifts N.
 *
 * Environment:
 *   WALOGS_SHIM_DIR      canonical path of the WAL directory (unset: count nothing)
 *   WALOGS_SHIM_OPS      which calls count towards N: "write", "sync" or "all" (default)
 *   WALOGS_SHIM_FAIL_AT  N, 1-based (unset or 0: never fail, only count)
 *   WALOGS_SHIM_ERRNO    "EIO" (default) or "ENOSPC"
 *   WALOGS_SHIM_MODE     "once" (default): only call N fails;
 *                        "sticky": call N and every later counted call fail;
 *                        "short": call N (a write) writes half its bytes and returns that
 *                        short count, call N+1 fails (a sync at N just fails)
 *   WALOGS_SHIM_SYNC_DELAY_US
 *                        sleep this long before every counted sync (default 0), so that
 *                        concurrent appenders of a group-commit handle queue up behind the
 *                        syncing leader and become its followers
 *   WALOGS_SHIM_FRAME    file that receives, when the failure fires, the bytes the failed
 *                        call was about to make durable: for a failed write its buffer; for
 *                        a failed sync the last write on the same descriptor since that
 *                        descriptor's last successful sync (read back with pread before the
 *                        failure is returned). On a segment file that is the frame whose
 *                        write or sync failed (a group commit's: every entry of the group).
 *   WALOGS_SHIM_REPORT   file that receives one line at exit:
 *                        "writes=W syncs=S fired=F op=NAME n=N zeros=Z frame=B path=PATH"
 *                        (B: bytes saved to WALOGS_SHIM_FRAME)
 *
 * Counting and the fired-call bookkeeping are serialised by one mutex, so a process whose
 * threads write concurrently gets exact counts.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off64_t);
typedef int (*sync_fn)(int);

enum { OPS_WRITE = 1, OPS_SYNC = 2 };
enum { MODE_ONCE, MODE_STICKY, MODE_SHORT };

static write_fn real_write;
static pwrite_fn real_pwrite;
static pwrite64_fn real_pwrite64;
static sync_fn real_fsync;
static sync_fn real_fdatasync;

static char shim_dir[4096];
static size_t shim_dir_len;
static int shim_ops = OPS_WRITE | OPS_SYNC;
static long shim_fail_at;
static int shim_errno = EIO;
static int shim_mode = MODE_ONCE;
static const char *shim_report;
static int shim_ready;

static long n_writes;  /* counted writes (whatever WALOGS_SHIM_OPS says) */
static long n_syncs;   /* counted syncs */
static long n_matched; /* calls that count towards N */
static int fired;
static char fired_op[16];
static long fired_n;
static char fired_path[4096];
static int fired_zeros; /* the failed call was a write of nothing but zero bytes */
static long shim_sync_delay_us;

/* Most bytes saved to WALOGS_SHIM_FRAME. */
#define FRAME_MAX (16L * 1024 * 1024)
static const char *shim_frame_file;
static long fired_frame_len;

/* Per descriptor: the last counted write since the last successful sync (offset, length). */
#define MAX_FD 4096
static long long pend_off[MAX_FD];
static size_t pend_len[MAX_FD];
static int pend_set[MAX_FD];

static pthread_mutex_t shim_lock = PTHREAD_MUTEX_INITIALIZER;

static void shim_init(void)
{
    if (shim_ready)
        return;
    real_write = (write_fn)dlsym(RTLD_NEXT, "write");
    real_pwrite = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite");
    real_pwrite64 = (pwrite64_fn)dlsym(RTLD_NEXT, "pwrite64");
    real_fsync = (sync_fn)dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = (sync_fn)dlsym(RTLD_NEXT, "fdatasync");
    const char *d = getenv("WALOGS_SHIM_DIR");
    if (d != NULL && strlen(d) < sizeof(shim_dir)) {
        strcpy(shim_dir, d);
        shim_dir_len = strlen(shim_dir);
        while (shim_dir_len > 1 && shim_dir[shim_dir_len - 1] == '/')
            shim_dir[--shim_dir_len] = '\0';
    }
    const char *o = getenv("WALOGS_SHIM_OPS");
    if (o != NULL && strcmp(o, "write") == 0)
        shim_ops = OPS_WRITE;
    else if (o != NULL && strcmp(o, "sync") == 0)
        shim_ops = OPS_SYNC;
    const char *n = getenv("WALOGS_SHIM_FAIL_AT");
    if (n != NULL)
        shim_fail_at = strtol(n, NULL, 10);
    const char *e = getenv("WALOGS_SHIM_ERRNO");
    if (e != NULL && strcmp(e, "ENOSPC") == 0)
        shim_errno = ENOSPC;
    const char *m = getenv("WALOGS_SHIM_MODE");
    if (m != NULL && strcmp(m, "sticky") == 0)
        shim_mode = MODE_STICKY;
    else if (m != NULL && strcmp(m, "short") == 0)
        shim_mode = MODE_SHORT;
    const char *delay = getenv("WALOGS_SHIM_SYNC_DELAY_US");
    if (delay != NULL)
        shim_sync_delay_us = strtol(delay, NULL, 10);
    shim_report = getenv("WALOGS_SHIM_REPORT");
    shim_frame_file = getenv("WALOGS_SHIM_FRAME");
    shim_ready = 1;
}

__attribute__((constructor)) static void shim_constructor(void)
{
    shim_init();
}

/* Whether fd refers to the WAL directory or a file inside it; fills path. */
static int in_wal_dir(int fd, char *path, size_t cap)
{
    if (shim_dir_len == 0)
        return 0;
    char link[64];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t len = readlink(link, path, cap - 1);
    if (len < 0)
        return 0;
    path[len] = '\0';
    if ((size_t)len < shim_dir_len || memcmp(path, shim_dir, shim_dir_len) != 0)
        return 0;
    return path[shim_dir_len] == '\0' || path[shim_dir_len] == '/';
}

enum verdict { PASS, FAIL, SHORT };

/* Whether buf holds only zero bytes (walogs' preallocation zero-fill; a frame never does). */
static int all_zeros(const void *buf, size_t count)
{
    const unsigned char *p = buf;
    for (size_t i = 0; i < count; i++)
        if (p[i] != 0)
            return 0;
    return count > 0;
}

/* Save what the failed call was about to make durable to WALOGS_SHIM_FRAME (called with
 * shim_lock held). */
static void save_frame(int fd, int kind, const void *buf, size_t count)
{
    if (shim_frame_file == NULL)
        return;
    void *copy = NULL;
    size_t len = 0;
    if (kind == OPS_WRITE) {
        len = count < (size_t)FRAME_MAX ? count : (size_t)FRAME_MAX;
    } else if (fd >= 0 && fd < MAX_FD && pend_set[fd]) {
        size_t want = pend_len[fd] < (size_t)FRAME_MAX ? pend_len[fd] : (size_t)FRAME_MAX;
        copy = malloc(want > 0 ? want : 1);
        if (copy == NULL)
            return;
        ssize_t got = pread(fd, copy, want, (off_t)pend_off[fd]);
        len = got > 0 ? (size_t)got : 0;
        buf = copy;
    }
    int out = open(shim_frame_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out >= 0) {
        size_t done = 0;
        while (done < len) {
            ssize_t w = real_write(out, (const char *)buf + done, len - done);
            if (w <= 0)
                break;
            done += (size_t)w;
        }
        fired_frame_len = (long)done;
        close(out);
    }
    free(copy);
}

/* Record a write about to be passed on: offset (-1: the descriptor's position) and length. */
static void note_write(int fd, long long offset, size_t count)
{
    if (fd < 0 || fd >= MAX_FD)
        return;
    if (offset < 0)
        offset = (long long)lseek(fd, 0, SEEK_CUR);
    pend_off[fd] = offset;
    pend_len[fd] = count;
    pend_set[fd] = 1;
}

/* Count one call and decide what happens to it. For writes, buf/count are the data and
 * offset where they go (-1: the descriptor's position). */
static enum verdict judge(int fd, int kind, const char *op, const void *buf, size_t count,
                          long long offset)
{
    shim_init();
    char path[4096];
    if (!in_wal_dir(fd, path, sizeof(path)))
        return PASS;
    if (kind == OPS_SYNC && shim_sync_delay_us > 0) {
        struct timespec ts = {shim_sync_delay_us / 1000000, (shim_sync_delay_us % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&shim_lock);
    enum verdict v = PASS;
    if (kind == OPS_WRITE)
        n_writes++;
    else
        n_syncs++;
    if (shim_ops & kind) {
        long k = ++n_matched;
        if (shim_fail_at > 0 && k >= shim_fail_at) {
            if (k == shim_fail_at) {
                fired = 1;
                snprintf(fired_op, sizeof(fired_op), "%s", op);
                fired_n = k;
                snprintf(fired_path, sizeof(fired_path), "%s", path);
                fired_zeros = kind == OPS_WRITE && all_zeros(buf, count);
                save_frame(fd, kind, buf, count);
                v = shim_mode == MODE_SHORT && kind == OPS_WRITE ? SHORT : FAIL;
            } else if (shim_mode == MODE_STICKY ||
                       (shim_mode == MODE_SHORT && k == shim_fail_at + 1)) {
                v = FAIL;
            }
        }
    }
    if (kind == OPS_WRITE && v != FAIL)
        note_write(fd, offset, count);
    else if (kind == OPS_SYNC && v == PASS && fd >= 0 && fd < MAX_FD)
        pend_set[fd] = 0;
    pthread_mutex_unlock(&shim_lock);
    return v;
}

ssize_t write(int fd, const void *buf, size_t count)
{
    switch (judge(fd, OPS_WRITE, "write", buf, count, -1)) {
    case FAIL:
        errno = shim_errno;
        return -1;
    case SHORT:
        if (count < 2) {
            errno = shim_errno;
            return -1;
        }
        return real_write(fd, buf, count / 2);
    default:
        return real_write(fd, buf, count);
    }
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset)
{
    switch (judge(fd, OPS_WRITE, "pwrite", buf, count, (long long)offset)) {
    case FAIL:
        errno = shim_errno;
        return -1;
    case SHORT:
        if (count < 2) {
            errno = shim_errno;
            return -1;
        }
        return real_pwrite(fd, buf, count / 2, offset);
    default:
        return real_pwrite(fd, buf, count, offset);
    }
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t offset)
{
    switch (judge(fd, OPS_WRITE, "pwrite64", buf, count, (long long)offset)) {
    case FAIL:
        errno = shim_errno;
        return -1;
    case SHORT:
        if (count < 2) {
            errno = shim_errno;
            return -1;
        }
        return real_pwrite64(fd, buf, count / 2, offset);
    default:
        return real_pwrite64(fd, buf, count, offset);
    }
}

int fsync(int fd)
{
    if (judge(fd, OPS_SYNC, "fsync", NULL, 0, 0) != PASS) {
        errno = shim_errno;
        return -1;
    }
    return real_fsync(fd);
}

int fdatasync(int fd)
{
    if (judge(fd, OPS_SYNC, "fdatasync", NULL, 0, 0) != PASS) {
        errno = shim_errno;
        return -1;
    }
    return real_fdatasync(fd);
}

__attribute__((destructor)) static void shim_destructor(void)
{
    if (shim_report == NULL || real_write == NULL)
        return;
    int fd = open(shim_report, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return;
    char line[8192];
    int len = snprintf(line, sizeof(line),
                       "writes=%ld syncs=%ld fired=%d op=%s n=%ld zeros=%d frame=%ld path=%s\n",
                       n_writes, n_syncs, fired, fired ? fired_op : "-", fired_n, fired_zeros,
                       fired_frame_len, fired ? fired_path : "-");
    if (len > 0) {
        size_t want = (size_t)len < sizeof(line) ? (size_t)len : sizeof(line) - 1;
        if (real_write(fd, line, want) < 0) {
            /* Nothing to do: the parent sees a missing or short report. */
        }
    }
    close(fd);
}
