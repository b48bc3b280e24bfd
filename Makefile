# acklab build: three programs (bin/chatd, bin/chatc, bin/acklab) and their tests.
#
# Sources are found by directory, so adding a module is adding a file:
#   common/*.c          shared by every program (logging, clocks, small utils)
#   fixtures/chatd/*.c  the reference chat server        -> bin/chatd
#   fixtures/chatc/*.c  the reference chat client        -> bin/chatc
#   harness/*.c         acklab itself                     -> bin/acklab
#   fixtures/browser/*.c headless Chromium as a client    -> bin/browserc
#   tests/unit/<area>_<name>.c   one cmocka program each, linked against the
#                       objects of <area> (chatd, chatc, harness, common) minus main.c
#   bench/*.c                    benchmark programs linked against acklab's objects
#   tests/integration/*.c        cmocka programs that start the built binaries
#   tests/fuzz/<area>_<name>.c   one libFuzzer program each, linked like a unit test
# Libraries come only through pkg-config. `make asan` rebuilds everything with
# address and undefined-behaviour sanitizers in build/asan and runs the tests.
# `make fuzz` rebuilds with clang, libFuzzer and the same sanitizers in
# build/fuzz and links the fuzz programs into build/fuzz/bin (see tests/fuzz/README.md).

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
BIN     ?= bin
SAN     ?=

CC      ?= cc
PKGS    := libwebsockets libcurl sqlite3 jansson libnl-3.0 libnl-route-3.0 \
           libnl-nf-3.0 libnftables libpcap uuid libcrypto fuse3 libnetfilter_queue libnftnl libmnl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) cmocka 2>/dev/null)
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation \
           -D_GNU_SOURCE -Icommon $(PKG_CFLAGS) -MMD -MP \
           -DACKLAB_COMMIT='"$(ACKLAB_COMMIT)"'
ACKLAB_COMMIT := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
# Coverage for libFuzzer plus both sanitizers; only the link adds libFuzzer's main.
# clang has no -Wformat-truncation, so it must not stop at gcc-only warning names.
ifeq ($(SAN),fuzz)
CFLAGS  += -Wno-unknown-warning-option -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=fuzzer,address,undefined
endif

LIBS_chatd   := $(shell pkg-config --libs libwebsockets sqlite3 jansson libcurl 2>/dev/null) -lpthread
LIBS_chatc   := $(shell pkg-config --libs libwebsockets libcurl jansson uuid 2>/dev/null)
LIBS_browser := $(shell pkg-config --libs jansson uuid 2>/dev/null)
LIBS_harness := $(shell pkg-config --libs libnl-3.0 libnl-route-3.0 libnl-nf-3.0 libnftables libpcap jansson libcurl libcrypto fuse3 libnetfilter_queue libnftnl libmnl 2>/dev/null) -lm
LIBS_common  :=
LIBS_cmocka  := $(shell pkg-config --libs cmocka 2>/dev/null)

SRC_common  := $(wildcard common/*.c)
SRC_chatd   := $(wildcard fixtures/chatd/*.c)
SRC_chatc   := $(wildcard fixtures/chatc/*.c)
SRC_harness := $(wildcard harness/*.c)
SRC_browser := $(wildcard fixtures/browser/*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
OBJ_common  := $(call obj,$(SRC_common))
LIBOBJ_chatd   := $(call obj,$(filter-out %/main.c,$(SRC_chatd)))
LIBOBJ_chatc   := $(call obj,$(filter-out %/main.c,$(SRC_chatc)))
# A command front that needs main.c (harness/*_cli.c) is linked into acklab only, not into the tests.
LIBOBJ_harness := $(call obj,$(filter-out %/main.c %_cli.c,$(SRC_harness)))
LIBOBJ_browser := $(call obj,$(filter-out %/main.c,$(SRC_browser)))
LIBOBJ_common  :=

PROGS := $(BIN)/chatd $(BIN)/chatc $(BIN)/acklab $(BIN)/browserc

UNIT_SRC  := $(wildcard tests/unit/*.c)
UNIT_BIN  := $(patsubst tests/unit/%.c,$(BIN)/tests/unit/%,$(UNIT_SRC))
INTEG_SRC := $(wildcard tests/integration/*.c)
INTEG_BIN := $(patsubst tests/integration/%.c,$(BIN)/tests/integration/%,$(INTEG_SRC))
TEST_SUPPORT := $(call obj,$(wildcard tests/support/*.c))

FUZZ_CC    ?= clang
FUZZ_BUILD := build/fuzz
FUZZ_SRC   := $(wildcard tests/fuzz/*.c)
FUZZ_BIN   := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/bin/%,$(FUZZ_SRC))

.PHONY: all test test-programs unit integration asan clean install matrix socketio-deps
all: $(PROGS) $(BIN)/socketio/.copied

# The Socket.IO fixture is Node, not C: it is copied, with its npm packages
# when they are installed, to $(BIN)/socketio, beside acklab's other programs
# (the folder the roles' private /tmp keeps reachable), and its stacks name
# {bin}/socketio/server.js. `make socketio-deps` installs the packages (run.sh
# does it); without them those cells are n/a.
SIO_FILES := $(wildcard fixtures/socketio/*.js) fixtures/socketio/package.json fixtures/socketio/package-lock.json
$(BIN)/socketio/.copied: $(SIO_FILES) $(wildcard fixtures/socketio/node_modules/.package-lock.json)
	@if [ -L $(BIN)/socketio ]; then rm $(BIN)/socketio; fi
	@mkdir -p $(BIN)/socketio
	cp $(SIO_FILES) $(BIN)/socketio/
	rm -rf $(BIN)/socketio/node_modules
	if [ -d fixtures/socketio/node_modules ]; then cp -R fixtures/socketio/node_modules $(BIN)/socketio/; fi
	@touch $@
socketio-deps:
	cd fixtures/socketio && npm ci --no-audit --no-fund

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BIN)/chatd: $(call obj,$(SRC_chatd)) $(OBJ_common)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_chatd)
$(BIN)/chatc: $(call obj,$(SRC_chatc)) $(OBJ_common)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_chatc)
$(BIN)/acklab: $(call obj,$(SRC_harness)) $(OBJ_common)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_harness)
# browserc reads commands with chatc's protocol code; its page's script is built into it (.incbin).
$(BIN)/browserc: $(call obj,$(SRC_browser)) $(BUILD)/fixtures/chatc/protocol.o $(OBJ_common)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_browser)
$(BUILD)/fixtures/browser/page.o: fixtures/browser/page.js

# A unit test named <area>_<name>.c links against the objects of <area>.
.SECONDEXPANSION:
$(BIN)/tests/unit/%: $(BUILD)/tests/unit/%.o $$(LIBOBJ_$$(firstword $$(subst _, ,$$*))) $(OBJ_common) $(TEST_SUPPORT)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_$(firstword $(subst _, ,$*))) $(LIBS_cmocka)
$(BIN)/tests/integration/%: $(BUILD)/tests/integration/%.o $(OBJ_common) $(TEST_SUPPORT)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs libcurl jansson 2>/dev/null) $(LIBS_cmocka)
# A fuzz program named <area>_<name>.c links against the objects of <area>, as a unit test does.
$(FUZZ_BUILD)/bin/%: $(BUILD)/tests/fuzz/%.o $$(LIBOBJ_$$(firstword $$(subst _, ,$$*))) $(OBJ_common)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_$(firstword $(subst _, ,$*)))

# Benchmarks that are programs: bench/<name>.c links against acklab's objects.
$(BIN)/bench/%: $(BUILD)/bench/%.o $(LIBOBJ_harness) $(OBJ_common)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_harness)

# A chatd with a deliberate bug (fixtures/chatd/seeded_bug.h), built only for the test that shows
# acklab explore and shrink finding it: its store.c is compiled with -DCHATD_SEEDED_BUG.
SEEDED_CHATD := $(BIN)/tests/chatd-seeded-bug
$(BUILD)/seeded/fixtures/chatd/store.o: fixtures/chatd/store.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DCHATD_SEEDED_BUG -c -o $@ $<
$(SEEDED_CHATD): $(filter-out %/store.o,$(call obj,$(SRC_chatd))) $(BUILD)/seeded/fixtures/chatd/store.o $(OBJ_common)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_chatd)

unit: $(PROGS) $(UNIT_BIN)
	@tests/run-tests.sh $(BIN) unit

integration: $(PROGS) $(INTEG_BIN) $(SEEDED_CHATD)
	@tests/run-tests.sh $(BIN) integration

# make's own exit status on a failed recipe is always 2 (acklab's usage-error
# code); ./run.sh test and ./run.sh asan build with test-programs, then run
# the runner themselves, so they exit with its status (1 when a test failed).
test-programs: $(PROGS) $(BIN)/socketio/.copied $(UNIT_BIN) $(INTEG_BIN) $(SEEDED_CHATD)

test: test-programs
	@tests/run-tests.sh $(BIN) unit integration fuzz matrix

asan:
	$(MAKE) BUILD=build/asan BIN=build/asan/bin SAN=1 test

matrix: $(PROGS)
	$(BIN)/acklab run

# The fuzz programs, built apart from build/ and build/asan/ by a make of their own.
.PHONY: fuzz fuzz-programs
fuzz:
	@tests/fuzz/probe.sh $(FUZZ_CC)
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) SAN=fuzz fuzz-programs
fuzz-programs: $(FUZZ_BIN)

install: $(PROGS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/acklab/scenarios
	install -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	cp -R scenarios/. $(DESTDIR)$(PREFIX)/share/acklab/scenarios/
	install -d $(DESTDIR)$(PREFIX)/share/doc/acklab
	install -m 0644 README.md docs/protocol.md $(DESTDIR)$(PREFIX)/share/doc/acklab/

clean:
	rm -rf build bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
