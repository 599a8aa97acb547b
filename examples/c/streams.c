/*
 * streams.c: topics, headers, timestamps and a strict consumer with the walogs C API.
 *
 *   cc -Wall -O2 -Iinclude examples/c/streams.c -Ltarget/c/lib -Wl,-rpath,$PWD/target/c/lib \
 *      -lwalogs -o streams
 *   ./streams /tmp/streams-demo
 *
 * Appends three orders (one with a header, two in an atomic batch) and an audit record,
 * lists the topics, then lets the strict consumer "billing" read what it has not read yet:
 * run it twice on the same directory and the second run's consumer starts where the first
 * one stopped (its position is durable before a record is handed out).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <walogs.h>

static int fail(const char *what, walogs_status st) {
  char msg[512];
  walogs_last_error(msg, sizeof msg, NULL);
  fprintf(stderr, "%s: %s (%s)\n", what, walogs_status_str(st), msg);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  walogs_streams *s = NULL;
  walogs_status st = walogs_streams_open(argv[1], NULL, &s);
  if (st != WALOGS_OK) return fail("open", st);

  uint64_t lsn = 0;
  const char *order = "order 1: 3 apples";
  st = walogs_streams_append(s, "orders", (const uint8_t *)order, strlen(order),
                             (const uint8_t *)"customer=7", 10, WALOGS_TIMESTAMP_NOW, &lsn);
  if (st != WALOGS_OK) return fail("append", st);
  printf("appended orders lsn %" PRIu64 "\n", lsn);

  const uint8_t *datas[2] = {(const uint8_t *)"order 2: 1 pear", (const uint8_t *)"order 3: 2 figs"};
  size_t lens[2] = {15, 15};
  uint64_t first = 0, last = 0;
  st = walogs_streams_append_batch(s, "orders", datas, lens, NULL, NULL, NULL, 2, &first, &last);
  if (st != WALOGS_OK) return fail("append_batch", st);
  printf("appended orders batch %" PRIu64 "..%" PRIu64 "\n", first, last);
  st = walogs_streams_append(s, "audit", (const uint8_t *)"3 orders in", 11, NULL, 0,
                             WALOGS_TIMESTAMP_NOW, NULL);
  if (st != WALOGS_OK) return fail("append audit", st);

  walogs_topics *topics = NULL;
  if ((st = walogs_streams_topics(s, &topics)) != WALOGS_OK) return fail("topics", st);
  size_t n = 0;
  walogs_topics_len(topics, &n);
  for (size_t i = 0; i < n; i++) {
    const char *name = NULL;
    uint64_t tfirst = 0, tnext = 0, bytes = 0;
    walogs_topics_get(topics, i, &name, &tfirst, &tnext, &bytes);
    printf("topic %s: lsn %" PRIu64 "..%" PRIu64 ", %" PRIu64 " bytes\n", name, tfirst,
           tnext - 1, bytes);
  }
  walogs_topics_free(topics);

  walogs_consumer *billing = NULL;
  st = walogs_streams_consumer(s, "orders", "billing", WALOGS_CONSUMER_STRICT, 0, &billing);
  if (st != WALOGS_OK) return fail("consumer", st);
  for (;;) {
    walogs_record *r = NULL;
    /* Wait up to 10 ms for a record: NULL means none came. */
    if ((st = walogs_consumer_next(billing, 10, &r)) != WALOGS_OK) return fail("next", st);
    if (r == NULL) break;
    uint64_t rlsn = 0;
    const uint8_t *data = NULL, *header = NULL;
    size_t len = 0, hlen = 0;
    walogs_record_get(r, &rlsn, &data, &len, &header, &hlen, NULL);
    printf("billing got lsn %" PRIu64 ": %.*s", rlsn, (int)len, (const char *)data);
    if (hlen > 0) printf(" (header %.*s)", (int)hlen, (const char *)header);
    printf("\n");
    walogs_record_free(r);
  }
  uint64_t pos = 0;
  walogs_consumer_position(billing, &pos);
  printf("billing resumes at lsn %" PRIu64 "\n", pos);
  walogs_consumer_close(billing);
  walogs_consumer_free(billing);
  if ((st = walogs_streams_close(s)) != WALOGS_OK) return fail("close", st);
  return 0;
}
