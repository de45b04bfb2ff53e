/*
 * seccomp.c: which system calls the workload may make, in classic BPF.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

/*
 * The one architecture the filter is made for, named here only: its audit
 * number, which the filter checks first, its name for errors, its compat
 * ABIs, which the filter kills, and its system call table, which the
 * build makes from the kernel's header for it (src/gen-syscalls.sh).
 * Profiles name system calls, so one profile serves every architecture;
 * a name the architecture lacks is skipped (open and fork on arm64).
 */
#include <asm/unistd.h>	/* the kernel's numbers: musl's may be older */
#include <syscall-table.h>
#if defined(__x86_64__) && defined(SYSCALL_ARCH_x86_64)
#define SECCOMP_AUDIT_ARCH AUDIT_ARCH_X86_64
#define SECCOMP_ARCH_NAME "x86-64"
/* i386's calls come with AUDIT_ARCH_I386, which the arch check kills. */
#define SECCOMP_COMPAT_NAME "i386 and x32"
/* From here up, numbers are x32's: another ABI with the same audit number. */
#ifdef __X32_SYSCALL_BIT
#define SECCOMP_FOREIGN_NR __X32_SYSCALL_BIT
#else
#define SECCOMP_FOREIGN_NR 0x40000000
#endif
#elif defined(__aarch64__) && defined(SYSCALL_ARCH_aarch64)
#define SECCOMP_AUDIT_ARCH AUDIT_ARCH_AARCH64
#define SECCOMP_ARCH_NAME "arm64"
/* A kernel with AArch32 at EL0 runs 32-bit Arm programs: AUDIT_ARCH_ARM. */
#define SECCOMP_COMPAT_NAME "32-bit Arm"
#else
#error "seccomp: carapace knows the system calls of x86-64 and arm64 only"
#endif

/*
 * The table as the program holds it, in the order of the names: the names
 * one after another, each ended by a NUL, and their numbers: 2 bytes a
 * name, where a {number, pointer} struct would take 16. Where each name
 * begins is found once, at the first look-up, into memory the file has
 * no bytes of: in the binary, those 764 bytes crossed a page.
 */
#define NAME_OF(nr, name) #name "\0"
#define NUMBER_OF(nr, name) nr,
static const char syscall_names[SYSCALL_NAMES_SIZE + 1] = SYSCALL_TABLE(NAME_OF);
static const uint16_t syscall_numbers[] = { SYSCALL_TABLE(NUMBER_OF) };
_Static_assert(sizeof syscall_numbers / sizeof syscall_numbers[0] == SYSCALL_COUNT,
	       "the table's rows");
_Static_assert(SYSCALL_NAMES_SIZE <= UINT16_MAX, "where a name begins fits 16 bits");
/* One past the highest number; a number named twice is an error (-Woverride-init). */
#define AT_NUMBER(nr, name) [nr] = 1,
#define N_SYSCALLS sizeof((const char[]){ SYSCALL_TABLE(AT_NUMBER) })

/*
 * The default filter is docker's default profile (moby's
 * profiles/seccomp/default.json) for x86-64, without io_uring, which docker
 * dropped in 25.0 because its operations bypass seccomp. arm64 takes the
 * names it has, as docker's profile does there (its arm-only names are
 * 32-bit Arm's, which carapace kills). These pass:
 */
#define DEFAULT_ALLOWED(X) \
	X(accept) X(accept4) X(access) X(adjtimex) X(alarm) X(arch_prctl) X(bind) \
	X(brk) X(cachestat) X(capget) X(capset) X(chdir) X(chmod) X(chown) \
	X(clock_adjtime) X(clock_getres) X(clock_gettime) X(clock_nanosleep) X(close) \
	X(close_range) X(connect) X(copy_file_range) X(creat) X(dup) X(dup2) X(dup3) \
	X(epoll_create) X(epoll_create1) X(epoll_ctl) X(epoll_ctl_old) X(epoll_pwait) \
	X(epoll_pwait2) X(epoll_wait) X(epoll_wait_old) X(eventfd) X(eventfd2) \
	X(execve) X(execveat) X(exit) X(exit_group) X(faccessat) X(faccessat2) \
	X(fadvise64) X(fallocate) X(fanotify_mark) X(fchdir) X(fchmod) X(fchmodat) \
	X(fchmodat2) X(fchown) X(fchownat) X(fcntl) X(fdatasync) X(fgetxattr) \
	X(flistxattr) X(flock) X(fork) X(fremovexattr) X(fsetxattr) X(fstat) \
	X(fstatfs) X(fsync) X(ftruncate) X(futex) X(futex_requeue) X(futex_wait) \
	X(futex_waitv) X(futex_wake) X(futimesat) X(get_robust_list) \
	X(get_thread_area) X(getcpu) X(getcwd) X(getdents) X(getdents64) X(getegid) \
	X(geteuid) X(getgid) X(getgroups) X(getitimer) X(getpeername) X(getpgid) \
	X(getpgrp) X(getpid) X(getppid) X(getpriority) X(getrandom) X(getresgid) \
	X(getresuid) X(getrlimit) X(getrusage) X(getsid) X(getsockname) X(getsockopt) \
	X(gettid) X(gettimeofday) X(getuid) X(getxattr) X(inotify_add_watch) \
	X(inotify_init) X(inotify_init1) X(inotify_rm_watch) X(io_cancel) \
	X(io_destroy) X(io_getevents) X(io_pgetevents) X(io_setup) X(io_submit) \
	X(ioctl) X(ioprio_get) X(ioprio_set) X(kill) X(landlock_add_rule) \
	X(landlock_create_ruleset) X(landlock_restrict_self) X(lchown) X(lgetxattr) \
	X(link) X(linkat) X(listen) X(listxattr) X(llistxattr) X(lremovexattr) \
	X(lseek) X(lsetxattr) X(lstat) X(madvise) X(map_shadow_stack) X(membarrier) \
	X(memfd_create) X(memfd_secret) X(mincore) X(mkdir) X(mkdirat) X(mknod) \
	X(mknodat) X(mlock) X(mlock2) X(mlockall) X(mmap) X(modify_ldt) X(mprotect) \
	X(mq_getsetattr) X(mq_notify) X(mq_open) X(mq_timedreceive) X(mq_timedsend) \
	X(mq_unlink) X(mremap) X(msgctl) X(msgget) X(msgrcv) X(msgsnd) X(msync) \
	X(munlock) X(munlockall) X(munmap) X(name_to_handle_at) X(nanosleep) \
	X(newfstatat) X(open) X(openat) X(openat2) X(pause) X(pidfd_open) \
	X(pidfd_send_signal) X(pipe) X(pipe2) X(pkey_alloc) X(pkey_free) \
	X(pkey_mprotect) X(poll) X(ppoll) X(prctl) X(pread64) X(preadv) X(preadv2) \
	X(prlimit64) X(process_mrelease) X(pselect6) X(pwrite64) X(pwritev) \
	X(pwritev2) X(read) X(readahead) X(readlink) X(readlinkat) X(readv) \
	X(recvfrom) X(recvmmsg) X(recvmsg) X(remap_file_pages) X(removexattr) \
	X(rename) X(renameat) X(renameat2) X(restart_syscall) X(rmdir) X(rseq) \
	X(rt_sigaction) X(rt_sigpending) X(rt_sigprocmask) X(rt_sigqueueinfo) \
	X(rt_sigreturn) X(rt_sigsuspend) X(rt_sigtimedwait) X(rt_tgsigqueueinfo) \
	X(sched_get_priority_max) X(sched_get_priority_min) X(sched_getaffinity) \
	X(sched_getattr) X(sched_getparam) X(sched_getscheduler) \
	X(sched_rr_get_interval) X(sched_setaffinity) X(sched_setattr) \
	X(sched_setparam) X(sched_setscheduler) X(sched_yield) X(seccomp) X(select) \
	X(semctl) X(semget) X(semop) X(semtimedop) X(sendfile) X(sendmmsg) X(sendmsg) \
	X(sendto) X(set_robust_list) X(set_thread_area) X(set_tid_address) \
	X(setfsgid) X(setfsuid) X(setgid) X(setgroups) X(setitimer) X(setpgid) \
	X(setpriority) X(setregid) X(setresgid) X(setresuid) X(setreuid) X(setrlimit) \
	X(setsid) X(setsockopt) X(setuid) X(setxattr) X(shmat) X(shmctl) X(shmdt) \
	X(shmget) X(shutdown) X(sigaltstack) X(signalfd) X(signalfd4) X(socketpair) \
	X(splice) X(stat) X(statfs) X(statx) X(symlink) X(symlinkat) X(sync) \
	X(sync_file_range) X(syncfs) X(sysinfo) X(tee) X(tgkill) X(time) \
	X(timer_create) X(timer_delete) X(timer_getoverrun) X(timer_gettime) \
	X(timer_settime) X(timerfd_create) X(timerfd_gettime) X(timerfd_settime) \
	X(times) X(tkill) X(truncate) X(umask) X(uname) X(unlink) X(unlinkat) \
	X(utime) X(utimensat) X(utimes) X(vfork) X(vmsplice) X(wait4) X(waitid) \
	X(write) X(writev)

/*
 * As in docker, a capability also lets through the system calls it
 * governs: X(capability, name).
 */
#define CAP_ALLOWED(X) \
	X(SYS_ADMIN, bpf) X(SYS_ADMIN, clone) X(SYS_ADMIN, clone3) \
	X(SYS_ADMIN, fanotify_init) X(SYS_ADMIN, fsconfig) X(SYS_ADMIN, fsmount) \
	X(SYS_ADMIN, fsopen) X(SYS_ADMIN, fspick) X(SYS_ADMIN, lookup_dcookie) \
	X(SYS_ADMIN, mount) X(SYS_ADMIN, mount_setattr) X(SYS_ADMIN, move_mount) \
	X(SYS_ADMIN, open_tree) X(SYS_ADMIN, perf_event_open) X(SYS_ADMIN, quotactl) \
	X(SYS_ADMIN, quotactl_fd) X(SYS_ADMIN, setdomainname) \
	X(SYS_ADMIN, sethostname) X(SYS_ADMIN, setns) X(SYS_ADMIN, syslog) \
	X(SYS_ADMIN, umount2) X(SYS_ADMIN, unshare) X(SYS_BOOT, reboot) \
	X(SYS_CHROOT, chroot) X(SYS_MODULE, delete_module) X(SYS_MODULE, init_module) \
	X(SYS_MODULE, finit_module) X(SYS_PACCT, acct) X(SYS_PTRACE, kcmp) \
	X(SYS_PTRACE, pidfd_getfd) X(SYS_PTRACE, process_madvise) \
	X(SYS_PTRACE, process_vm_readv) X(SYS_PTRACE, process_vm_writev) \
	X(SYS_PTRACE, ptrace) X(SYS_RAWIO, iopl) X(SYS_RAWIO, ioperm) \
	X(SYS_TIME, settimeofday) X(SYS_TIME, clock_settime) \
	X(SYS_TTY_CONFIG, vhangup) X(SYS_NICE, get_mempolicy) X(SYS_NICE, mbind) \
	X(SYS_NICE, set_mempolicy) X(SYS_NICE, set_mempolicy_home_node) \
	X(SYSLOG, syslog) X(BPF, bpf) X(PERFMON, perf_event_open) \
	X(DAC_READ_SEARCH, open_by_handle_at)

/*
 * The default profile as numbers, which the build looks up: a name of
 * neither architecture doesn't build, and one only the other has is -1
 * (SYSCALL_NR_open on arm64), skipped. Saves the profile's 300 look-ups
 * at each start.
 */
#define NR_OF(name) SYSCALL_NR_##name,
#define CAP_NR_OF(cap, name) { CAP_##cap, SYSCALL_NR_##name },
static const int16_t default_allowed[] = { DEFAULT_ALLOWED(NR_OF) };
static const struct { uint8_t cap; int16_t nr; } cap_allowed[] = { CAP_ALLOWED(CAP_NR_OF) };

#define RET_EPERM (SECCOMP_RET_ERRNO | EPERM)
#define RET_ENOSYS (SECCOMP_RET_ERRNO | ENOSYS)
/*
 * Not return values (no action has them: KILL_THREAD carries no data),
 * but "allowed with safe arguments" and "an OCI profile's rules with
 * args decide": see emit_leaf().
 */
#define RET_CHECK_ARGS 1u
#define RET_OCI_ARGS 2u

struct seccomp_rules {
	uint32_t ret[N_SYSCALLS];	/* by system call number */
	int top;			/* the highest number a rule names */
	const struct seccomp_profile *oci;	/* RET_OCI_ARGS's rules */
	uint32_t fallback[N_SYSCALLS];	/* RET_OCI_ARGS: when none of them matches */
};

/*
 * NAME's number on this architecture, or -1; for src/oci-seccomp.c's
 * profiles too. The table is sorted by name: a binary search.
 */
int syscall_number(const char *name, size_t len)
{
	/* and where the next would begin, so that each name's length is known */
	static uint16_t name_at[SYSCALL_COUNT + 1];
	size_t lo = 0, hi = SYSCALL_COUNT;

	if (!name_at[SYSCALL_COUNT])
		for (size_t i = 0; i < SYSCALL_COUNT; i++)
			name_at[i + 1] = (uint16_t)(name_at[i] + strlen(syscall_names + name_at[i]) + 1);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		size_t at = name_at[mid], n = name_at[mid + 1] - at - 1u;
		int cmp = memcmp(syscall_names + at, name, n < len ? n : len);

		if (!cmp)
			cmp = (n > len) - (n < len);
		if (!cmp)
			return syscall_numbers[mid];
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static bool set_rule(struct seccomp_rules *r, const char *name, size_t len, uint32_t ret)
{
	int nr = syscall_number(name, len);

	if (nr < 0)
		return false;
	r->ret[nr] = ret;
	if (nr > r->top)
		r->top = nr;
	return true;
}

/*
 * Whether NAME is a system call of another architecture carapace builds
 * for, not of this one (open and fork, on arm64): a profile that names
 * it serves both, and this architecture skips it. A name of none is an
 * error, as a misspelt one would allow or deny nothing.
 */
static bool syscall_elsewhere(const char *name, size_t len)
{
	for (const char *p = SYSCALL_ELSEWHERE; *p; p += strspn(p, " ")) {
		size_t n = strcspn(p, " ");

		if (n == len && !memcmp(p, name, len))
			return true;
		p += n;
	}
	return false;
}

/* RET for system call NR, unless it is -1: one this architecture lacks. */
static void set_number(struct seccomp_rules *r, int nr, uint32_t ret)
{
	if (nr < 0)
		return;
	r->ret[nr] = ret;
	if (nr > r->top)
		r->top = nr;
}

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	char *dot, *end;
	long ma, mi;

	if (uname(&u))
		return false;
	ma = strtol(u.release, &dot, 10);
	if (dot == u.release || *dot != '.' || (mi = strtol(dot + 1, &end, 10), end == dot + 1))
		return false;
	return ma > major || (ma == major && mi >= minor);
}

static void default_rules(struct seccomp_rules *r, uint64_t caps)
{
	for (size_t nr = 0; nr < N_SYSCALLS; nr++)
		r->ret[nr] = RET_EPERM;
	for (size_t i = 0; i < sizeof default_allowed / sizeof default_allowed[0]; i++)
		set_number(r, default_allowed[i], SECCOMP_RET_ALLOW);
	/* Before 4.8, a tracer could change a system call after seccomp allowed it. */
	if (kernel_at_least(4, 8)) {
		set_number(r, SYSCALL_NR_ptrace, SECCOMP_RET_ALLOW);
		set_number(r, SYSCALL_NR_process_vm_readv, SECCOMP_RET_ALLOW);
		set_number(r, SYSCALL_NR_process_vm_writev, SECCOMP_RET_ALLOW);
	}
	/*
	 * clone may not make namespaces, and personality and socket have
	 * their arguments checked too. clone3 passes its flags in memory,
	 * which BPF can't read: ENOSYS makes libc fall back to clone.
	 */
	set_number(r, SYSCALL_NR_clone, RET_CHECK_ARGS);
	set_number(r, SYSCALL_NR_personality, RET_CHECK_ARGS);
	set_number(r, SYSCALL_NR_socket, RET_CHECK_ARGS);
	set_number(r, SYSCALL_NR_clone3, RET_ENOSYS);
	for (size_t i = 0; i < sizeof cap_allowed / sizeof cap_allowed[0]; i++)
		if (caps & (1ULL << cap_allowed[i].cap))
			set_number(r, cap_allowed[i].nr, SECCOMP_RET_ALLOW);
}

static uint32_t profile_action(const char *path, int line, const char *word)
{
	if (!strcmp(word, "allow"))
		return SECCOMP_RET_ALLOW;
	if (!strcmp(word, "errno"))
		return RET_EPERM;
	if (!strcmp(word, "kill"))
		return SECCOMP_RET_KILL_PROCESS;
	die(EXIT_CANT_RUN, "seccomp: %s:%d: unknown action '%.32s' (allow, errno or kill)",
	    path, line, word);
}

/* Splits LINE into at most MAX words; returns how many it has, maybe more than MAX. */
static int split_words(char *line, char **word, int max)
{
	int n = 0;

	for (char *p = line + strspn(line, " \t\r"); *p; p += strspn(p, " \t\r")) {
		size_t len = strcspn(p, " \t\r");

		if (n < max)
			word[n] = p;
		n++;
		p += len;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

/*
 * Reads a profile (its format: t/README-seccomp.md); returns its default
 * action. One that begins with "{" is the OCI form, as docker's
 * --security-opt seccomp=FILE takes it too: read into *JSON, for oci_rules.
 */
/*
 * The bytes of the profile file last compiled: run keeps them in its state
 * folder, for exec to compile the same filter, not whatever the file says
 * by then (it may lie in a volume that the container writes).
 */
static struct { char *data; size_t len; } profile_bytes;

const char *seccomp_profile_read(size_t *len)
{
	*len = profile_bytes.len;
	return profile_bytes.data;
}

static uint32_t read_profile(struct seccomp_rules *r, const char *path,
			     const struct seccomp_profile **json)
{
	bool have_default = false;
	struct text_file t;
	uint32_t dflt = 0;
	char *buf, *word[2];

	if (!open_text_file(&t, "seccomp: ", path))
		die_errno("seccomp: %s", path);
	free(profile_bytes.data);
	profile_bytes.data = xrealloc(NULL, t.len + 1);
	memcpy(profile_bytes.data, t.data, t.len + 1);
	profile_bytes.len = t.len;
	if (t.data[strspn(t.data, " \t\r\n")] == '{') {
		struct container parsed = { 0 };

		parse_seccomp_json(&parsed, t.data, t.len, xasprintf("seccomp: %s", path), ": ");
		close_text_file(&t);
		*json = parsed.oci.seccomp;
		return 0;
	}
	while ((buf = next_line(&t))) {
		int n;

		buf[strcspn(buf, "#")] = '\0';
		n = split_words(buf, word, 2);
		if (!n)
			continue;
		if (n != 2)
			die(EXIT_CANT_RUN, "seccomp: %s:%d: expected NAME ACTION", path, t.number);
		if (!have_default) {
			if (strcmp(word[0], "default:"))
				die(EXIT_CANT_RUN, "seccomp: %s:%d: expected 'default: ACTION' first",
				    path, t.number);
			dflt = profile_action(path, t.number, word[1]);
			for (size_t nr = 0; nr < N_SYSCALLS; nr++)
				r->ret[nr] = dflt;
			have_default = true;
		} else if (!set_rule(r, word[0], strlen(word[0]),
				     profile_action(path, t.number, word[1]))) {
			if (!syscall_elsewhere(word[0], strlen(word[0])))
				die(EXIT_CANT_RUN, "seccomp: %s:%d: unknown system call '%.64s'",
				    path, t.number, word[0]);
			log_debug("seccomp: %s:%d: no system call %s on " SECCOMP_ARCH_NAME
				  ", skipped", path, t.number, word[0]);
		}
	}
	close_text_file(&t);
	if (!have_default)
		die(EXIT_CANT_RUN, "seccomp: %s: no 'default: ACTION' line", path);
	return dflt;
}

static bool rule_names(const struct seccomp_rule *rule, int nr)
{
	for (size_t i = 0; i < rule->names_len; i++)
		if (syscall_number(rule->names[i], strlen(rule->names[i])) == nr)
			return true;
	return false;
}

/*
 * An OCI profile (linux.seccomp): for each system call, its rules are
 * tried in the profile's order, and the first that matches decides; one
 * without args always matches, so the rules after it never apply. A call
 * with rules with args up to there is RET_OCI_ARGS, which emit_oci_rules
 * makes. Names that this architecture lacks (compat ABIs', other
 * machines') are skipped, as runc does. Returns the action of numbers above the highest named.
 */
static uint32_t oci_rules(struct seccomp_rules *r, const struct seccomp_profile *p)
{
	bool decided[N_SYSCALLS] = { false };

	r->oci = p;
	for (size_t nr = 0; nr < N_SYSCALLS; nr++)
		r->ret[nr] = p->default_action;
	for (size_t k = 0; k < p->len; k++) {
		const struct seccomp_rule *rule = &p->rules[k];

		for (size_t i = 0; i < rule->names_len; i++) {
			int nr = syscall_number(rule->names[i], strlen(rule->names[i]));

			if (nr < 0) {
				log_debug("seccomp: config.json: no system call %.64s on "
					  SECCOMP_ARCH_NAME ", skipped", rule->names[i]);
				continue;
			}
			if (decided[nr])
				continue;
			if (nr > r->top)
				r->top = nr;
			if (rule->args_len && r->ret[nr] != RET_OCI_ARGS) {
				r->ret[nr] = RET_OCI_ARGS;
				r->fallback[nr] = p->default_action;
			} else if (!rule->args_len) {
				*(r->ret[nr] == RET_OCI_ARGS ? &r->fallback[nr] : &r->ret[nr]) =
					rule->action;
				decided[nr] = true;
			}
		}
	}
	/* As runc: ENOSYS, so that libc falls back from a call the profile predates. */
	if (p->default_action == SECCOMP_RET_ALLOW || p->default_action == SECCOMP_RET_LOG)
		return p->default_action;
	return RET_ENOSYS;
}

/* System call numbers from FIRST up to the next range's FIRST get RET. */
struct range {
	uint32_t first;
	uint32_t ret;
};

static void add_range(struct range *ranges, size_t *n, uint32_t first, uint32_t ret)
{
	/* An argument check is made for one system call: never merged. */
	if (*n && ranges[*n - 1].ret == ret && ret != RET_CHECK_ARGS && ret != RET_OCI_ARGS)
		return;
	ranges[(*n)++] = (struct range){ first, ret };
}

/*
 * The filter is made backwards, from its last instruction to its first:
 * a jump's target is then always made already, and its distance known.
 */
static void emit(struct seccomp_filter *f, const struct sock_filter *insns, size_t n)
{
	if (n > f->start)
		die(EXIT_CANT_RUN, "seccomp: the filter is too long");
	f->start -= n;
	memcpy(f->insns + f->start, insns, n * sizeof *insns);
}
/* EMIT(filter, instructions in program order) */
#define EMIT(f, ...) do { \
	const struct sock_filter insns_[] = { __VA_ARGS__ }; \
	emit((f), insns_, sizeof insns_ / sizeof insns_[0]); \
} while (0)
#define LD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define RET(k) BPF_STMT(BPF_RET | BPF_K, (k))
#define JEQ(k, jt, jf) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf))
#define CLONE_NEW_NAMESPACES (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
			      CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

/* Where an argument's two halves are: x86-64 and arm64 are little-endian. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "seccomp: a big-endian machine");
#define ARG_LOW(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HIGH(i) (ARG_LOW(i) + 4)
/*
 * The first argument's low 32 bits: all that the default profile checks.
 * Its three checks are of argument 0 on both: clone's flags (arm64's
 * clone is CLONE_BACKWARDS, which moves tls and child_tid only),
 * personality's persona and socket's family.
 */
#define LD_ARG0 BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(0))

/*
 * One comparison of an OCI rule, on all 64 bits: the high words first,
 * and the low ones only where the high ones don't decide. It falls
 * through when it holds and jumps to FAIL, the next rule, when not.
 */
static void emit_compare(struct seccomp_filter *f, const struct seccomp_arg *a, size_t fail)
{
	enum { NEXT = 0, PASS = -1, NO = -2 };	/* jump targets, resolved below */
	uint32_t hi = (uint32_t)(a->value >> 32), lo = (uint32_t)a->value;
	uint32_t want_hi = (uint32_t)(a->value_two >> 32), want_lo = (uint32_t)a->value_two;
	struct step { uint16_t code; uint32_t k; int jt, jf; } s[6];
	struct sock_filter out[6];
	size_t n = 0, end = f->start;
#define STEP(c, k, t, e) (s[n++] = (struct step){ (c), (k), (t), (e) })
#define JMP(op) (BPF_JMP | BPF_K | (op))
#define LOAD (BPF_LD | BPF_W | BPF_ABS)

	STEP(LOAD, (uint32_t)ARG_HIGH(a->index), NEXT, NEXT);
	switch (a->op) {
	case SECCOMP_OP_EQ:
		STEP(JMP(BPF_JEQ), hi, NEXT, NO);
		STEP(LOAD, (uint32_t)ARG_LOW(a->index), NEXT, NEXT);
		STEP(JMP(BPF_JEQ), lo, PASS, NO);
		break;
	case SECCOMP_OP_NE:
		STEP(JMP(BPF_JEQ), hi, NEXT, PASS);
		STEP(LOAD, (uint32_t)ARG_LOW(a->index), NEXT, NEXT);
		STEP(JMP(BPF_JEQ), lo, NO, PASS);
		break;
	case SECCOMP_OP_GT:
	case SECCOMP_OP_GE:
		STEP(JMP(BPF_JGT), hi, PASS, NEXT);
		STEP(JMP(BPF_JEQ), hi, NEXT, NO);
		STEP(LOAD, (uint32_t)ARG_LOW(a->index), NEXT, NEXT);
		STEP(JMP(a->op == SECCOMP_OP_GT ? BPF_JGT : BPF_JGE), lo, PASS, NO);
		break;
	case SECCOMP_OP_LT:
	case SECCOMP_OP_LE:
		STEP(JMP(BPF_JGT), hi, NO, NEXT);
		STEP(JMP(BPF_JEQ), hi, NEXT, PASS);
		STEP(LOAD, (uint32_t)ARG_LOW(a->index), NEXT, NEXT);
		STEP(JMP(a->op == SECCOMP_OP_LT ? BPF_JGE : BPF_JGT), lo, NO, PASS);
		break;
	case SECCOMP_OP_MASKED_EQ:	/* (arg & value) == valueTwo */
		STEP(BPF_ALU | BPF_AND | BPF_K, hi, NEXT, NEXT);
		STEP(JMP(BPF_JEQ), want_hi, NEXT, NO);
		STEP(LOAD, (uint32_t)ARG_LOW(a->index), NEXT, NEXT);
		STEP(BPF_ALU | BPF_AND | BPF_K, lo, NEXT, NEXT);
		STEP(JMP(BPF_JEQ), want_lo, PASS, NO);
		break;
	}
	/* Step B lands at END - N + B; a rule is short, so FAIL is near. */
	for (size_t b = 0; b < n; b++) {
		int to[] = { [-NEXT] = 0, [-PASS] = (int)(n - b - 1),
			     [-NO] = (int)(fail - (end - n + b) - 1) };

		out[b] = (struct sock_filter){ s[b].code, (uint8_t)to[-s[b].jt],
					       (uint8_t)to[-s[b].jf], s[b].k };
	}
	emit(f, out, n);
#undef STEP
#undef JMP
#undef LOAD
}

/*
 * System call NR's OCI rules with args, in order, then what decides when
 * none matches. Each rule is its comparisons, then its action: one that
 * fails jumps past the action, to the next rule.
 */
static void emit_oci_rules(struct seccomp_filter *f, const struct seccomp_rules *r, int nr)
{
	size_t last = 0;

	while (last < r->oci->len &&
	       (r->oci->rules[last].args_len || !rule_names(&r->oci->rules[last], nr)))
		last++;
	EMIT(f, RET(r->fallback[nr]));
	for (size_t k = last; k-- > 0;) {
		const struct seccomp_rule *rule = &r->oci->rules[k];
		size_t next;

		if (!rule->args_len || !rule_names(rule, nr))
			continue;
		next = f->start;
		EMIT(f, RET(rule->action));
		for (size_t i = rule->args_len; i-- > 0;)
			emit_compare(f, &rule->args[i], next);
	}
}

static void emit_leaf(struct seccomp_filter *f, const struct seccomp_rules *rules,
		      const struct range *r)
{
	if (r->ret == RET_OCI_ARGS) {
		emit_oci_rules(f, rules, (int)r->first);
		return;
	}
	if (r->ret != RET_CHECK_ARGS) {
		EMIT(f, RET(r->ret));
		return;
	}
	switch (r->first) {
	case __NR_personality:	/* docker's: query, Linux, 32-bit, and UNAME26 */
		EMIT(f, LD_ARG0, JEQ(PER_LINUX, 5, 0), JEQ(PER_LINUX32, 4, 0),
		     JEQ(UNAME26, 3, 0), JEQ(UNAME26 | PER_LINUX32, 2, 0), JEQ(0xffffffff, 1, 0),
		     RET(RET_EPERM), RET(SECCOMP_RET_ALLOW));
		break;
	case __NR_clone:
		EMIT(f, LD_ARG0, BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEW_NAMESPACES, 0, 1),
		     RET(RET_EPERM), RET(SECCOMP_RET_ALLOW));
		break;
	case __NR_socket:	/* vsock reaches the hypervisor's host */
		EMIT(f, LD_ARG0, JEQ(AF_VSOCK, 0, 1), RET(RET_EPERM), RET(SECCOMP_RET_ALLOW));
		break;
	default:
		die(EXIT_CANT_RUN, "seccomp: no argument check for system call %u", r->first);
	}
}

/* A binary search on the system call number, down to its range's action. */
static void emit_tree(struct seccomp_filter *f, const struct seccomp_rules *rules,
		      const struct range *r, size_t n)
{
	size_t half = n / 2, right, skip;

	if (n == 1) {
		emit_leaf(f, rules, r);
		return;
	}
	emit_tree(f, rules, r + half, n - half);
	right = f->start;
	emit_tree(f, rules, r, half);
	skip = right - f->start;
	if (skip <= 255)
		EMIT(f, BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, r[half].first, skip, 0));
	else	/* too far for a conditional jump: through an unconditional one */
		EMIT(f, BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, r[half].first, 0, 1),
		     BPF_STMT(BPF_JMP | BPF_JA, skip));
}

static uint32_t verdict(const struct seccomp_rules *r, size_t nr, uint32_t above)
{
	/* A process that can't exit spins in libc's _exit: these always pass. */
	if (nr == __NR_exit || nr == __NR_exit_group)
		return SECCOMP_RET_ALLOW;
	return (int)nr > r->top ? above : r->ret[nr];
}

/*
 * Builds the container's filter into F, in the launcher so that a bad
 * profile fails early; the workload installs it (install_seccomp).
 * Compat ABIs (x86-64's i386, and numbers with the x32 bit, -1 among
 * them; arm64's 32-bit Arm, AUDIT_ARCH_ARM) are killed, not denied: their
 * numbers mean other system calls, so no rule here applies to them, and
 * a 32-bit program that got ENOSYS would fail in odd ways, while SIGSYS
 * says what happened. An OCI profile that lists SCMP_ARCH_X86,
 * SCMP_ARCH_X32 or SCMP_ARCH_ARM changes nothing: carapace has no table
 * of their numbers, and their default action would let a 32-bit program
 * around a deny list. Numbers above the highest one the
 * profile names get ENOSYS, as with runc: libc then falls back from a
 * system call the profile predates to the older one.
 */
void build_seccomp(const struct container *c, struct seccomp_filter *f)
{
	const char *name = c->oci.seccomp ? "config.json" :
			   c->privileges.seccomp ? c->privileges.seccomp : "default";
	const struct seccomp_profile *oci = c->oci.seccomp;
	struct seccomp_rules rules;
	struct range ranges[N_SYSCALLS + 2];
	uint32_t above = RET_ENOSYS;
	size_t n = 0;

	f->start = BPF_MAXINSNS;	/* no program */
	f->flags = 0;
	if (!c->oci.seccomp && c->privileges.seccomp &&
	    !strcmp(c->privileges.seccomp, "unconfined"))
		return;
	rules.top = -1;
	rules.oci = NULL;
	if (!oci && !c->privileges.seccomp)
		default_rules(&rules, c->privileges.caps);
	else if (!oci && read_profile(&rules, c->privileges.seccomp, &oci) == SECCOMP_RET_ALLOW &&
		 !oci)
		above = SECCOMP_RET_ALLOW;
	if (oci) {
		above = oci_rules(&rules, oci);
		f->flags = oci->flags;
		if (oci->arches & SECCOMP_ARCH_BIT_COMPAT)
			log_debug("seccomp: %s: " SECCOMP_COMPAT_NAME " system calls are killed, "
				  "though the profile lists them", name);
	}
	/* The report comes after the filter: without write, it would end in silence. */
	if (c->process.action == EXEC_INSPECT && !oci &&
	    verdict(&rules, __NR_write, above) != SECCOMP_RET_ALLOW)
		die(EXIT_CANT_RUN, "inspect: seccomp: %s: the profile denies write, which the "
		    "report needs", name);
	for (size_t nr = 0; nr < N_SYSCALLS; nr++)
		add_range(ranges, &n, nr, verdict(&rules, nr, above));
	add_range(ranges, &n, N_SYSCALLS, above);
#ifdef SECCOMP_FOREIGN_NR
	add_range(ranges, &n, SECCOMP_FOREIGN_NR, SECCOMP_RET_KILL_PROCESS);
#endif
	emit_tree(f, &rules, ranges, n);
	EMIT(f, LD(arch), JEQ(SECCOMP_AUDIT_ARCH, 1, 0), RET(SECCOMP_RET_KILL_PROCESS), LD(nr));
	log_debug("seccomp: %s: %zu ranges, %zu instructions", name, n, BPF_MAXINSNS - f->start);
}

/*
 * In the workload: F, as build_seccomp made it; nothing for "unconfined".
 * seccomp(2), not prctl, as only it takes an OCI profile's flags.
 */
void install_seccomp(const struct seccomp_filter *f)
{
	struct sock_fprog prog = {
		.len = (unsigned short)(BPF_MAXINSNS - f->start),
		.filter = (struct sock_filter *)f->insns + f->start,
	};

	if (prog.len && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &prog))
		die_errno("seccomp: install the filter");
}
