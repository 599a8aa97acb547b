// hello.cpp: a C++ program using walogs.h (built by examples/cmake/CMakeLists.txt).
// Usage: hello_cxx DIR — appends two entries to the WAL in DIR, reads them back, prints them.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "walogs.h"

static int fail(const char *what, walogs_status s) {
  char msg[512];
  walogs_last_error(msg, sizeof msg, nullptr);
  std::fprintf(stderr, "%s: %s: %s\n", what, walogs_status_str(s), msg);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  if (walogs_version_number() != WALOGS_VERSION_NUMBER) {
    std::fprintf(stderr, "header %d, library %s\n", WALOGS_VERSION_NUMBER, walogs_version());
    return 1;
  }
  walogs_wal *wal = nullptr;
  walogs_status s = walogs_open(argv[1], nullptr, &wal);
  if (s != WALOGS_OK) return fail("walogs_open", s);
  uint64_t first = 0;
  for (const std::string &entry : {std::string("hello"), std::string("from C++")}) {
    uint64_t lsn = 0;
    s = walogs_append(wal, reinterpret_cast<const uint8_t *>(entry.data()), entry.size(), &lsn);
    if (s != WALOGS_OK) return fail("walogs_append", s);
    if (first == 0) first = lsn;
  }
  for (uint64_t lsn = first; lsn < first + 2; lsn++) {
    std::vector<uint8_t> buf(64);
    size_t len = 0;
    s = walogs_read(wal, lsn, buf.data(), buf.size(), &len);
    if (s != WALOGS_OK) return fail("walogs_read", s);
    std::printf("lsn %llu: %.*s\n", static_cast<unsigned long long>(lsn), static_cast<int>(len),
                reinterpret_cast<const char *>(buf.data()));
  }
  s = walogs_close(wal);
  if (s != WALOGS_OK) return fail("walogs_close", s);
  std::printf("walogs %s from C++\n", walogs_version());
  return 0;
}
