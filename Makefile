# sipalg: a SIP ALG for Linux NAT routers. Plain make; quiet unless V=1.
#   make            build everything (-Wall -Wextra -Werror)
#   make test       install what the tests need (Debian, as root), build, run every test
#   make demo       install what the demo needs, build, show the ALG at work
#   make fuzz       run the fuzz harnesses for FUZZ_SECONDS each
#   make bench      plain NAT vs the kernel's SIP helper vs sipalgd (root): table + bench/results.json

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
BINDIR ?= $(PREFIX)/bin
SHAREDIR ?= $(PREFIX)/share
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= /lib/systemd/system
DESTDIR ?=
CC ?= cc
CLANG ?= clang
CFLAGS ?= -O2 -g
LDFLAGS ?=
BUILD ?= build
FUZZ_SECONDS ?= 20
TEST_FUZZ_SECONDS ?= 15
V ?= 0

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-6s %s\n' $(1) $(2)
endif

WARN := -Wall -Wextra -Werror
ALL_CFLAGS := -std=gnu11 $(WARN) -Ialg -Infq -MMD -MP $(CPPFLAGS) $(CFLAGS)
OSIP_LIBS := -losipparser2
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

ALG_SRC := $(wildcard alg/*.c)
ALG_OBJ := $(ALG_SRC:%.c=$(BUILD)/obj/%.o)
ALG_ASAN_OBJ := $(ALG_SRC:%.c=$(BUILD)/asan/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/asan/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

.PHONY: install all test check lint unit golden torture fuzz-smoke fuzz e2e demo deps-test deps-demo clean \
	bench bench-bin deps-bench
DAEMON_SRC := $(filter-out nfq/sipalg-rewrite.c nfq/sipalgctl.c,$(wildcard nfq/*.c))
DAEMON_LIBS := -lnetfilter_queue -lnetfilter_conntrack -lnftnl -lmnl
all: $(BUILD)/sipalg-rewrite $(BUILD)/sipalgd $(BUILD)/sipalgctl

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,CC-SAN,$<)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/libalg.a: $(ALG_OBJ)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(BUILD)/sipalg-rewrite: $(BUILD)/obj/nfq/sipalg-rewrite.o $(BUILD)/libalg.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(OSIP_LIBS)

$(BUILD)/sipalgd: $(DAEMON_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/libalg.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(OSIP_LIBS) $(DAEMON_LIBS)

$(BUILD)/sipalgctl: $(BUILD)/obj/nfq/sipalgctl.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(BUILD)/asan/sipalgd: $(DAEMON_SRC:%.c=$(BUILD)/asan/%.o) $(ALG_ASAN_OBJ)
	$(call msg,LD-SAN,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(OSIP_LIBS) $(DAEMON_LIBS)

$(BUILD)/asan/sipalg-rewrite: $(BUILD)/asan/nfq/sipalg-rewrite.o $(ALG_ASAN_OBJ)
	$(call msg,LD-SAN,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(OSIP_LIBS)

$(BUILD)/asan/test_%: $(BUILD)/asan/tests/unit/test_%.o $(ALG_ASAN_OBJ)
	$(call msg,LD-SAN,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(OSIP_LIBS) -lcmocka

# The config parser is the daemon's, tested on its own.
$(BUILD)/asan/test_config: $(BUILD)/asan/tests/unit/test_config.o $(BUILD)/asan/nfq/config.o $(ALG_ASAN_OBJ)
	$(call msg,LD-SAN,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(OSIP_LIBS) -lcmocka

# libFuzzer harnesses build the core from source with clang's sanitizers; those of the
# daemon's pure code (config, packet) build their nfq/ file too, with its libraries.
FUZZ_NFQ_config := nfq/config.c
FUZZ_NFQ_packet := nfq/packet.c
FUZZ_LIBS_packet := -lnetfilter_queue
$(BUILD)/fuzz/fuzz_config: nfq/config.c nfq/config.h
$(BUILD)/fuzz/fuzz_packet: nfq/packet.c nfq/packet.h
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(ALG_SRC) $(wildcard alg/*.h)
	@mkdir -p $(dir $@)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) -std=gnu11 $(WARN) -Ialg -Infq -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $< $(ALG_SRC) $(FUZZ_NFQ_$*) $(OSIP_LIBS) $(FUZZ_LIBS_$*)

# The sanitizer build runs every test of the core: unit tests, golden corpus, torture set.
# Each stage appends "name passed failed" lines to RESULTS; check prints the total.
RESULTS := $(BUILD)/test-results
unit: $(UNIT_BIN)
	$(Q)sh tests/run-unit.sh $(RESULTS) $(UNIT_BIN)

golden: $(BUILD)/sipalg-rewrite $(BUILD)/asan/sipalg-rewrite
	$(Q)RESULTS=$(RESULTS) sh tests/golden/run.sh $(BUILD)/sipalg-rewrite
	$(Q)RESULTS=$(RESULTS) sh tests/golden/run.sh $(BUILD)/asan/sipalg-rewrite
	$(Q)RESULTS=$(RESULTS) sh tests/cli.sh $(BUILD)/asan/sipalg-rewrite

fuzz-smoke: $(FUZZ_BIN)
	$(Q)RESULTS=$(RESULTS) sh tests/fuzz/run.sh $(BUILD) $(TEST_FUZZ_SECONDS) $(FUZZ_BIN)

# Every shell script passes shellcheck (sourced files are followed from each script's folder).
SHELL_SCRIPTS := router-scripts/sipalg-firewall openwrt/sipalg/files/sipalg.init .ci/run \
	$(wildcard tests/*.sh tests/*/*.sh bench/*.sh)
lint:
	$(Q)if shellcheck -x -P SCRIPTDIR $(SHELL_SCRIPTS) && for s in $(SHELL_SCRIPTS); do sh -n $$s || exit 1; done; \
		then echo "lint 1 0" >>$(RESULTS); \
		echo "shellcheck and sh -n: $(words $(SHELL_SCRIPTS)) scripts clean"; else echo "lint 0 1" >>$(RESULTS); exit 1; fi

# End-to-end: real kamailio, sipp, NFQUEUE, nftables and conntrack in network namespaces the
# tests create and remove (root only).
# The calls run twice: with the daemon as shipped, and with its ASan+UBSan build; the faults
# (valgrind, queue overflow, nftables errors, a hostile burst) with the daemon as shipped.
e2e: all $(BUILD)/asan/sipalgd
	$(Q)if [ "$$(id -u)" -ne 0 ]; then echo "e2e: needs root (network namespaces)"; \
		echo "e2e 0 1" >>$(RESULTS); exit 1; fi
	$(Q)status=0; export RESULTS=$(abspath $(RESULTS)); \
	sh tests/e2e/test-baseline.sh || status=1; \
	sh tests/e2e/test-install.sh || status=1; \
	sh tests/e2e/test-openwrt-init.sh || status=1; \
	sh tests/e2e/test-calls.sh || status=1; \
	sh tests/e2e/test-security.sh || status=1; \
	sh tests/e2e/test-faults.sh || status=1; \
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 E2E_NAME=asan \
		SIPALGD=$(abspath $(BUILD)/asan/sipalgd) sh tests/e2e/test-calls.sh || status=1; \
	exit $$status

fuzz: $(FUZZ_BIN)
	$(Q)sh tests/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_BIN)

check: all bench-bin
	@mkdir -p $(BUILD) && rm -f $(RESULTS)
	$(Q)status=0; $(MAKE) --no-print-directory -k lint unit golden fuzz-smoke e2e || \
		{ status=1; echo "a stage that failed to build or run (see above)"; echo "stages 0 1" >>$(RESULTS); }; \
	awk '{ p += $$2; f += $$3 } END { printf "make test: %d passed, %d failed\n", p, f; exit f > 0 }' \
		$(RESULTS) || status=1; exit $$status

# make test and make demo install their Debian packages first, then build in a fresh make
# so that nothing is evaluated before the libraries exist.
test: deps-test
	$(Q)$(MAKE) --no-print-directory -s check

demo: deps-demo
	$(Q)$(MAKE) --no-print-directory -s all
	$(Q)sh tests/demo.sh

# Benchmarks: the load generator and the core's micro-benchmark (with and without the
# allocation counter: callgrind runs the one without).
BENCH_BIN := $(BUILD)/bench/sipload $(BUILD)/bench/core $(BUILD)/bench/core-plain
bench-bin: $(BENCH_BIN)

$(BUILD)/bench/sipload: bench/sipload.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) -std=gnu11 $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(BUILD)/bench/core: bench/core.c bench/alloc_count.c $(BUILD)/libalg.a
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(OSIP_LIBS)

$(BUILD)/bench/core-plain: bench/core.c $(BUILD)/libalg.a
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(OSIP_LIBS)

# make bench installs its Debian packages, builds, then measures in the lab (root only).
bench: deps-bench
	$(Q)$(MAKE) --no-print-directory -s all bench-bin
	$(Q)sh bench/bench.sh $(BUILD)

deps-bench:
	$(Q)sh tests/install-deps.sh bench

deps-test:
	$(Q)sh tests/install-deps.sh test

deps-demo:
	$(Q)sh tests/install-deps.sh demo

# Plain Linux routers: the programs, the firewall script, the systemd unit and an example
# configuration (kept if one is there).
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)/sipalg \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSCONFDIR)/sipalg
	install -m 0755 $(BUILD)/sipalgd $(DESTDIR)$(SBINDIR)/sipalgd
	install -m 0755 $(BUILD)/sipalgctl $(BUILD)/sipalg-rewrite $(DESTDIR)$(BINDIR)/
	install -m 0755 router-scripts/sipalg-firewall $(DESTDIR)$(SHAREDIR)/sipalg/sipalg-firewall
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SHAREDIR@|$(SHAREDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		router-scripts/sipalgd.service >$(DESTDIR)$(SYSTEMDUNITDIR)/sipalgd.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/sipalgd.service
	[ -e $(DESTDIR)$(SYSCONFDIR)/sipalg/sipalg.conf ] || \
		install -m 0644 openwrt/sipalg/files/sipalg.config $(DESTDIR)$(SYSCONFDIR)/sipalg/sipalg.conf

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
