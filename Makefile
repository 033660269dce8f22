# sansrtc - top-level Makefile.
#
#   make              libsansrtc.a, libsansrtc.so, samples and the test runner
#   make deps         install the Debian packages the project needs (root or sudo)
#   make demo         build and run the main demo
#   make interop      the real-browser scenarios alone (INTEROP=quick: shorter)
#   make bench        benchmarks: figures, ratios, tests/bench/results.json
#   make bench-quick  a short benchmark run that only checks they work
#   make bench-media  the media benchmarks alone (build/bench-media.json)
#   make check        run every test (Check suites)
#   make valgrind     the tests under memcheck; any error or lost byte fails
#   make asan         the tests built with -fsanitize=address,undefined
#   make helgrind     the threaded suites under helgrind (races, lock order)
#   make tsan         the threaded suites built with -fsanitize=thread
#   make fuzz         libFuzzer targets, each run for FUZZ_SECONDS
#   make install      PREFIX=/usr/local DESTDIR= : headers, libraries, sansrtc.pc
#   make clean
#
# Variables: CC (gcc or clang), WERROR=1 (warnings are errors, as in CI),
# BUILD (output directory), EXTRA_CFLAGS / EXTRA_LDFLAGS.

CC      ?= cc
BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
FUZZ_SECONDS ?= 30

SONAME_MAJOR := 0
VERSION      := 0.1.0

PKGS     := openssl usrsctp libsrtp2 check
PKG_CFLAGS  = $(shell pkg-config --cflags $(PKGS) 2>/dev/null || echo -DINET -DINET6)
LIB_LIBS    = $(shell pkg-config --libs openssl usrsctp libsrtp2 2>/dev/null || echo -lssl -lcrypto -lusrsctp -lsrtp2) -lpthread
CHECK_LIBS  = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

WARN := -Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes -Wmissing-prototypes
ifeq ($(WERROR),1)
WARN += -Werror
endif

CFLAGS  ?= -O2 -g
ALL_CFLAGS  = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
              -Iinclude -Ilib -Ithreads $(PKG_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
LIB_CFLAGS  = $(ALL_CFLAGS) -fPIC -fvisibility=hidden -DSANSRTC_BUILDING
LDFLAGS_ALL := $(LDFLAGS) $(EXTRA_LDFLAGS)

LIB_SRCS    := $(sort $(wildcard lib/*.c threads/*.c))
LIB_OBJS    := $(LIB_SRCS:%.c=$(BUILD)/%.o)
TEST_SRCS   := $(sort $(wildcard tests/*.c))
TEST_OBJS   := $(TEST_SRCS:%.c=$(BUILD)/%.o)
SAMPLE_SRCS := $(sort $(wildcard samples/*.c))
SAMPLES     := $(SAMPLE_SRCS:samples/%.c=$(BUILD)/samples/%)
FUZZ_SRCS   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZERS     := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
HEADERS     := $(wildcard include/sansrtc/*.h)
SAMPLE_HDRS := $(wildcard samples/*.h)
INTEROP_PEER := $(BUILD)/tests/interop_peer
BENCH       := $(BUILD)/tests/bench

STATIC_LIB := $(BUILD)/libsansrtc.a
SHARED_LIB := $(BUILD)/libsansrtc.so.$(VERSION)
TEST_RUNNER := $(BUILD)/tests/run_tests

.PHONY: all lib samples tests check valgrind asan helgrind tsan fuzz demo interop bench bench-quick bench-media \
        install uninstall clean deps exports
.DEFAULT_GOAL := all

all: lib samples tests
lib: $(STATIC_LIB) $(SHARED_LIB)
samples: $(SAMPLES)
tests: $(TEST_RUNNER) $(INTEROP_PEER) $(BENCH)

$(BUILD)/lib/%.o: lib/%.c $(HEADERS) $(wildcard lib/*.h) | $(BUILD)/lib
	$(CC) $(LIB_CFLAGS) -c $< -o $@

$(BUILD)/threads/%.o: threads/%.c $(HEADERS) $(wildcard lib/*.h threads/*.h) | $(BUILD)/threads
	$(CC) $(LIB_CFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c $(HEADERS) $(wildcard lib/*.h threads/*.h tests/*.h) | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(STATIC_LIB): $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(SHARED_LIB): $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,libsansrtc.so.$(SONAME_MAJOR) -Wl,-z,defs \
	    -o $@ $^ $(LDFLAGS_ALL) $(LIB_LIBS)
	ln -sf libsansrtc.so.$(VERSION) $(BUILD)/libsansrtc.so.$(SONAME_MAJOR)
	ln -sf libsansrtc.so.$(VERSION) $(BUILD)/libsansrtc.so

# Tests link the static library so they can reach internal (hidden) symbols.
$(TEST_RUNNER): $(TEST_OBJS) $(STATIC_LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $(TEST_OBJS) $(STATIC_LIB) $(LDFLAGS_ALL) \
	    $(CHECK_LIBS) $(LIB_LIBS)

# Samples link the shared library, as users do.
$(BUILD)/samples/%: samples/%.c $(SHARED_LIB) $(HEADERS) $(SAMPLE_HDRS) | $(BUILD)/samples
	$(CC) $(ALL_CFLAGS) -o $@ $< -L$(BUILD) -lsansrtc \
	    -Wl,-rpath,'$$ORIGIN/..' $(LDFLAGS_ALL) $(LIB_LIBS)

# The benchmark program, built like a sample (tests/bench/run.sh runs it),
# with the media work it shares with alloc_count and the fixture readers.
BENCH_SRCS := tests/bench/bench.c tests/bench/media_work.c tests/media_fixtures.c
$(BENCH): $(BENCH_SRCS) tests/bench/media_work.h tests/media_fixtures.h $(SHARED_LIB) $(HEADERS) | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) -o $@ $(BENCH_SRCS) -L$(BUILD) -lsansrtc \
	    -Wl,-rpath,'$$ORIGIN/..' $(LDFLAGS_ALL) $(LIB_LIBS)

# Heap calls on the per-packet media paths (tests/integration/alloc_count.c).
# It defines malloc and friends itself, so it is never built with
# sanitizers (not part of `tests`, which the asan and tsan builds make).
ALLOC_COUNT := $(BUILD)/tests/alloc_count
ALLOC_COUNT_SRCS := tests/integration/alloc_count.c tests/bench/media_work.c tests/media_fixtures.c
$(ALLOC_COUNT): $(ALLOC_COUNT_SRCS) tests/bench/media_work.h tests/media_fixtures.h $(STATIC_LIB) $(HEADERS) | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) -fno-builtin -o $@ $(ALLOC_COUNT_SRCS) $(STATIC_LIB) \
	    $(LDFLAGS_ALL) $(LIB_LIBS)

# The sansrtc side of the browser scenarios, built like a sample.
$(INTEROP_PEER): tests/interop/interop_peer.c $(SHARED_LIB) $(HEADERS) $(SAMPLE_HDRS) | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) -o $@ $< -L$(BUILD) -lsansrtc \
	    -Wl,-rpath,'$$ORIGIN/..' $(LDFLAGS_ALL) $(LIB_LIBS)

$(BUILD)/lib $(BUILD)/threads $(BUILD)/tests $(BUILD)/samples $(BUILD)/fuzz:
	mkdir -p $@

check: $(TEST_RUNNER) $(SAMPLES) $(INTEROP_PEER) $(STATIC_LIB) $(ALLOC_COUNT)
	$(TEST_RUNNER)
	bash tests/integration/peer_sample.sh $(BUILD)/samples/peer
	bash tests/integration/server_samples.sh $(BUILD)
	bash tests/integration/media_decode.sh $(BUILD)
	$(ALLOC_COUNT)
	bash tests/interop/chromium_echo.sh $(BUILD)
	bash tests/interop/run_all.sh $(BUILD)
	$(BUILD)/samples/demo --bytes 16M

# Benchmarks (tests/bench/run.sh): the full run writes
# tests/bench/results.json; bench-quick (in .ci/run) only checks they work.
bench: $(BENCH) $(SAMPLES)
	bash tests/bench/run.sh $(BUILD)

bench-quick: $(BENCH) $(SAMPLES)
	bash tests/bench/run.sh $(BUILD) quick $(BUILD)/bench-quick.json

# The media benchmarks alone, full size (about 40 s).
bench-media: $(BENCH)
	bash tests/bench/run.sh $(BUILD) media $(BUILD)/bench-media.json

# The browser scenarios alone (part of check): INTEROP=quick for a short run.
interop: $(SAMPLES) $(INTEROP_PEER)
	bash tests/interop/run_all.sh $(BUILD) $(INTEROP)

demo: $(BUILD)/samples/demo
	$(BUILD)/samples/demo

# Check forks one child per test by default; under valgrind and the
# sanitizers run in one process so every byte is accounted for.
VALGRIND := valgrind --quiet --error-exitcode=99 --leak-check=full \
    --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible \
    --track-origins=yes --suppressions=valgrind/sansrtc.supp
valgrind: $(TEST_RUNNER) $(SAMPLES)
	CK_FORK=no SANSRTC_TEST_SLOW=0 $(VALGRIND) $(TEST_RUNNER)
	WRAP="$(VALGRIND)" bash tests/integration/peer_sample.sh $(BUILD)/samples/peer quick
	WRAP="$(VALGRIND)" bash tests/integration/server_samples.sh $(BUILD) quick
	$(VALGRIND) $(BUILD)/samples/demo --bytes 1M

# The sanitizer build goes to its own directory; clang or gcc both work.
asan:
	$(MAKE) BUILD=$(BUILD)/asan CFLAGS="-O1 -g -fno-omit-frame-pointer" \
	    EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	    EXTRA_LDFLAGS="-fsanitize=address,undefined" tests
	CK_FORK=no ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $(BUILD)/asan/tests/run_tests

# The threaded tests under the two thread checkers: helgrind runs the
# mailbox suite and every peer_worker case with the protocol clock slowed
# down (below); ThreadSanitizer runs every threaded test. Third-party
# reports are suppressed in valgrind/*.supp with reasons; ours never are.
THREAD_SUITES := mailbox peer_worker
# helgrind slows the program down 50-100 times: the peers' protocol time
# runs this many times slower (sansrtc_peer_config.time_dilation) so their
# timers do not expire while the other side is being instrumented.
HELGRIND_DILATION ?= 20
helgrind: $(TEST_RUNNER)
	@set -e; for s in mailbox peer_worker:api peer_worker:transfer peer_worker:scale; do \
	    echo "== helgrind: $$s"; \
	    case $$s in *:*) export CK_RUN_CASE=$${s#*:};; *) unset CK_RUN_CASE;; esac; \
	    CK_RUN_SUITE=$${s%%:*} CK_FORK=no SANSRTC_TEST_SLOW=0 \
	    SANSRTC_TEST_DILATION=$(HELGRIND_DILATION) valgrind --quiet \
	        --tool=helgrind --error-exitcode=99 \
	        --suppressions=valgrind/helgrind.supp $(TEST_RUNNER); \
	done

tsan:
	$(MAKE) BUILD=$(BUILD)/tsan CFLAGS="-O1 -g -fno-omit-frame-pointer" \
	    EXTRA_CFLAGS="-fsanitize=thread" EXTRA_LDFLAGS="-fsanitize=thread" tests
	@set -e; for s in $(THREAD_SUITES); do \
	    echo "== tsan: $$s"; \
	    CK_RUN_SUITE=$$s CK_FORK=no SANSRTC_TEST_SLOW=0 \
	    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=valgrind/tsan.supp" \
	        $(BUILD)/tsan/tests/run_tests; \
	done

# libFuzzer needs clang. Each target gets its seed corpus from
# tests/fuzz/corpus/<target>/ and runs for FUZZ_SECONDS.
FUZZ_CC := clang
FUZZ_FLAGS  = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -Iinclude -Ilib $(PKG_CFLAGS)
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) $(HEADERS) | $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(LIB_SRCS) $(LIB_LIBS)

fuzz: $(FUZZERS)
	@set -e; for f in $(FUZZERS); do \
	    name=$$(basename $$f); corpus=tests/fuzz/corpus/$${name#fuzz_}; \
	    work=$(BUILD)/fuzz/$$name.corpus; mkdir -p $$work; \
	    echo "== $$name for $(FUZZ_SECONDS) s"; \
	    $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        -close_fd_mask=1 $$work $$corpus 2>$(BUILD)/fuzz/$$name.log || \
	        { tail -60 $(BUILD)/fuzz/$$name.log; exit 1; }; \
	    grep -E 'stat::number_of_executed_units|Done' $(BUILD)/fuzz/$$name.log; \
	done

# Lists the dynamic symbols the shared library exports (all must be sansrtc_).
exports: $(SHARED_LIB)
	@nm -D --defined-only $(SHARED_LIB) | awk '$$2 ~ /[TDBR]/ {print $$3}'

$(BUILD)/sansrtc.pc: Makefile | $(BUILD)/lib
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCDIR)' '' \
	    'Name: sansrtc' 'Description: WebRTC in plain C: sans-I/O core and threaded driver' \
	    'Version: $(VERSION)' 'Requires.private: openssl usrsctp libsrtp2' \
	    'Libs: -L$${libdir} -lsansrtc' 'Libs.private: -lpthread' \
	    'Cflags: -I$${includedir}' > $(BUILD)/sansrtc.pc

install: lib $(BUILD)/sansrtc.pc
	install -d $(DESTDIR)$(INCDIR)/sansrtc $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 644 $(HEADERS) $(DESTDIR)$(INCDIR)/sansrtc/
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libsansrtc.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libsansrtc.so.$(SONAME_MAJOR)
	ln -sf libsansrtc.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libsansrtc.so
	install -m 644 $(BUILD)/sansrtc.pc $(DESTDIR)$(LIBDIR)/pkgconfig/

uninstall:
	rm -rf $(DESTDIR)$(INCDIR)/sansrtc
	rm -f $(DESTDIR)$(LIBDIR)/libsansrtc.* $(DESTDIR)$(LIBDIR)/pkgconfig/sansrtc.pc

# Debian packages: build tools, libraries, test and analysis tools, and the
# browsers the interop tests drive.
DEPS := build-essential pkg-config clang libclang-rt-14-dev libssl-dev \
        libsrtp2-dev libusrsctp-dev check valgrind iproute2 curl coturn ffmpeg chromium \
        firefox-esr
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
deps:
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEPS)

clean:
	rm -rf $(BUILD)
