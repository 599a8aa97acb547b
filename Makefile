# The C side of walogs: libwalogs.so / libwalogs.a, include/walogs.h, walogs.pc, C tests and
# examples. Cargo does the Rust build; this file stages, installs and tests the C artifacts.
#
#   make lib                      build (release) and stage into target/c/lib
#   make header                   regenerate include/walogs.h with cbindgen
#   make check-header             fail if include/walogs.h differs from a fresh generation
#   make install PREFIX=/usr/local  install lib, header, walogs.pc and the CMake package
#                                 (walogsConfig.cmake); DESTDIR honoured; as root into a
#                                 system library directory (no DESTDIR) it runs ldconfig
#   make test-c                   C tests with ASan+UBSan, then under valgrind
#   make examples                 build examples/c (quickstart, threads, raft_log, streams,
#                                 bench_overhead)
#   make bench                    run the C-vs-Rust per-call overhead benchmark

SHELL := /bin/bash
CARGO ?= cargo
CC ?= cc
CXX ?= c++
VALGRIND ?= valgrind
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR ?= $(LIBDIR)/cmake/walogs
# Directories the dynamic loader searches once its cache is rebuilt: `make install` runs
# $(LDCONFIG) after installing into one of them as root without DESTDIR.
SYSTEM_LIBDIRS ?= /lib /lib64 /usr/lib /usr/lib64 /usr/local/lib /usr/local/lib64 \
	$(shell grep -hs '^/' /etc/ld.so.conf /etc/ld.so.conf.d/*.conf)
LDCONFIG ?= ldconfig
# A directory on a small file system (e.g. a 512 KiB tmpfs) for the ENOSPC poisoning test;
# empty: that case is skipped.
POISON_FS ?=
DESTDIR ?=

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
VERSION_MAJOR := $(firstword $(subst ., ,$(VERSION)))
CBINDGEN ?= $(firstword $(wildcard target/tools/bin/cbindgen) cbindgen)

BUILD := target/c
STAGE := $(BUILD)/lib
SONAME := libwalogs.so.0
REAL := libwalogs.so.$(VERSION)
# Where cargo puts the release build (CARGO_TARGET_DIR is honoured).
RUST_OUT := $(or $(CARGO_TARGET_DIR),target)/release

WARN := -Wall -Wextra -Werror -std=c11 -D_GNU_SOURCE -g
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
TEST_DEFS := -DEXPECTED_VERSION='"$(VERSION)"'
LINK := -L$(STAGE) -Wl,-rpath,$(abspath $(STAGE)) -lwalogs -lpthread

TESTS ?= test_api test_args test_errors test_lock test_poison test_threads test_log_control \
	test_durable test_fork test_files test_streams test_golden
EXAMPLES := quickstart threads bench_overhead raft_log streams
# Arguments of bench_overhead: [N] [ROUNDS] [DIR]
BENCH_ARGS ?=

.PHONY: lib header check-header install test-c test-c-asan test-c-valgrind test-cxx examples bench clean-c

lib:
	$(CARGO) build --release -p walogs-ffi
	mkdir -p $(STAGE)
	cp -f $(RUST_OUT)/libwalogs.so $(STAGE)/$(REAL)
	ln -sf $(REAL) $(STAGE)/$(SONAME)
	ln -sf $(SONAME) $(STAGE)/libwalogs.so
	cp -f $(RUST_OUT)/libwalogs.a $(STAGE)/libwalogs.a

header:
	$(CBINDGEN) --quiet --config walogs-ffi/cbindgen.toml --crate walogs-ffi --output include/walogs.h walogs-ffi

check-header:
	mkdir -p $(BUILD)
	$(CBINDGEN) --quiet --config walogs-ffi/cbindgen.toml --crate walogs-ffi --output $(BUILD)/walogs.h.fresh walogs-ffi
	@if ! diff -u include/walogs.h $(BUILD)/walogs.h.fresh; then \
		echo "include/walogs.h is stale: run 'make header' and commit it" >&2; exit 1; \
	fi
	@echo "include/walogs.h matches a fresh cbindgen generation"

install: lib
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0755 $(STAGE)/$(REAL) $(DESTDIR)$(LIBDIR)/$(REAL)
	ln -sf $(REAL) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libwalogs.so
	install -m 0644 $(STAGE)/libwalogs.a $(DESTDIR)$(LIBDIR)/libwalogs.a
	install -m 0644 include/walogs.h $(DESTDIR)$(INCLUDEDIR)/walogs.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    walogs.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/walogs.pc
	install -d $(DESTDIR)$(CMAKEDIR)
	sed -e "s|@REL_LIBDIR@|$$(realpath -m --relative-to='$(CMAKEDIR)' '$(LIBDIR)')|g" \
	    -e "s|@REL_INCLUDEDIR@|$$(realpath -m --relative-to='$(CMAKEDIR)' '$(INCLUDEDIR)')|g" \
	    -e 's|@VERSION@|$(VERSION)|g' cmake/walogsConfig.cmake.in > $(DESTDIR)$(CMAKEDIR)/walogsConfig.cmake
	sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@VERSION_MAJOR@|$(VERSION_MAJOR)|g' \
	    cmake/walogsConfigVersion.cmake.in > $(DESTDIR)$(CMAKEDIR)/walogsConfigVersion.cmake
	@if [ -n "$(DESTDIR)" ]; then \
		echo "walogs $(VERSION) staged under $(DESTDIR)$(PREFIX); once installed in $(LIBDIR), run: ldconfig"; \
	elif ! echo " $(SYSTEM_LIBDIRS) " | grep -q " $(abspath $(LIBDIR)) "; then \
		echo "walogs $(VERSION) installed in $(PREFIX); $(LIBDIR) is not searched by the loader: run programs with LD_LIBRARY_PATH=$(LIBDIR) (or link them with -Wl,-rpath,$(LIBDIR))"; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "walogs $(VERSION) installed in $(PREFIX); running $(LDCONFIG)"; \
		$(LDCONFIG); \
	else \
		echo "walogs $(VERSION) installed in $(PREFIX); to let programs find libwalogs.so.0, run as root: $(LDCONFIG)"; \
	fi

# ---- C tests --------------------------------------------------------------------------------

$(BUILD)/asan/%: tests/c/%.c tests/c/check.h include/walogs.h lib
	mkdir -p $(BUILD)/asan
	$(CC) $(WARN) $(TEST_DEFS) $(SAN) -Iinclude -o $@ $< $(LINK)

$(BUILD)/plain/%: tests/c/%.c tests/c/check.h include/walogs.h lib
	mkdir -p $(BUILD)/plain
	$(CC) $(WARN) $(TEST_DEFS) -O1 -Iinclude -o $@ $< $(LINK)

test-c-asan: $(addprefix $(BUILD)/asan/,$(TESTS))
	@set -e; for t in $(TESTS); do \
		echo "== $$t (ASan+UBSan)"; \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			$(BUILD)/asan/$$t $$( [ $$t = test_poison ] && echo $(POISON_FS) ); \
	done

# test_threads is left to ASan: valgrind runs one thread at a time, so its 8-thread workloads
# take about 90 s there against about 2 s for every other program.
VALGRIND_TESTS ?= $(filter-out test_threads,$(TESTS))

test-c-valgrind: $(addprefix $(BUILD)/plain/,$(VALGRIND_TESTS))
	@set -e; for t in $(VALGRIND_TESTS); do \
		echo "== $$t (valgrind)"; \
		WALOGS_TEST_UNDER_VALGRIND=1 $(VALGRIND) --quiet --error-exitcode=1 --leak-check=full \
			--suppressions=tests/c/valgrind.supp \
			--errors-for-leak-kinds=all --show-leak-kinds=definite,indirect,possible \
			--child-silent-after-fork=yes $(BUILD)/plain/$$t $$( [ $$t = test_poison ] && echo $(POISON_FS) ); \
	done

test-cxx: lib
	mkdir -p $(BUILD)
	$(CXX) -Wall -Wextra -Werror -std=c++17 -Iinclude -o $(BUILD)/test_header_cxx tests/c/test_header.cpp $(LINK)
	$(BUILD)/test_header_cxx

test-c: test-c-asan test-c-valgrind test-cxx

# ---- examples -------------------------------------------------------------------------------

$(BUILD)/examples/%: examples/c/%.c include/walogs.h lib
	mkdir -p $(BUILD)/examples
	$(CC) $(WARN) -O2 -Iinclude -o $@ $< $(LINK)

examples: $(addprefix $(BUILD)/examples/,$(EXAMPLES))

bench: examples
	$(CARGO) build --release -p walogs-ffi --example bench_overhead
	$(BUILD)/examples/bench_overhead $(RUST_OUT)/examples/bench_overhead $(BENCH_ARGS)

clean-c:
	rm -rf $(BUILD)
