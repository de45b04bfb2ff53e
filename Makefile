# carapace: one static binary from carapace.c, the subsystems in src/ and inspector.cpp.
CC      = musl-gcc
CXX     = g++
PREFIX ?= /usr/local
MUSL_INC ?= /usr/include/x86_64-linux-musl
HOST_INC ?= /usr/include
ARCH_INC ?= /usr/include/x86_64-linux-gnu

WARN     = -Wall -Wextra -Werror
CFLAGS  ?= -O2
# Link-time optimisation inlines across src/*.c as the single file did:
# without it the split costs 4 KB (202,936 bytes against 198,840).
LTO     ?= -flto=auto
CFLAGS  += -std=gnu11 $(WARN) $(LTO) -isystem build/include
# The C++ object uses musl's headers and needs no C++ runtime at all.
CXXFLAGS ?= -O2
CXXFLAGS += -std=gnu++17 $(WARN) -fno-exceptions -fno-rtti \
	-fno-asynchronous-unwind-tables -fno-threadsafe-statics \
	-nostdinc -nostdinc++ -isystem $(MUSL_INC) \
	-isystem $(shell $(CXX) -print-file-name=include) -isystem build/include
LDFLAGS += -static -s $(LTO) -O2

all: carapace

# musl ships no kernel UAPI headers: link the host's into a build-local folder.
build/include/.stamp:
	@command -v $(CC) >/dev/null || $(MAKE) --no-print-directory deps
	mkdir -p build/include
	ln -sfn $(HOST_INC)/linux build/include/linux
	ln -sfn $(HOST_INC)/asm-generic build/include/asm-generic
	ln -sfn $(ARCH_INC)/asm build/include/asm
	touch $@

# src/man.c is not carapace's: it is the tool that writes the man page.
C_SRCS  = carapace.c $(filter-out src/man.c,$(wildcard src/*.c))
C_OBJS  = $(patsubst %.c,build/%.o,$(C_SRCS))
OBJS    = $(C_OBJS) build/inspector.o

build/%.o: %.c src/carapace.h src/shared.h inspector.h build/include/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

build/inspector.o: inspector.cpp inspector.h src/shared.h build/include/.stamp
	$(CXX) $(CXXFLAGS) -c -o $@ inspector.cpp

carapace: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS)

# carapace(1), made from the option tables by a tool built for it: a
# command of carapace's own would cost the binary 2 KB of its size limit.
MAN_OBJS = build/src/man.o build/src/options.o build/src/util.o

build/mkman: $(MAN_OBJS)
	$(CC) -static $(LTO) -O2 -o $@ $(MAN_OBJS)

build/carapace.1: build/mkman
	build/mkman >$@.tmp && mv $@.tmp $@

man: build/carapace.1

rootfs/bin/busybox: setup.sh
	@command -v busybox >/dev/null || $(MAKE) --no-print-directory deps
	./setup.sh rootfs

# Installs the Debian packages the build and the tests need, when missing.
DEPS = musl-tools busybox-static tini tmux qemu-system-x86 cpio uidmap
deps:
	@missing=; for p in $(DEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "make: installing$$missing"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends$$missing; } >/dev/null || \
		{ echo "make: could not install$$missing (run as root with apt-get working)" >&2; exit 1; }; \
	fi

run: carapace rootfs/bin/busybox
	./carapace run -r rootfs /bin/sh

check: deps carapace build/carapace.1 rootfs/bin/busybox
	prove t/

# Boots a Debian cloud kernel under QEMU (TCG): carapace on a pure cgroup v2
# system and from an initramfs (where pivot_root fails). The first run
# downloads the kernel into build/vm/ with apt-get download.
check-vm: deps carapace
	prove -v t/900-vm.t

# Start-up time, memory and size side by side with the peers, as ratios.
bench: carapace rootfs/bin/busybox
	t/bench.sh

size: carapace
	@cp carapace build/carapace.stripped && strip build/carapace.stripped
	@echo "carapace: $$(stat -c %s build/carapace.stripped) bytes stripped (target: 204800)"

install: carapace build/carapace.1
	install -D -m 0755 carapace $(DESTDIR)$(PREFIX)/bin/carapace
	install -D -m 0644 build/carapace.1 $(DESTDIR)$(PREFIX)/share/man/man1/carapace.1

clean:
	rm -rf build carapace

.PHONY: all deps man run check check-vm bench size install clean
