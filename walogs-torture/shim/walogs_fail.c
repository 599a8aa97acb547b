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
 *   WALOGS_SHIM_REPORT   file that receives one line at exit:
 *                        "writes=W syncs=S fired=F op=NAME n=N path=PATH"
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
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
    shim_report = getenv("WALOGS_SHIM_REPORT");
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

/* Count one call and decide what happens to it. For writes, buf/count are the data. */
static enum verdict judge(int fd, int kind, const char *op, const void *buf, size_t count)
{
    shim_init();
    char path[4096];
    if (!in_wal_dir(fd, path, sizeof(path)))
        return PASS;
    if (kind == OPS_WRITE)
        __atomic_add_fetch(&n_writes, 1, __ATOMIC_SEQ_CST);
    else
        __atomic_add_fetch(&n_syncs, 1, __ATOMIC_SEQ_CST);
    if (!(shim_ops & kind))
        return PASS;
    long k = __atomic_add_fetch(&n_matched, 1, __ATOMIC_SEQ_CST);
    if (shim_fail_at <= 0 || k < shim_fail_at)
        return PASS;
    int hit = k == shim_fail_at;
    if (!hit) {
        if (shim_mode == MODE_STICKY || (shim_mode == MODE_SHORT && k == shim_fail_at + 1))
            return FAIL;
        return PASS;
    }
    if (!__atomic_exchange_n(&fired, 1, __ATOMIC_SEQ_CST)) {
        snprintf(fired_op, sizeof(fired_op), "%s", op);
        fired_n = k;
        snprintf(fired_path, sizeof(fired_path), "%s", path);
        fired_zeros = kind == OPS_WRITE && all_zeros(buf, count);
    }
    if (shim_mode == MODE_SHORT && kind == OPS_WRITE)
        return SHORT;
    return FAIL;
}

ssize_t write(int fd, const void *buf, size_t count)
{
    switch (judge(fd, OPS_WRITE, "write", buf, count)) {
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
    switch (judge(fd, OPS_WRITE, "pwrite", buf, count)) {
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
    switch (judge(fd, OPS_WRITE, "pwrite64", buf, count)) {
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
    if (judge(fd, OPS_SYNC, "fsync", NULL, 0) != PASS) {
        errno = shim_errno;
        return -1;
    }
    return real_fsync(fd);
}

int fdatasync(int fd)
{
    if (judge(fd, OPS_SYNC, "fdatasync", NULL, 0) != PASS) {
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
    int len = snprintf(line, sizeof(line), "writes=%ld syncs=%ld fired=%d op=%s n=%ld zeros=%d path=%s\n",
                       n_writes, n_syncs, fired, fired ? fired_op : "-", fired_n, fired_zeros,
                       fired ? fired_path : "-");
    if (len > 0) {
        size_t want = (size_t)len < sizeof(line) ? (size_t)len : sizeof(line) - 1;
        if (real_write(fd, line, want) < 0) {
            /* Nothing to do: the parent sees a missing or short report. */
        }
    }
    close(fd);
}
