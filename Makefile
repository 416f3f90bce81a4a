# vigil - network security sensor firmware.
# Plain make + pkg-config. `make help` lists the targets.

BUILD   ?= build
ARCH    ?=
SAN     ?= 0
FUZZ_CC ?= clang-14
V       ?= 0

# ---- toolchain -------------------------------------------------------------
ifeq ($(ARCH),arm64)
  CROSS      ?= aarch64-linux-gnu-
  TRIPLET    := aarch64-linux-gnu
  QEMU       ?= qemu-aarch64 -L /
endif
ifeq ($(ARCH),armhf)
  CROSS      ?= arm-linux-gnueabihf-
  TRIPLET    := arm-linux-gnueabihf
  QEMU       ?= qemu-arm -L /
endif

ifneq ($(TRIPLET),)
  CC         := $(CROSS)gcc
  AR         := $(CROSS)ar
  PKG_CONFIG := PKG_CONFIG_LIBDIR=/usr/lib/$(TRIPLET)/pkgconfig:/usr/share/pkgconfig pkg-config
  # Debian's libndpi-dev is not Multi-Arch: same, so it cannot be installed
  # beside the host's. Cross builds use the (architecture-independent)
  # headers from the host package and link the target's runtime library.
  NDPI_CFLAGS := -I/usr/include/ndpi
  NDPI_LIBS   := -l:libndpi.so.4.2 -lm
  RUN        := $(QEMU)
else
  CC         ?= cc
  PKG_CONFIG := pkg-config
  NDPI_CFLAGS := $(shell pkg-config --cflags libndpi 2>/dev/null)
  NDPI_LIBS   := $(shell pkg-config --libs libndpi 2>/dev/null)
  RUN        :=
endif

PKGS      := libpcap sqlite3 libpcre2-8 libmicrohttpd libsystemd libcap libcrypt libarchive
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) $(NDPI_CFLAGS)
# mbedTLS (tls_*.c only) has no pkg-config file in Debian 12: SHA-256, and
# the uplink's TLS client (tls_client.c)
MBEDTLS_LIBS := -lmbedtls -lmbedx509 -lmbedcrypto
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) $(NDPI_LIBS) $(MBEDTLS_LIBS)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GITREV  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(WARN) -fno-strict-aliasing -pthread \
           -Ifirmware/src -I. $(PKG_CFLAGS) \
           -DVIGIL_VERSION='"$(VERSION)"' -DVIGIL_GITREV='"$(GITREV)"'
LDLIBS  += $(PKG_LIBS) -pthread

ifeq ($(SAN),1)
  CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
endif
# the fuzzing build (make fuzz): clang with libFuzzer's coverage, ASan, UBSan
ifeq ($(SAN),fuzz)
  CC      := $(FUZZ_CC)
  CFLAGS  += -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
endif

# ---- sources ---------------------------------------------------------------
# firmware/src by folder, lowest first (docs/architecture.md): each may
# include its own and the folders before it, never one after it. The
# drivers/ folders sit at the top of the tree (what is opened before the
# privilege drop), the others below firmware/src.
SRC_DIRS  := core tls drivers/capture drivers/board decode flow classify detect output \
             web daemon cmd
src_dir    = $(if $(filter drivers/%,$(1)),$(1),firmware/src/$(1))
LIB_SRCS  := $(filter-out firmware/src/cmd/vigil.c, \
             $(foreach d,$(SRC_DIRS),$(wildcard $(call src_dir,$(d))/*.c)))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ  := $(BUILD)/obj/firmware/src/cmd/vigil.o
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
DEPS      := $(LIB_OBJS:.o=.d) $(MAIN_OBJ:.o=.d)

# fuzz harnesses (tests/fuzz): with libFuzzer in the fuzz build (SAN=fuzz),
# with a main that replays files in every other build
FUZZ_HARNESSES := decode pipeline rules ioc detectors suppress config web json_parse json bundle
FUZZ_BINS := $(FUZZ_HARNESSES:%=$(BUILD)/harness/fuzz_%)
ifeq ($(SAN),fuzz)
  FUZZ_MAIN :=
  FUZZ_LINK := -fsanitize=fuzzer
  FUZZ_UTIL_CFLAGS := -fno-sanitize=fuzzer-no-link  # the oracles give no coverage
else
  FUZZ_MAIN := tests/fuzz/replay_main.c
  FUZZ_LINK :=
  FUZZ_UTIL_CFLAGS :=
endif

ifeq ($(V),0)
  Q := @
else
  Q :=
endif


.PHONY: bench-api bench-workers demo fuzz fuzz-build test-fuzz
.PHONY: all run web test test-unit test-integration test-web test-daemon test-uplink test-rules-sync test-tools test-browser \
        test-asan test-arm64 test-corpus test-repeat \
        test-valgrind bench cross deps check-deps check-deps-build clean help fixtures

all: $(BUILD)/vigil

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libvigil.a: $(LIB_OBJS)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/vigil: $(MAIN_OBJ) $(BUILD)/libvigil.a
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libvigil.a
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -MF $@.d -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/libvigil.a $(CMOCKA_LIBS) $(LDLIBS)

# test_flow makes calloc fail on purpose (a flow that cannot be allocated)
$(BUILD)/tests/test_flow: LDFLAGS += -Wl,--wrap=calloc

# each harness source its own object with its header dependencies (.d)
FUZZ_COMMON := $(BUILD)/harness/obj/fuzz_util.o $(FUZZ_MAIN:tests/fuzz/%.c=$(BUILD)/harness/obj/%.o)
.SECONDARY: $(FUZZ_HARNESSES:%=$(BUILD)/harness/obj/fuzz_%.o) $(FUZZ_COMMON)
$(BUILD)/harness/obj/fuzz_util.o: FUZZ_OBJ_CFLAGS := $(FUZZ_UTIL_CFLAGS)
$(BUILD)/harness/obj/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) $(FUZZ_OBJ_CFLAGS) -DVIGIL_FUZZ_SRCDIR='"$(CURDIR)"' -MMD -MP -Itests/fuzz \
	  -c $< -o $@

$(BUILD)/harness/fuzz_%: $(BUILD)/harness/obj/fuzz_%.o $(FUZZ_COMMON) $(BUILD)/libvigil.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(FUZZ_LINK) -o $@ $^ $(LDLIBS)

-include $(DEPS) $(UNIT_BINS:=.d) $(wildcard $(BUILD)/harness/obj/*.d)

# ---- dependencies ----------------------------------------------------------
# Debian packages the build, tests and benchmarks need.
DEB_PKGS := build-essential pkg-config libpcap-dev libndpi-dev libndpi-bin \
            libsqlite3-dev libcmocka-dev libpcre2-dev libmicrohttpd-dev \
            libsystemd-dev libcap-dev libcrypt-dev libmbedtls-dev libarchive-dev sqlite3 python3 jq tcpdump valgrind \
            tshark tcpreplay python3-scapy time python3-jsonschema
DEB_PKGS_ARM64 := gcc-aarch64-linux-gnu qemu-user libc6:arm64 libpcap-dev:arm64 \
            libsqlite3-dev:arm64 libcmocka-dev:arm64 libpcre2-dev:arm64 \
            libmicrohttpd-dev:arm64 libsystemd-dev:arm64 libcap-dev:arm64 libcrypt-dev:arm64 \
            libmbedtls-dev:arm64 libarchive-dev:arm64 libndpi4.2:arm64 libgcrypt20:arm64

# the web page's end-to-end tests: HTTPS front end and a real browser
DEB_PKGS_WEB := lighttpd lighttpd-mod-mbedtls chromium nodejs iproute2

# the uplink's peers in its tests: rsyslog (imrelp over TLS, imtcp with
# gtls), an HTTP CONNECT proxy, certificates made with openssl
DEB_PKGS_UPLINK := rsyslog rsyslog-relp rsyslog-gnutls tinyproxy openssl

# tools/flash and its tests: write, verify and preseed a card image
DEB_PKGS_FLASH := bmap-tools mtools dosfstools fdisk e2fsprogs xz-utils zstd util-linux

# fuzzing: clang with libFuzzer and the sanitizer runtimes, llvm-symbolizer
DEB_PKGS_FUZZ := clang-14 libclang-rt-14-dev llvm-14

# make bench: perf samples the packet thread alone (the moonshot figure)
DEB_PKGS_BENCH := linux-perf

deps:
	@tools/deps.sh install $(DEB_PKGS) $(DEB_PKGS_WEB) $(DEB_PKGS_FLASH) $(DEB_PKGS_FUZZ) $(DEB_PKGS_IMAGE) \
	 $(DEB_PKGS_UPLINK) $(DEB_PKGS_BENCH)
	@tools/deps.sh install-arm64 $(DEB_PKGS_ARM64)

check-deps:
	@tools/deps.sh check $(DEB_PKGS) $(DEB_PKGS_ARM64) $(DEB_PKGS_WEB) $(DEB_PKGS_FLASH) \
	 $(DEB_PKGS_FUZZ) $(DEB_PKGS_IMAGE) $(DEB_PKGS_UPLINK) $(DEB_PKGS_BENCH) || $(MAKE) --no-print-directory deps

check-deps-build:
	@tools/deps.sh check $(DEB_PKGS) || tools/deps.sh install $(DEB_PKGS)

# ---- the web page ------------------------------------------------------------
# Built at build time with npm (Vite); the output is architecture-free and
# always lands in build/web, whatever BUILD is.
WEB_OUT  := $(CURDIR)/build/web
WEB_SRCS := $(shell find firmware/web -path firmware/web/node_modules -prune -o -type f -print 2>/dev/null)

web: $(WEB_OUT)/index.html

# npm ci replaces node_modules in place: two builds at once (make -j,
# test-browser beside test-web, tests/browser/run.sh) take turns on one
# lock instead of building on each other's half-installed tree (flock:
# util-linux, always there); the page is built aside and swapped in, so a
# server of another run never serves half of it.
$(WEB_OUT)/index.html: $(WEB_SRCS)
	@echo "  NPM     firmware/web -> build/web"
	@mkdir -p $(CURDIR)/build
	$(Q)cd firmware/web && flock $(CURDIR)/build/.web.lock sh -c \
	  'npm ci --no-audit --no-fund --loglevel=error && rm -rf $(WEB_OUT).new $(WEB_OUT).old && \
	   VIGIL_WEB_OUT=$(WEB_OUT).new npm run build --silent && \
	   { [ ! -d $(WEB_OUT) ] || mv $(WEB_OUT) $(WEB_OUT).old; } && mv $(WEB_OUT).new $(WEB_OUT) && \
	   rm -rf $(WEB_OUT).old'

# ---- run -------------------------------------------------------------------
# an office day, then a few attacks from the detection tests
DEMO_PCAP := tests/fixtures/demo.pcap tests/detect/sig_header.pcap tests/detect/behav_portscan.pcap \
             tests/detect/behav_bruteforce.pcap tests/detect/behav_beacon.pcap \
             tests/detect/behav_dns_tunnel.pcap tests/detect/sig_app.pcap

# The appliance on this machine: `vigil run` with the development
# configuration (the demo captures read once at full speed, so the page
# has its alerts within seconds, then replayed in a loop at recorded speed;
# rules from rules/default, database and state in build/dev, the page on
# http://127.0.0.1:$(PORT), 8080 unless `make run PORT=N`). Ctrl-C stops it
# cleanly.
PORT ?= 8080
run: check-deps-build all web
	@mkdir -p build/dev
	@case "$(PORT)" in ''|*[!0-9]*) echo "make run: PORT must be a port number (1-65535), got '$(PORT)'" >&2; exit 2;; esac; \
	 if [ "$(PORT)" -lt 1 ] || [ "$(PORT)" -gt 65535 ]; then echo "make run: PORT must be 1-65535, got $(PORT)" >&2; exit 2; fi; \
	 if bash -c 'exec 3<>/dev/tcp/127.0.0.1/$(PORT)' 2>/dev/null; then \
	   echo "make run: port $(PORT) on 127.0.0.1 is already in use (another make run, or another server):" >&2; \
	   echo "  stop it, or pick another port: make run PORT=$$(( $(PORT) == 65535 ? 8081 : $(PORT) + 1 ))" >&2; exit 1; fi
	@sed 's/^listen = 127\.0\.0\.1:8080$$/listen = 127.0.0.1:$(PORT)/' firmware/etc/vigil-dev.conf > build/dev/vigil-run.conf
	@echo "vigil: starting; the page will be on http://127.0.0.1:$(PORT) (loopback only)."
	@if [ -f build/dev/vigil.sqlite ] && [ ! -e build/dev/setup-token ]; then \
	 echo "vigil: the admin password was set earlier (rm -rf build/dev to start over)"; fi
	$(BUILD)/vigil run -c build/dev/vigil-run.conf

# The demo captures through `vigil replay` and a printed summary, no daemon.
demo: check-deps-build all
	@rm -f $(BUILD)/demo.sqlite $(BUILD)/demo.sqlite-wal $(BUILD)/demo.sqlite-shm
	$(BUILD)/vigil replay --rules rules/default --eve $(BUILD)/demo.eve.json --db $(BUILD)/demo.sqlite -q $(DEMO_PCAP)
	$(BUILD)/vigil summary --db $(BUILD)/demo.sqlite
	@echo
	@echo "EVE events: $(BUILD)/demo.eve.json   SQLite: $(BUILD)/demo.sqlite"

# ---- tests -----------------------------------------------------------------
# The suites of make test, in this order; the corpus test joins them when
# VIGIL_PCAP_CORPUS names a folder. Every suite runs even when one fails;
# the last line counts them (and names the failed ones).
TEST_SUITES := test-unit test-integration test-web test-daemon test-uplink test-rules-sync test-tools test-browser \
               test-valgrind test-asan test-arm64 test-fuzz \
               test-deb test-image

test: check-deps
	@pass=0; fail=0; failed=; \
	[ -n "$$VIGIL_PCAP_CORPUS" ] || echo "corpus test skipped: VIGIL_PCAP_CORPUS is not set"; \
	for s in $(TEST_SUITES) $${VIGIL_PCAP_CORPUS:+test-corpus}; do \
	  if $(MAKE) --no-print-directory $$s; then pass=$$((pass + 1)); \
	  else fail=$$((fail + 1)); failed="$$failed $${s#test-}"; fi; \
	done; \
	echo "suites: $$pass passed, $$fail failed$${failed:+ (failed:$$failed)}"; \
	[ $$fail -eq 0 ]

# unit tests, the fuzz inputs kept in tests/fuzz replayed through the
# harnesses of this build (regressions and hand-written seeds), and the one
# direction of firmware/src's includes (no circle)
test-unit: $(UNIT_BINS) $(FUZZ_BINS)
	@python3 tests/layout/check_layers.py
	@tests/run-unit.sh "$(RUN)" $(UNIT_BINS)
	@tests/fuzz/replay.sh "$(RUN)" $(BUILD)/harness

test-integration: $(BUILD)/vigil
	@VIGIL="$(RUN) $(abspath $(BUILD)/vigil)" tests/integration/run.sh

# the web API through a real `vigil serve` (TCP and UNIX socket)
test-web: $(BUILD)/vigil
	@VIGIL="$(RUN) $(abspath $(BUILD)/vigil)" tests/web/run.sh

# `vigil run`: replay, live capture on veth pairs in a network namespace,
# SIGHUP, SIGTERM, retention, privilege drop (needs root for the live parts)
test-daemon: $(BUILD)/vigil
	@VIGIL="$(RUN) $(abspath $(BUILD)/vigil)" tests/daemon/run.sh

# the uplink against real peers: rsyslog (RELP over TLS, syslog over TLS),
# tinyproxy, test-made certificates; faults (peer restarts, kill -9, limits)
test-uplink: $(BUILD)/vigil
	@tools/deps.sh check $(DEB_PKGS_UPLINK) 2>/dev/null || tools/deps.sh install $(DEB_PKGS_UPLINK)
	@VIGIL="$(RUN) $(abspath $(BUILD)/vigil)" tests/uplink/run.sh

# [rules_sync] against lighttpd + mod_mbedtls serving signed rule bundles
# (test-made certificates and keys): applied, 304, refusals, restarts
test-rules-sync: $(BUILD)/vigil
	@tools/deps.sh check lighttpd lighttpd-mod-mbedtls openssl 2>/dev/null || \
	  tools/deps.sh install lighttpd lighttpd-mod-mbedtls openssl
	@VIGIL="$(RUN) $(abspath $(BUILD)/vigil)" tests/rules_sync/run.sh

# tools/flash: write, verify, refuse, preseed on a file and (root) loop devices
test-tools:
	@tests/tools/run.sh

# the page in Debian's Chromium, directly and through lighttpd + mod_mbedtls
test-browser: $(BUILD)/vigil web
	@VIGIL="$(abspath $(BUILD)/vigil)" VIGIL_WEB_OUT=$(WEB_OUT) tests/browser/run.sh

# The daemon, web and browser suites N times in a row (default 5), a line
# per run: their verdicts must not depend on how fast or busy the machine is.
N ?= 5
test-repeat: $(BUILD)/vigil web
	@MAKE="$(MAKE)" tests/repeat.sh $(N) web daemon browser

# The whole suite (unit + integration) under AddressSanitizer and UBSan.
test-asan:
	$(MAKE) --no-print-directory BUILD=build/asan SAN=1 test-unit test-integration test-web test-daemon test-uplink \
	  test-rules-sync

# The arm64 build, unit + integration tests under qemu-user.
test-arm64:
	@tools/deps.sh check $(DEB_PKGS_ARM64) 2>/dev/null || tools/deps.sh install-arm64 $(DEB_PKGS_ARM64)
	$(MAKE) --no-print-directory BUILD=build/arm64 ARCH=arm64 test-unit test-integration test-web test-daemon test-uplink \
	  test-rules-sync

# Real public captures (ndpiReader 4.2 agreement), under sanitizers.
test-corpus:
	$(MAKE) --no-print-directory BUILD=build/asan SAN=1 all
	@VIGIL=$(abspath build/asan/vigil) tests/corpus/run.sh "$$VIGIL_PCAP_CORPUS"

# memcheck on real replays (errors, definite leaks)
test-valgrind: $(BUILD)/vigil
	@tests/valgrind.sh $(BUILD)/vigil
	@VIGIL="$(abspath $(BUILD)/vigil)" tests/web/run.sh --valgrind

# ---- fuzzing (tests/fuzz/README.md) ------------------------------------------
# make fuzz: every harness (or FUZZ=name ...) for FUZZ_SECONDS each, with
# clang, libFuzzer, ASan and UBSan; the corpus grows in build/fuzz/corpus,
# a finding is kept in build/fuzz/findings and fails the target.
FUZZ_SECONDS ?= 60
FUZZ         ?= $(FUZZ_HARNESSES)

fuzz-build:
	@tools/deps.sh check $(DEB_PKGS_FUZZ) 2>/dev/null || tools/deps.sh install $(DEB_PKGS_FUZZ)
	$(MAKE) --no-print-directory BUILD=build/fuzz SAN=fuzz $(FUZZ:%=build/fuzz/harness/fuzz_%)

fuzz: fuzz-build
	@tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS) $(FUZZ)

# the short pass of make test: a fixed number of inputs per harness from the
# seeds alone (about 3 s each, 35-50 s in all; tests/fuzz/run.sh), a finding fails
test-fuzz: fuzz-build
	@tests/fuzz/run.sh build/fuzz short $(FUZZ)

cross:
	@test -n "$(ARCH)" || { echo "usage: make cross ARCH=arm64|armhf"; exit 2; }
	$(MAKE) --no-print-directory BUILD=build/$(ARCH) ARCH=$(ARCH) all

fixtures:
	python3 tools/gen_fixtures.py tests/fixtures

bench: check-deps-build all
	@tools/deps.sh check $(DEB_PKGS_BENCH) 2>/dev/null || tools/deps.sh install $(DEB_PKGS_BENCH)
	@tools/bench.sh $(BUILD)/vigil
	@python3 tools/writer_bytes.py $(BUILD)/vigil build/bench/big.pcap
	@python3 tools/bench_api.py --vigil $(BUILD)/vigil
	@tools/deps.sh check $(DEB_PKGS_UPLINK) 2>/dev/null || tools/deps.sh install $(DEB_PKGS_UPLINK)
	@python3 tools/bench_uplink.py --vigil $(BUILD)/vigil

# the web API's latency alone (1M flows, 100k alerts)
bench-api: all
	@python3 tools/bench_api.py --vigil $(BUILD)/vigil

# packets/s of `vigil replay --workers 1, 2, 4` alternating in one run
bench-workers: check-deps-build all
	@tools/bench_workers.sh $(BUILD)/vigil

# ---- package and board images -----------------------------------------------
# `make deb [ARCH=arm64]`: build/deb/vigil_<version>_<arch>.deb (tools/mkdeb);
# its binary is built apart (build/deb-<arch>) with Debian's hardening flags.
# `make image BOARD=<name>`: build/images/vigil-<board>-<version>.img.xz with
# .sha256, .bmap and vigil-os-list.json (tools/mkimage, board/<name>/).
# `make test-image BOARD=qemu-arm64`: build that image and boot it under
# qemu-system-aarch64 (tests/image/).
BOARD      ?= qemu-arm64
DEB_ARCH   := $(or $(ARCH),$(shell dpkg --print-architecture 2>/dev/null))
DEB_FILE   := build/deb/vigil_$(VERSION)_$(DEB_ARCH).deb
DEB_FLAGS   = DEB_HOST_ARCH=$(DEB_ARCH) DEB_BUILD_MAINT_OPTIONS=hardening=+all
IMAGE_DEB  := build/deb/vigil_$(VERSION)_arm64.deb
# what building and boot-testing the images needs on the build machine
DEB_PKGS_IMAGE := mmdebstrap qemu-user-static binfmt-support arch-test qemu-system-arm \
            mtools dosfstools e2fsprogs fdisk bmap-tools lintian file xz-utils zstd \
            openssh-client openssl systemd debian-archive-keyring libarchive-tools

.PHONY: deb image test-image test-deb test-preseed test-imgxz

deb: web
	@tools/deps.sh check $(DEB_PKGS_IMAGE) >/dev/null 2>&1 || tools/deps.sh install $(DEB_PKGS_IMAGE)
	@CFLAGS="$$($(DEB_FLAGS) dpkg-buildflags --get CFLAGS) $$($(DEB_FLAGS) dpkg-buildflags --get CPPFLAGS)" \
	 LDFLAGS="$$($(DEB_FLAGS) dpkg-buildflags --get LDFLAGS)" \
	 $(MAKE) --no-print-directory BUILD=build/deb-$(DEB_ARCH) ARCH=$(ARCH) all
	@echo "  DEB     $(DEB_FILE)"
	$(Q)tools/mkdeb --arch $(DEB_ARCH) --binary build/deb-$(DEB_ARCH)/vigil --web $(WEB_OUT) \
	  --version $(VERSION) --out build/deb >/dev/null

image:
	@test -d board/$(BOARD) || { echo "make image: no board/$(BOARD) (boards: $$(ls board | grep -v -e common -e deb -e README))"; exit 2; }
	@$(MAKE) --no-print-directory deb ARCH=arm64
	@tools/mkimage --board $(BOARD) --deb $(IMAGE_DEB) --version $(VERSION) --out build/images

# the package's fields, files and lintian
test-deb:
	@$(MAKE) --no-print-directory deb
	@tests/image/test-deb.sh $(DEB_FILE)

# the appliance's boot-time scripts (preseed parser, first boot, setup token)
test-preseed: $(BUILD)/vigil
	@VIGIL=$(abspath $(BUILD)/vigil) tests/image/test_preseed.py

# tools/imgxz: its .xz read back by xz, lzma, bmaptool, libarchive; its block cache
test-imgxz:
	@tests/image/test_imgxz.py

test-image: test-preseed test-imgxz
	@$(MAKE) --no-print-directory image BOARD=$(BOARD)
	@tests/image/test-deb.sh $(IMAGE_DEB)
	@tests/image/run.sh --board $(BOARD) --version $(VERSION)

clean:
	rm -rf build

help:
	@echo "vigil $(VERSION) - make targets:"
	@echo "  all           build build/vigil (default)"
	@echo "  run           the appliance here: vigil run with the development configuration,"
	@echo "                the page on http://127.0.0.1:8080, or PORT=N (prints the setup token)"
	@echo "  demo          replay the demo captures with the default rules, print a summary"
	@echo "  test          unit + integration tests, again under ASan+UBSan, again"
	@echo "                for arm64 under qemu-user, a short fuzz pass per harness, the"
	@echo "                package's checks and the qemu-arm64 image built and boot-tested"
	@echo "                (test-deb, test-image), and the pcap corpus test when"
	@echo "                VIGIL_PCAP_CORPUS names a folder"
	@echo "  test-unit, test-integration, test-web, test-daemon, test-uplink, test-rules-sync, test-tools,"
	@echo "  test-browser, test-valgrind, test-asan, test-arm64, test-corpus, test-fuzz"
	@echo "                individual suites"
	@echo "  test-repeat N=5   the web, daemon and browser suites N times in a row,"
	@echo "                a line per run (build/test-repeat/)"
	@echo "  web           build the web page (npm, Vite) into build/web"
	@echo "  bench         throughput and memory against ndpiReader on a large capture,"
	@echo "                detection with 1M indicators, web API latency (bench-api alone),"
	@echo "                the uplink's events/s, CPU and bytes per event (RELP, syslog over TLS)"
	@echo "  bench-workers vigil replay --workers 1, 2, 4 alternating: packets/s and the"
	@echo "                ratio to one worker, without and with outputs (EVE + SQLite)"
	@echo "  cross ARCH=arm64|armhf   cross-build into build/<arch>/"
	@echo "  deb [ARCH=arm64]          build/deb/vigil_<version>_<arch>.deb (test-deb: its checks)"
	@echo "  image BOARD=<name>        build/images/vigil-<board>-<version>.img.xz, .sha256, .bmap,"
	@echo "                vigil-os-list.json (boards: qemu-arm64, rpi-arm64, rock-pi-e)"
	@echo "  test-image [BOARD=qemu-arm64]   build the image and boot-test it under QEMU"
	@echo "  test-preseed  the image's boot-time scripts (preseed parser, first boot)"
	@echo "  test-imgxz    the image compressor (tools/imgxz) and its block cache"
	@echo "  deps          install the Debian packages the build and tests need"
	@echo "  fixtures      regenerate tests/fixtures/*.pcap with tools/gen_fixtures.py"
	@echo "  clean         remove build/"
