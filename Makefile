# SPDX-License-Identifier: GPL-2.0-or-later
# sipalg: a SIP ALG for Linux NAT routers. Plain make; quiet unless V=1.
#   make            build everything (-Wall -Wextra -Werror)
#   make test       install what the tests need (Debian, as root), build, run every test
#   make demo       install what the demo needs, build, show the ALG at work
#   make fuzz       run the fuzz harnesses for FUZZ_SECONDS each
#   make bench      plain NAT vs the kernel's SIP helper vs sipalgd (root): table + bench/results.json
#                   (SOAK=1: and the soak)
#   make soak       10 minutes of phones registering and calling through sipalgd (root;
#                   SOAK_SECONDS=S for another length): RSS, descriptors, table; never in make test
#   make i386       the core on 32-bit x86: unit tests (ASan+UBSan), golden, CLI, RFC 4475 = native
#   make s390x      the core on a big-endian CPU (static, qemu-user): golden, CLI, RFC 4475 = native

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
# The daemon's threads (option queues) under ThreadSanitizer: its own build, as TSan and ASan
# do not mix.
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer

ALG_SRC := $(wildcard alg/*.c)
ALG_OBJ := $(ALG_SRC:%.c=$(BUILD)/obj/%.o)
ALG_ASAN_OBJ := $(ALG_SRC:%.c=$(BUILD)/asan/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/asan/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

.PHONY: install all test check lint unit golden torture fuzz-smoke fuzz e2e demo deps-test deps-demo clean \
	bench bench-bin deps-bench soak i386 s390x
# The daemon is nfq/; the tools beside it (tools/) are one source file each.
DAEMON_SRC := $(wildcard nfq/*.c)
DAEMON_LIBS := -lnetfilter_queue -lnetfilter_conntrack -lnftnl -lmnl -pthread
all: $(BUILD)/sipalg-rewrite $(BUILD)/sipalgd $(BUILD)/sipalgctl

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,CC-SAN,$<)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/tsan/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,CC-TSAN,$<)
	$(Q)$(CC) $(ALL_CFLAGS) $(TSAN_FLAGS) -c $< -o $@

$(BUILD)/libalg.a: $(ALG_OBJ)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(BUILD)/sipalg-rewrite: $(BUILD)/obj/tools/sipalg-rewrite.o $(BUILD)/libalg.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(OSIP_LIBS)

$(BUILD)/sipalgd: $(DAEMON_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/libalg.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(OSIP_LIBS) $(DAEMON_LIBS)

$(BUILD)/sipalgctl: $(BUILD)/obj/tools/sipalgctl.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(BUILD)/asan/sipalgd: $(DAEMON_SRC:%.c=$(BUILD)/asan/%.o) $(ALG_ASAN_OBJ)
	$(call msg,LD-SAN,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(OSIP_LIBS) $(DAEMON_LIBS)

$(BUILD)/tsan/sipalgd: $(DAEMON_SRC:%.c=$(BUILD)/tsan/%.o) $(ALG_SRC:%.c=$(BUILD)/tsan/%.o)
	$(call msg,LD-TSAN,$@)
	$(Q)$(CC) $(CFLAGS) $(TSAN_FLAGS) $(LDFLAGS) -o $@ $^ $(OSIP_LIBS) $(DAEMON_LIBS)

$(BUILD)/asan/sipalg-rewrite: $(BUILD)/asan/tools/sipalg-rewrite.o $(ALG_ASAN_OBJ)
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

# Router CPUs: most routers are 32-bit (MIPS, ARM) and many big-endian (MIPS 24Kc). The core
# and sipalg-rewrite are built for 32-bit x86 (Debian's i386 multiarch libraries, run natively,
# with ASan+UBSan) and statically for big-endian s390x (with UBSan, run under qemu-user: dynamic
# s390x programs abort under qemu here). Each runs the golden corpus and the CLI contract, and
# must print for every RFC 4475 message exactly what the native build prints; i386 also runs the
# unit tests. tests/install-deps.sh test installs the compilers, libraries and qemu.
# -idirafter: bookworm's -m32 has no <asm/*.h> unless linux-libc-dev:i386 is installed, whose
# version must equal the amd64 one (it does not while the i386 index lags); the cross
# toolchain's copy of the kernel headers has no such tie.
REWRITE_SRC := tools/sipalg-rewrite.c
I386_CC ?= $(CC)
I386_CFLAGS ?= -m32 -idirafter /usr/i686-linux-gnu/include
S390X_CC ?= s390x-linux-gnu-gcc
S390X_SAN ?= -fsanitize=undefined -fno-sanitize-recover=all
QEMU_S390X ?= qemu-s390x-static
I386_ALG_OBJ := $(ALG_SRC:%.c=$(BUILD)/i386/%.o)
I386_UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/i386/%)
S390X_ALG_OBJ := $(ALG_SRC:%.c=$(BUILD)/s390x/%.o)
.SECONDARY: $(UNIT_SRC:%.c=$(BUILD)/i386/%.o)

$(BUILD)/i386/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,CC-386,$<)
	$(Q)$(I386_CC) $(I386_CFLAGS) $(ALL_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/i386/sipalg-rewrite: $(BUILD)/i386/$(REWRITE_SRC:.c=.o) $(I386_ALG_OBJ)
	$(call msg,LD-386,$@)
	$(Q)$(I386_CC) $(I386_CFLAGS) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(OSIP_LIBS)

$(BUILD)/i386/test_%: $(BUILD)/i386/tests/unit/test_%.o $(I386_ALG_OBJ)
	$(call msg,LD-386,$@)
	$(Q)$(I386_CC) $(I386_CFLAGS) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(OSIP_LIBS) -lcmocka

$(BUILD)/i386/test_config: $(BUILD)/i386/tests/unit/test_config.o $(BUILD)/i386/nfq/config.o $(I386_ALG_OBJ)
	$(call msg,LD-386,$@)
	$(Q)$(I386_CC) $(I386_CFLAGS) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(OSIP_LIBS) -lcmocka

$(BUILD)/s390x/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,CC-S390X,$<)
	$(Q)$(S390X_CC) $(ALL_CFLAGS) $(S390X_SAN) -c $< -o $@

$(BUILD)/s390x/sipalg-rewrite: $(BUILD)/s390x/$(REWRITE_SRC:.c=.o) $(S390X_ALG_OBJ)
	$(call msg,LD-S390X,$@)
	$(Q)$(S390X_CC) -static $(CFLAGS) $(S390X_SAN) $(LDFLAGS) -o $@ $^ $(OSIP_LIBS)

i386: $(BUILD)/sipalg-rewrite $(BUILD)/i386/sipalg-rewrite $(I386_UNIT_BIN)
	$(Q)sh tests/cross/stage.sh i386 $(RESULTS) $(BUILD)/sipalg-rewrite $(BUILD)/i386/sipalg-rewrite \
		$(I386_UNIT_BIN)

# The pure fuzz harnesses without libFuzzer (tests/fuzz/replay.c), static, for the replay of
# their seeds on the big-endian CPU (tests/cross/replay.sh).
S390X_FUZZ := $(patsubst %,$(BUILD)/s390x/%,fuzz_translate fuzz_fastpath fuzz_sdp fuzz_table fuzz_state fuzz_stream fuzz_config fuzz_stun)
$(BUILD)/s390x/fuzz_config: $(BUILD)/s390x/nfq/config.o
$(BUILD)/s390x/fuzz_%: $(BUILD)/s390x/tests/fuzz/fuzz_%.o $(BUILD)/s390x/tests/fuzz/replay.o $(S390X_ALG_OBJ)
	$(call msg,LD-S390X,$@)
	$(Q)$(S390X_CC) -static $(CFLAGS) $(S390X_SAN) $(LDFLAGS) -o $@ $^ $(OSIP_LIBS)

# The scripts run one program: a wrapper runs the s390x one under qemu-user (no binfmt_misc).
S390X_RUN := $(BUILD)/s390x/sipalg-rewrite-qemu
s390x: $(BUILD)/sipalg-rewrite $(BUILD)/s390x/sipalg-rewrite $(S390X_FUZZ)
	$(Q)if ! command -v $(QEMU_S390X) >/dev/null; then echo "s390x: $(QEMU_S390X) not found" \
		"(tests/install-deps.sh test installs qemu-user-static)"; echo "s390x 0 1" >>$(RESULTS); exit 1; fi
	$(Q)printf '#!/bin/sh\nexec %s %s "$$@"\n' '$(QEMU_S390X)' '$(abspath $(BUILD)/s390x/sipalg-rewrite)' \
		>$(S390X_RUN) && chmod +x $(S390X_RUN)
	$(Q)status=0; sh tests/cross/stage.sh s390x $(RESULTS) $(BUILD)/sipalg-rewrite $(S390X_RUN) || status=1; \
		FUZZ_CORPORA=$(BUILD)/fuzz sh tests/cross/replay.sh s390x $(RESULTS) $(BUILD)/s390x $(QEMU_S390X) $(S390X_FUZZ) || status=1; \
		exit $$status

# Every shell script passes shellcheck (sourced files are followed from each script's folder).
SHELL_SCRIPTS := router-scripts/sipalg-firewall openwrt/sipalg/files/sipalg.init .ci/run \
	$(wildcard tests/*.sh tests/*/*.sh bench/*.sh)
# Every source file names its licence (GPL-2.0-or-later, see LICENSE) in its first lines.
LICENSED := Makefile openwrt/sipalg/Makefile router-scripts/sipalgd.service $(SHELL_SCRIPTS) \
	$(wildcard alg/*.[ch] nfq/*.[ch] tools/*.c bench/*.c tests/*/*.[ch] tests/*/*.py)
lint:
	$(Q)if shellcheck -x -P SCRIPTDIR $(SHELL_SCRIPTS) && for s in $(SHELL_SCRIPTS); do sh -n $$s || exit 1; done; \
		then echo "lint 1 0" >>$(RESULTS); \
		echo "shellcheck and sh -n: $(words $(SHELL_SCRIPTS)) scripts clean"; else echo "lint 0 1" >>$(RESULTS); exit 1; fi
	$(Q)missing=$$(for f in $(LICENSED); do head -n 3 $$f | grep -q 'SPDX-License-Identifier: GPL-2.0-or-later' || echo $$f; done); \
		if [ -z "$$missing" ]; then echo "license 1 0" >>$(RESULTS); \
		echo "SPDX-License-Identifier: $(words $(LICENSED)) source files carry it"; \
		else echo "license 0 1" >>$(RESULTS); echo "no SPDX-License-Identifier line:" $$missing; exit 1; fi

# End-to-end: real kamailio, sipp, NFQUEUE, nftables and conntrack in network namespaces the
# tests create and remove (root only).
# The calls (UDP, and TCP through the relay) run three times: with the daemon as shipped, with its
# ASan+UBSan build, and with its ThreadSanitizer build on two queues (two packet threads besides
# the main one: SIPALG_QUEUES=2); the faults
# (valgrind, queue overflow, nftables errors, a hostile burst) with the daemon as shipped.
TSAN_RUN := TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" E2E_NAME=tsan SIPALG_QUEUES=2 \
	SIPALGD=$(abspath $(BUILD)/tsan/sipalgd)
e2e: all $(BUILD)/asan/sipalgd $(BUILD)/tsan/sipalgd $(BUILD)/bench/sipload
	$(Q)if [ "$$(id -u)" -ne 0 ]; then echo "e2e: needs root (network namespaces)"; \
		echo "e2e 0 1" >>$(RESULTS); exit 1; fi
	$(Q)status=0; export RESULTS=$(abspath $(RESULTS)); \
	sh tests/e2e/test-baseline.sh || status=1; \
	sh tests/e2e/test-install.sh || status=1; \
	sh tests/e2e/test-openwrt-init.sh || status=1; \
	sh tests/e2e/test-tcp-divert.sh || status=1; \
	sh tests/e2e/test-calls.sh || status=1; \
	sh tests/e2e/test-streams.sh || status=1; \
	sh tests/e2e/test-register.sh || status=1; \
	sh tests/e2e/test-transfer.sh || status=1; \
	sh tests/e2e/test-restart.sh || status=1; \
	sh tests/e2e/test-tcp.sh || status=1; \
	sh tests/e2e/test-security.sh || status=1; \
	sh tests/e2e/test-lan-server.sh || status=1; \
	sh tests/e2e/test-ice.sh || status=1; \
	sh tests/e2e/test-cgn.sh || status=1; \
	sh tests/e2e/test-faults.sh || status=1; \
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 E2E_NAME=asan \
		SIPALGD=$(abspath $(BUILD)/asan/sipalgd) sh tests/e2e/test-calls.sh || status=1; \
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 E2E_NAME=asan \
		SIPALGD=$(abspath $(BUILD)/asan/sipalgd) sh tests/e2e/test-tcp.sh || status=1; \
	$(TSAN_RUN) sh tests/e2e/test-calls.sh || status=1; \
	$(TSAN_RUN) sh tests/e2e/test-tcp.sh || status=1; \
	exit $$status

fuzz: $(FUZZ_BIN)
	$(Q)sh tests/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_BIN)

check: all bench-bin
	@mkdir -p $(BUILD) && rm -f $(RESULTS)
	$(Q)status=0; $(MAKE) --no-print-directory -k lint unit golden i386 fuzz-smoke s390x e2e || \
		{ status=1; echo "a stage that failed to build or run (see above)"; echo "stages 0 1" >>$(RESULTS); }; \
	awk '{ p += $$2; f += $$3 } END { printf "make test: %d passed, %d failed\n", p, f; exit f > 0 }' \
		$(RESULTS) || status=1; exit $$status

# make test and make demo install their Debian packages first, then build in a fresh make
# so that nothing is evaluated before the libraries exist.
test: deps-test
	$(Q)$(MAKE) --no-print-directory -s check

TRANSPORT ?= udp # make demo TRANSPORT=tcp: the phone speaks SIP over TCP
demo: deps-demo
	$(Q)$(MAKE) --no-print-directory -s all
	$(Q)TRANSPORT=$(TRANSPORT) sh tests/demo.sh

# Benchmarks: the load generator and the core's micro-benchmark (with and without the
# allocation counter: callgrind runs the one without).
BENCH_BIN := $(BUILD)/bench/sipload $(BUILD)/bench/core $(BUILD)/bench/core-plain $(BUILD)/bench/nfq_null
bench-bin: $(BENCH_BIN)

# NFQUEUE's round trip alone: sipalgd's queue code accepting every packet unchanged.
$(BUILD)/bench/nfq_null: bench/nfq_null.c $(BUILD)/obj/nfq/queue.o $(BUILD)/obj/nfq/log.o
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ -lnetfilter_queue -lmnl

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
SOAK ?= 0
SOAK_SECONDS ?= 600
bench: deps-bench
	$(Q)$(MAKE) --no-print-directory -s all bench-bin
	$(Q)BENCH_SOAK=$(SOAK) SOAK_SECONDS=$(SOAK_SECONDS) sh bench/bench.sh $(BUILD)

soak: deps-bench
	$(Q)$(MAKE) --no-print-directory -s all bench-bin
	$(Q)SOAK_SECONDS=$(SOAK_SECONDS) sh bench/bench.sh $(BUILD) soak

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
