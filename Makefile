# sockshim: see README.md.
#   make            build the library and header, print the conformance report
#   make test       every test (what .ci/run runs)
#   make header     refresh include/sockshim.h from the generated copy
#   make bench      benchmarks: shim vs native C library, ratios (not part of make test)
#   make stress     the long versions of the reliability tests
#   make musl-report  the conformance report for musl programs (needs musl-tools)
#   make aarch64-report  the conformance report for aarch64, under qemu-user
#   make install    PREFIX=/usr/local DESTDIR= (BINDIR LIBDIR INCLUDEDIR MANDIR); make uninstall

PREFIX      ?= /usr/local
LIBDIR      ?= $(PREFIX)/lib
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
INCLUDEDIR  ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR     ?=
VERSION     := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
CARGO       ?= cargo
CC          ?= cc
CXX         ?= c++
PYTHON      ?= python3

TOP     := $(abspath .)
LIB     := target/release/libsockshim.so
BUILD   := build
# The in-tree copy that programs link against: libsockshim.so.0 is the soname.
LIBLINK := $(BUILD)/lib
WARN    := -Wall -Wextra -Wpedantic -Werror
# The suite's native and linked builds reach sockshim by interposition (LD_PRELOAD, or
# -lsockshim before the C library): the names of <sockshim.h> without its binding. The
# library builds (below) use the binding.
CFLAGS_SUITE := -std=c11 -D_GNU_SOURCE -O1 -g $(WARN) -Iinclude
CFLAGS_TEST := $(CFLAGS_SUITE) -DSOCKSHIM_NO_BINDING
SUITE_SRC := $(wildcard c-tests/*.c) $(wildcard c-tests/*.h)
HEADERS   := include/sockshim.h include/sockshim/bind.h
# The overlay headers (include/sockshim/overlay/...), as installed.
OVERLAY   := sys/socket.h sys/uio.h sys/sendfile.h fcntl.h unistd.h

.PHONY: all lib launcher report header test install uninstall clean tools bench stress
.DEFAULT_GOAL := all

# What the build and tests run besides cargo and the C compiler.
tools:
	@tools/need.sh $(PYTHON) python3
	@tools/need.sh nm binutils
	@tools/need.sh readelf binutils
	@tools/need.sh $(CXX) g++
.DELETE_ON_ERROR:

all: report

lib: $(LIBLINK)/libsockshim.so.0 $(BUILD)/bin/sockshim $(BUILD)/pkgconfig/sockshim.pc \
     $(BUILD)/pkgconfig/sockshim-overlay.pc
launcher: $(BUILD)/bin/sockshim

# The launcher finds the library relative to its own directory: ../lib in the build
# tree, the relative path from BINDIR to LIBDIR when installed (so DESTDIR works too).
LAUNCHER_CFLAGS := -std=c11 -O2 $(WARN) -DSOCKSHIM_VERSION='"$(VERSION)"'
$(BUILD)/bin/sockshim: tools/sockshim.c Cargo.toml
	@mkdir -p $(BUILD)/bin
	$(CC) $(LAUNCHER_CFLAGS) -DSOCKSHIM_LIB_REL='"../lib/libsockshim.so.0"' $< -o $@

$(BUILD)/install/sockshim: tools/sockshim.c Cargo.toml FORCE
	@mkdir -p $(BUILD)/install
	$(CC) $(LAUNCHER_CFLAGS) \
	    -DSOCKSHIM_LIB_REL='"'"$$(realpath -m --relative-to=$(BINDIR) $(LIBDIR)/libsockshim.so.0)"'"' \
	    -DSOCKSHIM_MUSL_LIB_REL='"'"$$(realpath -m --relative-to=$(BINDIR) $(LIBDIR)/musl/libsockshim.so.0)"'"' $< -o $@
FORCE:

$(LIB): Cargo.toml build.rs cbindgen.toml $(wildcard src/*.rs)
	$(CARGO) build --release --locked
	@touch $@

# The .pc files, from their templates: installed, or for the build tree (build/pkgconfig,
# PKG_CONFIG_PATH=$(TOP)/build/pkgconfig), where programs also get an rpath to build/lib.
PC_SUBST = sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@PREFIX@|$(1)|g' -e 's|@LIBDIR@|$(2)|g' \
                -e 's|@INCLUDEDIR@|$(3)|g' -e 's|@RPATH@|$(4)|g'
$(BUILD)/pkgconfig/%.pc: %.pc.in Cargo.toml
	@mkdir -p $(BUILD)/pkgconfig
	$(call PC_SUBST,$(TOP),$(TOP)/$(LIBLINK),$(TOP)/include, -Wl$(comma)-rpath$(comma)$(TOP)/$(LIBLINK)) $< > $@
comma := ,

$(LIBLINK)/libsockshim.so.0: $(LIB)
	@mkdir -p $(LIBLINK)
	ln -sf $(TOP)/$(LIB) $(LIBLINK)/libsockshim.so.0
	ln -sf libsockshim.so.0 $(LIBLINK)/libsockshim.so

$(BUILD)/conformance-native: $(SUITE_SRC) $(HEADERS)
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS_TEST) $(wildcard c-tests/*.c) -o $@ -lpthread

$(BUILD)/conformance-linked: $(SUITE_SRC) $(HEADERS) $(LIBLINK)/libsockshim.so.0
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS_TEST) $(wildcard c-tests/*.c) -o $@ -L$(LIBLINK) -lsockshim -Wl,-rpath,$(TOP)/$(LIBLINK) -lpthread

# The suite in a shared library compiled against the header (its binding, no
# SOCKSHIM_NO_BINDING) and linked with `pkg-config --libs sockshim` under --as-needed,
# loaded by programs that know nothing of sockshim: one links it (glibc first in its
# lookup scope), one opens it with dlopen(RTLD_LOCAL).
SUITE_PC := PKG_CONFIG_PATH=$(TOP)/$(BUILD)/pkgconfig pkg-config
$(BUILD)/libconformance.so: $(SUITE_SRC) $(HEADERS) $(LIBLINK)/libsockshim.so.0 $(BUILD)/pkgconfig/sockshim.pc
	$(CC) $(CFLAGS_SUITE) -DSUITE_LIBRARY -fPIC -shared $(wildcard c-tests/*.c) -o $@ \
	    -Wl,--as-needed $$($(SUITE_PC) --libs sockshim) -lpthread

$(BUILD)/conformance-library: c-tests/loader/main.c $(BUILD)/libconformance.so
	$(CC) -std=c11 $(WARN) $< -o $@ -Wl,--no-as-needed -lc -L$(BUILD) -lconformance -Wl,-rpath,$(TOP)/$(BUILD)

$(BUILD)/conformance-dlopen: c-tests/loader/dlopen.c $(BUILD)/libconformance.so
	$(CC) -std=c11 $(WARN) -DSUITE_LIB='"$(TOP)/$(BUILD)/libconformance.so"' $< -o $@ -ldl

SUITE_BINS := $(BUILD)/conformance-native $(BUILD)/conformance-linked $(BUILD)/conformance-library \
              $(BUILD)/conformance-dlopen
REPORT_ARGS := --lib $(TOP)/$(LIB) $(foreach b,native linked library dlopen,--$(b) $(BUILD)/conformance-$(b))

report: tools lib $(SUITE_BINS)
	$(PYTHON) c-tests/report.py $(REPORT_ARGS) --check

# musl (SPEC.md "Platforms"): the same library for <arch>-unknown-linux-musl, linked by
# musl-gcc through rust-lld (rustc links the glibc build with it too; GNU ld refuses
# rustc's and build.rs's anonymous version scripts together), and the suite built with
# musl-gcc, natively and linked. The library goes to build/lib/musl/, where the
# launcher looks for it when a program is linked with musl. tools/check-musl.sh (the
# make test stage) installs musl-tools and the Rust target first.
MUSL_TARGET  = $(shell uname -m)-unknown-linux-musl
MUSL_LIB     = target/$(MUSL_TARGET)/release/libsockshim.so
MUSL        := $(BUILD)/musl
MUSL_LIBLINK := $(LIBLINK)/musl
MUSL_CC     ?= musl-gcc
RUST_GCC_LD  = $(dir $(shell rustc --print target-libdir))bin/gcc-ld
# musl-gcc sees musl's headers only; the suite also includes the kernel's (linux/, asm/).
MUSL_CFLAGS  = $(CFLAGS_TEST) -isystem $(MUSL)/kernel-include
MUSL_BINS   := $(MUSL)/conformance-native $(MUSL)/conformance-linked

.PHONY: musl musl-lib musl-report install-musl
musl: $(MUSL_LIBLINK)/libsockshim.so.0 $(MUSL_BINS)
musl-lib: $(MUSL_LIBLINK)/libsockshim.so.0

$(MUSL_LIB): Cargo.toml build.rs cbindgen.toml $(wildcard src/*.rs)
	$(CARGO) build --release --locked --target $(MUSL_TARGET) \
	    --config 'target.$(MUSL_TARGET).linker="$(MUSL_CC)"' \
	    --config 'target.$(MUSL_TARGET).rustflags=["-Ctarget-feature=-crt-static","-Clink-arg=-B$(RUST_GCC_LD)","-Clink-arg=-fuse-ld=lld"]'
	@touch $@

$(MUSL_LIBLINK)/libsockshim.so.0: $(MUSL_LIB)
	@mkdir -p $(MUSL_LIBLINK)
	ln -sf $(TOP)/$(MUSL_LIB) $@
	ln -sf libsockshim.so.0 $(MUSL_LIBLINK)/libsockshim.so

$(MUSL)/kernel-include:
	@mkdir -p $@
	ln -sfn /usr/include/linux $@/linux
	ln -sfn /usr/include/asm-generic $@/asm-generic
	ln -sfn /usr/include/$$($(CC) -print-multiarch)/asm $@/asm

$(MUSL)/conformance-native: $(SUITE_SRC) $(HEADERS) | $(MUSL)/kernel-include
	$(MUSL_CC) $(MUSL_CFLAGS) $(wildcard c-tests/*.c) -o $@ -lpthread

$(MUSL)/conformance-linked: $(SUITE_SRC) $(HEADERS) $(MUSL_LIBLINK)/libsockshim.so.0 | $(MUSL)/kernel-include
	$(MUSL_CC) $(MUSL_CFLAGS) $(wildcard c-tests/*.c) -o $@ -L$(MUSL_LIBLINK) -lsockshim \
	    -Wl,-rpath,$(TOP)/$(MUSL_LIBLINK) -lpthread

musl-report: musl
	$(PYTHON) c-tests/report.py --platform "$(shell uname -m) musl" --lib $(TOP)/$(MUSL_LIB) \
	    --native $(MUSL)/conformance-native --linked $(MUSL)/conformance-linked --check

# aarch64 (SPEC.md "Platforms"), cross-built here and run under qemu-user: the library
# for aarch64-unknown-linux-gnu, linked by the cross gcc through rust-lld (as for musl),
# and the suite built with aarch64-linux-gnu-gcc, natively and linked. The binaries run
# as they are once qemu is registered with binfmt_misc (tools/check-aarch64.sh, the
# make test stage, installs the cross tools, arm64 glibc and qemu, and registers it).
AARCH64_TARGET  := aarch64-unknown-linux-gnu
AARCH64_LIB     := target/$(AARCH64_TARGET)/release/libsockshim.so
AARCH64         := $(BUILD)/aarch64
AARCH64_LIBLINK := $(LIBLINK)/aarch64
AARCH64_CC      ?= aarch64-linux-gnu-gcc
AARCH64_BINS    := $(AARCH64)/conformance-native $(AARCH64)/conformance-linked $(AARCH64)/tcp-info

.PHONY: aarch64 aarch64-lib aarch64-report
aarch64: $(AARCH64_LIBLINK)/libsockshim.so.0 $(AARCH64_BINS)
aarch64-lib: $(AARCH64_LIBLINK)/libsockshim.so.0

$(AARCH64_LIB): Cargo.toml build.rs cbindgen.toml $(wildcard src/*.rs)
	$(CARGO) build --release --locked --target $(AARCH64_TARGET) \
	    --config 'target.$(AARCH64_TARGET).linker="$(AARCH64_CC)"' \
	    --config 'target.$(AARCH64_TARGET).rustflags=["-Clink-arg=-B$(RUST_GCC_LD)","-Clink-arg=-fuse-ld=lld"]'
	@touch $@

$(AARCH64_LIBLINK)/libsockshim.so.0: $(AARCH64_LIB)
	@mkdir -p $(AARCH64_LIBLINK)
	ln -sf $(TOP)/$(AARCH64_LIB) $@
	ln -sf libsockshim.so.0 $(AARCH64_LIBLINK)/libsockshim.so

$(AARCH64)/conformance-native: $(SUITE_SRC) $(HEADERS)
	@mkdir -p $(AARCH64)
	$(AARCH64_CC) $(CFLAGS_TEST) $(wildcard c-tests/*.c) -o $@ -lpthread

$(AARCH64)/conformance-linked: $(SUITE_SRC) $(HEADERS) $(AARCH64_LIBLINK)/libsockshim.so.0
	@mkdir -p $(AARCH64)
	$(AARCH64_CC) $(CFLAGS_TEST) $(wildcard c-tests/*.c) -o $@ -L$(AARCH64_LIBLINK) -lsockshim \
	    -Wl,-rpath,$(TOP)/$(AARCH64_LIBLINK) -lpthread

# For the harness: this machine's TCP_INFO, which qemu-user cuts short (c-tests/loader/tcp_info.c).
$(AARCH64)/tcp-info: c-tests/loader/tcp_info.c
	@mkdir -p $(AARCH64)
	$(CC) -std=c11 -O1 $(WARN) $< -o $@

aarch64-report: aarch64
	$(PYTHON) c-tests/report.py --platform "aarch64 glibc (qemu-user)" --lib $(TOP)/$(AARCH64_LIB) \
	    --native $(AARCH64)/conformance-native --linked $(AARCH64)/conformance-linked --check \
	    $(AARCH64_REPORT_ARGS)

header: $(LIB)
	cp "$$(ls -t target/release/build/sockshim-*/out/sockshim.h | head -n 1)" include/sockshim.h

test: tools lib $(SUITE_BINS)
	CARGO="$(CARGO)" CC="$(CC)" CXX="$(CXX)" PYTHON="$(PYTHON)" REPORT_ARGS="$(REPORT_ARGS)" bash tools/run-tests.sh

bench: tools lib
	CARGO="$(CARGO)" CC="$(CC)" PYTHON="$(PYTHON)" bash bench/run.sh

stress: tools lib
	CARGO="$(CARGO)" CC="$(CC)" PYTHON="$(PYTHON)" bash c-tests/stress/run.sh --long

install: lib $(BUILD)/install/sockshim
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	    $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man7
	install -m 0755 $(BUILD)/install/sockshim $(DESTDIR)$(BINDIR)/sockshim
	install -m 0644 tools/sockshim.1 $(DESTDIR)$(MANDIR)/man1/sockshim.1
	install -m 0644 man/paccept.3 man/sockshim.3 $(DESTDIR)$(MANDIR)/man3
	install -m 0644 man/sockshim.7 $(DESTDIR)$(MANDIR)/man7
	install -m 0755 $(LIB) $(DESTDIR)$(LIBDIR)/libsockshim.so.$(VERSION)
	ln -sf libsockshim.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libsockshim.so.0
	ln -sf libsockshim.so.0 $(DESTDIR)$(LIBDIR)/libsockshim.so
	install -m 0644 include/sockshim.h $(DESTDIR)$(INCLUDEDIR)/sockshim.h
	install -d $(DESTDIR)$(INCLUDEDIR)/sockshim/overlay/sys
	install -m 0644 include/sockshim/bind.h $(DESTDIR)$(INCLUDEDIR)/sockshim/bind.h
	for h in $(OVERLAY); do install -m 0644 include/sockshim/overlay/$$h $(DESTDIR)$(INCLUDEDIR)/sockshim/overlay/$$h; done
	for pc in sockshim sockshim-overlay; do \
	    $(call PC_SUBST,$(PREFIX),$(LIBDIR),$(INCLUDEDIR),) $$pc.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/$$pc.pc; \
	    chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/$$pc.pc; done

# The build for musl programs, where the installed launcher looks for it ($(LIBDIR)/musl).
install-musl: musl-lib
	install -d $(DESTDIR)$(LIBDIR)/musl
	install -m 0755 $(MUSL_LIB) $(DESTDIR)$(LIBDIR)/musl/libsockshim.so.$(VERSION)
	ln -sf libsockshim.so.$(VERSION) $(DESTDIR)$(LIBDIR)/musl/libsockshim.so.0
	ln -sf libsockshim.so.0 $(DESTDIR)$(LIBDIR)/musl/libsockshim.so

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libsockshim.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libsockshim.so.0 \
	      $(DESTDIR)$(LIBDIR)/libsockshim.so $(DESTDIR)$(INCLUDEDIR)/sockshim.h \
	      $(addprefix $(DESTDIR)$(LIBDIR)/musl/,libsockshim.so.$(VERSION) libsockshim.so.0 libsockshim.so) \
	      $(DESTDIR)$(PKGCONFIGDIR)/sockshim.pc $(DESTDIR)$(PKGCONFIGDIR)/sockshim-overlay.pc \
	      $(DESTDIR)$(BINDIR)/sockshim $(DESTDIR)$(MANDIR)/man1/sockshim.1 \
	      $(DESTDIR)$(MANDIR)/man3/paccept.3 $(DESTDIR)$(MANDIR)/man3/sockshim.3 \
	      $(DESTDIR)$(MANDIR)/man7/sockshim.7 \
	      $(DESTDIR)$(INCLUDEDIR)/sockshim/bind.h $(addprefix $(DESTDIR)$(INCLUDEDIR)/sockshim/overlay/,$(OVERLAY))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/sockshim/overlay/sys $(DESTDIR)$(INCLUDEDIR)/sockshim/overlay \
	       $(DESTDIR)$(INCLUDEDIR)/sockshim $(DESTDIR)$(LIBDIR)/musl 2>/dev/null

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
