#!/bin/bash
# t/vm/build-initramfs.sh OUTPUT: build the test VM's initramfs (cpio newc,
# gzip) with busybox, bash, carapace, a container rootfs and the guest tests.
#
# Env (run.sh sets them all), each for the guest's architecture:
#   CARAPACE     the carapace binary to test (static)
#   DEBUG_EXIT   the built t/vm/debug-exit.c helper (x86-64; empty when
#                the guest's verdict goes out on a virtio port)
#   SECCOMP_PROBE the built t/seccomp-probe.c (goes into the container rootfs)
#   ARM32_PROBE  t/vm/arm32-probe.sh's program (optional, aarch64: as
#                /usr/local/bin/arm32-probe into the container rootfs)
#   OCI_CGROUPS  the built t/oci-cgroups.c (optional: /bin/oci-cgroups)
#   BASH_STATIC  a static bash: t/tap.sh needs bash, busybox has only ash
#   BUSYBOX      a static busybox (default the host's /bin/busybox)
#   KERNEL_DIR   the unpacked kernel package, for its modules
#   VM_MODULES   the modules init loads, in that order (paths under
#                lib/modules/VERSION/; default overlay's)
#   VM_CACHE     scratch space (default build/vm)
#
# Layout of the guest:
#   /init  /guest.t  /tap.sh  /etc/carapace-vm (marks the VM)
#   /bin/{busybox,sh,bash,carapace,debug-exit,realpath} (init adds the applets)
#   /lib/modules/*.ko and modules.order (what init loads, in which order)
#   /rootfs (from setup.sh)

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
VM_CACHE=${VM_CACHE:-$TOP/build/vm}
BUSYBOX=${BUSYBOX:-/bin/busybox}

# Modules that the cloud kernel builds as =m and init loads: overlay
# (CONFIG_OVERLAY_FS=m, no dependencies). Everything else the tests use is
# =y in linux-image-*-cloud-amd64: cgroup2 and its controllers, tmpfs,
# devtmpfs, the namespaces, the 8250 console. run.sh names arm64's.
VM_MODULES=${VM_MODULES:-kernel/fs/overlayfs/overlay.ko}

die() { printf 'build-initramfs.sh: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: build-initramfs.sh OUTPUT.cpio.gz"
output=$1
for var in CARAPACE SECCOMP_PROBE BASH_STATIC KERNEL_DIR; do
	[ -n "${!var:-}" ] || die "$var is not set"
done
[ -x "$CARAPACE" ] || die "$CARAPACE: not built"
[ -z "${DEBUG_EXIT:-}" ] || [ -x "$DEBUG_EXIT" ] || die "$DEBUG_EXIT: not built"
[ -x "$BASH_STATIC" ] || die "$BASH_STATIC: missing"
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing: apt-get install busybox-static"
# GNU cpio when installed; the host's busybox can write newc archives too.
if command -v cpio >/dev/null; then cpio="cpio --quiet"; else cpio="/bin/busybox cpio"; fi

# The container rootfs is cached: setup.sh updates it in place, quickly.
# setup.sh asks its busybox for the applets to link, which a busybox of
# another architecture can't answer here: the host's answers, and the
# guest's, of the same Debian version (so with the same applets), takes its
# place behind the links.
rootfs=$VM_CACHE/rootfs
BUSYBOX=/bin/busybox "$TOP/setup.sh" "$rootfs" >&2 || die "setup.sh $rootfs failed"
if ! cmp -s -- "$BUSYBOX" /bin/busybox; then
	busybox_version() { grep -ao 'BusyBox v[0-9][^ ]* ([^)]*)' "$1" | head -n 1; }
	host_version=$(busybox_version /bin/busybox)
	[ -n "$host_version" ] && [ "$(busybox_version "$BUSYBOX")" = "$host_version" ] ||
		die "$BUSYBOX is not the host's $host_version: its applets may differ"
	cp -- "$BUSYBOX" "$rootfs/bin/.busybox.new" &&
		mv -f -- "$rootfs/bin/.busybox.new" "$rootfs/bin/busybox" ||
		die "cannot put $BUSYBOX into $rootfs"
fi

stage=$VM_CACHE/initramfs.d
rm -rf -- "$stage"
mkdir -p -- "$stage"/{bin,dev,etc,lib/modules,mnt,newroot,proc,sys,tmp} || die "cannot create $stage"
chmod 1777 "$stage/tmp"

# init runs busybox --install for the other applets: one ln per applet here
# costs seconds.
cp -- "$BUSYBOX" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
cp -- "$BASH_STATIC" "$stage/bin/bash"
cp -- "$CARAPACE" "$stage/bin/carapace"
[ -z "${DEBUG_EXIT:-}" ] || cp -- "$DEBUG_EXIT" "$stage/bin/debug-exit"
[ -z "${OCI_CGROUPS:-}" ] || cp -- "$OCI_CGROUPS" "$stage/bin/oci-cgroups"

# tap.sh resolves paths with GNU `realpath -m`; busybox's realpath has no
# options and fails on paths that don't exist yet.
cat >"$stage/bin/realpath" <<-'EOF'
	#!/bin/sh
	# GNU realpath stand-in: options are ignored, missing paths kept as given.
	for arg; do
		case $arg in -*) continue ;; esac
		busybox realpath "$arg" 2>/dev/null ||
			case $arg in /*) echo "$arg" ;; *) echo "$PWD/$arg" ;; esac
	done
EOF
chmod 0755 "$stage/bin/realpath"

# Without modprobe and modules.dep, init loads them as listed, which puts
# each after those it needs.
for module in $VM_MODULES; do
	src=$(ls "$KERNEL_DIR"/lib/modules/*/"$module" 2>/dev/null | head -n 1)
	[ -n "$src" ] || die "$module not found under $KERNEL_DIR/lib/modules"
	cp -- "$src" "$stage/lib/modules/"
	echo "${module##*/}" >>"$stage/lib/modules/modules.order"
done

cp -a -- "$rootfs" "$stage/rootfs"
mkdir -p "$stage/rootfs/usr/local/bin"
cp -- "$SECCOMP_PROBE" "$stage/rootfs/usr/local/bin/seccomp-probe"
[ -z "${ARM32_PROBE:-}" ] || cp -- "$ARM32_PROBE" "$stage/rootfs/usr/local/bin/arm32-probe"
install -m 0755 "$HERE/init.sh" "$stage/init"
install -m 0755 "$HERE/guest.t" "$stage/guest.t"
install -m 0644 "$TOP/t/tap.sh" "$stage/tap.sh"
echo "carapace test VM" >"$stage/etc/carapace-vm"

# The kernel opens /dev/console for init before anything is mounted; without
# the node init would start with no stdin, stdout or stderr.
mknod -m 0600 "$stage/dev/console" c 5 1 2>/dev/null ||
	printf 'build-initramfs.sh: cannot mknod dev/console, init will reopen it\n' >&2

mkdir -p -- "$(dirname -- "$output")"
# Sorted, so that two archives of the same files list alike.
set -o pipefail
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | $cpio -o -H newc) |
	gzip -1 >"$output.tmp" || die "cpio failed"
mv -f -- "$output.tmp" "$output"
# `zcat OUTPUT | cpio -t` lists what went in; the copy (and its device
# node) goes.
rm -rf -- "$stage"
