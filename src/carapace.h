/*
 * carapace.h: the one interface between carapace.c, the container's life
 * story, and the subsystems in src/ that it calls in order.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef CARAPACE_H
#define CARAPACE_H

#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>		/* setgroups, for glibc (make check-asan) */
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <linux/bpf.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/landlock.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <linux/seccomp.h>

#include "shared.h"

#define CARAPACE_VERSION "0.1.0"
/* The runtime spec's version that carapace implements: the state's and spec's ociVersion. */
#define OCI_VERSION "1.0.2"

/* Exit codes, as docker, runc and crun use them. */
enum {
	EXIT_CANT_RUN = 125,	/* carapace itself failed */
	EXIT_CANT_EXEC = 126,	/* the command exists but can't be executed */
	EXIT_NOT_FOUND = 127,	/* the command was not found */
};

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* How a fatal error (die) ends a process: each role sets its own, set_fail_mode. */
enum fail_mode {
	FAIL_PRINT,	/* print, _exit(): a forked helper, init once the workload
			 * runs, and any process that didn't say */
	FAIL_LAUNCHER,	/* print, exit(): the process carapace started as, whose
			 * clean-up (on_launcher_exit) runs */
	FAIL_REPORT,	/* tell the launcher, _exit(): init, the workload until its exec */
};

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

enum msg_type {
	MSG_GO = 'G',		/* launcher -> init: host-side setup is done */
	MSG_READY = 'R',	/* init -> launcher: container is set up */
	MSG_START = 'S',	/* launcher -> init: run the workload */
	MSG_SETTLED = 'C',	/* launcher -> init: the device program loaded after GO
				 * is attached (or init is in v1's devices leaf) */
	MSG_ERROR = 'E',	/* container -> launcher: a fatal error, its code and text */
	MSG_PTY = 'P',		/* init -> launcher: the pty master, as SCM_RIGHTS */
	MSG_DETACH = 'D',	/* create -> init: outlive me; init closes the socket */
	MSG_PID = 'I',		/* exec's joiner -> exec: the process's host pid, in code */
	MSG_TASKS = 'T',	/* launcher -> init: a v1 leaf's "tasks" to join, as
				 * SCM_RIGHTS; its controller in code */
};

/*
 * The longest text of an error line, after escaping, NUL included: up to
 * this, a message arrives and is printed whole; a longer one ends in
 * "..." where it was cut. Room for two paths of PATH_MAX.
 */
#define ERROR_TEXT_MAX 8192

/*
 * One message between the launcher and init (and, next, between exec or
 * start and init): ipc_send and ipc_recv are the only code that knows the
 * wire format or SCM_RIGHTS.
 */
struct ipc_msg {
	enum msg_type type;
	int code;		/* MSG_ERROR: the status its sender exits with */
	int err;		/* MSG_ERROR: the errno behind it; 0: none */
	int fd;			/* carried as SCM_RIGHTS; -1: none */
	char text[ERROR_TEXT_MAX];	/* one line, NUL-terminated; "": none */
};

/* A message of TYPE with no fd and no text. */
#define IPC_MSG(t) ((struct ipc_msg){ .type = (t), .fd = -1 })

#define autoclose __attribute__((cleanup(close_fdp)))

enum tty_mode { TTY_AUTO, TTY_ALWAYS, TTY_NEVER };
enum exec_action { EXEC_COMMAND, EXEC_INSPECT };

/* A uid or gid map: COUNT ids from INSIDE in the container are OUTSIDE's on the host. */
struct id_map {
	struct id_range { uint32_t inside, outside, count; } ranges[16];
	size_t len;
};

/* When build_filesystem makes a mount: the front end that adds it says. */
enum mount_phase {
	/*
	 * On the new root, while the host's root is still visible: in a user
	 * namespace, the kernel lets /proc and /sys be mounted only then. No
	 * symlink is followed to the target, which may lie in a mount made
	 * before it (/dev/pts in /dev).
	 */
	MOUNT_BEFORE_ROOT_CHANGE,
	/* On top of the rest, once "/" is the root: symlinks resolve inside it. */
	MOUNT_AFTER_ROOT_CHANGE,
};

struct mount_spec {
	const char *type;	/* "bind", or a filesystem's type */
	const char *source;	/* a bind's: a path on the host */
	const char *target;	/* inside the container */
	unsigned long flags;	/* MS_*; a bind has MS_BIND, and MS_REC for all of it */
	unsigned long propagation;	/* a bind's: MS_PRIVATE or MS_SLAVE, MS_REC for all */
	const char *data;
	const char *origin;	/* the option that asked for it, for errors; NULL: errors
				 * name the target */
	enum mount_phase phase;
};

/* An OCI hook (config.json's hooks): run with the container's state JSON on stdin. */
struct hook {
	const char *path;	/* absolute, on the host */
	char **args;		/* NULL-terminated; NULL: { path } */
	char **env;		/* NULL-terminated; NULL: empty */
	int timeout;		/* seconds; 0: none */
};

enum hook_kind {
	HOOK_PRESTART, HOOK_CREATE_RUNTIME, HOOK_CREATE_CONTAINER, HOOK_START_CONTAINER,
	HOOK_POSTSTART, HOOK_POSTSTOP, N_HOOK_KINDS
};

/* A device node of linux.devices: made in the container's /dev. */
struct device_spec {
	const char *path;	/* absolute, in the container */
	char type;		/* 'c', 'b', 'p' (fifo) or 'u' (unbuffered char) */
	int64_t major, minor;	/* -1: any, in a rule */
	uint32_t mode;		/* permission bits; 0: 0666 */
	uint32_t uid, gid;
	bool ids_given;
};

/* A device cgroup rule of linux.resources.devices, in order. */
struct device_rule {
	bool allow;
	char type;		/* 'a', 'c' or 'b' */
	int64_t major, minor;	/* -1: any */
	char access[4];		/* of "rwm" */
};

/* The OCI seccomp form (linux.seccomp), as parsed: src/seccomp.c compiles it. */
enum seccomp_op {
	SECCOMP_OP_NE, SECCOMP_OP_LT, SECCOMP_OP_LE, SECCOMP_OP_EQ, SECCOMP_OP_GE,
	SECCOMP_OP_GT, SECCOMP_OP_MASKED_EQ,
};

struct seccomp_arg {
	unsigned index;		/* 0 to 5 */
	uint64_t value, value_two;
	enum seccomp_op op;
};

struct seccomp_rule {
	const char **names;	/* system calls; a name no table knows is skipped */
	size_t names_len;
	uint32_t action;	/* SECCOMP_RET_*, with the errno in SECCOMP_RET_DATA */
	struct seccomp_arg args[6];
	size_t args_len;
};

/* The ABIs a profile names (architectures): bits of seccomp_profile.arches. */
enum {
	SECCOMP_ARCH_BIT_NATIVE = 1,	/* the build's own: SCMP_ARCH_X86_64, SCMP_ARCH_AARCH64 */
	SECCOMP_ARCH_BIT_COMPAT = 2,	/* this machine's others, killed: X86 and X32, ARM */
	SECCOMP_ARCH_BIT_OTHER = 4,	/* another machine's: can't run here */
};

struct seccomp_profile {
	uint32_t default_action;	/* SECCOMP_RET_*, with its errno */
	uint32_t arches;	/* SECCOMP_ARCH_BIT_* that the profile names; 0: native */
	unsigned flags;		/* SECCOMP_FILTER_FLAG_*, as seccomp(2) takes them */
	struct seccomp_rule *rules;
	size_t len;
	const char *listener_path;	/* SCMP_ACT_NOTIFY's socket; NULL: none */
};

/* An OCI namespace to join (linux.namespaces[].path) instead of making one. */
struct ns_join {
	unsigned long type;	/* CLONE_NEW* */
	const char *path;
};

struct key_value {
	const char *key, *value;
};

struct hugetlb_limit {
	const char *page_size;	/* "2MB", "1GB" */
	uint64_t limit;		/* bytes */
};

struct oci_settings {
	const char *bundle;	/* absolute; NULL: not an OCI container */
	const char *id;		/* the state's id (create's operand); NULL: limits.name's */
	char *config_json;	/* run --bundle: config.json as read, for the state folder */
	const char *domainname;
	bool hostname_given;	/* OCI: no hostname, no sethostname */
	struct ns_join *joins;	/* in the order given */
	size_t joins_len;
	struct hook *hooks[N_HOOK_KINDS];
	size_t hooks_len[N_HOOK_KINDS];
	struct key_value *annotations;
	size_t annotations_len;
	struct key_value *sysctls;	/* written under /proc/sys inside */
	size_t sysctls_len;
	struct device_spec *devices;	/* made in /dev, beside the default ones */
	size_t devices_len;
	struct device_rule *device_rules;	/* NULL: carapace's default list */
	size_t device_rules_len;
	bool device_rules_given;
	unsigned long root_propagation;	/* MS_SHARED, MS_SLAVE, MS_PRIVATE...; 0: private */
	struct {		/* process.user and the rest of process */
		bool ids_given;		/* uid and gid below, numeric, as OCI gives them */
		uint32_t uid, gid;
		uint32_t *additional_gids;	/* exactly these: none from /etc/group */
		size_t additional_gids_len;
		int umask;		/* -1: unset */
		bool oom_score_adj_given;
		int oom_score_adj;
		unsigned console_rows, console_cols;	/* 0: unset */
		const char *apparmor_profile;
		const char *selinux_label;
	} process;
	struct {		/* the five sets; given: they replace privileges.caps */
		bool given;
		uint64_t bounding, effective, inheritable, permitted, ambient;
	} caps;
	struct {		/* linux.resources beyond struct container's limits */
		int64_t memory_reservation;	/* bytes; 0: unset */
		bool disable_oom_killer;
		int64_t memory_swappiness;	/* -1: unset */
		uint64_t cpu_period;	/* us; 0: the kernel's */
		const char *cpuset_mems;
		uint16_t blkio_weight;	/* 10 to 1000; 0: unset */
		struct hugetlb_limit *hugetlb;
		size_t hugetlb_len;
		struct key_value *unified;	/* cgroup v2 files and their values */
		size_t unified_len;
	} resources;
	const struct seccomp_profile *seccomp;	/* NULL: privileges.seccomp decides */
	bool personality_given;
	unsigned long personality;	/* PER_LINUX, PER_LINUX32, with flags */
};

/* --network: how the container gets its network (src/network.c). */
enum network_mode {
	NET_UNSET,	/* an OCI bundle's: config.json's namespaces say it all */
	NET_NONE,	/* a network namespace of its own, only lo: the default */
	NET_HOST,	/* the launcher's network namespace */
	NET_NS,		/* ns:PATH, a namespace file joined */
	NET_CONTAINER,	/* container:NAME, another container's namespace */
	NET_BRIDGE,	/* a veth on carapace's bridge, an address, NAT */
};

/* -p [IP:]HOST:CONTAINER[/tcp|/udp] */
struct port_map {
	bool udp;
	uint32_t host_ip;	/* network order; 0: each of the host's addresses */
	uint16_t host_port, container_port;
};

struct network_spec {
	enum network_mode mode;
	const char *target;	/* ns:'s path, container:'s name */
	const char *subnet;	/* --subnet; NULL: NETWORK_DEFAULT_SUBNET */
	struct port_map *ports;
	size_t ports_len;
};

/*
 * The command line fills this, and an OCI config.json fills the same
 * struct; everything after parsing reads only this.
 */
struct container {
	struct {
		char **argv;
		char **env;
		size_t env_len;
		bool home_set;		/* HOME from -e, not from the user's passwd entry */
		const char *cwd;
		enum tty_mode tty;
		int preserve_fds;
		enum exec_action action;
		bool detach;		/* run -d: a monitor keeps it and its log */
	} process;
	struct {
		bool json;
	} inspect;
	struct {
		const char *path;
		bool no_pivot;
		bool readonly;
		bool tarball;		/* path is a tarball to unpack */
		bool from_stdin;	/* -r -: the tarball came on stdin, */
		int stdin_copy;		/* copied into this memfd; path is "-" */
		bool overlay;		/* the rootfs is an overlay's read-only layer */
		bool overlay_optional;	/* the default's overlay: where none can be
					 * made, a read-only root instead */
		bool rw;		/* --rootfs-rw: the folder itself is written */
		bool make_targets;	/* OCI: missing mount targets are made in the
					 * rootfs folder even read-only, as runc does */
		int64_t size;		/* bytes of the tmpfs that holds the overlay's
					 * changes in memory, or a tarball */
		const char *overlay_dir;	/* the overlay's upper and work; NULL: memory */
		const char *cache;	/* --cache: where tarballs are unpacked once;
					 * NULL: CACHE_DIR; "none": into memory each time */
	} root;
	const char *hostname;
	unsigned long namespaces;	/* CLONE_NEW* */
	struct {	/* with CLONE_NEWUSER */
		struct id_map uids, gids;
	} userns;
	struct mount_spec *mounts;	/* in mount order: the defaults, then the user's */
	size_t mounts_len;
	struct {
		const char *parent;	/* from the hierarchy's root */
		const char *name;	/* the leaf; NULL: no cgroup of its own */
		int64_t pids;		/* -1: no limit, here and below */
		bool pids_default;	/* the front end's default, not asked for: only
					 * where the host has pids and a cgroup is made */
		int64_t memory;		/* bytes */
		int64_t memory_swap;	/* bytes of memory + swap; -2: unlimited swap */
		uint64_t cpu_quota;	/* us per cpu_period */
		uint64_t cpu_weight;	/* 1 to 10000; 0: unset */
		uint64_t cpu_shares;	/* 2 to 262144; 0: unset */
		const char *cpuset_cpus;
	} limits;
	struct {
		uint64_t caps;	/* bounding = permitted = effective, for root */
		const char *user;	/* USER[:GROUP]; NULL: root */
		const char **groups_add;
		size_t groups_add_len;
		bool privileged;
		const char *const *masked_paths;	/* hidden from the workload */
		const char *const *readonly_paths;
		struct rlimit_spec { const char *arg; int resource; struct rlimit limit; } *rlimits;
		size_t rlimits_len;
		bool no_new_privs;	/* setuid and file caps give nothing */
		const char *seccomp;	/* NULL: default, "unconfined", or a profile path */
	} privileges;
	struct {
		bool forward_to_group;
		bool subreaper;
		unsigned stop_timeout;	/* seconds */
	} init;
	/*
	 * Settings that an OCI config.json gives (src/oci-config.c) and the
	 * command line does not, or not yet: zero means "not asked for".
	 */
	struct oci_settings oci;
	struct network_spec network;
};

#define CAP(x) (1ULL << CAP_##x)

#define MS_SAFE (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/*
 * A text file read one whole line at a time, however long: never a line's
 * tail taken for a line of its own. Only a regular file, as a FIFO or a
 * device would hang or never end, and at most TEXT_FILE_MAX bytes, read
 * at once: a /proc file may say 0 bytes and hold gigabytes.
 */
struct text_file {
	char *data;		/* all of it, NUL-terminated */
	size_t len, pos;
	const char *what, *path;	/* for errors: WHAT, "seccomp: ", comes first */
	int number;		/* of the line last read, from 1 */
};

struct cgroup_dir {
	const char *mount;
	char *path;
	unsigned ctls;		/* bit per enum controller */
	bool v2;
	bool created;		/* by this launcher: only then is it ours to remove */
	bool pending;		/* planned, its mkdir still to come after the clone:
				 * "new" in the state's note until made */
	int lock_fd;		/* flocked while this launcher lives */
	int tasks_fd;		/* v1: its "tasks", for init to join it by (self_join) */
};

enum controller {
	CTL_PIDS, CTL_MEMORY, CTL_CPU, CTL_CPUSET, CTL_CPUACCT, CTL_FREEZER, CTL_DEVICES,
	CTL_BLKIO, CTL_HUGETLB, N_CTL
};

struct cgroups {
	const char *mode;		/* unified, hybrid or legacy */
	char *v2_mount;			/* cgroup2 mount point, or NULL */
	unsigned v2_ctls;		/* controllers cgroup2 offers */
	char *v1_mount[N_CTL];		/* v1 hierarchy of each controller */
	char *v1_opts[N_CTL];		/* its controllers, to mount it again inside */
	struct cgroup_dir dirs[N_CTL];	/* the container's leaves */
	size_t ndirs;
	int v2_fd;			/* the v2 leaf, for CLONE_INTO_CGROUP */
	const char *parent;
	bool rootless;			/* run by an ordinary user */
	bool devices_confined;		/* a device cgroup guards the host's devices */
	bool devices_later;		/* its program: loaded after the clone, and
					 * init's cgroup namespace made once it is */
	bool v2_core;			/* hybrid: devices and freezer on the v2 leaf */
	bool self_join;			/* init moves itself into the v1 leaves */
	bool v1_later;			/* hybrid run: the v1 leaves made after the
					 * clone, and sent to init (make_cgroups_later) */
	bool made;			/* the leaves: made, not only planned */
	/*
	 * Called before a leaf planned after the clone is made (v1's devices
	 * where the device program is refused): the state's note, which a
	 * reap of a killed launcher goes by, names it first.
	 */
	void (*note)(const struct cgroups *cg, void *arg);
	void *note_arg;
};

/*
 * What init knows of its own mounts while it builds the container's
 * filesystem (src/mount.c): build_filesystem holds it from the first mount
 * to forget_mounts.
 */
struct mount_state {
	bool root_changed;	/* the container's root is "/": a symlink can't lead out */
	bool root_readonly_fallback;	/* no default overlay: init makes "/" read-only */
	struct made_mount *made;	/* each filesystem carapace mounted, by its fd */
	size_t made_len;
	int null_node;		/* O_PATH on the container's /dev/null, once verified */
	bool folder_kept;	/* "/" is the rootfs folder itself, which carapace doesn't
				 * write (--read-only, no overlay): no target is made in it */
	dev_t folder_dev;	/* that folder's filesystem */
	int retired;		/* a detached mount to put under the old root, which
				 * then goes with it; 0: none (closed once put) */
};

/*
 * A seccomp filter, made by build_seccomp from its last instruction to its
 * first: the program is insns[start..], none at all with start BPF_MAXINSNS.
 * It is run-time state (struct runtime); the workload installs its copy.
 */
struct seccomp_filter {
	struct sock_filter insns[BPF_MAXINSNS];
	size_t start;
	unsigned flags;		/* seccomp(2)'s SECCOMP_FILTER_FLAG_*: an OCI profile's */
};

/* What src/network.c sets up for a container: the launcher's, and init's copy. */
struct network_runtime {
	char *dir;		/* the state root's .network/PID-RANDOM: the /etc files */
	int files[3];		/* root's: detached binds of hostname, hosts and
				 * resolv.conf, for init to attach; 0: none */
	bool in_tmpfs;		/* root's files are in a tmpfs of their own: no dir */
	int tmpfs;		/* that tmpfs, detached, until init has "go"; 0: none */
	uint32_t addr, gateway;	/* the bridge's: network order */
	int prefix;
	bool remount;		/* no mount_setattr (before 5.12): init remounts them ro */
	dev_t folder_dev;	/* the rootfs folder's: a missing /etc file is made in */
	ino_t folder_ino;	/* any root but that (an overlay, a tarball's tmpfs) */
	char veth[IFNAMSIZ];	/* the host's end */
	bool leased;
};

/*
 * What carapace finds or builds while it runs a container, apart from
 * what was asked for (struct container): cmd_run holds it and passes it to
 * what needs it. Validation fills the first of it, the launcher the rest.
 */
struct runtime {
	bool rootless;		/* run by an ordinary user */
	int root_fd;		/* O_PATH on the rootfs folder, as validated, for root's
				 * --userns; else -1 */
	char *newuidmap;	/* the helpers that write the id maps, their argv[0];
				 * NULL: carapace does */
	char *newgidmap;
	bool deny_setgroups;	/* the kernel's rule for a map written without them */
	unsigned long long host_ns[8];	/* inspect's, by inspector_host_namespaces() */
	uint64_t caps;		/* the workload's: the spec's, but CAP_MKNOD only where
				 * the host's devices are kept shut */
	struct cgroups cg;	/* the container's own, if it has any */
	struct seccomp_filter filter;	/* the workload's, unless it is unconfined */
	int start_listener;	/* OCI create: init waits there for start; -1: run's way */
	struct oci_state *state;	/* OCI create's or run's folder, which notes
				 * the cgroups as soon as they are made; else NULL */
	bool detached;		/* run -d: init's stdout and stderr are log_pipe */
	int log_pipe;		/* the write end of the monitor's log */
	bool new_keyring;	/* OCI: a session keyring of the container's own */
	struct joined_ns { unsigned long type; int fd; } joins[8];	/* OCI's namespaces
				 * by path, open from validation to the clone */
	size_t joins_len;
	bool exec_joined;	/* exec: the workload is exec's child, in init's namespaces */
	bool exec_detach;	/* exec --detach: it outlives exec once it runs */
	struct network_runtime net;
	int cache_entry;	/* the tarball's cache entry, flocked shared while the
				 * launcher lives; init's lower layer. -1: none */
	int ending_pipe;	/* run: init's end of the launcher's ending pipe, held
				 * until init exits; 0 or -1: none */
};

/*
 * A small reader of ustar, GNU and pax archives: files, folders, symlinks,
 * hard links, devices and fifos, with their modes and owners. Each entry's
 * folder is walked one name at a time with O_NOFOLLOW, so no entry lands
 * outside the root, and none is written through a symlink.
 */
/* src/sha256.c: the running digest of a tarball's stream. */
struct sha256 {
	uint32_t h[8];
	uint64_t len;		/* bytes so far */
	unsigned char buf[64];	/* the block not yet full */
	void (*blocks)(uint32_t h[8], const unsigned char *p, size_t n);	/* C, or the CPU's */
};

struct tar {
	const char *name;	/* the tarball, for errors */
	int copy;		/* -r -: the memfd to read instead; else -1 */
	int in;			/* its tar stream */
	const char *tool;	/* the decompressor, or NULL */
	pid_t decompressor;
	int root;		/* the folder it unpacks into */
	char path[PATH_MAX];	/* the next entry's, from a GNU or pax header */
	char link[PATH_MAX];
	int64_t size, uid, gid;	/* from a pax header; -1: the entry's own */
	char dir[PATH_MAX];	/* the last entry's folder, and an fd on it */
	int dir_fd;
	int64_t room;		/* bytes of its tmpfs, --rootfs-size, for errors */
	bool count_room;	/* no tmpfs to bound it (the cache): tar counts it, as
				 * tmpfs would, a 4 KiB block and an inode per 4 KiB */
	int64_t used, inodes;
	struct sha256 *hash;	/* of every byte of the stream read, or NULL */
};

struct user_ids {
	uid_t uid;
	gid_t gid;
	gid_t groups[64];
	int ngroups;
	char home[256];
};

/*
 * The fallback, where Landlock is absent or would take mount(2) from a
 * workload that keeps CAP_SYS_ADMIN: the workload's last exec goes through
 * a sealed memfd copy of carapace, so that when the kernel resolves the
 * command's interpreter, /proc/self/exe is that copy, never the host file.
 * The copy runs as SEALED_ARGV0 (main) and only execs the command. A
 * "#!" line can't give an argv[0] with a space in it: re-entry through one
 * is refused (refuse_sealed_reentry).
 */
#define SEALED_ARGV0 "carapace exec"

/* What init must put back before the command runs. */
struct saved_signals {
	sigset_t mask;
	sigset_t ignored;
	bool all_default;	/* OCI: none ignored, libc's own real-time signals neither */
};

/* The launcher's side of one container, from the clone to init's exit. */
struct launcher {
	pid_t init;
	int pidfd;
	int sock;
	int sigfd;
	int pty;		/* master, or -1 */
	bool stdin_open;
	char in_buf[4096];	/* stdin, on its way to the pty */
	size_t in_len;
	bool last_was_newline;
	int64_t stop_timeout_ms;
	int64_t kill_at;	/* ms on CLOCK_MONOTONIC; 0: no stop pending */
	int64_t eof_at;		/* when to repeat the pty's end-of-file; 0: never */
	int64_t pty_retry_at;	/* when to poll a pty without slave again; 0: now */
	int status;
	bool reaped;
	struct termios saved_termios;	/* stdin's, before set_raw_terminal */
	bool termios_saved;
	bool detach;		/* OCI create: hand init over, keep no terminal */
	int log_in;		/* run -d: the container's stdout and stderr, or -1 */
	int ending;		/* run: the read end of init's ending pipe, which says
				 * POLLHUP as init exits (launcher_watch_ending), or -1 */
	void (*on_ending)(void);	/* called then */
};

#define LAUNCHER_INIT { .init = -1, .pidfd = -1, .sock = -1, .sigfd = -1, .pty = -1, \
			.log_in = -1, .ending = -1 }

/*
 * The OCI runtime's command line (runc's): the global options that come
 * before the command, and each command's own. A field left 0 or NULL was
 * not given.
 */
struct oci_args {
	const char *root;	/* --root: where the state folders are */
	const char *log;	/* --log: errors go there too */
	const char *log_format;	/* text or json */
	bool systemd_cgroup;
	const char *bundle;	/* create's: default the current folder */
	const char *pid_file;
	const char *console_socket;
	int preserve_fds;
	bool no_pivot, no_new_keyring;
	bool force;		/* delete's */
	bool all;		/* kill's: every process of its cgroups */
	bool quiet;		/* list's -q */
	const char *format;	/* list's: table or json */
	bool follow;		/* logs -f */
	const char *timeout;	/* stop -t SECONDS */
	const char *id;		/* the operand */
	bool run_name;		/* the ID is run's --name: a taken one is said in docker's words */
	struct {		/* exec's */
		const char *process;	/* --process: a runtime spec process object */
		bool detach, tty, no_new_privs;
		const char *cwd, *user;
		char **env;		/* NAME=VALUE */
		size_t env_len;
		uint64_t caps;		/* --cap: added, within the bounding set */
	} exec;
	/* update's and events' (src/oci-update.c) */
	bool stats;		/* events --stats: one stats event, then exit */
	const char *interval;	/* events --interval: a duration, 5s */
	const char *cache;	/* prune --cache */
	const char *keep;	/* prune --keep SIZE */
};

/* What a container's state folder holds (src/state.c), as read back. */
enum oci_status { STATUS_CREATING, STATUS_CREATED, STATUS_RUNNING, STATUS_PAUSED,
		  STATUS_STOPPED };

struct oci_state {
	char id[1025];
	int root_fd;		/* the --root folder */
	int dir_fd;		/* the container's, flocked while a command works on it */
	pid_t pid;		/* init's, on the host; 0: none yet */
	unsigned long long start_time;	/* its /proc/PID/stat field 22: a pid reused is not it */
	unsigned long long pidns;	/* the pid namespace PID is of (its inode); 0: unknown */
	bool started;		/* start has run */
	char *bundle;
	char *created;		/* RFC 3339, UTC */
	uid_t owner;
	struct key_value *annotations;
	size_t annotations_len;
	char *rootfs;		/* the root's absolute path */
	char *caps;		/* the workload's five capability sets, "NAME 0xHEX" a line
				 * (state_note_caps); NULL: not noted */
	char *config;		/* config.json as create (or run --bundle) read it, the
				 * state's last lines; NULL: none */
	char *command;		/* run's: the workload's command line, for ps; NULL: none */
	char *run_args;		/* run's: its options, NUL-separated (src/options.c's
				 * run_args), for exec; NULL: none */
	size_t run_args_len;
	bool detached;		/* run -d's: kept, with its log, until rm */
	bool exited;		/* run -d's, ended: exit_status is its status */
	int exit_status;
	bool removed;		/* run's, gone as init exits (state_remove_early) but
				 * for its cgroups' note, ".end-ID" in the root */
};

/* Functions and tables, by the file that defines them. */

/* src/util.c */
extern enum log_level log_threshold;
void set_fail_mode(enum fail_mode mode, int sock);
void on_launcher_exit(void (*fn)(void));
__attribute__((noreturn, format(printf, 2, 3)))
void die(int code, const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2)))
void die_errno(const char *fmt, ...);
void *xrealloc(void *p, size_t n);
__attribute__((format(printf, 1, 2)))
char *xasprintf(const char *fmt, ...);
void close_fdp(int *fd);
int64_t now_ms(void);
char *made_up_name(void);
unsigned long long own_pid_namespace(void);

/*
 * A bounded sweep of a folder's listing (sweep_listed): LOOK says what an
 * entry is. An ENTRY is one to TAKE, in the listing's order from FIRST to
 * STOP; an ASIDE one, LOOK has swept itself. Both count in BUDGET.
 */
enum sweep_kind { SWEEP_SKIP, SWEEP_ENTRY, SWEEP_ASIDE };
struct sweep {
	int budget;		/* the entries left to look at */
	const char *stop;	/* NULL, or the ENTRY to stop at: where an earlier pass began */
	char *first;		/* NULL, or FIRST_SIZE bytes for the first ENTRY's name */
	size_t first_size;
	int64_t pos;		/* the place after the last entry looked at (a d_off) */
	enum sweep_kind (*look)(void *arg, int fd, const struct dirent *e);
	void (*take)(void *arg, const char *name);
	void *arg;
};
bool sweep_listed(int fd, struct sweep *s);
void sweep_round(int fd, const char *place, struct sweep *s);
int sys_open_tree(int dfd, const char *path, unsigned flags);
int sys_move_mount(int from, int to);
int sys_mount_setattr(int dfd, const char *path, unsigned flags, struct mount_attr *attr);
__attribute__((format(printf, 2, 3)))
void log_msg(enum log_level level, const char *fmt, ...);
void json_write_string(FILE *out, const char *s);
char *rfc3339_now(void);
bool next_in_path(const char **path, const char *name, char file[PATH_MAX]);
char *find_program(const char *name);
const char *nth_word(const char *s, unsigned n, char *out, size_t size);
bool word_is(const char *s, unsigned n, const char *want);
bool word_number(const char *s, unsigned n, unsigned long long max, unsigned long long *out);
const char *scan_decimal(const char *s, unsigned places, unsigned long long *out);

/* src/options.c */
extern const uint64_t default_caps;
/* As podman's: plenty for a service, far below the host's pid_max (run's and spec's). */
#define DEFAULT_PIDS 2048
#define N_DEFAULT_MOUNTS 6
extern const struct mount_spec default_mounts[N_DEFAULT_MOUNTS];
const char *parse_spec_options(int argc, char **argv, bool *rootless);
void parse_features_options(int argc, char **argv);
void usage(FILE *out);
void print_man(FILE *out);
extern const char *const no_paths[];
const char *env_get(char **env, const char *name);
void env_set(struct container *c, char *entry);
bool ranges_overlap(uint64_t a, uint64_t n, uint64_t b, uint64_t m);
void parse_run_options(struct container *c, int argc, char **argv);
void parse_recorded_run_options(struct container *c, int argc, char **argv);
struct command;
const struct command *find_command(const char *name);
int run_command(const struct command *cmd, const struct oci_args *global, int argc, char **argv);
int parse_global_options(struct oci_args *a, int argc, char **argv);
int parse_oci_options(struct oci_args *a, const char *name, int argc, char **argv);
int parse_update_options(struct container *c, struct oci_args *a, int argc, char **argv);
char **parse_init_options(struct container *c, int argc, char **argv);
/* Not static for t/unit.c, which tests them alone. */
int64_t parse_size(const char *opt, const char *s);
uint64_t parse_cpus(const char *s);
void parse_ulimit(struct container *c, const char *arg);
void check_cpuset(const char *arg);
int rlimit_resource(const char *name);
const char *tmpfs_bounded(const char *data);

/* carapace.c: the commands, as src/options.c's table runs them */
int cmd_run(const struct oci_args *global, int argc, char **argv);
int cmd_inspect(const struct oci_args *global, int argc, char **argv);
int cmd_init(const struct oci_args *global, int argc, char **argv);
int cmd_create(const struct oci_args *global, int argc, char **argv);
int cmd_start(const struct oci_args *global, int argc, char **argv);
int cmd_delete(const struct oci_args *global, int argc, char **argv);
void exec_command(char **argv, char **env);
__attribute__((noreturn))
void start_container_workload(const struct container *c, const struct runtime *rt,
			      int sock, int pty_slave, const struct saved_signals *saved);
int launcher_signals(void);
__attribute__((noreturn))
void die_exec(const char *cmd);

/* src/spec.c */
bool path_within(const char *path, const char *dir);
bool open_text_file(struct text_file *t, const char *what, const char *path);
char *next_line(struct text_file *t);
void close_text_file(struct text_file *t);
bool id_mapped(const struct id_map *map, uint32_t id);
bool valid_cgroup_path(const char *p, bool nested);
void validate_spec(const struct container *c, struct runtime *rt);

/* src/cgroup.c */
void create_cgroups(struct cgroups *cg, const struct container *c, bool rootless);
void plan_cgroups(struct cgroups *cg, const struct container *c, bool rootless);
void make_cgroups(struct cgroups *cg, const struct container *c, bool init_waits);
void make_cgroups_later(struct cgroups *cg, const struct container *c, int sock);
bool cgroups_join_sent(struct cgroups *cg, int sock);
void cgroups_check_settled(const char *what);
void sweep_cgroups(const struct cgroups *cg, const struct container *c);
bool confine_devices_later(struct cgroups *cg, const struct container *c, int sock);
struct bpf_insn *device_program(const struct device_rule *rules, size_t nrules, int *len);
void join_cgroups(const struct cgroups *cg, pid_t pid, bool v2_done);
void cgroups_open_self_join(struct cgroups *cg);
void cgroups_join_self(const struct cgroups *cg);
void cgroups_close_self_join(const struct cgroups *cg);
void report_cgroups(const struct cgroups *cg, const struct container *c);
void cgroups_outlive_launcher(struct cgroups *cg);
char *cgroups_describe(const struct cgroups *cg);
bool cgroups_remove_described(const char *text);
int cgroups_signal_all(const char *text, int sig);
bool cgroups_have_procs(const char *text);
int cgroups_freeze(const char *text, bool freeze);
int cgroups_frozen(const char *text);
pid_t *cgroups_pids(const char *text, size_t *count);
void cgroups_update(const char *text, const struct container *c);
struct cgroups *cgroups_load(const char *text);
long long cgroup_number(const struct cgroups *cg, enum controller ctl, const char *file,
			const char *key);
ssize_t cgroup_read(const struct cgroups *cg, enum controller ctl, const char *file, char *buf,
		    size_t size);
void cgroups_path_split(struct container *c, const char *cgroups_path);
int cgroups_v2_leaf_fd(const struct cgroups *cg);

/* src/userns.c */
int idmapped_root(const struct container *c, const struct runtime *rt, pid_t pid);
void write_id_maps(const struct container *c, const struct runtime *rt, pid_t pid);

/* src/tar.c */
void tar_open(struct tar *t);
bool tarball_content(const char *path);
void unpack_tarball(struct tar *t, int root);

/* src/cache.c */
#define CACHE_DIR "/var/lib/carapace/cache"
const char *cache_path(const char *option);
int cache_tarball(const struct container *c, const struct runtime *rt);
int cmd_prune(const struct oci_args *global, int argc, char **argv);

/* src/sha256.c */
void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
void sha256_hex(struct sha256 *s, char hex[65]);

/* src/mount.c */
int prepare_root(struct mount_state *ms, const struct container *c, int idmapped_tree,
		 int cached);
const char *change_root(struct mount_state *ms, const struct container *c);
int *open_bind_sources(const struct container *c);
void forget_mounts(struct mount_state *ms);
void mount_filesystems(struct mount_state *ms, const struct container *c, int root,
		       const int *trees, enum mount_phase phase);
void close_all(int *fds, size_t n);
int detached_fs(const char *type, const char *data, unsigned attrs);
bool root_readonly(const struct mount_state *ms, const struct container *c, int root_tree);
void make_submounts_readonly(int root);
void make_root_readonly(void);
void mount_cgroupfs(struct mount_state *ms, const struct cgroups *cg);
void mask_paths(const struct mount_state *ms, int root, const char *const *paths);
void make_paths_readonly(const struct mount_state *ms, int root, const char *const *paths);
void populate_dev(struct mount_state *ms, bool bind);
void make_devices(const struct mount_state *ms, const struct container *c, bool bind);
int open_procfs(const struct mount_state *ms);
void set_root_propagation(const struct container *c);
void set_loopback_up(void);

/* src/security.c */
/*
 * Whose /etc/passwd or /etc/group a reader reads. The container's: inside
 * it, once its root is /, for --user and --group-add; never the host's,
 * whose users mean nothing there. The host's: by the launcher, before the
 * clone, for the user's name in /etc/subuid (--userns).
 */
enum whose_file { CONTAINER_FILE, HOST_FILE };
char *find_entry(enum whose_file whose, const char *file, const char *name, long id,
		 char *field[7]);
void resolve_user(const struct container *c, struct user_ids *u);
void set_rlimits(const struct container *c);
void limit_caps(uint64_t keep, const struct user_ids *user);
void limit_workload_caps(const struct container *c, uint64_t caps, const struct user_ids *user);
void check_lsm_labels(const struct container *c);
void set_oom_score_adj(const struct container *c, pid_t pid);
void set_process_traits(const struct container *c);
void apply_apparmor_profile(const struct container *c);
void cloexec_from(int first);
void close_fds_except(int first, int *keep, size_t n);
void join_new_keyring(void);
void ensure_std_fds(void);

/* src/seccomp.c */
void build_seccomp(const struct container *c, struct seccomp_filter *f);
const char *seccomp_profile_read(size_t *len);
void install_seccomp(const struct seccomp_filter *f);
int syscall_number(const char *name, size_t len);
/* This build's ABIs by their libseccomp names, sorted: the features command's. */
const char *const *seccomp_arch_names(size_t *n);

/* src/hostbin.c */
void exec_sealed(int sealed, int sock, char **argv, char **env);
int cmd_exec_sealed(int argc, char **argv);
void refuse_sealed_reentry(void);
int guard_host_binary(const struct container *c);
char **copy_args(int argc, char **argv);
void hide_command_line(void);
void copy_environment(void);
void hide_environment(void);

/* src/init.c */
int init_take_signals(struct saved_signals *saved);
int exit_status(int status);
int init_loop(int sigfd, pid_t workload, bool to_group);
bool ends_created_container(int sig);

/* src/ipc.c */
bool ipc_send(int sock, const struct ipc_msg *m);
int ipc_recv(int sock, struct ipc_msg *m);
bool ipc_expect(int sock, enum msg_type want, int *fd);

/* src/console.c */
int open_pty(const struct container *c, int sock);
void bind_console(int pty_slave);
bool wants_tty(const struct container *c);
void send_console(const char *socket_path, int pty_master);

/* src/namespaces.c */
void open_ns_joins(const struct container *c, struct runtime *rt);
void join_namespaces(struct runtime *rt);
pid_t clone_process(unsigned long flags, int *pidfd);
void reap_as_subreaper(void);
void set_domainname(const struct container *c);
void write_sysctls(const struct mount_state *ms, const struct container *c);

/* src/oci-config.c: the second front end, an OCI bundle's config.json */
char *oci_read_config(struct container *c, const char *bundle);
/* Not static for t/unit.c and the fuzzer: JSON of LEN bytes, as if BUNDLE's. */
void oci_parse_config(struct container *c, const char *json, size_t len, const char *bundle);
/* update's --resources: a linux.resources object, strictly (a key unknown is an error) */
void oci_parse_resources(struct container *c, const char *json, size_t len);

/* exec --process FILE: the runtime spec's process object alone, JSON of LEN bytes, into C */
void oci_parse_process(struct container *c, const char *json, size_t len);

/* src/oci-seccomp.c: linux.seccomp, the JSON object of LEN bytes, into c->oci.seccomp */
void oci_parse_seccomp(struct container *c, const char *json, size_t len);
/* The same form in a --seccomp file: its errors begin with WHAT and JOIN, "seccomp: FILE" ": ". */
void parse_seccomp_json(struct container *c, const char *json, size_t len, const char *what,
			const char *join);
/* src/oci-spec.c */
int cmd_spec(const struct oci_args *global, int argc, char **argv);
int cmd_features(const struct oci_args *global, int argc, char **argv);

/* src/hooks.c */
void run_hooks(const struct container *c, enum hook_kind kind, const char *state_json);
/* run_hooks with the state of C; PID -1: inside, init's own host pid. */
void run_state_hooks(const struct container *c, enum hook_kind kind, const char *status,
		     pid_t pid);
/* The runtime spec's state, as JSON (hooks' stdin, carapace state): malloc'd. */
char *oci_state_json(const char *id, const char *status, pid_t pid, const char *bundle,
		     const struct key_value *annotations, size_t n);

/* src/state.c */
bool valid_container_id(const char *id);
const char *state_root_path(const struct oci_args *a);
void state_create(struct oci_state *st, const struct oci_args *a);
bool state_open(struct oci_state *st, const struct oci_args *a, const char *id);
void state_note_cgroups(const struct oci_state *st, const struct cgroups *cg);
void state_note_caps(struct oci_state *st, const struct container *c, uint64_t caps);
void state_write(const struct oci_state *st);
void state_write_file(const struct oci_state *st, const char *name, const char *text);
char *state_read_file(const struct oci_state *st, const char *name);
size_t state_escaped_size(const char *s);
char *state_config(const struct oci_state *st);
void state_remove(struct oci_state *st);
bool state_remove_early(struct oci_state *st, int owner);
void state_end_note_gone(struct oci_state *st);
void state_reap_end_notes(const struct oci_args *a);
void state_wait_ending(const struct oci_args *a, const char *id, int timeout_ms);
void state_remove_on_exit(struct oci_state *st);
void state_keep(void);
void state_close(struct oci_state *st);
void state_run_hooks(const struct oci_state *st, const char *config, enum hook_kind kind);
/* carapace run's registration (h3): the owner lock its launcher or monitor holds */
void state_write_data(const struct oci_state *st, const char *name, const char *data,
		      size_t len);
int state_take_owner(const struct oci_state *st);
int state_owner_alive(const struct oci_state *st);
bool state_unlock_and_wait_owner(const struct oci_state *st, int timeout_ms);
void state_lock(const struct oci_state *st);
void state_unlock(const struct oci_state *st);
void state_sweep(const struct oci_args *a);
int listen_for_start(const struct oci_state *st);
int connect_to_init(const struct oci_state *st);
void write_pid_file(const char *path, pid_t pid);
unsigned long long process_start_time(pid_t pid);
bool state_pid_foreign(const struct oci_state *st);
enum oci_status state_status(const struct oci_state *st);
const char *status_name(enum oci_status s);
int state_pidfd(const struct oci_state *st);
char *state_json(const struct oci_state *st, bool pretty);

/* src/oci-cli.c */
int cmd_state(const struct oci_args *global, int argc, char **argv);
int cmd_kill(const struct oci_args *global, int argc, char **argv);
int cmd_list(const struct oci_args *global, int argc, char **argv);
int cmd_pause(const struct oci_args *global, int argc, char **argv);
int cmd_resume(const struct oci_args *global, int argc, char **argv);
int cmd_ps(const struct oci_args *global, int argc, char **argv);
int parse_signal(const char *s);
void set_log_file(const struct oci_args *a);
void forget_log_file(void);

/* src/exec.c */
int cmd_exec(const struct oci_args *global, int argc, char **argv);
void exec_keep_parent(int sock, bool detach);
const char *exec_home(uid_t uid);
/* src/oci-update.c */
int cmd_update(const struct oci_args *global, int argc, char **argv);
int cmd_events(const struct oci_args *global, int argc, char **argv);
void read_resources(struct container *c, const char *path);
/* src/network.c */
#define NETWORK_DEFAULT_SUBNET "10.89.0.0/24"
#define NETWORK_BRIDGE "carapace0"
void parse_network_option(struct container *c, const char *arg);
void parse_publish_option(struct container *c, const char *arg);
void network_defaults(struct container *c, bool rootless);
void network_prepare(const struct container *c, struct runtime *rt, const struct oci_args *g);
void network_attach(const struct container *c, const struct runtime *rt, pid_t init);
void network_after_go(struct runtime *rt);
void network_inside(const struct container *c, const struct runtime *rt);
void network_bind_files(const struct runtime *rt, int root);

/* src/launcher.c */
void launcher_on_exit(struct launcher *l);
void launcher_done(struct launcher *l);
void launcher_hand_over(struct launcher *l);
int launcher_wait_init(struct launcher *l);
void set_raw_terminal(struct launcher *l);
void copy_window_size(const struct launcher *l);
enum msg_type read_container_msg(struct launcher *l);
int supervise(struct launcher *l);
void launcher_watch_ending(struct launcher *l, struct runtime *rt, void (*fn)(void));

/* src/monitor.c: run's registration, run -d's monitor, and the commands for people */
void register_run(const struct oci_args *global, struct container *c, struct runtime *rt,
		  int argc, char **argv);
void detach_run(struct container *c, struct runtime *rt, struct launcher *l);
void note_started(const struct launcher *l);
void monitor_init_ending(void);
void monitor_running(struct launcher *l);
void monitor_exit_status(int status);
int relay_log(struct launcher *l);
int cmd_logs(const struct oci_args *global, int argc, char **argv);
int cmd_stop(const struct oci_args *global, int argc, char **argv);
int cmd_rm(const struct oci_args *global, int argc, char **argv);
int cmd_wait(const struct oci_args *global, int argc, char **argv);
void list_for_people(const struct oci_args *a);
/* src/options.c: run's options again, for run-args */
char *run_args(const struct container *c, int argc, char **argv, size_t *len);

#endif /* CARAPACE_H */
