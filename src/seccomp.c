/*
 * seccomp.c: Seccomp: which system calls the workload may make, in classic BPF.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

/*
 * x86-64's system calls, from asm/unistd_64.h of Linux 6.1 and, by hand,
 * the later ones to 6.15: each block's names are numbered from its first.
 * Profiles name system calls from here.
 */
static const struct {
	int first;
	const char *names;
} syscall_blocks[] = {
	{ 0, /* to 335 */
	  /*   0 */ "read write open close stat fstat lstat poll lseek mmap mprotect "
	  /*  11 */ "munmap brk rt_sigaction rt_sigprocmask rt_sigreturn ioctl pread64 "
	  /*  18 */ "pwrite64 readv writev access pipe select sched_yield mremap msync "
	  /*  27 */ "mincore madvise shmget shmat shmctl dup dup2 pause nanosleep "
	  /*  36 */ "getitimer alarm setitimer getpid sendfile socket connect accept "
	  /*  44 */ "sendto recvfrom sendmsg recvmsg shutdown bind listen getsockname "
	  /*  52 */ "getpeername socketpair setsockopt getsockopt clone fork vfork "
	  /*  59 */ "execve exit wait4 kill uname semget semop semctl shmdt msgget "
	  /*  69 */ "msgsnd msgrcv msgctl fcntl flock fsync fdatasync truncate ftruncate "
	  /*  78 */ "getdents getcwd chdir fchdir rename mkdir rmdir creat link unlink "
	  /*  88 */ "symlink readlink chmod fchmod chown fchown lchown umask "
	  /*  96 */ "gettimeofday getrlimit getrusage sysinfo times ptrace getuid syslog "
	  /* 104 */ "getgid setuid setgid geteuid getegid setpgid getppid getpgrp setsid "
	  /* 113 */ "setreuid setregid getgroups setgroups setresuid getresuid setresgid "
	  /* 120 */ "getresgid getpgid setfsuid setfsgid getsid capget capset "
	  /* 127 */ "rt_sigpending rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend "
	  /* 131 */ "sigaltstack utime mknod uselib personality ustat statfs fstatfs "
	  /* 139 */ "sysfs getpriority setpriority sched_setparam sched_getparam "
	  /* 144 */ "sched_setscheduler sched_getscheduler sched_get_priority_max "
	  /* 147 */ "sched_get_priority_min sched_rr_get_interval mlock munlock mlockall "
	  /* 152 */ "munlockall vhangup modify_ldt pivot_root _sysctl prctl arch_prctl "
	  /* 159 */ "adjtimex setrlimit chroot sync acct settimeofday mount umount2 "
	  /* 167 */ "swapon swapoff reboot sethostname setdomainname iopl ioperm "
	  /* 174 */ "create_module init_module delete_module get_kernel_syms "
	  /* 178 */ "query_module quotactl nfsservctl getpmsg putpmsg afs_syscall "
	  /* 184 */ "tuxcall security gettid readahead setxattr lsetxattr fsetxattr "
	  /* 191 */ "getxattr lgetxattr fgetxattr listxattr llistxattr flistxattr "
	  /* 197 */ "removexattr lremovexattr fremovexattr tkill time futex "
	  /* 203 */ "sched_setaffinity sched_getaffinity set_thread_area io_setup "
	  /* 207 */ "io_destroy io_getevents io_submit io_cancel get_thread_area "
	  /* 212 */ "lookup_dcookie epoll_create epoll_ctl_old epoll_wait_old "
	  /* 216 */ "remap_file_pages getdents64 set_tid_address restart_syscall "
	  /* 220 */ "semtimedop fadvise64 timer_create timer_settime timer_gettime "
	  /* 225 */ "timer_getoverrun timer_delete clock_settime clock_gettime "
	  /* 229 */ "clock_getres clock_nanosleep exit_group epoll_wait epoll_ctl tgkill "
	  /* 235 */ "utimes vserver mbind set_mempolicy get_mempolicy mq_open mq_unlink "
	  /* 242 */ "mq_timedsend mq_timedreceive mq_notify mq_getsetattr kexec_load "
	  /* 247 */ "waitid add_key request_key keyctl ioprio_set ioprio_get "
	  /* 253 */ "inotify_init inotify_add_watch inotify_rm_watch migrate_pages "
	  /* 257 */ "openat mkdirat mknodat fchownat futimesat newfstatat unlinkat "
	  /* 264 */ "renameat linkat symlinkat readlinkat fchmodat faccessat pselect6 "
	  /* 271 */ "ppoll unshare set_robust_list get_robust_list splice tee "
	  /* 277 */ "sync_file_range vmsplice move_pages utimensat epoll_pwait signalfd "
	  /* 283 */ "timerfd_create eventfd fallocate timerfd_settime timerfd_gettime "
	  /* 288 */ "accept4 signalfd4 eventfd2 epoll_create1 dup3 pipe2 inotify_init1 "
	  /* 295 */ "preadv pwritev rt_tgsigqueueinfo perf_event_open recvmmsg "
	  /* 300 */ "fanotify_init fanotify_mark prlimit64 name_to_handle_at "
	  /* 304 */ "open_by_handle_at clock_adjtime syncfs sendmmsg setns getcpu "
	  /* 310 */ "process_vm_readv process_vm_writev kcmp finit_module sched_setattr "
	  /* 315 */ "sched_getattr renameat2 seccomp getrandom memfd_create "
	  /* 320 */ "kexec_file_load bpf execveat userfaultfd membarrier mlock2 "
	  /* 326 */ "copy_file_range preadv2 pwritev2 pkey_mprotect pkey_alloc pkey_free "
	  /* 332 */ "statx io_pgetevents rseq uretprobe" },
	{ 424, /* to 467 */
	  /* 424 */ "pidfd_send_signal io_uring_setup io_uring_enter io_uring_register "
	  /* 428 */ "open_tree move_mount fsopen fsconfig fsmount fspick pidfd_open "
	  /* 435 */ "clone3 close_range openat2 pidfd_getfd faccessat2 process_madvise "
	  /* 441 */ "epoll_pwait2 mount_setattr quotactl_fd landlock_create_ruleset "
	  /* 445 */ "landlock_add_rule landlock_restrict_self memfd_secret "
	  /* 448 */ "process_mrelease futex_waitv set_mempolicy_home_node cachestat "
	  /* 452 */ "fchmodat2 map_shadow_stack futex_wake futex_wait futex_requeue "
	  /* 457 */ "statmount listmount lsm_get_self_attr lsm_set_self_attr "
	  /* 461 */ "lsm_list_modules mseal setxattrat getxattrat listxattrat "
	  /* 466 */ "removexattrat open_tree_attr" },
};
#define N_SYSCALLS 468		/* one past the last block's last number */

/*
 * The default filter is docker's default profile (moby's
 * profiles/seccomp/default.json) for x86-64, without io_uring, which docker
 * dropped in 25.0 because its operations bypass seccomp. These pass:
 */
static const char default_allowed[] =
	"accept accept4 access adjtimex alarm arch_prctl bind brk cachestat capget "
	"capset chdir chmod chown clock_adjtime clock_getres clock_gettime "
	"clock_nanosleep close close_range connect copy_file_range creat dup dup2 dup3 "
	"epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 "
	"epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit exit_group "
	"faccessat faccessat2 fadvise64 fallocate fanotify_mark fchdir fchmod fchmodat "
	"fchmodat2 fchown fchownat fcntl fdatasync fgetxattr flistxattr flock fork "
	"fremovexattr fsetxattr fstat fstatfs fsync ftruncate futex futex_requeue "
	"futex_wait futex_waitv futex_wake futimesat get_robust_list get_thread_area "
	"getcpu getcwd getdents getdents64 getegid geteuid getgid getgroups getitimer "
	"getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid "
	"getresuid getrlimit getrusage getsid getsockname getsockopt gettid gettimeofday "
	"getuid getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch "
	"io_cancel io_destroy io_getevents io_pgetevents io_setup io_submit ioctl "
	"ioprio_get ioprio_set kill landlock_add_rule landlock_create_ruleset "
	"landlock_restrict_self lchown lgetxattr link linkat listen listxattr llistxattr "
	"lremovexattr lseek lsetxattr lstat madvise map_shadow_stack membarrier "
	"memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 "
	"mlockall mmap modify_ldt mprotect mq_getsetattr mq_notify mq_open "
	"mq_timedreceive mq_timedsend mq_unlink mremap msgctl msgget msgrcv msgsnd msync "
	"munlock munlockall munmap name_to_handle_at nanosleep newfstatat open openat "
	"openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free "
	"pkey_mprotect poll ppoll prctl pread64 preadv preadv2 prlimit64 "
	"process_mrelease pselect6 pwrite64 pwritev pwritev2 read readahead readlink "
	"readlinkat readv recvfrom recvmmsg recvmsg remap_file_pages removexattr rename "
	"renameat renameat2 restart_syscall rmdir rseq rt_sigaction rt_sigpending "
	"rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait "
	"rt_tgsigqueueinfo sched_get_priority_max sched_get_priority_min "
	"sched_getaffinity sched_getattr sched_getparam sched_getscheduler "
	"sched_rr_get_interval sched_setaffinity sched_setattr sched_setparam "
	"sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop "
	"sendfile sendmmsg sendmsg sendto set_robust_list set_thread_area "
	"set_tid_address setfsgid setfsuid setgid setgroups setitimer setpgid "
	"setpriority setregid setresgid setresuid setreuid setrlimit setsid setsockopt "
	"setuid setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd "
	"signalfd4 socketpair splice stat statfs statx symlink symlinkat sync "
	"sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete "
	"timer_getoverrun timer_gettime timer_settime timerfd_create timerfd_gettime "
	"timerfd_settime times tkill truncate umask uname unlink unlinkat utime "
	"utimensat utimes vfork vmsplice wait4 waitid write writev";

/* As in docker, a capability also lets through the system calls it governs. */
static const struct {
	int cap;
	const char *names;
} cap_allowed[] = {
	{ CAP_SYS_ADMIN, "bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick "
	  "lookup_dcookie mount mount_setattr move_mount open_tree perf_event_open quotactl "
	  "quotactl_fd setdomainname sethostname setns syslog umount2 unshare" },
	{ CAP_SYS_BOOT, "reboot" },
	{ CAP_SYS_CHROOT, "chroot" },
	{ CAP_SYS_MODULE, "delete_module init_module finit_module" },
	{ CAP_SYS_PACCT, "acct" },
	{ CAP_SYS_PTRACE, "kcmp pidfd_getfd process_madvise process_vm_readv "
	  "process_vm_writev ptrace" },
	{ CAP_SYS_RAWIO, "iopl ioperm" },
	{ CAP_SYS_TIME, "settimeofday clock_settime" },
	{ CAP_SYS_TTY_CONFIG, "vhangup" },
	{ CAP_SYS_NICE, "get_mempolicy mbind set_mempolicy set_mempolicy_home_node" },
	{ CAP_SYSLOG, "syslog" },
	{ CAP_BPF, "bpf" },
	{ CAP_PERFMON, "perf_event_open" },
	{ CAP_DAC_READ_SEARCH, "open_by_handle_at" },
};

#define RET_EPERM (SECCOMP_RET_ERRNO | EPERM)
#define RET_ENOSYS (SECCOMP_RET_ERRNO | ENOSYS)
/* Not a return value but "allowed with safe arguments": see emit_leaf(). */
#define RET_CHECK_ARGS 1u
#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif

struct seccomp_rules {
	uint32_t ret[N_SYSCALLS];	/* by system call number */
	int top;			/* the highest number a rule names */
};

static int syscall_number(const char *name, size_t len)
{
	for (size_t b = 0; b < sizeof syscall_blocks / sizeof syscall_blocks[0]; b++) {
		int nr = syscall_blocks[b].first;

		for (const char *p = syscall_blocks[b].names; *p; nr++) {
			size_t n = strcspn(p, " ");

			if (n == len && !strncmp(p, name, len))
				return nr < (int)N_SYSCALLS ? nr : -1;
			p += n + (p[n] == ' ');
		}
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

/* RET for each of NAMES, separated by spaces. */
static void set_rules(struct seccomp_rules *r, const char *names, uint32_t ret)
{
	for (const char *p = names; *p; p += strspn(p, " ")) {
		size_t n = strcspn(p, " ");

		if (!set_rule(r, p, n, ret))
			die(EXIT_CANT_RUN, "seccomp: no system call %.*s on x86-64", (int)n, p);
		p += n;
	}
}

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma, mi;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

static void default_rules(struct seccomp_rules *r, uint64_t caps)
{
	for (size_t nr = 0; nr < N_SYSCALLS; nr++)
		r->ret[nr] = RET_EPERM;
	set_rules(r, default_allowed, SECCOMP_RET_ALLOW);
	/* Before 4.8, a tracer could change a system call after seccomp allowed it. */
	if (kernel_at_least(4, 8))
		set_rules(r, "ptrace process_vm_readv process_vm_writev", SECCOMP_RET_ALLOW);
	/*
	 * clone may not make namespaces, and personality and socket have
	 * their arguments checked too. clone3 passes its flags in memory,
	 * which BPF can't read: ENOSYS makes libc fall back to clone.
	 */
	set_rules(r, "clone personality socket", RET_CHECK_ARGS);
	set_rules(r, "clone3", RET_ENOSYS);
	for (size_t i = 0; i < sizeof cap_allowed / sizeof cap_allowed[0]; i++)
		if (caps & (1ULL << cap_allowed[i].cap))
			set_rules(r, cap_allowed[i].names, SECCOMP_RET_ALLOW);
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

/* Reads a profile (its format: t/README-seccomp.md); returns its default action. */
static uint32_t read_profile(struct seccomp_rules *r, const char *path)
{
	bool have_default = false;
	struct text_file t;
	uint32_t dflt = 0;
	char *buf, *word[2];

	if (!open_text_file(&t, "seccomp: ", path))
		die_errno("seccomp: %s", path);
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
			die(EXIT_CANT_RUN, "seccomp: %s:%d: unknown system call '%.64s'", path,
			    t.number, word[0]);
		}
	}
	close_text_file(&t);
	if (!have_default)
		die(EXIT_CANT_RUN, "seccomp: %s: no 'default: ACTION' line", path);
	return dflt;
}

/* System call numbers from FIRST up to the next range's FIRST get RET. */
struct range {
	uint32_t first;
	uint32_t ret;
};

static void add_range(struct range *ranges, size_t *n, uint32_t first, uint32_t ret)
{
	/* An argument check is made for one system call: never merged. */
	if (*n && ranges[*n - 1].ret == ret && ret != RET_CHECK_ARGS)
		return;
	ranges[(*n)++] = (struct range){ first, ret };
}

/*
 * The filter is made backwards, from its last instruction to its first:
 * a jump's target is then always made already, and its distance known.
 */
static struct sock_filter bpf[BPF_MAXINSNS];
static size_t bpf_start = BPF_MAXINSNS;		/* the filter: bpf[bpf_start..] */

static void emit(const struct sock_filter *insns, size_t n)
{
	if (n > bpf_start)
		die(EXIT_CANT_RUN, "seccomp: the filter is too long");
	bpf_start -= n;
	memcpy(bpf + bpf_start, insns, n * sizeof *insns);
}
/* EMIT(instructions, in program order) */
#define EMIT(...) do { \
	const struct sock_filter insns_[] = { __VA_ARGS__ }; \
	emit(insns_, sizeof insns_ / sizeof insns_[0]); \
} while (0)
#define LD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define RET(k) BPF_STMT(BPF_RET | BPF_K, (k))
#define JEQ(k, jt, jf) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf))
/* The first argument's low 32 bits (x86-64 is little-endian): all that is checked. */
#define ARG0 args[0]
#define CLONE_NEW_NAMESPACES (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
			      CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

static void emit_leaf(const struct range *r)
{
	if (r->ret != RET_CHECK_ARGS) {
		EMIT(RET(r->ret));
		return;
	}
	switch (r->first) {
	case __NR_personality:	/* docker's: query, Linux, 32-bit, and UNAME26 */
		EMIT(LD(ARG0), JEQ(PER_LINUX, 5, 0), JEQ(PER_LINUX32, 4, 0), JEQ(UNAME26, 3, 0),
		     JEQ(UNAME26 | PER_LINUX32, 2, 0), JEQ(0xffffffff, 1, 0),
		     RET(RET_EPERM), RET(SECCOMP_RET_ALLOW));
		break;
	case __NR_clone:
		EMIT(LD(ARG0), BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEW_NAMESPACES, 0, 1),
		     RET(RET_EPERM), RET(SECCOMP_RET_ALLOW));
		break;
	case __NR_socket:	/* vsock reaches the hypervisor's host */
		EMIT(LD(ARG0), JEQ(AF_VSOCK, 0, 1), RET(RET_EPERM), RET(SECCOMP_RET_ALLOW));
		break;
	default:
		die(EXIT_CANT_RUN, "seccomp: no argument check for system call %u", r->first);
	}
}

/* A binary search on the system call number, down to its range's action. */
static void emit_tree(const struct range *r, size_t n)
{
	size_t half = n / 2, right, skip;

	if (n == 1) {
		emit_leaf(r);
		return;
	}
	emit_tree(r + half, n - half);
	right = bpf_start;
	emit_tree(r, half);
	skip = right - bpf_start;
	if (skip <= 255)
		EMIT(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, r[half].first, skip, 0));
	else	/* too far for a conditional jump: through an unconditional one */
		EMIT(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, r[half].first, 0, 1),
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
 * Builds the container's filter, in the launcher so that a bad profile
 * fails early; the workload installs it. Foreign ABIs (i386, and numbers
 * with the x32 bit, -1 among them) are killed, not denied: their numbers
 * mean other system calls, so no rule here applies to them, and a 32-bit
 * program that got ENOSYS would fail in odd ways, while SIGSYS says what
 * happened. Numbers above the highest one the
 * profile names get ENOSYS, as with runc: libc then falls back from a
 * system call the profile predates to the older one.
 */
void build_seccomp(const struct container *c)
{
	static struct seccomp_rules rules;
	struct range ranges[N_SYSCALLS + 2];
	uint32_t above = RET_ENOSYS;
	size_t n = 0;

	if (c->privileges.seccomp && !strcmp(c->privileges.seccomp, "unconfined"))
		return;
	rules.top = -1;
	if (!c->privileges.seccomp)
		default_rules(&rules, c->privileges.caps);
	else if (read_profile(&rules, c->privileges.seccomp) == SECCOMP_RET_ALLOW)
		above = SECCOMP_RET_ALLOW;
	/* The report comes after the filter: without write, it would end in silence. */
	if (c->process.action == EXEC_INSPECT &&
	    verdict(&rules, __NR_write, above) != SECCOMP_RET_ALLOW)
		die(EXIT_CANT_RUN, "inspect: seccomp: %s: the profile denies write, which the "
		    "report needs", c->privileges.seccomp ? c->privileges.seccomp : "default");
	for (size_t nr = 0; nr < N_SYSCALLS; nr++)
		add_range(ranges, &n, nr, verdict(&rules, nr, above));
	add_range(ranges, &n, N_SYSCALLS, above);
	add_range(ranges, &n, __X32_SYSCALL_BIT, SECCOMP_RET_KILL_PROCESS);
	emit_tree(ranges, n);
	EMIT(LD(arch), JEQ(AUDIT_ARCH_X86_64, 1, 0), RET(SECCOMP_RET_KILL_PROCESS), LD(nr));
	log_debug("seccomp: %s: %zu ranges, %zu instructions",
		  c->privileges.seccomp ? c->privileges.seccomp : "default", n,
		  BPF_MAXINSNS - bpf_start);
}

void install_seccomp(void)
{
	struct sock_fprog prog = {
		.len = (unsigned short)(BPF_MAXINSNS - bpf_start),
		.filter = bpf + bpf_start,
	};

	if (prog.len && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		die_errno("seccomp: install the filter");
}
