# aerowire — plain Makefile. `make help` lists the targets.

PREFIX ?= /usr/local
CC ?= cc
CLANG ?= clang
BUILD ?= build

PKGS := libevent openssl zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -levent -lssl -lcrypto -lz)
TEST_LIBS := $(shell pkg-config --libs cmocka jansson 2>/dev/null || echo -lcmocka -ljansson)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif
OPT ?= -O2 -g
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -fPIC -Iinclude -Isrc $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL := $(PKG_LIBS) -lcrypt -lpthread -lm $(LDLIBS)

LIB_SRC := $(sort $(wildcard src/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
# Only what include/aerowire declares with AW_API leaves the shared library;
# the static archive's objects still link one another (and the tests) freely.
$(LIB_OBJ): CFLAGS_ALL += -fvisibility=hidden
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
SUPPORT_SRC := $(sort $(wildcard tests/support/*.c))
SUPPORT_OBJ := $(SUPPORT_SRC:%.c=$(BUILD)/obj/%.o)
# tools/testd is the test server's core (a library linked into the tools and
# tests: aw and aw-bench embed it); every other tools/<name>/ is a program.
TESTD_SRC := $(sort $(wildcard tools/testd/*.c))
TESTD_OBJ := $(TESTD_SRC:%.c=$(BUILD)/obj/%.o)
TESTD_LIB := $(BUILD)/libawtestd.a
# tools/benchlib is the benchmarks' clocks and CPU pinning (libawbench.a).
BENCHLIB_SRC := $(sort $(wildcard tools/benchlib/*.c))
BENCHLIB_OBJ := $(BENCHLIB_SRC:%.c=$(BUILD)/obj/%.o)
BENCHLIB := $(BUILD)/libawbench.a
TOOL_DIRS := $(filter-out testd benchlib,$(sort $(patsubst tools/%/,%,$(dir $(wildcard tools/*/*.c)))))
TOOL_BIN := $(TOOL_DIRS:%=$(BUILD)/bin/%)
# Extra libraries of one tool: TOOL_LIBS_<name>. The aw CLI reads and
# prints JSON values with jansson.
TOOL_LIBS_aw := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
EXAMPLE_SRC := $(sort $(wildcard examples/*.c))
EXAMPLE_BIN := $(EXAMPLE_SRC:examples/%.c=$(BUILD)/examples/%)
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)
HEADERS := $(wildcard include/aerowire/*.h include/aerowire/*/*.h)

SONAME := libaerowire.so.0

.PHONY: all lib tools tests examples python test check tsan valgrind-testd fuzz fuzz-run install uninstall clean help
.SECONDARY:

all: lib tools tests examples

lib: $(BUILD)/libaerowire.a $(BUILD)/libaerowire.so $(BUILD)/aerowire.pc
tools: $(TOOL_BIN)
tests: $(TEST_BIN)
examples: $(EXAMPLE_BIN)

# Objects depend on the Makefile too: its flags (e.g. the library's hidden
# visibility) are part of what an object is.
$(BUILD)/obj/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/libaerowire.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/libaerowire.so: $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--no-undefined -o $@ $^ $(LDFLAGS) $(LDLIBS_ALL)
	ln -sf libaerowire.so $(BUILD)/$(SONAME)

$(BUILD)/aerowire.pc: aerowire.pc.in Makefile
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(shell sed -n 's/.*AEROWIRE_VERSION "\(.*\)"/\1/p' include/aerowire/aerowire.h)|g' $< > $@

$(TESTD_LIB): $(TESTD_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BENCHLIB): $(BENCHLIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/tests/%: tests/%.c $(SUPPORT_OBJ) $(TESTD_LIB) $(BUILD)/libaerowire.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests -Itools/testd -MMD -MP $< $(filter $(BUILD)/testhooks/%,$^) $(SUPPORT_OBJ) $(TESTD_LIB) $(BUILD)/libaerowire.a -o $@ $(LDFLAGS) $(TEST_LIBS) $(LDLIBS_ALL)

# Test hooks are not in the library: test_batch links its own copy of
# batch_plan.o built with AW_TEST_HOOKS (the request-frame trace) ahead of
# the archive, whose copy then stays out of that program.
$(BUILD)/testhooks/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -DAW_TEST_HOOKS -MMD -MP -c $< -o $@
$(BUILD)/tests/test_batch: $(BUILD)/testhooks/src/client/batch_plan.o

.SECONDEXPANSION:
$(BUILD)/bin/%: $$(wildcard tools/%/*.c tools/%/*.h) $(TESTD_LIB) $(BENCHLIB) $(BUILD)/libaerowire.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itools/$* -Itools/testd -Itools/benchlib $(filter %.c,$^) $(TESTD_LIB) $(BENCHLIB) $(BUILD)/libaerowire.a -o $@ $(LDFLAGS) $(TOOL_LIBS_$*) $(LDLIBS_ALL)

# The examples are what an application is: the public headers only, linked
# against the shared library (so they fail to link if it hides what they use).
$(BUILD)/examples/%: examples/%.c $(BUILD)/libaerowire.so
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -Isrc,$(CFLAGS_ALL)) $< -o $@ -L$(BUILD) -laerowire -Wl,-rpath,'$$ORIGIN/..' $(LDFLAGS) $(LDLIBS_ALL)

# The Python package (python/) built in-tree into $(BUILD)/python, against
# Debian's interpreter (another python3 first on PATH may lack numpy):
# PYTHONPATH=$(BUILD)/python $(PYTHON) -c 'import aerowire'.
PYTHON ?= /usr/bin/python3
python: $(BUILD)/libaerowire.a
	@$(PYTHON) -c 'import numpy' 2>/dev/null || { echo "$(PYTHON) cannot import numpy: the Python package needs it (Debian: apt-get install python3-numpy python3-dev, or make PYTHON=/usr/bin/python3)"; exit 1; }
	cd python && AW_BUILD=$(abspath $(BUILD)) CFLAGS="$(if $(filter 1,$(WERROR)),-Werror)" $(PYTHON) setup.py -q build --build-base $(abspath $(BUILD))/python-build --build-lib $(abspath $(BUILD))/python

# The Python suite (python/tests, pytest) starts its own aw-testd. A
# sanitizer build's library cannot be loaded into the system interpreter,
# so `make check` and `make tsan` leave it out.
PYTEST := $(if $(findstring -fsanitize,$(OPT) $(LDFLAGS)),,python-test)
.PHONY: python-test
python-test: python $(BUILD)/bin/aw-testd
	@$(PYTHON) -c 'import pytest' 2>/dev/null || { echo "$(PYTHON) cannot import pytest (Debian: apt-get install python3-pytest)"; exit 1; }
	for nodes in 1 3; do echo "=== pytest against $$nodes-node aw-testd"; \
	  PYTHONPATH=$(abspath $(BUILD))/python AW_BIN=$(abspath $(BUILD))/bin AW_TESTD_NODES=$$nodes \
	    $(PYTHON) -m pytest -q -p no:cacheprovider python/tests || exit 1; done

# The whole suite. Each test binary is a cmocka group; tests find the real
# captures through AW_TESTDATA and the built tools through AW_BIN.
# The shared library must export exactly the public API (check-exports.sh),
# every client error code must be one the library produces, and the C
# examples of the docs must compile (check-doc-examples.sh).
# Programs that take their server from AEROSPIKE_HOSTS (test_real_server,
# test_query_server and the examples) then run against a fresh aw-testd of 1
# node, test_real_server also of 3 (test_query_server's abort test is flaky
# on several nodes: the engine still reads the other nodes' streams after
# the callback stopped it).
UNIT_TEST_BIN := $(filter-out %/test_real_server %/test_query_server,$(TEST_BIN))
TEST_ENV := AW_TESTDATA=$(CURDIR)/tests/data AW_BIN=$(abspath $(BUILD))/bin AW_EXAMPLES=$(abspath $(BUILD))/examples
test: all
	@CC="$(CC)" tests/check-exports.sh $(BUILD)/libaerowire.so
	@tests/check-error-codes.sh
	@CC="$(CC)" tests/check-doc-examples.sh docs/expressions.md docs/cdt.md docs/query.md docs/metrics.md docs/security.md
	@$(TEST_ENV) tests/run-all.sh $(UNIT_TEST_BIN)
	@$(TEST_ENV) tests/run-against-testd.sh 1 $(BUILD)/tests/test_real_server $(BUILD)/tests/test_query_server $(EXAMPLE_BIN)
	@$(TEST_ENV) tests/run-against-testd.sh 3 $(BUILD)/tests/test_real_server $(BUILD)/tests/test_query_server
	$(if $(PYTEST),@$(MAKE) --no-print-directory $(PYTEST))

# The suite under AddressSanitizer + UndefinedBehaviorSanitizer, in its own tree.
check:
	$(MAKE) BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" test

# The threaded suites under ThreadSanitizer, in their own tree, against a
# ThreadSanitizer build of aw-testd (a report makes the program exit 66).
TSAN_TESTS := $(addprefix build/tsan/tests/test_,cluster sync batch batch_faults async async_faults array)
tsan:
	$(MAKE) BUILD=build/tsan OPT="-O1 -g -fsanitize=thread" LDFLAGS="-fsanitize=thread" \
	  $(TSAN_TESTS) build/tsan/bin/aw-testd
	AW_TESTDATA=$(CURDIR)/tests/data AW_BIN=$(CURDIR)/build/tsan/bin \
	  TSAN_OPTIONS="second_deadlock_stack=1 $(TSAN_OPTIONS)" tests/run-all.sh $(TSAN_TESTS)

# The test server under valgrind: its suites and a scripted session, no leaks.
valgrind-testd:
	scripts/valgrind-testd $(BUILD)/valgrind

# libFuzzer targets: clang. The library (and the test server's request
# path, without its socket layer) is compiled once with coverage and the
# sanitizers into one archive that every target links.
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -Isrc -Itools/testd $(PKG_CFLAGS)
FUZZ_SAN := address,undefined
fuzz: $(FUZZ_BIN)
FUZZ_TESTD_SRC := $(filter-out tools/testd/server.c tools/testd/info.c tools/testd/sindex_info.c tools/testd/jobs_info.c tools/testd/cluster.c tools/testd/spawn.c,$(TESTD_SRC))
FUZZ_OBJ := $(patsubst %.c,$(BUILD)/fuzzobj/%.o,$(LIB_SRC) $(FUZZ_TESTD_SRC))
FUZZ_LIB := $(BUILD)/fuzz/libfuzzdeps.a
$(BUILD)/fuzzobj/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -MMD -MP -c $< -o $@
$(FUZZ_LIB): $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^
$(BUILD)/fuzz/%: fuzz/%.c $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) $< $(FUZZ_LIB) -o $@ $(PKG_LIBS) -lcrypt -lpthread -lm

# Runs every fuzz target for FUZZ_SECONDS on its seed corpus (fuzz/corpus/<name>).
FUZZ_SECONDS ?= 25
fuzz-run: fuzz
	@set -e; for f in $(FUZZ_BIN); do n=$$(basename $$f); \
	  mkdir -p $(BUILD)/fuzz-work/$$n; \
	  echo "== $$n ($(FUZZ_SECONDS)s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 $(BUILD)/fuzz-work/$$n fuzz/corpus/$$n 2>&1 | tail -n 3; \
	done

install: lib tools
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/aerowire $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(BUILD)/libaerowire.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libaerowire.so $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libaerowire.so
	cd include && find aerowire -name '*.h' -exec install -D -m 644 {} $(DESTDIR)$(PREFIX)/include/{} \;
	# The .pc file is written for this PREFIX (the built one may name another).
	sed -e 's|^prefix=.*|prefix=$(PREFIX)|' $(BUILD)/aerowire.pc > $(DESTDIR)$(PREFIX)/lib/pkgconfig/aerowire.pc
	$(if $(TOOL_BIN),install -m 755 $(TOOL_BIN) $(DESTDIR)$(PREFIX)/bin/)

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/include/aerowire
	rm -f $(DESTDIR)$(PREFIX)/lib/libaerowire.a $(DESTDIR)$(PREFIX)/lib/libaerowire.so $(DESTDIR)$(PREFIX)/lib/$(SONAME) \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/aerowire.pc $(TOOL_DIRS:%=$(DESTDIR)$(PREFIX)/bin/%)

clean:
	rm -rf build

help:
	@echo "make            library, tools, tests, examples"
	@echo "make test       the whole suite (C suites, then the Python suite)"
	@echo "make python     the Python package into build/python (PYTHON=/usr/bin/python3)"
	@echo "make check      the suite under ASan+UBSan (build/asan)"
	@echo "make tsan       the threaded suites under ThreadSanitizer (build/tsan)"
	@echo "make valgrind-testd   the test server under valgrind"
	@echo "make fuzz       libFuzzer targets (clang); make fuzz-run runs each FUZZ_SECONDS"
	@echo "make install PREFIX=/usr/local    lib, headers, aerowire.pc, tools"
	@echo "WERROR=1        treat warnings as errors (CI)"

-include $(shell find $(BUILD)/obj $(BUILD)/testhooks $(BUILD)/tests $(BUILD)/fuzzobj -name '*.d' 2>/dev/null)
