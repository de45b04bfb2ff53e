# carapace: one static binary from carapace.c, the subsystems in src/ and inspector.cpp.
# make builds for the host, in build/, as ./carapace. make ARCH=aarch64
# cross-builds a board's binary with Debian's cross gcc and musl for that
# architecture, in build/aarch64/, as build/aarch64/carapace: never from the
# host's objects, whose folder is another one.
HOST_ARCH := $(shell uname -m)
ARCH    ?= $(HOST_ARCH)
SUPPORTED_ARCHS = x86_64 aarch64
ifeq ($(filter $(ARCH),$(SUPPORTED_ARCHS)),)
$(error ARCH=$(ARCH): not one carapace builds for ($(SUPPORTED_ARCHS)); README.md, "Other architectures", says what it would need)
endif
# Debian's names for the architecture (dpkg) and its GNU triplet.
DEB_ARCH_x86_64  = amd64
DEB_ARCH_aarch64 = arm64
DEB_ARCH = $(DEB_ARCH_$(ARCH))
TRIPLET  = $(ARCH)-linux-gnu
ifeq ($(ARCH),$(HOST_ARCH))
BUILD    = build
OUT      = carapace
CC       = musl-gcc
CXX      = g++
STRIP    = strip
else
BUILD    = build/$(ARCH)
OUT      = $(BUILD)/carapace
CC       = $(ARCH)-linux-musl-gcc
CXX      = $(TRIPLET)-g++
STRIP    = $(TRIPLET)-strip
# musl-dev:arm64 comes from the foreign architecture, which dpkg must know
# first (make deps adds it); its package brings the aarch64-linux-musl-gcc
# wrapper over Debian's cross gcc, and linux-libc-dev:arm64 the kernel's asm/.
ARCH_DEPS = gcc-$(TRIPLET) g++-$(TRIPLET) binutils-$(TRIPLET) \
	musl-dev:$(DEB_ARCH) linux-libc-dev:$(DEB_ARCH)
endif
PREFIX ?= /usr/local
MUSL_INC ?= /usr/include/$(ARCH)-linux-musl
HOST_INC ?= /usr/include
ARCH_INC ?= /usr/include/$(TRIPLET)
INC      = $(BUILD)/include

WARN     = -Wall -Wextra -Werror
# -Os everywhere: carapace run /bin/true starts no slower than at -O2
# (hyperfine, 200 runs: 5.8 ms against 6.1 ms, within the noise).
CFLAGS  ?= -Os
# Link-time optimisation inlines across src/*.c as the single file did:
# without it the split costs 4 KB (202,936 bytes against 198,840).
LTO     ?= -flto=auto
CFLAGS  += -std=gnu11 $(WARN) $(LTO) -isystem $(INC)
# C unwinds nothing: the tables were 24 KB of the binary. Each function and
# object in its own section lets the linker drop those never called (4 KB).
CFLAGS  += -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-ffunction-sections -fdata-sections
# The C++ object uses musl's headers and needs no C++ runtime at all; -Os
# as the rest (the banner and the report run once).
CXXFLAGS ?= -Os
CXXFLAGS += -std=gnu++17 $(WARN) -fno-exceptions -fno-rtti \
	-fno-asynchronous-unwind-tables -fno-threadsafe-statics \
	-nostdinc -nostdinc++ -isystem $(MUSL_INC) \
	-isystem $(shell $(CXX) -print-file-name=include) -isystem $(INC)
# noseparate-code: the ELF headers and the code share a page, not one each
# (8 KB of padding in the file).
LDFLAGS += -static -s $(LTO) -Os -Wl,--gc-sections -Wl,-z,noseparate-code
# Not position-independent: a static binary loads at its link address
# anyway, and the tables of pointers (the options, the commands) need no
# relocation, so they are .rodata, read-only in fact. RELRO, which made them
# read-only only on paper (musl applies no PT_GNU_RELRO in a static binary:
# /proc/PID/maps showed them rw), is off: its end is aligned to a page in
# the file too (up to 64 KB on arm64). x86-64: 301,104 -> 297,104 bytes
# stripped; arm64: 329,640 -> 325,792.
CFLAGS   += -fno-pie
CXXFLAGS += -fno-pie
LDFLAGS  += -fno-pie -no-pie -Wl,-z,norelro
# arm64's tiny code model: one ADR where the small one takes ADRP and ADD,
# for a program whose code and data fit in 1 MB (the link fails if not).
# 325,792 -> 313,504 bytes stripped.
ifeq ($(ARCH),aarch64)
CFLAGS   += -mcmodel=tiny
CXXFLAGS += -mcmodel=tiny
LDFLAGS  += -mcmodel=tiny
endif

all: $(OUT)

# musl ships no kernel UAPI headers: link the architecture's into a build-local
# folder (asm/, the system call numbers among them, is the one that differs).
$(INC)/.stamp:
	@command -v $(CC) >/dev/null || $(MAKE) --no-print-directory deps
	@test -d $(ARCH_INC)/asm || $(MAKE) --no-print-directory deps
	mkdir -p $(INC)
	ln -sfn $(HOST_INC)/linux $(INC)/linux
	ln -sfn $(HOST_INC)/asm-generic $(INC)/asm-generic
	ln -sfn $(ARCH_INC)/asm $(INC)/asm
	touch $@

# jsmn (Debian's libjsmn-dev), the JSON tokenizer, header only: linked in
# beside the kernel's headers, as musl-gcc searches none of the host's.
$(INC)/jsmn.h: | $(INC)/.stamp
	@test -f $(HOST_INC)/jsmn.h || $(MAKE) --no-print-directory deps
	ln -sfn $(HOST_INC)/jsmn.h $@

# The system call table of the architecture built, sorted by name, from
# the kernel's <asm/unistd.h> as $(CC) reads it (src/gen-syscalls.sh).
$(INC)/syscall-table.h: src/gen-syscalls.sh $(INC)/.stamp
	sh src/gen-syscalls.sh $(CC) -isystem $(INC) >$@.tmp && mv $@.tmp $@

# src/man.c is not carapace's: it is the tool that writes the man page;
# nor are src/pack.c and src/unpack.c, which pack it (below).
C_SRCS  = carapace.c $(filter-out src/man.c src/pack.c src/unpack.c,$(wildcard src/*.c))
C_OBJS  = $(patsubst %.c,$(BUILD)/%.o,$(C_SRCS))
OBJS    = $(C_OBJS) $(BUILD)/inspector.o

$(BUILD)/%.o: %.c src/carapace.h src/shared.h inspector.h $(INC)/.stamp $(INC)/jsmn.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/src/seccomp.o: $(INC)/syscall-table.h
build/asan/src/seccomp.o build/fuzz/src/seccomp.o: build/include/syscall-table.h
# t/unit.c reads it too (order-only: not one of build/asan/unit's $^)
$(BUILD)/unit/unit build/asan/unit: | $(INC)/syscall-table.h

$(BUILD)/inspector.o: inspector.cpp inspector.h src/shared.h $(INC)/.stamp
	$(CXX) $(CXXFLAGS) -c -o $@ inspector.cpp

$(BUILD)/carapace.elf: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS)

# The binary made is packed (issue 16: 200 KiB at most, stripped): the
# kernel loads src/unpack.c's small start, linked at UNPACK_BASE, above
# carapace's addresses, which decodes carapace's code and data segments
# (lz4: 1.7x smaller) to where carapace was linked and jumps to it. That
# costs each start about 0.2 ms and each carapace process its own copy of
# the code (README.md, "Size"). PACK=0 makes ./carapace the plain ELF,
# which build/carapace.elf (or build/ARCH/carapace.elf) always is.
PACK        ?= 1
UNPACK_BASE  = 0x800000
HOSTCC      ?= gcc
LZ4          = lz4 -12 --no-frame-crc -qq -c
UNPACK_CFLAGS = -O2 -std=gnu11 $(WARN) -ffreestanding -fno-stack-protector -fno-pie \
	-fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-isystem $(INC) -I$(BUILD)/image -DIMAGE_DIR='"$(BUILD)/image"'
UNPACK_LDFLAGS = -static -nostdlib -no-pie -s -Wl,-Ttext-segment=$(UNPACK_BASE) \
	-Wl,-z,noseparate-code -Wl,-z,norelro -Wl,-z,noexecstack -Wl,--build-id=none

$(BUILD)/pack: src/pack.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -O2 $(WARN) -o $@ $<

$(BUILD)/image/image.h: $(BUILD)/carapace.elf $(BUILD)/pack
	@mkdir -p $(dir $@)
	$(BUILD)/pack $< $(BUILD)/image $(UNPACK_BASE)

$(BUILD)/image/code.lz4 $(BUILD)/image/data.lz4: $(BUILD)/image/%.lz4: $(BUILD)/image/image.h
	@command -v lz4 >/dev/null || $(MAKE) --no-print-directory deps
	$(LZ4) $(BUILD)/image/$*.bin >$@.tmp && mv $@.tmp $@

$(BUILD)/unpack.o: src/unpack.c src/lz4.h $(BUILD)/image/image.h $(BUILD)/image/code.lz4 \
		$(BUILD)/image/data.lz4
	$(CC) $(UNPACK_CFLAGS) -c -o $@ $<

# PACK's value as a file, rewritten (at parse time) only when it changes,
# so that make PACK=0 after make (or the other way) remakes ./carapace.
PACK_STAMP := $(BUILD)/pack-$(PACK)
$(shell mkdir -p $(BUILD) && rm -f $(filter-out $(PACK_STAMP),$(wildcard $(BUILD)/pack-*)) && \
	{ test -e $(PACK_STAMP) || touch $(PACK_STAMP); })

ifeq ($(PACK),0)
$(OUT): $(BUILD)/carapace.elf $(PACK_STAMP)
	cp $< $@
else
$(OUT): $(BUILD)/unpack.o $(PACK_STAMP)
	$(CC) $(UNPACK_LDFLAGS) -o $@ $< -lgcc
endif

# carapace(1), made from the option tables by a tool built for it: a
# command of carapace's own would cost the binary 2 KB of its size limit.
# The option tables name the commands' functions: it links all of carapace,
# with carapace.c's main renamed, as t/unit.c does.
MAN_OBJS = $(BUILD)/src/man.o $(filter-out $(BUILD)/carapace.o,$(OBJS)) $(BUILD)/unit/carapace.o

$(BUILD)/mkman: $(MAN_OBJS)
	$(CC) -static $(LTO) -O2 -o $@ $(MAN_OBJS)

$(BUILD)/carapace.1: $(BUILD)/mkman
	$(BUILD)/mkman >$@.tmp && mv $@.tmp $@

man: $(BUILD)/carapace.1

# t/unit.c, linked with the modules as built for carapace: carapace.c's
# main is renamed (it is not one of the units tested, but hostbin.c calls it).
UNIT_OBJS = $(filter-out $(BUILD)/carapace.o,$(OBJS)) $(BUILD)/unit/carapace.o

$(BUILD)/unit/carapace.o: carapace.c src/carapace.h $(INC)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Dmain=carapace_main -c -o $@ carapace.c

$(BUILD)/unit/unit: t/unit.c t/bpf-run.h $(UNIT_OBJS)
	$(CC) $(CFLAGS) -static -o $@ t/unit.c $(UNIT_OBJS)

# t/oci-cgroups.c, src/cgroup.c's OCI side driven alone (t/087-oci-cgroups.t).
$(BUILD)/unit/oci-cgroups: t/oci-cgroups.c $(UNIT_OBJS)
	$(CC) $(CFLAGS) -static -o $@ t/oci-cgroups.c $(UNIT_OBJS)

# t/seccomp-verdicts.c, the filter src/seccomp.c builds, run in t/bpf-run.h
# (t/301-seccomp-arches.t; the arm64 one under qemu-user).
$(BUILD)/unit/seccomp-verdicts: t/seccomp-verdicts.c t/bpf-run.h $(UNIT_OBJS)
	$(CC) $(CFLAGS) -static -o $@ t/seccomp-verdicts.c $(UNIT_OBJS)

unit: $(BUILD)/unit/unit $(BUILD)/unit/oci-cgroups $(BUILD)/unit/seccomp-verdicts

# AddressSanitizer and UBSan need glibc's gcc and a dynamic binary (ASan
# can't be static): build/asan/carapace, beside ./carapace, and the suite
# run against it. t/asan-options.c sets their defaults.
ASAN_CC    = gcc
ASAN_CXX   = g++
ASAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
ASAN_OBJS  = $(patsubst %.c,build/asan/%.o,$(C_SRCS) t/asan-options.c) build/asan/inspector.o

build/asan/%.o: %.c src/carapace.h build/include/.stamp build/include/jsmn.h
	@mkdir -p $(dir $@)
	$(ASAN_CC) -std=gnu11 $(WARN) $(ASAN_FLAGS) -isystem build/include -c -o $@ $<

build/asan/inspector.o: inspector.cpp build/include/.stamp
	@mkdir -p $(dir $@)
	$(ASAN_CXX) -std=gnu++17 $(WARN) -fno-exceptions -fno-rtti $(ASAN_FLAGS) \
		-isystem build/include -c -o $@ inspector.cpp

build/asan/carapace: $(ASAN_OBJS)
	$(ASAN_CC) $(ASAN_FLAGS) -o $@ $(ASAN_OBJS)

build/asan/carapace-nomain.o: carapace.c src/carapace.h build/include/.stamp
	@mkdir -p $(dir $@)
	$(ASAN_CC) -std=gnu11 $(WARN) $(ASAN_FLAGS) -isystem build/include -Dmain=carapace_main \
		-c -o $@ carapace.c

build/asan/unit: t/unit.c $(filter-out build/asan/carapace.o,$(ASAN_OBJS)) build/asan/carapace-nomain.o
	$(ASAN_CC) -std=gnu11 $(WARN) $(ASAN_FLAGS) -isystem build/include -o $@ $^

check-asan: deps build/asan/carapace build/asan/unit rootfs/bin/busybox
	CARAPACE=build/asan/carapace prove t/

# afl++ harnesses of the tar reader, the seccomp profile parser and the
# config.json reader (t/fuzz/*.c), linked with the modules built by afl-cc,
# with ASan and UBSan; their seed corpora are t/fuzz/tar/, t/fuzz/seccomp/
# and t/fuzz/oci/. make fuzz builds them; make fuzz-tar, make fuzz-seccomp
# and make fuzz-oci run one for
# FUZZ_SECONDS, as root (the tar harness unpacks into a private tmpfs),
# with findings in build/fuzz/out-*/. (UBSan's checks that need C++'s RTTI
# are off for inspector.cpp, which has none.)
FUZZ_CC      = afl-cc
FUZZ_CXX     = afl-c++
FUZZ_FLAGS   = -O2 -g -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS ?= 120
FUZZ_OBJS    = $(patsubst %.c,build/fuzz/%.o,$(filter-out carapace.c,$(C_SRCS))) \
	build/fuzz/carapace-nomain.o build/fuzz/inspector.o

fuzz-deps:
	@command -v $(FUZZ_CC) >/dev/null || $(MAKE) --no-print-directory deps DEPS=afl++

build/fuzz/%.o: %.c src/carapace.h build/include/.stamp build/include/jsmn.h | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 $(WARN) $(FUZZ_FLAGS) -isystem build/include -c -o $@ $<

build/fuzz/carapace-nomain.o: carapace.c src/carapace.h build/include/.stamp | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 $(WARN) $(FUZZ_FLAGS) -isystem build/include -Dmain=carapace_main \
		-c -o $@ carapace.c

build/fuzz/inspector.o: inspector.cpp build/include/.stamp | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) -std=gnu++17 $(WARN) -fno-exceptions -fno-rtti $(FUZZ_FLAGS) \
		-fno-sanitize=function,vptr \
		-isystem build/include -c -o $@ inspector.cpp

build/fuzz/tar build/fuzz/seccomp build/fuzz/oci: build/fuzz/%: t/fuzz/%.c $(FUZZ_OBJS) t/asan-options.c
	$(FUZZ_CC) -std=gnu11 $(WARN) $(FUZZ_FLAGS) -isystem build/include -o $@ $^

fuzz: build/fuzz/tar build/fuzz/seccomp build/fuzz/oci

# afl-fuzz's checks of the machine (core_pattern, the CPU governor) are for
# long campaigns; a short run skips them. A second run goes on from the first.
FUZZ_ENV = AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
	AFL_AUTORESUME=1

fuzz-tar: build/fuzz/tar
	$(FUZZ_ENV) afl-fuzz -V $(FUZZ_SECONDS) -i t/fuzz/tar -o build/fuzz/out-tar -- build/fuzz/tar

# config.json (src/oci-config.c); its seeds are the engines' own (podman
# 4.3's, containerd 1.6's, as h3 caught them) and one with every field.
fuzz-oci: build/fuzz/oci
	$(FUZZ_ENV) afl-fuzz -V $(FUZZ_SECONDS) -i t/fuzz/oci -o build/fuzz/out-oci -- build/fuzz/oci @@

fuzz-seccomp: build/fuzz/seccomp
	$(FUZZ_ENV) afl-fuzz -V $(FUZZ_SECONDS) -i t/fuzz/seccomp -o build/fuzz/out-seccomp \
		-- build/fuzz/seccomp @@

rootfs/bin/busybox: setup.sh
	@command -v busybox >/dev/null || $(MAKE) --no-print-directory deps
	./setup.sh rootfs

# Installs the Debian packages the build and the tests need, when missing;
# for a cross build only those of the build, the foreign architecture's
# added to dpkg's first.
ifeq ($(OUT),carapace)
DEPS = musl-tools libjsmn-dev busybox-static tini tmux qemu-system-x86 cpio uidmap \
	podman conmon catatonit netavark iptables curl containerd runc iproute2 nftables passt lz4
else
DEPS = libjsmn-dev lz4 $(ARCH_DEPS)
endif
deps:
	@missing=; for p in $(DEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "make: installing$$missing"; \
		case "$$missing" in *:*) dpkg --add-architecture $(DEB_ARCH) || exit 1;; esac; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends$$missing; } >/dev/null || \
		{ echo "make: could not install$$missing (run as root with apt-get working)" >&2; exit 1; }; \
	fi

# make's own exit status is 0, 1 or 2 whatever its recipe returns, so it can't
# pass on the shell's: on a failure it would print "*** [...] Error 3" and exit
# 2. So the recipe says the container's status itself, in one line, and make
# exits 0; ./carapace run -r rootfs /bin/sh is the command whose status counts.
run: carapace rootfs/bin/busybox
	@echo ./carapace run -r rootfs /bin/sh
	@./carapace run -r rootfs /bin/sh; s=$$?; \
	if [ $$s != 0 ]; then echo "make run: the container exited with status $$s" >&2; fi

check: deps carapace build/carapace.1 rootfs/bin/busybox
	prove t/

# Boots a Debian cloud kernel under QEMU (TCG): carapace on a pure cgroup v2
# system and from an initramfs (where pivot_root fails). The first run
# downloads the kernel into build/vm/ with apt-get download. ARCH=aarch64:
# the same guest tests in an emulated arm64 VM, with build/aarch64/carapace
# (its downloads in build/aarch64/vm/); make check runs both when it can.
VM_TEST_x86_64  = t/900-vm.t
VM_TEST_aarch64 = t/905-vm-aarch64.t
check-vm: deps $(OUT)
	prove -v $(VM_TEST_$(ARCH))

# Start-up (back to back, spaced, 100 in parallel, from a tarball), the OCI
# commands, memory and size side by side with the peers, as ratios; with
# BENCH_BEFORE=FILE, a second carapace binary in every row (t/bench.sh).
# t/tty-bench.sh's own defaults (30 rounds of 64 MiB) take 3 minutes: make
# bench runs 10 rounds of 16 MiB unless told otherwise, to stay near 5.
bench: carapace rootfs/bin/busybox
	t/bench.sh
	t/net-bench.sh
	TTY_BENCH_RUNS=$${TTY_BENCH_RUNS:-10} TTY_BENCH_MIB=$${TTY_BENCH_MIB:-16} t/tty-bench.sh

# The size limit is one for every architecture (issue 16).
size: $(OUT)
	@cp $(OUT) $(BUILD)/carapace.stripped && $(STRIP) $(BUILD)/carapace.stripped
	@echo "$(OUT) ($(ARCH)): $$(stat -c %s $(BUILD)/carapace.stripped) bytes stripped (target: 204800)"

install: $(OUT) build/carapace.1
	install -D -m 0755 $(OUT) $(DESTDIR)$(PREFIX)/bin/carapace
	install -D -m 0644 build/carapace.1 $(DESTDIR)$(PREFIX)/share/man/man1/carapace.1

clean:
	rm -rf build carapace

.PHONY: all deps man run check check-vm bench size install clean unit check-asan fuzz fuzz-deps fuzz-tar fuzz-seccomp fuzz-oci
