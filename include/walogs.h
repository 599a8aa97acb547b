/*
 * walogs.h: the C API of walogs, a crash-safe write-ahead log.
 *
 * Link with -lwalogs (libwalogs.so, soname libwalogs.so.0, or libwalogs.a plus
 * -lpthread -ldl -lm), or use `pkg-config --cflags --libs walogs`.
 *
 * OVERVIEW
 *   walogs_open() a directory, walogs_append() byte entries (each gets an LSN: 1, 2, 3, ...
 *   dense, never reused), read them back with walogs_iter_from()/walogs_iter_next(),
 *   walogs_read() or walogs_read_range(), walogs_close() when done. An append that returned
 *   WALOGS_OK is on disk (fdatasync'd) under the default durability, and comes back byte for
 *   byte after a crash. Log control: walogs_truncate_after() drops the newest entries,
 *   walogs_purge_up_to() the oldest; walogs_set_user_data() keeps a small durable blob next
 *   to the log; walogs_wait_durable()/walogs_on_durable() tell when an entry is durable.
 *
 * ERRORS
 *   Every fallible function returns a walogs_status: WALOGS_OK (0) on success. The numbers
 *   are stable and grouped: 0-99 success, 100-199 bad argument (nothing changed), 200-299
 *   WAL state (LOCKED, POISONED, READ_ONLY, CLOSED, CORRUPT, LSN_OUT_OF_RANGE, FORKED,
 *   UNSAFE_FILE, TIMEOUT; for streams UNKNOWN_TOPIC, CONSUMER_MODE_MISMATCH, CONSUMER_IN_USE,
 *   NOT_A_STORE, STORE_FORMAT), 300-399 the OS failed (walogs_last_errno() gives errno), 900-999
 *   a bug (a caught panic). walogs_status_str() describes a status; walogs_last_error()
 *   copies the message of the last failure ON THE CALLING THREAD (function, reason,
 *   file/offset/LSN involved); after WALOGS_CORRUPT, walogs_last_damage() gives the damage
 *   as data (kind, file, offset, LSNs around it). Every pointer argument is checked: a NULL
 *   required pointer is WALOGS_NULL_ARGUMENT. Output parameters are written only on success
 *   (the single exception: walogs_read() and walogs_user_data() report the needed length
 *   with WALOGS_BUFFER_TOO_SMALL). Outputs documented as "optional" may be NULL when the
 *   caller does not want them.
 *
 * OWNERSHIP
 *   walogs_open() / walogs_close(), walogs_options_new() / walogs_options_free(),
 *   walogs_iter_from() / walogs_iter_free(), walogs_read_range() / walogs_range_free():
 *   each object is freed by its own function; the free functions accept NULL. Iterators
 *   and ranges do not borrow the walogs_wal's memory and may be freed after it is closed;
 *   but an iterator reads its WAL's log: once the WAL is shut down or closed, its next
 *   walogs_iter_next() returns WALOGS_CLOSED. A range owns copies of its entries. Strings
 *   returned by walogs_status_str() and walogs_version() are static.
 *
 * THREADS
 *   A walogs_wal is thread-safe: every function taking a walogs_wal may be called from any
 *   number of threads at once on one handle (appends from several threads share writes and
 *   fdatasyncs: group commit; each returns once its own entry is durable) -- EXCEPT
 *   walogs_close(), which must be the handle's last call, with no other call in flight.
 *   walogs_shutdown() may be called concurrently with anything else; afterwards calls
 *   return WALOGS_CLOSED. A walogs_iter and a walogs_options are not synchronized: one
 *   thread at a time each (they may move between threads); a walogs_range is immutable.
 *   walogs_on_durable() callbacks run on a notifier thread of the library (one per
 *   handle). The last-error state (walogs_last_error, walogs_last_errno,
 *   walogs_last_damage) is per thread: a caller whose code may move between OS threads
 *   (Go: runtime.LockOSThread) must stay on one OS thread from BEFORE the call that may
 *   fail until the error has been read.
 *
 * SINGLE WRITER, FORK
 *   A writable handle holds an exclusive lock on the directory (walogs.lock): a second open,
 *   from this process or another, gets WALOGS_LOCKED. After a failed write or fdatasync the
 *   handle is poisoned: every mutating call returns WALOGS_POISONED until it is reopened.
 *   A handle belongs to the process that opened it: in a child made by fork() (or by the
 *   raw fork system call, which runs no fork handler) every call on an inherited handle (or
 *   iterator) returns WALOGS_FORKED and changes nothing, and walogs_close() there only frees
 *   memory. Files walogs creates are private (0600, directories 0700) unless
 *   walogs_options_set_file_mode() says otherwise.
 *
 * STREAMS
 *   walogs_streams_open() a directory as a streams store: named topics (created by their
 *   first walogs_streams_append()), each with dense LSNs 1, 2, 3, ...; records carry data, an
 *   optional header (<= WALOGS_MAX_HEADER bytes) and a millisecond timestamp. Read them with
 *   walogs_streams_read() / walogs_streams_read_range(), find a time with
 *   walogs_streams_seek_time(), or open a persistent consumer (walogs_streams_consumer():
 *   WALOGS_CONSUMER_STRICT or WALOGS_CONSUMER_AT_LEAST_ONCE) and call walogs_consumer_next()
 *   with a timeout to tail a topic. Retention (time, size cap, consumed records) runs on
 *   walogs_streams_cleanup() or a background cleaner. A walogs_streams is thread-safe like a
 *   walogs_wal, except walogs_streams_close(), its last call; a walogs_consumer serializes
 *   its calls (use it from one thread at a time) and returns WALOGS_CLOSED once its store is
 *   closed. Records, record lists, topic and consumer lists own copies and are freed with
 *   their own functions (walogs_record_free, walogs_records_free, walogs_topics_free,
 *   walogs_consumers_free), after the store is closed too; so is a consumer
 *   (walogs_consumer_free).
 */

#ifndef WALOGS_H
#define WALOGS_H

/* Generated by cbindgen from walogs-ffi/src; do not edit. Run `make header`. */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/**
 * Major version of the walogs C API this header describes. Bumped only for an incompatible
 * ABI change, together with the soname (`libwalogs.so.0`).
 */
#define WALOGS_VERSION_MAJOR 0

/**
 * Minor version of the header: new functions or statuses, compatible.
 */
#define WALOGS_VERSION_MINOR 2

/**
 * Patch version of the header.
 */
#define WALOGS_VERSION_PATCH 0

/**
 * `MAJOR * 1000000 + MINOR * 1000 + PATCH` of the header, for `#if` checks; compare with
 * `walogs_version_number()` to detect a header/library mismatch.
 */
#define WALOGS_VERSION_NUMBER 2000

/**
 * The largest entry, in bytes: 16 MiB. Larger ones get `WALOGS_ENTRY_TOO_LARGE`.
 */
#define WALOGS_MAX_ENTRY_SIZE 16777216

/**
 * The largest atomic batch (payloads plus 4 bytes per entry plus 4), in bytes: 64 MiB.
 */
#define WALOGS_MAX_BATCH_SIZE 67108864

/**
 * The largest user data, in bytes: 64 KiB. Larger values get `WALOGS_ENTRY_TOO_LARGE`.
 */
#define WALOGS_MAX_USER_DATA 65536

/**
 * The largest record header, in bytes: 64 KiB. A longer one gets `WALOGS_ENTRY_TOO_LARGE`.
 */
#define WALOGS_MAX_HEADER 65536

/**
 * The longest topic or consumer name, in bytes of UTF-8.
 */
#define WALOGS_MAX_NAME 255

/**
 * A timestamp argument meaning "the wall clock at the append" (any negative value does).
 */
#define WALOGS_TIMESTAMP_NOW -1

/**
 * What a call did. Every fallible function returns one of these.
 *
 * The numbers are part of the ABI: they are never renumbered or reused. New failure kinds
 * get new numbers in their block: `0..=99` success, `100..=199` a bad argument (nothing was
 * changed), `200..=299` the state of the WAL (or of a streams store) refuses the call, `300..=399` the operating
 * system failed, `900..=999` a bug in walogs. A caller that meets a number it does not know
 * can still classify it by its block.
 *
 * After a failure, `walogs_last_error` gives a message saying what exactly was wrong,
 * `walogs_last_errno` the OS error number for I/O failures, and `walogs_last_damage` the
 * damage behind a `WALOGS_CORRUPT`.
 */
enum walogs_status
#ifdef __cplusplus
  : int32_t
#endif // __cplusplus
 {
  /**
   * Success.
   */
  WALOGS_OK = 0,
  /**
   * Not an error: the iterator has no more entries (`walogs_iter_next` only). No output
   * was written.
   */
  WALOGS_END = 1,
  /**
   * A required pointer argument was NULL. Nothing was changed.
   */
  WALOGS_NULL_ARGUMENT = 100,
  /**
   * An argument has a value the call cannot accept (an empty path or batch, an unknown
   * durability kind, a file mode without owner read and write, `max_entries` 0, ...).
   * Nothing was changed.
   */
  WALOGS_INVALID_ARGUMENT = 101,
  /**
   * An entry is larger than `WALOGS_MAX_ENTRY_SIZE`, an atomic batch larger than
   * `WALOGS_MAX_BATCH_SIZE`, or user data larger than `WALOGS_MAX_USER_DATA`. Nothing was
   * written.
   */
  WALOGS_ENTRY_TOO_LARGE = 102,
  /**
   * The caller's buffer is too small; the size needed was written to the length output.
   */
  WALOGS_BUFFER_TOO_SMALL = 103,
  /**
   * Another handle, in this process or another one, holds the directory's write lock.
   */
  WALOGS_LOCKED = 200,
  /**
   * An earlier write or fdatasync failed, so what is on disk is unknown: every mutating
   * call fails with this status until the WAL is closed and reopened.
   */
  WALOGS_POISONED = 201,
  /**
   * A mutating call was made on a handle opened read-only.
   */
  WALOGS_READ_ONLY = 202,
  /**
   * The handle was shut down (`walogs_shutdown`), or the WAL of an iterator was closed.
   */
  WALOGS_CLOSED = 203,
  /**
   * The directory holds damage walogs will not repair silently (the message names the
   * file and byte offset; `walogs_last_damage` gives the details as data). Opening with
   * the salvage option cuts mid-log damage in the last segment instead.
   */
  WALOGS_CORRUPT = 204,
  /**
   * An LSN outside the entries the WAL holds (purged, checkpointed or truncated away, or
   * not handed out yet).
   */
  WALOGS_LSN_OUT_OF_RANGE = 205,
  /**
   * The handle was opened by another process: this process inherited it across
   * `fork()`. Nothing was done (`walogs_close` in such a child frees the handle's memory
   * and writes nothing). Open the WAL anew in this process to use it here.
   */
  WALOGS_FORKED = 206,
  /**
   * A file inside the WAL directory is a symbolic link, a FIFO, a socket, a device or a
   * directory under a walogs file name, or a file walogs would write has other hard
   * links. Nothing was read from, written to or removed through it.
   */
  WALOGS_UNSAFE_FILE = 207,
  /**
   * `walogs_wait_durable` gave up: the entry was not durable within the timeout (it may
   * still become durable later). Nothing was changed.
   */
  WALOGS_TIMEOUT = 208,
  /**
   * Streams: a read, seek or consumer names a topic that has never been appended to.
   * Nothing was changed.
   */
  WALOGS_UNKNOWN_TOPIC = 209,
  /**
   * Streams: a consumer was opened with another mode than the one it is registered with
   * (strict vs. at-least-once). Nothing was changed; open it with its registered mode.
   */
  WALOGS_CONSUMER_MODE_MISMATCH = 210,
  /**
   * Streams: the consumer is open already in this process (not yet closed or freed).
   */
  WALOGS_CONSUMER_IN_USE = 211,
  /**
   * Streams: the directory holds a walogs log that is not a streams store. Nothing was
   * changed.
   */
  WALOGS_NOT_A_STORE = 212,
  /**
   * Streams: an entry of the store's log passed its checksum but does not decode as a
   * streams entry (a format problem, not a torn write; the message gives its log LSN).
   */
  WALOGS_STORE_FORMAT = 213,
  /**
   * The operating system reported an error; `walogs_last_errno` gives its number. A
   * failed write or fdatasync also poisons the handle.
   */
  WALOGS_IO = 300,
  /**
   * walogs panicked (a bug). The panic was caught at the boundary; the handle may be
   * used further, but closing and reopening it is the safe course. Please report it.
   */
  WALOGS_PANIC = 900,
};
#ifndef __cplusplus
typedef int32_t walogs_status;
#endif // __cplusplus

/**
 * A consumer of one topic (opaque; open with `walogs_streams_consumer`, free with
 * `walogs_consumer_free`). It delivers the topic's records in LSN order and keeps its
 * position in the store under its name.
 *
 * Calls on one consumer are serialized: use it from one thread at a time (it may move
 * between threads; a call made while another thread's call runs, e.g. a
 * `walogs_consumer_next` waiting for a record, waits for it). It keeps the store's data
 * alive: after `walogs_streams_close` its calls return `WALOGS_CLOSED` (a waiting
 * `walogs_consumer_next` returns at once) and it may still be freed.
 */
typedef struct walogs_consumer walogs_consumer;

/**
 * The consumers registered in a store when `walogs_streams_consumers` was called (opaque;
 * `walogs_consumers_len`, `walogs_consumers_get`, `walogs_consumers_free`). Immutable;
 * does not depend on the store.
 */
typedef struct walogs_consumers walogs_consumers;

/**
 * An iterator over entries in LSN order (opaque; create with `walogs_iter_from`, free with
 * `walogs_iter_free`).
 *
 * It reads a snapshot of the segment list taken when it was created, through its own file
 * handles; entries appended after its creation are not seen. It does not borrow the
 * `walogs_wal`'s memory: it may be freed after `walogs_close`. But it reads that WAL's log:
 * once the WAL is shut down or closed, its next `walogs_iter_next` returns `WALOGS_CLOSED`
 * (in a forked child `WALOGS_FORKED`), and the iteration ends.
 *
 * Concurrent log control: a `walogs_truncate_after` below its position stops it with
 * `WALOGS_LSN_OUT_OF_RANGE` at the cut (it never reads removed entries, nor entries
 * appended later under their LSNs). A `walogs_purge_up_to` past its position: an iterator
 * made with `from` 0 goes on from the new oldest entry; one made with an explicit `from`
 * stops with `WALOGS_LSN_OUT_OF_RANGE`. A segment deleted by `walogs_checkpoint` before it
 * was read: `WALOGS_IO` (errno `ENOENT`).
 *
 * Not synchronized: use one iterator from one thread at a time (it may move between
 * threads); separate iterators are independent. Memory: one 256 KiB read buffer plus the
 * largest frame read; with an explicit `from` no allocation per entry, with `from` 0 one
 * copy of each entry.
 */
typedef struct walogs_iter walogs_iter;

/**
 * Open-time settings for `walogs_open` (opaque; create with `walogs_options_new`, free with
 * `walogs_options_free`). The defaults: 64 MiB segments, `WALOGS_DURABILITY_EVERY_APPEND`,
 * writable, no salvage, preallocation on, private files (mode 0600, directories 0700).
 *
 * Every setter checks its value (the core's `WalOptions::validate`): a refused value
 * returns `WALOGS_INVALID_ARGUMENT` and leaves the options as they were.
 *
 * `walogs_open` copies what it needs, so one options object can serve any number of opens
 * and may be freed right after. Not synchronized: do not change it from one thread while
 * another uses it.
 */
typedef struct walogs_options walogs_options;

/**
 * Consecutive entries read by `walogs_read_range` (opaque; read with `walogs_range_len` and
 * `walogs_range_get`, free with `walogs_range_free`). It owns copies of the entries: it does
 * not depend on its `walogs_wal`, which may be closed first. Immutable: any number of
 * threads may read one range at once.
 */
typedef struct walogs_range walogs_range;

/**
 * One record (opaque; read its fields with `walogs_record_get`, free it with
 * `walogs_record_free`). It owns a copy of the record: it does not depend on its store,
 * which may be closed first. Immutable: any number of threads may read it at once.
 */
typedef struct walogs_record walogs_record;

/**
 * Consecutive records of one topic (opaque; `walogs_records_len`, `walogs_records_get`,
 * `walogs_records_free`). Owns copies, like `walogs_record`, all in one buffer (one
 * allocation per list, not per record); immutable.
 */
typedef struct walogs_records walogs_records;

/**
 * An open streams store (opaque): named topics with dense per-topic LSNs, records with a
 * header and a millisecond timestamp, persistent consumers, retention. One walogs log in
 * one directory: a writable store holds its lock (a second open, in this process or
 * another, gets `WALOGS_LOCKED`).
 *
 * Thread-safe: every function taking a `walogs_streams *` may be called from any number of
 * threads at once (appends to any topics share fdatasyncs), except `walogs_streams_close`,
 * which must be its last call. Consumers made from it are separate objects (see
 * `walogs_consumer`); they keep working until the store is closed, then return
 * `WALOGS_CLOSED`, and may be freed after the store.
 */
typedef struct walogs_streams walogs_streams;

/**
 * Open-time settings for `walogs_streams_open` (opaque; create with
 * `walogs_streams_options_new`, free with `walogs_streams_options_free`). The defaults:
 * every append durable (`WALOGS_DURABILITY_EVERY_APPEND`), no retention, no size cap, no
 * background cleaner, the walogs segment size, writable, private files (0600).
 *
 * The setters only record values; `walogs_streams_open` checks them together (a refused
 * value, e.g. a zero durability interval or a file mode without owner read and write, is
 * `WALOGS_INVALID_ARGUMENT` there). `walogs_streams_open` copies what it needs: one
 * options object may serve any number of opens and may be freed right after. Not
 * synchronized: do not change it from one thread while another uses it.
 */
typedef struct walogs_streams_options walogs_streams_options;

/**
 * The topics one cleanup deleted records of, by name (opaque;
 * `walogs_topic_cleanups_len`, `walogs_topic_cleanups_get`,
 * `walogs_topic_cleanups_forced`, `walogs_topic_cleanups_free`). Immutable; does not
 * depend on the store.
 */
typedef struct walogs_topic_cleanups walogs_topic_cleanups;

/**
 * The topics of a store when `walogs_streams_topics` was called, by name (opaque;
 * `walogs_topics_len`, `walogs_topics_get`, `walogs_topics_free`). Immutable; does not
 * depend on the store.
 */
typedef struct walogs_topics walogs_topics;

/**
 * An open WAL (opaque). It owns its directory: while it is open no other handle, in this
 * process or another, can open the directory for writing (`WALOGS_LOCKED`).
 *
 * Every function taking a `walogs_wal *` may be called concurrently from any number of
 * threads on one handle, except `walogs_close`, which must be the last call. Concurrent
 * appends share writes and fdatasyncs (group commit); each still returns only once its own
 * entry is durable under `WALOGS_DURABILITY_EVERY_APPEND`.
 *
 * A handle belongs to the process that opened it: in a child made by `fork()` every call on
 * the inherited handle returns `WALOGS_FORKED` and changes nothing (see `walogs_close`).
 */
typedef struct walogs_wal walogs_wal;

/**
 * What kind of damage a `WALOGS_CORRUPT` reported: one of the `WALOGS_DAMAGE_*` values.
 * The numbers are part of the ABI: never renumbered or reused.
 */
typedef uint32_t walogs_damage_kind;

/**
 * The damage behind a `WALOGS_CORRUPT`, as data, filled by `walogs_last_damage`. Read the
 * fields rather than parsing the message.
 *
 * Versioned by size: set `struct_size` to `sizeof(walogs_damage)` before the call. Later
 * versions of the library only append fields.
 */
typedef struct walogs_damage {
  /**
   * Set by the caller: `sizeof(walogs_damage)` as the caller knows it.
   */
  size_t struct_size;
  /**
   * One of the `WALOGS_DAMAGE_*` values; `WALOGS_DAMAGE_NONE` when the last failed call
   * on this thread was not `WALOGS_CORRUPT` (then every other field is 0/false/empty).
   */
  walogs_damage_kind kind;
  /**
   * Whether opening with the salvage option can cut this damage (only
   * `WALOGS_DAMAGE_MID_LOG`).
   */
  bool salvageable;
  /**
   * Whether one file is concerned; its name is then in `file`.
   */
  bool has_file;
  /**
   * The file holding the damage, a name inside the WAL directory (e.g. `wal-000003.log`,
   * `walogs.meta`), NUL-terminated; empty without `has_file`.
   */
  char file[64];
  /**
   * Whether `offset` is known.
   */
  bool has_offset;
  /**
   * With `has_offset`: byte offset of the damage in `file`; 0 otherwise.
   */
  uint64_t offset;
  /**
   * Whether `last_good_lsn` is known.
   */
  bool has_last_good_lsn;
  /**
   * With `has_last_good_lsn`: the last LSN known intact before the damage; 0 otherwise.
   */
  uint64_t last_good_lsn;
  /**
   * Whether a valid frame was found after the damage.
   */
  bool has_first_lsn_after;
  /**
   * With `has_first_lsn_after`: the LSN of the first valid frame after the damage; 0
   * otherwise.
   */
  uint64_t first_lsn_after;
  /**
   * Valid frames found after the damage in the same file (0 when none).
   */
  uint64_t frames_after;
} walogs_damage;

/**
 * When appended entries are fdatasync'd: one of the `WALOGS_DURABILITY_*` values.
 */
typedef uint32_t walogs_durability;

/**
 * A callback of `walogs_on_durable`: called once with the caller's `ctx` and `WALOGS_OK`
 * (the entry is durable) or the failure status that ended the wait.
 */
typedef void (*walogs_durable_callback)(void *ctx, walogs_status status);

/**
 * What the last open found at the end of the last segment: one of the `WALOGS_TAIL_*`
 * values.
 */
typedef uint32_t walogs_tail;

/**
 * What opening the WAL found and did, filled by `walogs_recovery_report`.
 *
 * Versioned by size: set `struct_size` to `sizeof(walogs_report)` before the call. Later
 * versions of the library only append fields, and fill only the fields that fit in the
 * `struct_size` the caller passed.
 */
typedef struct walogs_report {
  /**
   * Set by the caller: `sizeof(walogs_report)` as the caller knows it.
   */
  size_t struct_size;
  /**
   * `WALOGS_TAIL_CLEAN` or `WALOGS_TAIL_TRUNCATED`.
   */
  walogs_tail tail;
  /**
   * With `WALOGS_TAIL_TRUNCATED`, the byte offset in the last segment where the cut was
   * made; 0 otherwise.
   */
  uint64_t tail_offset;
  /**
   * Bytes cut (read-only: that would be cut) from the end of the last segment.
   */
  uint64_t bytes_truncated;
  /**
   * Segment files found (completed + active).
   */
  uint64_t segments;
  /**
   * Oldest LSN kept (equals `next_lsn` when the log is empty).
   */
  uint64_t first_lsn;
  /**
   * LSN the next append gets, as of the open.
   */
  uint64_t next_lsn;
  /**
   * With `salvaged`: byte offset of the first damaged frame.
   */
  uint64_t salvage_offset;
  /**
   * With `salvaged`: bytes cut from `salvage_offset` to the end of the file.
   */
  uint64_t salvage_bytes_cut;
  /**
   * With `salvaged`: valid frames found after the damage (and cut with it).
   */
  uint64_t salvage_valid_frames_cut;
  /**
   * With `salvaged`: LSN of the first valid frame found after the damage.
   */
  uint64_t salvage_first_lsn_cut;
  /**
   * With `salvaged`: the segment file holding the damage (NUL-terminated); empty
   * otherwise.
   */
  char salvage_file[64];
  /**
   * True when a salvaging open cut valid frames that followed mid-log damage.
   */
  bool salvaged;
  /**
   * True when this open renamed a walogs 0.1 `wal.log` to `wal-000001.log`.
   */
  bool migrated_v1;
  /**
   * True when the open was read-only: nothing on disk was changed.
   */
  bool read_only;
} walogs_report;

/**
 * What `walogs_streams_cleanup` deleted, as counts.
 *
 * Versioned by size like `walogs_report`: set `struct_size` to
 * `sizeof(walogs_cleanup_report)` before the call; later versions only append fields.
 */
typedef struct walogs_cleanup_report {
  /**
   * Set by the caller: `sizeof(walogs_cleanup_report)` as the caller knows it.
   */
  size_t struct_size;
  /**
   * Records deleted, all topics.
   */
  uint64_t records_deleted;
  /**
   * Bytes of segment files removed from the disk.
   */
  uint64_t bytes_reclaimed;
  /**
   * Segment files removed.
   */
  uint64_t segments_deleted;
  /**
   * Topics that lost records.
   */
  uint64_t topics_cleaned;
  /**
   * Strict consumers (over all topics) whose unread records the size cap deleted; each
   * resumes at its topic's new oldest record and counts what it skipped
   * (`walogs_consumer_skipped`). `walogs_streams_cleanup_topics` names them.
   */
  uint64_t strict_consumers_forced;
} walogs_cleanup_report;

/**
 * How a consumer keeps its position: one of the `WALOGS_CONSUMER_*` values.
 */
typedef uint32_t walogs_consumer_mode;

/**
 * No damage: the last failed call on this thread was not `WALOGS_CORRUPT` (or there was
 * none).
 */
#define WALOGS_DAMAGE_NONE 0

/**
 * A frame of a completed (not the newest) segment fails its checks.
 */
#define WALOGS_DAMAGE_COMPLETED_SEGMENT 1

/**
 * A bad frame in the newest segment is followed by valid frames: not a torn write. The
 * salvage option cuts it (losing the frames after it).
 */
#define WALOGS_DAMAGE_MID_LOG 2

/**
 * Consecutive frames do not carry consecutive LSNs.
 */
#define WALOGS_DAMAGE_LSN_DISCONTINUITY 3

/**
 * Segment numbers are not contiguous (a segment file is missing).
 */
#define WALOGS_DAMAGE_SEGMENT_GAP 4

/**
 * A completed segment holds no frame.
 */
#define WALOGS_DAMAGE_EMPTY_COMPLETED_SEGMENT 5

/**
 * `walogs.meta` records a seal the segments do not match (a completed segment's tail was
 * cut, or segments are missing).
 */
#define WALOGS_DAMAGE_SEAL_MISMATCH 6

/**
 * A segment starts at or below an LSN `walogs.meta` records as sealed in an older one.
 */
#define WALOGS_DAMAGE_BELOW_SEAL 7

/**
 * `walogs.meta` itself is damaged (size, magic, checksum, version, flags).
 */
#define WALOGS_DAMAGE_METADATA 8

/**
 * Both a walogs 0.1 `wal.log` and segment files exist.
 */
#define WALOGS_DAMAGE_MIXED_LAYOUT 9

/**
 * A reader found a frame that no longer matches what was verified when the WAL was opened
 * (the file changed underneath).
 */
#define WALOGS_DAMAGE_CHANGED_WHILE_READING 10

/**
 * The user data file (`walogs.user`) holds no valid value.
 */
#define WALOGS_DAMAGE_USER_DATA 11

/**
 * A kind of damage this version of the C API has no number for (the message of
 * `walogs_last_error` describes it).
 */
#define WALOGS_DAMAGE_OTHER 999

/**
 * Every append (or batch, or group-commit group) is fdatasync'd before it returns
 * `WALOGS_OK`: a power loss loses nothing acknowledged. The default.
 */
#define WALOGS_DURABILITY_EVERY_APPEND 0

/**
 * Appends return after the write; a background thread (started by a writable open, stopped
 * by `walogs_shutdown`/`walogs_close`) fdatasyncs whatever is not yet durable once per
 * interval, so an entry becomes durable within about one interval without a further
 * append. A power loss may lose about one interval of entries.
 */
#define WALOGS_DURABILITY_INTERVAL 1

/**
 * Appends return after the write; nothing is fdatasync'd until `walogs_sync` (or rotation,
 * or a clean close). A power loss may lose everything after the last sync.
 */
#define WALOGS_DURABILITY_MANUAL 2

/**
 * Like MANUAL, for callers that never sync: only rotation and a clean close sync. A power
 * loss may lose everything since the last rotation. (A crash of the process alone loses
 * nothing acknowledged under any policy.)
 */
#define WALOGS_DURABILITY_NONE 3

/**
 * The last segment ended exactly after its last valid frame.
 */
#define WALOGS_TAIL_CLEAN 0

/**
 * A torn final write (or a zero-filled preallocated tail left by a crash) started at the
 * reported byte offset of the last segment; a writable open cut the file there (and
 * synced) before accepting writes, a read-only open only reports it.
 */
#define WALOGS_TAIL_TRUNCATED 1

/**
 * The position is durable before a record is handed out: a record returned by
 * `walogs_consumer_next` is never returned again to this consumer, even after a crash.
 * Costs one durable log entry (a shared fdatasync) per next / next-batch call.
 */
#define WALOGS_CONSUMER_STRICT 0

/**
 * The position is persisted every `persist_every` delivered records and on
 * `walogs_consumer_commit` / `walogs_consumer_close`: after a crash the consumer resumes
 * at most `persist_every` records back, and never skips one.
 */
#define WALOGS_CONSUMER_AT_LEAST_ONCE 1

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * A static, NUL-terminated English description of `status` (never NULL; "unknown status"
 * for a number this library does not define). Never fails, never allocates, thread-safe;
 * the string lives as long as the library is loaded.
 */
const char *walogs_status_str(int32_t status);

/**
 * Copy the message of the last failed call on this thread into `buf`.
 *
 * The message names the function, what was wrong, and for WAL errors the file, offset or
 * LSN involved. It is kept until the next failing call on the same thread (successful calls
 * leave it alone); a thread that never saw a failure gets an empty string.
 *
 * `buf` receives up to `cap - 1` bytes of the message plus a terminating NUL (like
 * `snprintf`): a message that does not fit is cut, still NUL-terminated. `buf` may be NULL
 * only when `cap` is 0 (to ask for the length). `len_out` (optional, may be NULL) receives
 * the full length of the message in bytes, without the NUL.
 *
 * Returns `WALOGS_OK` when the whole message fit, `WALOGS_BUFFER_TOO_SMALL` when it was cut
 * (or `cap` was 0), `WALOGS_NULL_ARGUMENT` when `buf` is NULL with `cap > 0`. This call
 * never changes the last error itself. Cost: one copy of the message.
 *
 * Thread-local: call it on the thread that made the failing call (in Go, lock the goroutine
 * to its OS thread before the call that may fail and keep it locked until the error is
 * read).
 *
 * # Safety
 * `buf`, when not NULL, must be valid for writes of `cap` bytes; `len_out`, when not NULL,
 * must be valid for a write.
 */
walogs_status walogs_last_error(char *buf, size_t cap, size_t *len_out);

/**
 * The OS error number (`errno` value, e.g. `ENOSPC`) of the last failed call on this
 * thread when it failed with `WALOGS_IO`; 0 when it had none (a non-I/O failure, or no
 * failure yet). Kept until the next failing call on this thread. Never fails, costs
 * nothing. The numbers are walogs' one errno table (the same the Rust, Python and Go
 * surfaces report).
 */
int walogs_last_errno(void);

/**
 * Fill `*out` with the damage behind the last failed call on this thread, when it failed
 * with `WALOGS_CORRUPT`: kind, file, offset, the LSNs around it, whether salvage can cut it.
 * When the last failure was anything else (or there was none) `out->kind` is
 * `WALOGS_DAMAGE_NONE` and the other fields are 0/false/empty. The damage is kept until
 * the next failing call on this thread, like `walogs_last_error`.
 *
 * `out->struct_size` must be at least `sizeof(walogs_damage)` of this version, else
 * `WALOGS_INVALID_ARGUMENT`; `struct_size` itself is left as the caller set it. A NULL
 * `out` is `WALOGS_NULL_ARGUMENT`. Like `walogs_last_error`, this call never changes the
 * last error (so its own refusals leave no message). Cost: one copy.
 *
 * Thread-local: call it on the thread that made the failing call (for a callback of
 * `walogs_on_durable`, inside the callback).
 *
 * # Safety
 * `out` NULL or valid for reads and writes of `out->struct_size` bytes.
 */
walogs_status walogs_last_damage(struct walogs_damage *out);

/**
 * The version of the loaded library as a static NUL-terminated string, e.g. `"0.2.0"`.
 * Never NULL, never fails, costs nothing.
 */
const char *walogs_version(void);

/**
 * The version of the loaded library as `MAJOR * 1000000 + MINOR * 1000 + PATCH` (compare
 * with `WALOGS_VERSION_NUMBER` from the header). Never fails, costs nothing.
 */
uint32_t walogs_version_number(void);

/**
 * Create an options object holding the defaults; `*out` receives it. Free it with
 * `walogs_options_free`. Cost: one small allocation.
 *
 * # Safety
 * `out` must be NULL or valid for a write.
 */
walogs_status walogs_options_new(struct walogs_options **out);

/**
 * Free an options object. NULL is a no-op. Handles opened with it are not affected.
 *
 * # Safety
 * `opts` must be NULL or a pointer from `walogs_options_new` not yet freed.
 */
void walogs_options_free(struct walogs_options *opts);

/**
 * Rotate to a new segment before an append that would grow the active one past `size`
 * bytes; 0 means never rotate automatically. Default 64 MiB. A single frame larger than
 * `size` still goes into a segment of its own.
 *
 * # Safety
 * `opts` must be NULL or a live pointer from `walogs_options_new`.
 */
walogs_status walogs_options_set_max_segment_size(struct walogs_options *opts, uint64_t size);

/**
 * Choose when appends are fdatasync'd: `kind` is one of the `WALOGS_DURABILITY_*` values;
 * `interval_ms` (at least 1) is used only with `WALOGS_DURABILITY_INTERVAL` and ignored
 * otherwise. An unknown kind or a zero interval is `WALOGS_INVALID_ARGUMENT`.
 * `WALOGS_DURABILITY_INTERVAL` starts one background thread per open handle.
 *
 * # Safety
 * `opts` must be NULL or a live pointer from `walogs_options_new`.
 */
walogs_status walogs_options_set_durability(struct walogs_options *opts,
                                            walogs_durability kind,
                                            uint64_t interval_ms);

/**
 * Open read-only: no write lock, nothing on disk changed (no directory creation, no
 * truncation of a torn tail, no migration); the recovery report says what a writable open
 * would do. Every mutating call on such a handle returns `WALOGS_READ_ONLY`. Default false.
 *
 * # Safety
 * `opts` must be NULL or a live pointer from `walogs_options_new`.
 */
walogs_status walogs_options_set_read_only(struct walogs_options *opts, bool read_only);

/**
 * When the last segment has mid-log damage (a bad frame followed by valid ones), cut it at
 * the damage instead of failing with `WALOGS_CORRUPT`. The valid frames after the damage
 * are lost; the recovery report's `salvage_*` fields say what was cut. Default false.
 *
 * # Safety
 * `opts` must be NULL or a live pointer from `walogs_options_new`.
 */
walogs_status walogs_options_set_salvage(struct walogs_options *opts, bool salvage);

/**
 * Preallocate the active segment in 1 MiB steps (`fallocate` and zeros) so that the
 * fdatasync of most appends commits no block allocation; the zero tail is cut on rotation
 * and clean close. Applies under `WALOGS_DURABILITY_EVERY_APPEND` only: under the relaxed
 * policies appends extend the file (cheaper for the kernel when few appends are synced). A
 * failed preallocation is not an error: the frame is written into unallocated space, and
 * only a write that really finds the disk full fails. Default true.
 *
 * # Safety
 * `opts` must be NULL or a live pointer from `walogs_options_new`.
 */
walogs_status walogs_options_set_preallocate(struct walogs_options *opts, bool preallocate);

/**
 * Permission bits of the files walogs creates (segments, `walogs.meta`, `walogs.lock`,
 * `walogs.user`), applied exactly: the process umask neither narrows nor widens them. A
 * directory walogs creates gets search permission wherever read is granted (0640 gives
 * directories 0750). Default 0600 (directories 0700). `mode` must grant the owner read and
 * write (0600) and hold nothing beyond 0777, else `WALOGS_INVALID_ARGUMENT` and the options
 * keep their mode. Existing files keep their permissions.
 *
 * # Safety
 * `opts` must be NULL or a live pointer from `walogs_options_new`.
 */
walogs_status walogs_options_set_file_mode(struct walogs_options *opts, uint32_t mode);

/**
 * Open or create the WAL in directory `dir` (a NUL-terminated path; any bytes but NUL,
 * UTF-8 not required). `opts` may be NULL for the defaults; it is not consumed. On success
 * `*out` receives the handle, to be released with `walogs_close`.
 *
 * A writable open creates `dir` (and missing parents, mode 0700 by default), takes the
 * directory's write lock, verifies every frame of every segment, truncates a torn final
 * write, and fdatasyncs: it costs a read of the whole log. `dir` is resolved once, here: a
 * relative path names a directory under the working directory of this call, and the
 * handle keeps using that directory after a `chdir`. Files inside are never followed
 * through symbolic links.
 *
 * Returns `WALOGS_LOCKED` when another handle holds the directory, `WALOGS_CORRUPT` for
 * damage that is not a torn final write (see the salvage option; `walogs_last_damage`
 * says what and where), `WALOGS_UNSAFE_FILE` when a walogs file name in the directory is
 * a symbolic link, FIFO, socket, device or directory, or a file walogs would write has
 * other hard links (nothing is touched), `WALOGS_IO` for OS errors (a missing directory
 * opened read-only is `WALOGS_IO` with errno `ENOENT`; the message names the file),
 * `WALOGS_INVALID_ARGUMENT` for an empty path.
 *
 * # Safety
 * `dir` must be NULL or a NUL-terminated string; `opts` NULL or a live options object;
 * `out` NULL or valid for a write.
 */
walogs_status walogs_open(const char *dir,
                          const struct walogs_options *opts,
                          struct walogs_wal **out);

/**
 * Shut the WAL down without freeing the handle: stop the INTERVAL flusher, write what
 * concurrent appends queued, cut the preallocated tail, fdatasync, release the directory
 * lock, then run every `walogs_on_durable` callback still pending (with `WALOGS_OK` for
 * the entries durable by then) and stop the notifier thread. Afterwards every call on the
 * handle, getters included, returns `WALOGS_CLOSED` (and iterators made from it return
 * `WALOGS_CLOSED` at their next `walogs_iter_next`) until `walogs_close` frees it.
 *
 * Unlike `walogs_close`, this may be called while other threads use the handle (they get
 * `WALOGS_CLOSED` from then on), from a `walogs_on_durable` callback, and more than once
 * (later calls return `WALOGS_OK`). Returns the error of the final write or fdatasync, if
 * any (`WALOGS_IO`); the lock is released either way. In a forked child: `WALOGS_FORKED`,
 * nothing done. Cost: one fdatasync.
 *
 * # Safety
 * `wal` must be NULL or a live handle from `walogs_open`.
 */
walogs_status walogs_shutdown(struct walogs_wal *wal);

/**
 * Close the WAL and free the handle. NULL is a no-op returning `WALOGS_OK`.
 *
 * Does what `walogs_shutdown` does (if it was not done already), then frees the handle,
 * which is gone even when the status is an error: the status only reports whether the
 * final write or fdatasync failed (`WALOGS_IO`; entries acknowledged earlier are durable
 * anyway under `WALOGS_DURABILITY_EVERY_APPEND`). When it returns, every callback
 * registered with `walogs_on_durable` has run. Must not be called while another thread
 * uses the handle, nor twice on the same pointer, nor from a `walogs_on_durable` callback
 * of this handle. Iterators created from the handle may still be freed (their next
 * `walogs_iter_next` returns `WALOGS_CLOSED`). Cost: one fdatasync.
 *
 * In a process that inherited the handle across `fork()`: frees the handle's memory and
 * releases its copies of the descriptors, writes, truncates and syncs nothing (the
 * parent's log and lock are untouched), and returns `WALOGS_FORKED`.
 *
 * # Safety
 * `wal` must be NULL or a handle from `walogs_open` not yet closed, used by no other thread.
 */
walogs_status walogs_close(struct walogs_wal *wal);

/**
 * Append one entry of `len` bytes at `data` (NULL allowed when `len` is 0); `*lsn_out`
 * (optional, may be NULL) receives its LSN.
 *
 * Under `WALOGS_DURABILITY_EVERY_APPEND` the entry is written and fdatasync'd before this
 * returns `WALOGS_OK`; appends from several threads at once share one write and one
 * fdatasync (group commit). The bytes are copied; `data` may be reused at once.
 * `WALOGS_ENTRY_TOO_LARGE` over `WALOGS_MAX_ENTRY_SIZE` (nothing written),
 * `WALOGS_READ_ONLY`, `WALOGS_POISONED` after an earlier write/sync failure, `WALOGS_IO`
 * when this write or sync fails (which poisons the handle), `WALOGS_CLOSED`.
 *
 * # Safety
 * `wal` NULL or a live handle; `data` NULL or valid for `len` bytes; `lsn_out` NULL or
 * valid for a write.
 */
walogs_status walogs_append(struct walogs_wal *wal,
                            const uint8_t *data,
                            size_t len,
                            uint64_t *lsn_out);

/**
 * Append `n` entries (entry `i` is `lens[i]` bytes at `datas[i]`, which may be NULL when
 * `lens[i]` is 0) with consecutive LSNs; `*first_out` and `*last_out` (optional, may be
 * NULL) receive the first and last.
 *
 * `atomic` true: one unit (a frame per entry, each with its own CRC), one write, one
 * fdatasync; after a crash either every entry is in the log or none is. The total
 * (payloads + 4 bytes per entry + 4) must fit `WALOGS_MAX_BATCH_SIZE`, else
 * `WALOGS_ENTRY_TOO_LARGE` and nothing is written. Multi-entry units are a format extension
 * walogs 0.1 cannot read. `walogs_truncate_after` may later cut inside a batch.
 *
 * `atomic` false: any number and total size, written as few units as possible (each one
 * write + one fdatasync). Not atomic as a whole: if a unit fails, the units before it stay
 * in the log and the error is returned; after a crash a prefix may survive.
 *
 * `n` of 0 is `WALOGS_INVALID_ARGUMENT`; an entry over `WALOGS_MAX_ENTRY_SIZE` is
 * `WALOGS_ENTRY_TOO_LARGE` before anything is written. Other statuses as `walogs_append`.
 *
 * # Safety
 * `wal` NULL or a live handle; `datas` and `lens` NULL or valid for `n` reads; each
 * `datas[i]` NULL or valid for `lens[i]` bytes; `first_out`/`last_out` NULL or valid for a
 * write.
 */
walogs_status walogs_append_batch(struct walogs_wal *wal,
                                  const uint8_t *const *datas,
                                  const size_t *lens,
                                  size_t n,
                                  bool atomic,
                                  uint64_t *first_out,
                                  uint64_t *last_out);

/**
 * Make every appended entry durable (one fdatasync if anything is pending); `*durable_out`
 * (optional, may be NULL) receives the durable LSN. Needed only under the INTERVAL, MANUAL
 * and NONE durability policies. A failed fdatasync is `WALOGS_IO` and poisons the handle;
 * a read-only handle gets `WALOGS_READ_ONLY`.
 *
 * # Safety
 * `wal` NULL or a live handle; `durable_out` NULL or valid for a write.
 */
walogs_status walogs_sync(struct walogs_wal *wal, uint64_t *durable_out);

/**
 * Read up to `max_entries` consecutive entries from `from`, stopping before their total
 * payload would exceed `max_bytes` -- but at least one entry when `from` holds one, even
 * if it alone exceeds `max_bytes`. `*out` receives the range (free it with
 * `walogs_range_free`). `from` equal to the next LSN gives an empty range; outside
 * first..=next LSN (`from` 0 too: start at `walogs_first_lsn`) it is
 * `WALOGS_LSN_OUT_OF_RANGE`; `max_entries` 0 is
 * `WALOGS_INVALID_ARGUMENT`. Works on read-only and poisoned handles; never waits for an
 * append's I/O. Cost: the index lookup, then sequential reads and one copy of each entry
 * (memory: the entries plus one read buffer).
 *
 * # Safety
 * `wal` NULL or a live handle; `out` NULL or valid for a write.
 */
walogs_status walogs_read_range(const struct walogs_wal *wal,
                                uint64_t from,
                                size_t max_entries,
                                size_t max_bytes,
                                struct walogs_range **out);

/**
 * `*out` = how many entries `range` holds (0 for an empty range). Their LSNs are
 * consecutive: entry `i` has the LSN of entry 0 plus `i`.
 *
 * # Safety
 * `range` NULL or a live range; `out` NULL or valid for a write.
 */
walogs_status walogs_range_len(const struct walogs_range *range, size_t *out);

/**
 * Entry `index` (0-based) of `range`: `*lsn_out` receives its LSN, `*data_out` a pointer to
 * its bytes, `*len_out` their count (all three required). The bytes belong to the range:
 * valid and unchanged until `walogs_range_free`, not to be freed or written. For an empty
 * entry `*len_out` is 0 and `*data_out` a non-NULL pointer not to be read. An `index` at or
 * past `walogs_range_len` is `WALOGS_INVALID_ARGUMENT` (nothing written).
 *
 * # Safety
 * `range` NULL or a live range; the outputs NULL or valid for a write.
 */
walogs_status walogs_range_get(const struct walogs_range *range,
                               size_t index,
                               uint64_t *lsn_out,
                               const uint8_t **data_out,
                               size_t *len_out);

/**
 * Free a range and the bytes it lent. NULL is a no-op.
 *
 * # Safety
 * `range` must be NULL or a pointer from `walogs_read_range` not yet freed, with no other
 * thread reading it.
 */
void walogs_range_free(struct walogs_range *range);

/**
 * Read entry `lsn` into `buf` (`cap` bytes; `buf` may be NULL when `cap` is 0);
 * `*len_out` (required) receives its length.
 *
 * When the entry is longer than `cap`, returns `WALOGS_BUFFER_TOO_SMALL`, writes the length
 * needed to `*len_out` (the one output written on a failure) and leaves `buf` untouched:
 * call again with a buffer that large. `WALOGS_LSN_OUT_OF_RANGE` when `lsn` was purged,
 * checkpointed or truncated away or not written yet, `WALOGS_CORRUPT` if the file changed
 * under the WAL. Works on read-only and poisoned handles. Cost: one open and reads of at
 * most ~64 KiB plus the entry; the lookup briefly holds a read lock of the segment list.
 *
 * # Safety
 * `wal` NULL or a live handle; `buf` NULL or valid for writes of `cap` bytes; `len_out`
 * NULL or valid for a write.
 */
walogs_status walogs_read(const struct walogs_wal *wal,
                          uint64_t lsn,
                          uint8_t *buf,
                          size_t cap,
                          size_t *len_out);

/**
 * Create an iterator starting at `from` (inclusive); `from` 0 means the oldest entry kept
 * (and keeps meaning it: a concurrent purge never makes such an iterator fail). `from` may
 * equal the next LSN (an iterator with no entries); outside the entries kept it is
 * `WALOGS_LSN_OUT_OF_RANGE`. Uses the sparse index: no scan from the start. `*out`
 * receives the iterator. Works on read-only and poisoned handles.
 *
 * # Safety
 * `wal` NULL or a live handle; `out` NULL or valid for a write.
 */
walogs_status walogs_iter_from(const struct walogs_wal *wal,
                               uint64_t from,
                               struct walogs_iter **out);

/**
 * Advance to the next entry. On `WALOGS_OK`, `*lsn_out` receives its LSN, `*data_out` a
 * pointer to its bytes and `*len_out` their count (all three required). The bytes belong to
 * the iterator: they stay valid and unchanged until the next `walogs_iter_next` or
 * `walogs_iter_free` on this iterator, and must not be freed or written. For an empty entry
 * `*len_out` is 0 and `*data_out` is a non-NULL pointer not to be read.
 *
 * Returns `WALOGS_END` (not an error; nothing written) when there are no more entries. On an
 * error the iteration ends (later calls return `WALOGS_END`): `WALOGS_CLOSED` once the WAL
 * was shut down or closed, `WALOGS_FORKED` in a forked child, `WALOGS_LSN_OUT_OF_RANGE` at
 * a truncation (or, for an explicit `from`, a purge) made after the iterator, `WALOGS_CORRUPT`
 * when a file was damaged after open (`walogs_last_damage` says where), `WALOGS_IO` when a
 * segment was removed by a checkpoint or unreadable.
 *
 * # Safety
 * `it` NULL or a live iterator not used concurrently; the outputs NULL or valid for a write.
 */
walogs_status walogs_iter_next(struct walogs_iter *it,
                               uint64_t *lsn_out,
                               const uint8_t **data_out,
                               size_t *len_out);

/**
 * Free an iterator (and the bytes it lent). NULL is a no-op.
 *
 * # Safety
 * `it` must be NULL or a pointer from `walogs_iter_from` not yet freed, not in use by
 * another thread.
 */
void walogs_iter_free(struct walogs_iter *it);

/**
 * Seal the active segment and start the next one; a no-op when the active segment is
 * empty. Waits for appends already queued. Cost: one fdatasync, a metadata file update
 * (write + fdatasync + rename), a create and a directory fsync.
 *
 * # Safety
 * `wal` NULL or a live handle.
 */
walogs_status walogs_rotate(struct walogs_wal *wal);

/**
 * Delete, oldest first, every completed segment whose entries all have
 * `lsn <= applied_up_to`; never the active segment. `*deleted_out` (optional, may be NULL)
 * receives how many were deleted. `applied_up_to` 0 deletes nothing. LSNs are never reused
 * afterwards, even when every completed segment is gone. Whole segments only: to make
 * entries unreadable up to an exact LSN, use `walogs_purge_up_to`. Cost: one unlink and one
 * directory fsync per segment.
 *
 * # Safety
 * `wal` NULL or a live handle; `deleted_out` NULL or valid for a write.
 */
walogs_status walogs_checkpoint(struct walogs_wal *wal,
                                uint64_t applied_up_to,
                                size_t *deleted_out);

/**
 * Remove every entry after `keep_up_to`, durably; the next append gets `keep_up_to + 1`.
 * Works at any LSN of the log, also inside an atomic batch, a non-atomic batch or a write
 * that group commit made for several concurrent appends (a batch is atomic against a
 * crash during its append; it can be cut later on request). `*removed_out` (optional, may
 * be NULL) receives how many entries were removed (0 when `keep_up_to` is at or past the
 * newest). Below the oldest kept entry (e.g. below the purge floor) it is
 * `WALOGS_LSN_OUT_OF_RANGE`. A crash at any point leaves the old or the new log.
 *
 * Waiters (`walogs_wait_durable`) and callbacks (`walogs_on_durable`) for removed LSNs end
 * with `WALOGS_LSN_OUT_OF_RANGE`; an iterator made before the truncation stops with
 * `WALOGS_LSN_OUT_OF_RANGE` when it reaches the cut. Only the batch frames written by
 * earlier walogs 0.2 builds cannot be cut inside: `WALOGS_INVALID_ARGUMENT`, the message
 * names their bounds.
 *
 * Cost: a truncate + fdatasync; a cut inside a multi-entry write first records it in
 * `walogs.meta` (write + fdatasync + rename + directory fsync); each removed segment an
 * unlink + directory fsync.
 *
 * # Safety
 * `wal` NULL or a live handle; `removed_out` NULL or valid for a write.
 */
walogs_status walogs_truncate_after(struct walogs_wal *wal,
                                    uint64_t keep_up_to,
                                    uint64_t *removed_out);

/**
 * Purge every entry up to and including `up_to`: at once and for good (also after a reopen
 * or a crash at any point) the oldest entry is `up_to + 1`; reading, iterating or
 * truncating below it is `WALOGS_LSN_OUT_OF_RANGE`; segment files wholly at or below it
 * are deleted. `up_to` may be at or past the end of the log: the log is then empty and the
 * next append gets `up_to + 1` (how a Raft log restarts after installing a snapshot at
 * `up_to`). Below the current floor (`walogs_purged_up_to`) it does nothing; LSNs are never
 * reused and the next LSN never moves backwards. `*segments_deleted` (optional, may be
 * NULL) receives how many segment files were deleted.
 *
 * Cost: the metadata file (write + fdatasync + rename + directory fsync), a rotation when
 * the active segment holds only purged entries, one unlink and one directory fsync per
 * deleted segment.
 *
 * # Safety
 * `wal` NULL or a live handle; `segments_deleted` NULL or valid for a write.
 */
walogs_status walogs_purge_up_to(struct walogs_wal *wal, uint64_t up_to, size_t *segments_deleted);

/**
 * Replace the durable user data with the `len` bytes at `data` (NULL allowed when `len` is
 * 0): a blob of up to `WALOGS_MAX_USER_DATA` bytes kept next to the log, replaced
 * atomically (after a crash it is the old or the new value, never a mix) and durable when
 * this returns `WALOGS_OK`. Every entry appended before the call is made durable first, so
 * (say) a Raft vote is never durable ahead of the log it covers. The bytes are copied.
 *
 * Over `WALOGS_MAX_USER_DATA`: `WALOGS_ENTRY_TOO_LARGE`, nothing changed.
 * `WALOGS_READ_ONLY`, `WALOGS_POISONED`, `WALOGS_CLOSED`, `WALOGS_FORKED` as for appends;
 * `WALOGS_IO` when a write or fdatasync fails (which poisons the handle). Cost: an
 * fdatasync of the log if anything is pending, one write + one fdatasync of `walogs.user`
 * (its first write also creates it).
 *
 * # Safety
 * `wal` NULL or a live handle; `data` NULL or valid for reads of `len` bytes.
 */
walogs_status walogs_set_user_data(struct walogs_wal *wal, const uint8_t *data, size_t len);

/**
 * Copy the durable user data into `buf` (`cap` bytes; `buf` may be NULL when `cap` is 0);
 * `*len_out` (required) receives its length. Empty (length 0) before the first
 * `walogs_set_user_data`; kept across reopens; readable by read-only handles (the value as
 * of their open).
 *
 * When the value is longer than `cap`, returns `WALOGS_BUFFER_TOO_SMALL`, writes the length
 * needed to `*len_out` (the one output written on a failure) and leaves `buf` untouched:
 * call again with a buffer that large (at most `WALOGS_MAX_USER_DATA` is always enough).
 * Cost: one copy.
 *
 * # Safety
 * `wal` NULL or a live handle; `buf` NULL or valid for writes of `cap` bytes; `len_out`
 * NULL or valid for a write.
 */
walogs_status walogs_user_data(const struct walogs_wal *wal,
                               uint8_t *buf,
                               size_t cap,
                               size_t *len_out);

/**
 * Block until entry `lsn` is durable (fdatasync'd): `WALOGS_OK`. `timeout_ms` below 0
 * waits without limit; 0 only looks. Works from any number of threads at once.
 *
 * `WALOGS_TIMEOUT` when the entry was not durable within `timeout_ms` (it may still become
 * durable later); `WALOGS_POISONED` with the error that poisoned the handle, before or
 * during the wait; `WALOGS_CLOSED` when the handle is shut down first (an entry the
 * shutdown itself made durable is `WALOGS_OK`); `WALOGS_LSN_OUT_OF_RANGE` for an LSN never
 * handed out, or truncated away during the wait. `lsn` 0 is durable at once. Under the
 * relaxed policies an entry becomes durable by `walogs_sync`, a rotation, the INTERVAL
 * flusher or the shutdown.
 *
 * Cost: nothing when the entry is already durable; otherwise the calling thread sleeps on a
 * condition variable (a Go caller blocks an OS thread for that long).
 *
 * # Safety
 * `wal` NULL or a live handle.
 */
walogs_status walogs_wait_durable(const struct walogs_wal *wal, uint64_t lsn, int64_t timeout_ms);

/**
 * Call `cb(ctx, status)` once entry `lsn` is durable, with `WALOGS_OK`, or with the failure
 * status that ends the wait (`WALOGS_POISONED`, `WALOGS_CLOSED` for an entry the shutdown
 * could not make durable, `WALOGS_LSN_OUT_OF_RANGE` when it was truncated away). Returns
 * at once.
 *
 * Where it runs: on the handle's notifier thread (started by the first `walogs_on_durable`
 * of the handle; `walogs_shutdown`/`walogs_close` run every callback still pending and
 * stop it), never on the calling thread, never with a walogs lock held. (Only if the OS
 * refuses to start that thread does the callback run on the calling thread, before this
 * returns.) Callbacks of one handle run one after another on that one thread: keep them
 * short. For a failure status, `walogs_last_error`, `walogs_last_errno` and
 * `walogs_last_damage` called inside the callback (on the notifier thread) describe it.
 * An entry already durable is reported the same way, on the notifier thread.
 *
 * A callback may call walogs functions, on this handle too (append, read, sync, even
 * `walogs_shutdown`), except `walogs_close` of this handle. It must return normally (no
 * `longjmp` out of it, no C++ exception through it).
 *
 * `ctx` is handed back untouched (walogs never reads it). When this returns `WALOGS_OK`,
 * `cb` is called exactly once, at the latest before `walogs_shutdown`/`walogs_close` of
 * the handle returns: `ctx` must stay valid until then (the callback may free it). When
 * this returns a failure, `cb` is never called. Failures: `WALOGS_NULL_ARGUMENT` for a
 * NULL `wal` or `cb`, `WALOGS_LSN_OUT_OF_RANGE` for an LSN never handed out,
 * `WALOGS_CLOSED`, `WALOGS_FORKED` (a callback registered in the parent before a `fork`
 * never runs in the child). `lsn` 0 is durable at once. Cost: one small allocation per
 * callback; the first call starts a thread.
 *
 * # Safety
 * `wal` NULL or a live handle; `cb` NULL or a function safe to call with `ctx` from
 * another thread.
 */
walogs_status walogs_on_durable(const struct walogs_wal *wal,
                                uint64_t lsn,
                                walogs_durable_callback cb,
                                void *ctx);

/**
 * `*out` = the LSN the next append will get (appends racing with this call may take it).
 * Costs a short lock. Like every getter: `WALOGS_CLOSED` after `walogs_shutdown`,
 * `WALOGS_FORKED` in a forked child.
 *
 * # Safety
 * `wal` NULL or a live handle; `out` NULL or valid for a write.
 */
walogs_status walogs_next_lsn(const struct walogs_wal *wal, uint64_t *out);

/**
 * `*out` = the oldest LSN still in the log (the next LSN when the log is empty): past the
 * purge floor and the checkpointed segments. Costs a short lock.
 *
 * # Safety
 * `wal` NULL or a live handle; `out` NULL or valid for a write.
 */
walogs_status walogs_first_lsn(const struct walogs_wal *wal, uint64_t *out);

/**
 * `*out` = the highest LSN known to be durable on disk (0: none). Under
 * `WALOGS_DURABILITY_EVERY_APPEND` every acknowledged entry is at or below it. Lock-free.
 *
 * # Safety
 * `wal` NULL or a live handle; `out` NULL or valid for a write.
 */
walogs_status walogs_durable_lsn(const struct walogs_wal *wal, uint64_t *out);

/**
 * `*out` = the purge floor: every LSN at or below it was removed by `walogs_purge_up_to`
 * (0: nothing purged). Lock-free.
 *
 * # Safety
 * `wal` NULL or a live handle; `out` NULL or valid for a write.
 */
walogs_status walogs_purged_up_to(const struct walogs_wal *wal, uint64_t *out);

/**
 * `*out` = the number of segment files in use (completed + active). Costs a short lock.
 *
 * # Safety
 * `wal` NULL or a live handle; `out` NULL or valid for a write.
 */
walogs_status walogs_segment_count(const struct walogs_wal *wal, size_t *out);

/**
 * `*out` = whether an earlier failed write or fdatasync poisoned the handle (every mutating
 * call then returns `WALOGS_POISONED` until the WAL is reopened).
 *
 * # Safety
 * `wal` NULL or a live handle; `out` NULL or valid for a write.
 */
walogs_status walogs_is_poisoned(const struct walogs_wal *wal, bool *out);

/**
 * `*out` = whether the handle was opened read-only.
 *
 * # Safety
 * `wal` NULL or a live handle; `out` NULL or valid for a write.
 */
walogs_status walogs_is_read_only(const struct walogs_wal *wal, bool *out);

/**
 * Fill `*out` with what the open of this handle found and did (tail, truncation, salvage,
 * migration). `out->struct_size` must be at least `sizeof(walogs_report)` of this version,
 * else `WALOGS_INVALID_ARGUMENT`; `struct_size` itself is left as the caller set it.
 * `WALOGS_CLOSED` after `walogs_shutdown`, `WALOGS_FORKED` in a forked child.
 *
 * # Safety
 * `wal` NULL or a live handle; `out` NULL or valid for reads and writes of
 * `out->struct_size` bytes.
 */
walogs_status walogs_recovery_report(const struct walogs_wal *wal, struct walogs_report *out);

/**
 * What the open found at the end of the last segment: `*kind_out` receives
 * `WALOGS_TAIL_CLEAN` or `WALOGS_TAIL_TRUNCATED`, `*offset_out` the byte offset of the cut
 * (0 when clean). Both required. `WALOGS_CLOSED` after `walogs_shutdown`, `WALOGS_FORKED`
 * in a forked child.
 *
 * # Safety
 * `wal` NULL or a live handle; the outputs NULL or valid for a write.
 */
walogs_status walogs_tail_state(const struct walogs_wal *wal,
                                walogs_tail *kind_out,
                                uint64_t *offset_out);

/**
 * Run retention now (time, size cap, consumed records, as the options say) and fill
 * `*report` (optional; when given, `report->struct_size` must be at least
 * `sizeof(walogs_cleanup_report)`, else `WALOGS_INVALID_ARGUMENT` and nothing is done).
 * `WALOGS_READ_ONLY` on a read-only store. Cost: deleting records writes a durable log
 * entry per topic cleaned and removes the segment files nothing live is in any more.
 * `walogs_streams_cleanup_topics` does the same and also says what each topic lost.
 *
 * # Safety
 * `streams` NULL or a live store; `report` NULL or valid for reads and writes of
 * `report->struct_size` bytes.
 */
walogs_status walogs_streams_cleanup(const struct walogs_streams *streams,
                                     struct walogs_cleanup_report *report);

/**
 * `walogs_streams_cleanup`, also giving the topics it deleted records of: `*topics_out`
 * receives the list (required; free it with `walogs_topic_cleanups_free`; empty when
 * nothing was deleted), `*report` the counts as `walogs_streams_cleanup` gives them
 * (optional, same `struct_size` rule). Same failures and cost, plus a copy of the names.
 *
 * # Safety
 * `streams` NULL or a live store; `report` NULL or valid for reads and writes of
 * `report->struct_size` bytes; `topics_out` NULL or valid for a write.
 */
walogs_status walogs_streams_cleanup_topics(const struct walogs_streams *streams,
                                            struct walogs_cleanup_report *report,
                                            struct walogs_topic_cleanups **topics_out);

/**
 * `*out` = how many topics `topics` holds.
 *
 * # Safety
 * `topics` NULL or a live list; `out` NULL or valid for a write.
 */
walogs_status walogs_topic_cleanups_len(const struct walogs_topic_cleanups *topics, size_t *out);

/**
 * Topic `index` (0-based, by name) of `topics`, each output optional: `*topic_out` its
 * NUL-terminated name (owned by the list, valid until `walogs_topic_cleanups_free`),
 * `*records_deleted_out` the records the cleanup deleted of it (by time, by the size cap
 * or as read by every consumer), `*first_out` its oldest LSN afterwards, `*forced_out`
 * how many strict consumers the size cap forced past records they had not read
 * (`walogs_topic_cleanups_forced` names them). An `index` at or past
 * `walogs_topic_cleanups_len` is `WALOGS_INVALID_ARGUMENT`.
 *
 * # Safety
 * `topics` NULL or a live list; the outputs NULL or valid for a write.
 */
walogs_status walogs_topic_cleanups_get(const struct walogs_topic_cleanups *topics,
                                        size_t index,
                                        const char **topic_out,
                                        uint64_t *records_deleted_out,
                                        uint64_t *first_out,
                                        size_t *forced_out);

/**
 * `*name_out` = the NUL-terminated name (owned by the list) of strict consumer `forced`
 * (0-based, by name) of topic `index` that the size cap forced past unread records; it
 * resumes at the topic's new oldest record and counts what it skipped. An `index` or
 * `forced` out of range is `WALOGS_INVALID_ARGUMENT`.
 *
 * # Safety
 * `topics` NULL or a live list; `name_out` NULL or valid for a write.
 */
walogs_status walogs_topic_cleanups_forced(const struct walogs_topic_cleanups *topics,
                                           size_t index,
                                           size_t forced,
                                           const char **name_out);

/**
 * Free a cleanup list and the names it lent. NULL is a no-op.
 *
 * # Safety
 * `topics` NULL or a pointer from `walogs_streams_cleanup_topics` not yet freed, read by
 * no other thread.
 */
void walogs_topic_cleanups_free(struct walogs_topic_cleanups *topics);

/**
 * Open consumer `name` of `topic` (NUL-terminated UTF-8 names, 1 to `WALOGS_MAX_NAME`
 * bytes); `*out` receives it. The first open registers it at the topic's oldest record,
 * with `mode` (`WALOGS_CONSUMER_STRICT`, or `WALOGS_CONSUMER_AT_LEAST_ONCE` with
 * `persist_every` >= 1 delivered records between automatic persists; `persist_every` is
 * ignored for strict); later opens resume at its persisted position.
 *
 * `WALOGS_UNKNOWN_TOPIC` for a topic never appended to, `WALOGS_CONSUMER_MODE_MISMATCH`
 * when it is registered with the other mode, `WALOGS_CONSUMER_IN_USE` while it is open
 * (not yet closed or freed), `WALOGS_INVALID_ARGUMENT` for a bad name, an unknown mode or
 * a zero `persist_every`, `WALOGS_READ_ONLY` on a read-only store. Registering costs one
 * durable log entry.
 *
 * # Safety
 * `streams` NULL or a live store; `topic`, `consumer_name` NULL or NUL-terminated; `out`
 * NULL or valid for a write.
 */
walogs_status walogs_streams_consumer(const struct walogs_streams *streams,
                                      const char *topic,
                                      const char *consumer_name,
                                      walogs_consumer_mode mode,
                                      uint32_t persist_every,
                                      struct walogs_consumer **out);

/**
 * The next record: `*record` receives it (free with `walogs_record_free`), or NULL when
 * none was appended within `timeout_ms` (that is `WALOGS_OK` too). `timeout_ms` below 0
 * waits without limit, 0 only looks. A strict consumer's position is durable before the
 * record is handed out. Records retention deleted before this consumer read them are
 * skipped (counted by `walogs_consumer_skipped`). `WALOGS_CLOSED` when the consumer or
 * the store is closed (also during the wait). Cost while waiting: the calling thread
 * sleeps on a condition variable.
 *
 * # Safety
 * `consumer` NULL or a live consumer; `record` NULL or valid for a write.
 */
walogs_status walogs_consumer_next(const struct walogs_consumer *consumer,
                                   int64_t timeout_ms,
                                   struct walogs_record **record);

/**
 * The next records: at least one if any is available (waiting as `walogs_consumer_next`
 * does), then as many more as fit `max_bytes` of data and headers; `*records` receives
 * them (free with `walogs_records_free`), an empty list on timeout. `max_bytes` 0 is
 * `WALOGS_INVALID_ARGUMENT`. A strict consumer persists its position once per call.
 *
 * # Safety
 * `consumer` NULL or a live consumer; `records` NULL or valid for a write.
 */
walogs_status walogs_consumer_next_batch(const struct walogs_consumer *consumer,
                                         size_t max_bytes,
                                         int64_t timeout_ms,
                                         struct walogs_records **records);

/**
 * Persist the consumer's position durably now (one durable log entry; a no-op for a
 * strict consumer, whose position is always persisted).
 *
 * # Safety
 * `consumer` NULL or a live consumer.
 */
walogs_status walogs_consumer_commit(const struct walogs_consumer *consumer);

/**
 * `*out` = the LSN the next delivered record will have. `WALOGS_CLOSED` once the consumer
 * or its store is closed.
 *
 * # Safety
 * `consumer` NULL or a live consumer; `out` NULL or valid for a write.
 */
walogs_status walogs_consumer_position(const struct walogs_consumer *consumer, uint64_t *out);

/**
 * `*out` = the position persisted in the store (what a reopen after a crash resumes at).
 *
 * # Safety
 * `consumer` NULL or a live consumer; `out` NULL or valid for a write.
 */
walogs_status walogs_consumer_committed(const struct walogs_consumer *consumer, uint64_t *out);

/**
 * `*out` = records this consumer skipped because retention deleted them before it read
 * them, since it was opened.
 *
 * # Safety
 * `consumer` NULL or a live consumer; `out` NULL or valid for a write.
 */
walogs_status walogs_consumer_skipped(const struct walogs_consumer *consumer, uint64_t *out);

/**
 * Commit the position (at-least-once) and release the consumer, so that it can be opened
 * again; the object stays allocated until `walogs_consumer_free`, and its other calls
 * return `WALOGS_CLOSED`. A second close returns `WALOGS_OK`. The consumer is released
 * even when the commit fails (the status says so: `WALOGS_CLOSED` when the store was
 * closed while an at-least-once consumer had delivered records it had not persisted,
 * `WALOGS_IO`, ...). After the store was closed, a consumer with nothing to persist (a
 * strict one, or an at-least-once one whose position is persisted) closes with
 * `WALOGS_OK`.
 *
 * # Safety
 * `consumer` NULL or a live consumer.
 */
walogs_status walogs_consumer_close(const struct walogs_consumer *consumer);

/**
 * Free a consumer (releasing it if `walogs_consumer_close` did not). NULL is a no-op.
 * Freeing does not commit: an at-least-once consumer freed without close resumes at its
 * last persisted position. Fine after `walogs_streams_close`.
 *
 * # Safety
 * `consumer` NULL or a pointer from `walogs_streams_consumer` not yet freed, used by no
 * other thread.
 */
void walogs_consumer_free(struct walogs_consumer *consumer);

/**
 * Every topic of the store, by name; `*out` receives the list. Works on read-only stores
 * (as of the open or the last `walogs_streams_refresh`). Cost: a copy of the topic table.
 *
 * # Safety
 * `streams` NULL or a live store; `out` NULL or valid for a write.
 */
walogs_status walogs_streams_topics(const struct walogs_streams *streams,
                                    struct walogs_topics **out);

/**
 * `*out` = how many topics `topics` holds.
 *
 * # Safety
 * `topics` NULL or a live list; `out` NULL or valid for a write.
 */
walogs_status walogs_topics_len(const struct walogs_topics *topics, size_t *out);

/**
 * Topic `index` (0-based, by name) of `topics`, each output optional: `*name_out` its
 * NUL-terminated name (owned by the list, valid until `walogs_topics_free`),
 * `*first_out` its oldest LSN held (its next LSN when it holds none), `*next_out` the LSN
 * its next record gets, `*bytes_out` the bytes of data and headers it holds. An `index`
 * at or past `walogs_topics_len` is `WALOGS_INVALID_ARGUMENT`.
 *
 * # Safety
 * `topics` NULL or a live list; the outputs NULL or valid for a write.
 */
walogs_status walogs_topics_get(const struct walogs_topics *topics,
                                size_t index,
                                const char **name_out,
                                uint64_t *first_out,
                                uint64_t *next_out,
                                uint64_t *bytes_out);

/**
 * Free a topic list and the names it lent. NULL is a no-op.
 *
 * # Safety
 * `topics` NULL or a pointer from `walogs_streams_topics` not yet freed, read by no other
 * thread.
 */
void walogs_topics_free(struct walogs_topics *topics);

/**
 * Every registered consumer of the store (by topic, then name) with its persisted
 * position; `*out` receives the list. Works on read-only stores. Cost: a copy of the
 * consumer table.
 *
 * # Safety
 * `streams` NULL or a live store; `out` NULL or valid for a write.
 */
walogs_status walogs_streams_consumers(const struct walogs_streams *streams,
                                       struct walogs_consumers **out);

/**
 * `*out` = how many consumers `consumers` holds.
 *
 * # Safety
 * `consumers` NULL or a live list; `out` NULL or valid for a write.
 */
walogs_status walogs_consumers_len(const struct walogs_consumers *consumers, size_t *out);

/**
 * Consumer `index` (0-based) of `consumers`, each output optional: `*topic_out` and
 * `*name_out` NUL-terminated strings owned by the list (valid until
 * `walogs_consumers_free`), `*mode_out` a `WALOGS_CONSUMER_*` value, `*persist_every_out`
 * its persist interval (0 for strict), `*position_out` its persisted position (the LSN it
 * reads next). An `index` at or past `walogs_consumers_len` is `WALOGS_INVALID_ARGUMENT`.
 *
 * # Safety
 * `consumers` NULL or a live list; the outputs NULL or valid for a write.
 */
walogs_status walogs_consumers_get(const struct walogs_consumers *consumers,
                                   size_t index,
                                   const char **topic_out,
                                   const char **name_out,
                                   walogs_consumer_mode *mode_out,
                                   uint32_t *persist_every_out,
                                   uint64_t *position_out);

/**
 * Free a consumer list and the strings it lent. NULL is a no-op.
 *
 * # Safety
 * `consumers` NULL or a pointer from `walogs_streams_consumers` not yet freed, read by no
 * other thread.
 */
void walogs_consumers_free(struct walogs_consumers *consumers);

/**
 * Read record `lsn` of `topic`; `*out` receives it (free it with `walogs_record_free`).
 * `WALOGS_UNKNOWN_TOPIC` for a topic never appended to, `WALOGS_LSN_OUT_OF_RANGE` for an
 * LSN outside the topic's live records (deleted by retention, or not appended yet). Works
 * on read-only stores. Cost: an index lookup, one read and one copy of the record.
 *
 * # Safety
 * `streams` NULL or a live store; `topic` NULL or NUL-terminated; `out` NULL or valid for
 * a write.
 */
walogs_status walogs_streams_read(const struct walogs_streams *streams,
                                  const char *topic,
                                  uint64_t lsn,
                                  struct walogs_record **out);

/**
 * Read up to `max_records` consecutive records of `topic` from `from`, stopping before
 * their data and headers would exceed `max_bytes`, but at least one when `from` holds
 * one; `*out` receives them (free with `walogs_records_free`). `from` equal to the topic's
 * next LSN gives an empty list; `max_records` 0 is `WALOGS_INVALID_ARGUMENT`; other
 * failures as `walogs_streams_read`. Cost: sequential reads and one copy of each record.
 *
 * # Safety
 * `streams` NULL or a live store; `topic` NULL or NUL-terminated; `out` NULL or valid for
 * a write.
 */
walogs_status walogs_streams_read_range(const struct walogs_streams *streams,
                                        const char *topic,
                                        uint64_t from,
                                        size_t max_records,
                                        size_t max_bytes,
                                        struct walogs_records **out);

/**
 * The fields of `record`, each output optional (NULL: not wanted): `*lsn_out` its LSN in
 * its topic, `*data_out`/`*len_out` its data, `*header_out`/`*header_len_out` its header
 * (length 0 when it has none), `*timestamp_out` its timestamp (milliseconds since the
 * Unix epoch). The bytes belong to the record: valid and unchanged until
 * `walogs_record_free`, not to be freed or written; for a length of 0 the pointer is
 * non-NULL and not to be read. Never fails for a live record.
 *
 * # Safety
 * `record` NULL or a live record; the outputs NULL or valid for a write.
 */
walogs_status walogs_record_get(const struct walogs_record *record,
                                uint64_t *lsn_out,
                                const uint8_t **data_out,
                                size_t *len_out,
                                const uint8_t **header_out,
                                size_t *header_len_out,
                                uint64_t *timestamp_out);

/**
 * Free a record and the bytes it lent. NULL is a no-op.
 *
 * # Safety
 * `record` NULL or a pointer from `walogs_streams_read` or `walogs_consumer_next` not yet
 * freed, read by no other thread.
 */
void walogs_record_free(struct walogs_record *record);

/**
 * `*out` = how many records `records` holds (0 for an empty list). Their LSNs are
 * consecutive.
 *
 * # Safety
 * `records` NULL or a live list; `out` NULL or valid for a write.
 */
walogs_status walogs_records_len(const struct walogs_records *records, size_t *out);

/**
 * The fields of record `index` (0-based) of `records`, as `walogs_record_get` gives them
 * (each output optional; the bytes belong to the list, valid until `walogs_records_free`).
 * An `index` at or past `walogs_records_len` is `WALOGS_INVALID_ARGUMENT` (nothing
 * written).
 *
 * # Safety
 * `records` NULL or a live list; the outputs NULL or valid for a write.
 */
walogs_status walogs_records_get(const struct walogs_records *records,
                                 size_t index,
                                 uint64_t *lsn_out,
                                 const uint8_t **data_out,
                                 size_t *len_out,
                                 const uint8_t **header_out,
                                 size_t *header_len_out,
                                 uint64_t *timestamp_out);

/**
 * Free a list of records and the bytes it lent. NULL is a no-op.
 *
 * # Safety
 * `records` NULL or a pointer from `walogs_streams_read_range` or
 * `walogs_consumer_next_batch` not yet freed, read by no other thread.
 */
void walogs_records_free(struct walogs_records *records);

/**
 * Open or create the store in directory `dir` (a NUL-terminated path). `opts` may be NULL
 * for the defaults; it is not consumed. On success `*out` receives the store, to be
 * released with `walogs_streams_close`.
 *
 * Costs a walogs open (a read of the whole log: every record, topic and consumer position
 * is an entry of it) plus rebuilding the per-topic indexes. Fails with `WALOGS_LOCKED`
 * (another writer), `WALOGS_NOT_A_STORE` (a plain walogs log), `WALOGS_CORRUPT`,
 * `WALOGS_STORE_FORMAT`, `WALOGS_INVALID_ARGUMENT` (an empty path, an option value the
 * store refuses), `WALOGS_IO`.
 *
 * # Safety
 * `dir` NULL or a NUL-terminated string; `opts` NULL or live; `out` NULL or valid for a
 * write.
 */
walogs_status walogs_streams_open(const char *dir,
                                  const struct walogs_streams_options *opts,
                                  struct walogs_streams **out);

/**
 * Close the store and free it. NULL is a no-op returning `WALOGS_OK`.
 *
 * Stops the background cleaner, makes everything durable, releases the directory; every
 * consumer made from the store then returns `WALOGS_CLOSED` (a `walogs_consumer_next`
 * waiting in another thread returns it at once) and only `walogs_consumer_free` is left
 * to do with it. The store is freed even when the status is an error (the final fdatasync
 * failed: `WALOGS_IO`). Must be the store's last call: no other thread may use the
 * `walogs_streams *` during or after it (its consumers may). Cost: one fdatasync.
 *
 * # Safety
 * `streams` NULL or a store from `walogs_streams_open` not yet closed, used by no other
 * thread.
 */
walogs_status walogs_streams_close(struct walogs_streams *streams);

/**
 * Append one record to `topic` (a NUL-terminated UTF-8 name, 1 to `WALOGS_MAX_NAME`
 * bytes; the topic is created by its first append): `len` bytes of data at `data`, a
 * header of `header_len` bytes at `header` (NULL and 0 for none; at most
 * `WALOGS_MAX_HEADER`), a timestamp in milliseconds since the Unix epoch (negative, e.g.
 * `WALOGS_TIMESTAMP_NOW`: the wall clock). `*lsn_out` (optional) receives the record's
 * LSN in its topic (1, 2, 3, ... per topic).
 *
 * Under `WALOGS_DURABILITY_EVERY_APPEND` the record is durable when this returns
 * `WALOGS_OK`; appends from many threads share fdatasyncs. Consumers waiting on the topic
 * wake up. The bytes are copied. `WALOGS_INVALID_ARGUMENT` for a bad topic name,
 * `WALOGS_ENTRY_TOO_LARGE` for a header over `WALOGS_MAX_HEADER` or data over
 * `WALOGS_MAX_ENTRY_SIZE` (nothing written), `WALOGS_READ_ONLY`, `WALOGS_CLOSED`, and the
 * log's write failures (`WALOGS_IO`, `WALOGS_POISONED`).
 *
 * # Safety
 * `streams` NULL or a live store; `topic` NULL or NUL-terminated; `data` NULL or valid for
 * `len` bytes; `header` NULL or valid for `header_len` bytes; `lsn_out` NULL or valid for
 * a write.
 */
walogs_status walogs_streams_append(const struct walogs_streams *streams,
                                    const char *topic,
                                    const uint8_t *data,
                                    size_t len,
                                    const uint8_t *header,
                                    size_t header_len,
                                    int64_t timestamp_ms,
                                    uint64_t *lsn_out);

/**
 * Append `count` records to `topic` atomically (after a crash all of them or none), with
 * consecutive LSNs; `*first_out` and `*last_out` (optional) receive the first and last.
 * Record `i` is `lens[i]` bytes at `datas[i]` (NULL allowed for 0), with the header
 * `header_lens[i]` bytes at `headers[i]` (`headers` and `header_lens` both NULL: no
 * headers; one NULL without the other is `WALOGS_NULL_ARGUMENT`) and the timestamp
 * `timestamps_ms[i]` (`timestamps_ms` NULL, or a negative element: the wall clock).
 *
 * One log unit, one write, one fdatasync. `count` 0 is `WALOGS_INVALID_ARGUMENT`; a
 * header over `WALOGS_MAX_HEADER`, an entry over `WALOGS_MAX_ENTRY_SIZE` or a batch over
 * `WALOGS_MAX_BATCH_SIZE` is `WALOGS_ENTRY_TOO_LARGE` (nothing written). Other statuses as
 * `walogs_streams_append`.
 *
 * # Safety
 * `streams` NULL or a live store; `topic` NULL or NUL-terminated; `datas`, `lens`,
 * `headers`, `header_lens`, `timestamps_ms` NULL or valid for `count` reads, each
 * `datas[i]`/`headers[i]` NULL or valid for its length; the outputs NULL or valid for a
 * write.
 */
walogs_status walogs_streams_append_batch(const struct walogs_streams *streams,
                                          const char *topic,
                                          const uint8_t *const *datas,
                                          const size_t *lens,
                                          const uint8_t *const *headers,
                                          const size_t *header_lens,
                                          const int64_t *timestamps_ms,
                                          size_t count,
                                          uint64_t *first_out,
                                          uint64_t *last_out);

/**
 * Make every appended record and consumer position durable (one fdatasync if anything is
 * pending). Needed only under the relaxed durability policies. `WALOGS_READ_ONLY` on a
 * read-only store; a failed fdatasync is `WALOGS_IO`.
 *
 * # Safety
 * `streams` NULL or a live store.
 */
walogs_status walogs_streams_sync(const struct walogs_streams *streams);

/**
 * Read-only stores: take in what a writer (another process) appended since the open or
 * the last refresh: new topics, records and consumer positions. Cost: reading the new
 * part of the log.
 *
 * # Safety
 * `streams` NULL or a live store.
 */
walogs_status walogs_streams_refresh(const struct walogs_streams *streams);

/**
 * `*out` = whether the store was opened read-only. `WALOGS_CLOSED` after close.
 *
 * # Safety
 * `streams` NULL or a live store; `out` NULL or valid for a write.
 */
walogs_status walogs_streams_is_read_only(const struct walogs_streams *streams, bool *out);

/**
 * `*lsn_out` = the first LSN of `topic` whose record timestamp is at or after `t_ms`
 * (milliseconds since the Unix epoch), or the topic's next LSN when none is: the place to
 * start reading "since t". `WALOGS_UNKNOWN_TOPIC` for a topic never appended to. Cost: a
 * binary search of the topic's index.
 *
 * # Safety
 * `streams` NULL or a live store; `topic` NULL or NUL-terminated; `lsn_out` NULL or valid
 * for a write.
 */
walogs_status walogs_streams_seek_time(const struct walogs_streams *streams,
                                       const char *topic,
                                       uint64_t t_ms,
                                       uint64_t *lsn_out);

/**
 * One topic's state: `*first_out` its oldest LSN still held (its next LSN when it holds
 * none), `*next_out` the LSN its next record gets, `*bytes_out` the bytes of data and
 * headers it holds. Each output optional. `WALOGS_UNKNOWN_TOPIC` for a topic never
 * appended to.
 *
 * # Safety
 * `streams` NULL or a live store; `topic` NULL or NUL-terminated; the outputs NULL or
 * valid for a write.
 */
walogs_status walogs_streams_topic_info(const struct walogs_streams *streams,
                                        const char *topic,
                                        uint64_t *first_out,
                                        uint64_t *next_out,
                                        uint64_t *bytes_out);

/**
 * Create an options object holding the defaults; `*out` receives it. Free it with
 * `walogs_streams_options_free`. Cost: one small allocation.
 *
 * # Safety
 * `out` must be NULL or valid for a write.
 */
walogs_status walogs_streams_options_new(struct walogs_streams_options **out);

/**
 * Free an options object. NULL is a no-op. Stores opened with it are not affected.
 *
 * # Safety
 * `opts` must be NULL or a pointer from `walogs_streams_options_new` not yet freed.
 */
void walogs_streams_options_free(struct walogs_streams_options *opts);

/**
 * Choose when appends (and consumer positions) are fdatasync'd, as
 * `walogs_options_set_durability` does for a plain log: `kind` is one of the
 * `WALOGS_DURABILITY_*` values, `interval_ms` is used only with
 * `WALOGS_DURABILITY_INTERVAL`. An unknown kind is `WALOGS_INVALID_ARGUMENT` here; a zero
 * interval is refused by `walogs_streams_open`. Appends to different topics from many
 * threads share fdatasyncs (one log).
 *
 * # Safety
 * `opts` must be NULL or a live pointer from `walogs_streams_options_new`.
 */
walogs_status walogs_streams_options_set_durability(struct walogs_streams_options *opts,
                                                    walogs_durability kind,
                                                    uint64_t interval_ms);

/**
 * Cut the log's segments on clock-aligned windows of `ms` milliseconds (by record
 * timestamp), so that time retention frees whole files. 0: no time windows (the default).
 *
 * # Safety
 * `opts` must be NULL or a live pointer from `walogs_streams_options_new`.
 */
walogs_status walogs_streams_options_set_segment_duration_ms(struct walogs_streams_options *opts,
                                                             uint64_t ms);

/**
 * Delete records whose window (of the segment duration, or the record's own timestamp
 * without one) ended more than `ms` milliseconds ago, at each cleanup. 0: keep records
 * regardless of age (the default).
 *
 * # Safety
 * `opts` must be NULL or a live pointer from `walogs_streams_options_new`.
 */
walogs_status walogs_streams_options_set_retention_ms(struct walogs_streams_options *opts,
                                                      uint64_t ms);

/**
 * Cap each topic at `bytes` bytes of data and headers: a cleanup deletes its oldest
 * records beyond it, also records a strict consumer has not read yet (the cleanup report
 * counts such consumers). 0: no cap (the default).
 *
 * # Safety
 * `opts` must be NULL or a live pointer from `walogs_streams_options_new`.
 */
walogs_status walogs_streams_options_set_max_topic_bytes(struct walogs_streams_options *opts,
                                                         uint64_t bytes);

/**
 * Also delete, in each topic with consumers, the records every consumer has passed, at
 * each cleanup. Default false.
 *
 * # Safety
 * `opts` must be NULL or a live pointer from `walogs_streams_options_new`.
 */
walogs_status walogs_streams_options_set_delete_consumed(struct walogs_streams_options *opts,
                                                         bool on);

/**
 * Run a cleanup in a background thread of the store every `ms` milliseconds (the thread
 * is stopped by `walogs_streams_close`). 0: only `walogs_streams_cleanup` cleans (the
 * default).
 *
 * # Safety
 * `opts` must be NULL or a live pointer from `walogs_streams_options_new`.
 */
walogs_status walogs_streams_options_set_cleanup_interval_ms(struct walogs_streams_options *opts,
                                                             uint64_t ms);

/**
 * Size of the log's segment files, in bytes. 0: the walogs default (64 MiB). Smaller
 * segments let retention free space in smaller steps.
 *
 * # Safety
 * `opts` must be NULL or a live pointer from `walogs_streams_options_new`.
 */
walogs_status walogs_streams_options_set_max_segment_size(struct walogs_streams_options *opts,
                                                          uint64_t bytes);

/**
 * Open read-only: no lock, nothing written (another process may be writing). Reads,
 * `walogs_streams_topics`, `walogs_streams_consumers` and `walogs_streams_refresh` work;
 * appends, consumers, cleanup and sync return `WALOGS_READ_ONLY`. Default false.
 *
 * # Safety
 * `opts` must be NULL or a live pointer from `walogs_streams_options_new`.
 */
walogs_status walogs_streams_options_set_read_only(struct walogs_streams_options *opts,
                                                   bool read_only);

/**
 * Permission bits of the files the store creates, as `walogs_options_set_file_mode` (it
 * must grant the owner read and write and hold nothing beyond 0777; checked by
 * `walogs_streams_open`). Default 0600.
 *
 * # Safety
 * `opts` must be NULL or a live pointer from `walogs_streams_options_new`.
 */
walogs_status walogs_streams_options_set_file_mode(struct walogs_streams_options *opts,
                                                   uint32_t mode);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* WALOGS_H */
