// test_header.cpp: walogs.h compiles as C++ (g++ -Wall -Wextra -Werror) and links; the
// status enum is usable as a C++ type and the version macros agree with the library.
#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>

#include "walogs.h"

static_assert(std::is_same<std::underlying_type<walogs_status>::type, int32_t>::value,
              "walogs_status is an int32_t enum in C++");
static_assert(WALOGS_OK == 0 && WALOGS_LOCKED == 200 && WALOGS_PANIC == 900, "stable numbers");
static_assert(std::is_standard_layout<walogs_report>::value, "walogs_report is a C struct");
static_assert(std::is_standard_layout<walogs_damage>::value, "walogs_damage is a C struct");
static_assert(WALOGS_FORKED == 206 && WALOGS_UNSAFE_FILE == 207 && WALOGS_TIMEOUT == 208,
              "stable numbers of the newer statuses");
static_assert(WALOGS_UNKNOWN_TOPIC == 209 && WALOGS_CONSUMER_MODE_MISMATCH == 210 &&
                  WALOGS_CONSUMER_IN_USE == 211 && WALOGS_NOT_A_STORE == 212 &&
                  WALOGS_STORE_FORMAT == 213,
              "stable numbers of the streams statuses");
static_assert(std::is_standard_layout<walogs_cleanup_report>::value,
              "walogs_cleanup_report is a C struct");
static_assert(std::is_same<walogs_consumer_mode, uint32_t>::value, "consumer modes");
static_assert(std::is_same<walogs_durable_callback, void (*)(void *, walogs_status)>::value,
              "the on_durable callback type");
static_assert(WALOGS_VERSION_NUMBER ==
                  WALOGS_VERSION_MAJOR * 1000000 + WALOGS_VERSION_MINOR * 1000 +
                      WALOGS_VERSION_PATCH,
              "version number");

static const char *name(walogs_status s) {
  switch (s) {
    case WALOGS_OK:
      return "ok";
    case WALOGS_NULL_ARGUMENT:
      return "null";
    default:
      return walogs_status_str(s);
  }
}

int main() {
  int failed = 0;
  std::string version = std::to_string(WALOGS_VERSION_MAJOR) + "." +
                        std::to_string(WALOGS_VERSION_MINOR) + "." +
                        std::to_string(WALOGS_VERSION_PATCH);
  if (version != walogs_version()) failed++;
  if (walogs_version_number() != WALOGS_VERSION_NUMBER) failed++;
  walogs_wal *w = nullptr;
  if (std::strcmp(name(walogs_open(nullptr, nullptr, &w)), "null") != 0) failed++;
  if (w != nullptr) failed++;
  if (walogs_close(nullptr) != WALOGS_OK) failed++;
  if (walogs_on_durable(nullptr, 1, nullptr, nullptr) != WALOGS_NULL_ARGUMENT) failed++;
  walogs_damage d{};
  d.struct_size = sizeof d;
  if (walogs_last_damage(&d) != WALOGS_OK || d.kind != WALOGS_DAMAGE_NONE) failed++;
  std::printf("test_header_cxx: %d passed, %d failed\n", 7 - failed, failed);
  return failed == 0 ? 0 : 1;
}
