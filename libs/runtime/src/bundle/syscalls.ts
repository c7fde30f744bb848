/**
 * Shoal's syscall table: every system call of x86_64, x86 and x32 (and the few ARM-only ones), classified for the
 * default seccomp profile. Written from the kernel's syscall headers and Docker's documented default-profile
 * behaviour (default EPERM, some calls allowed only with a capability, argument filters on clone, personality
 * and socket, clone3 answering ENOSYS). A test fails when the machine's header names a syscall this table does
 * not classify, so a new kernel forces a decision here. The reasons are for readers; seccomp.ts builds the
 * profile from the kinds alone.
 */

/** How the default profile treats one syscall. */
export type SyscallClass =
  /** Always allowed. */
  | { kind: "allow"; reason: string }
  /** Allowed when the container holds any of `caps` (names without `CAP_`), else EPERM. */
  | { kind: "cap"; caps: readonly string[]; reason: string }
  /** Never allowed: EPERM. */
  | { kind: "deny"; reason: string }
  /** Allowed only as the argument filter seccomp.ts has for it says; entirely when holding any of `caps`. */
  | { kind: "filtered"; caps: readonly string[]; reason: string };

/** Which architectures a group's syscalls exist on; absent means all. */
type ArchFamily = "x86" | "arm";

interface Group {
  cls: SyscallClass;
  arch?: ArchFamily;
  names: readonly string[];
}

const allow = (reason: string): SyscallClass => ({ kind: "allow", reason });
const cap = (caps: readonly string[], reason: string): SyscallClass => ({ kind: "cap", caps, reason });
const deny = (reason: string): SyscallClass => ({ kind: "deny", reason });

const GROUPS: readonly Group[] = [
  {
    cls: allow("files, directories and descriptors: the kernel's own permission checks apply"),
    names: [
      ...["read", "write", "open", "openat", "openat2", "close", "close_range", "creat", "lseek", "_llseek"],
      ...["pread64", "pwrite64", "readv", "writev", "preadv", "pwritev", "preadv2", "pwritev2", "dup", "dup2"],
      ...["dup3", "pipe", "pipe2", "fcntl", "fcntl64", "flock", "fsync", "fdatasync", "sync", "syncfs"],
      ...["sync_file_range", "truncate", "truncate64", "ftruncate", "ftruncate64", "fallocate", "fadvise64"],
      ...["fadvise64_64", "readahead", "sendfile", "sendfile64", "splice", "tee", "vmsplice", "copy_file_range"],
      ...["stat", "fstat", "lstat", "stat64", "fstat64", "lstat64", "fstatat64", "newfstatat", "statx"],
      ...["statfs", "fstatfs", "statfs64", "fstatfs64", "access", "faccessat", "faccessat2", "getdents"],
      ...["getdents64", "getcwd", "chdir", "fchdir", "rename", "renameat", "renameat2", "mkdir", "mkdirat"],
      ...["rmdir", "link", "linkat", "unlink", "unlinkat", "symlink", "symlinkat", "readlink", "readlinkat"],
      ...["chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat", "chown32"],
      ...["fchown32", "lchown32", "umask", "utime", "utimes", "futimesat", "utimensat", "utimensat_time64"],
      ...["mknod", "mknodat", "setxattr", "lsetxattr", "fsetxattr", "getxattr", "lgetxattr", "fgetxattr"],
      ...["listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr", "fremovexattr"],
      ...["setxattrat", "getxattrat", "listxattrat", "removexattrat", "name_to_handle_at", "ioctl", "cachestat"],
      ...["inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "fanotify_mark"],
      ...["memfd_create", "memfd_secret"],
    ],
  },
  {
    cls: allow("waiting and polling, timers and clocks read by the process itself"),
    names: [
      ...["poll", "ppoll", "ppoll_time64", "select", "_newselect", "pselect6", "pselect6_time64", "epoll_create"],
      ...["epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl_old"],
      ...["epoll_wait_old", "eventfd", "eventfd2", "signalfd", "signalfd4", "timerfd_create", "timerfd_settime"],
      ...["timerfd_gettime", "timerfd_settime64", "timerfd_gettime64", "pause", "nanosleep", "clock_nanosleep"],
      ...["clock_nanosleep_time64", "clock_gettime", "clock_gettime64", "clock_getres", "clock_getres_time64"],
      ...["gettimeofday", "time", "times", "alarm", "getitimer", "setitimer", "timer_create", "timer_delete"],
      ...["timer_settime", "timer_gettime", "timer_settime64", "timer_gettime64", "timer_getoverrun"],
      ...["futex", "futex_time64", "futex_waitv", "futex_wait", "futex_wake", "futex_requeue"],
      ...["set_robust_list", "get_robust_list", "restart_syscall", "io_setup", "io_destroy", "io_getevents"],
      ...["io_pgetevents", "io_pgetevents_time64", "io_submit", "io_cancel"],
    ],
  },
  {
    cls: allow(
      "reading the clock's adjustment state; setting it needs CAP_SYS_TIME, which the kernel checks (ntp clients query it)",
    ),
    names: ["adjtimex", "clock_adjtime", "clock_adjtime64"],
  },
  {
    cls: allow("memory of the process itself"),
    names: [
      ...["brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "msync", "mincore", "madvise", "mlock"],
      ...["mlock2", "munlock", "mlockall", "munlockall", "remap_file_pages", "membarrier", "pkey_alloc"],
      ...["pkey_free", "pkey_mprotect", "mseal", "map_shadow_stack", "rseq"],
    ],
  },
  {
    cls: allow("processes, threads, signals and ids inside the container's namespaces"),
    names: [
      ...["fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "waitpid", "kill"],
      ...["tkill", "tgkill", "getpid", "getppid", "gettid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid"],
      ...["set_tid_address", "set_thread_area", "get_thread_area", "rt_sigaction", "rt_sigprocmask"],
      ...["rt_sigreturn", "rt_sigpending", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_sigqueueinfo"],
      ...["rt_sigsuspend", "rt_tgsigqueueinfo", "sigaltstack", "sigprocmask", "sigreturn", "pidfd_open"],
      ...["pidfd_send_signal", "process_mrelease", "prctl", "seccomp", "capget", "capset", "uname", "sysinfo"],
      ...["getrusage", "getrlimit", "setrlimit", "ugetrlimit", "prlimit64", "getpriority", "setpriority"],
      ...["getcpu", "getrandom", "ioprio_get", "ioprio_set", "landlock_create_ruleset", "landlock_add_rule"],
      ...["landlock_restrict_self", "uretprobe"],
      ...["getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups", "setuid", "setgid"],
      ...["setreuid", "setregid", "setresuid", "setresgid", "setfsuid", "setfsgid", "setgroups", "getuid32"],
      ...["geteuid32", "getgid32", "getegid32", "getresuid32", "getresgid32", "getgroups32", "setuid32"],
      ...["setgid32", "setreuid32", "setregid32", "setresuid32", "setresgid32", "setfsuid32", "setfsgid32"],
      ...["setgroups32"],
    ],
  },
  {
    cls: allow("scheduling of the container's own processes (limits are the cgroup's)"),
    names: [
      ...["sched_yield", "sched_setparam", "sched_getparam", "sched_setscheduler", "sched_getscheduler"],
      ...["sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval"],
      ...["sched_rr_get_interval_time64", "sched_setaffinity", "sched_getaffinity", "sched_setattr"],
      ...["sched_getattr"],
    ],
  },
  {
    cls: allow("sockets and System V / POSIX IPC, scoped by the container's network and ipc namespaces"),
    names: [
      ...["connect", "accept", "accept4", "bind", "listen", "shutdown", "sendto", "recvfrom", "sendmsg", "recvmsg"],
      ...["sendmmsg", "recvmmsg", "recvmmsg_time64", "getsockname", "getpeername", "socketpair", "setsockopt"],
      ...["getsockopt", "shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semctl", "semtimedop"],
      ...["semtimedop_time64", "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend"],
      ...["mq_timedsend_time64", "mq_timedreceive", "mq_timedreceive_time64", "mq_notify", "mq_getsetattr"],
    ],
  },
  {
    cls: allow(
      "x86-32 multiplexers of socket and IPC calls; their arguments are behind a pointer seccomp cannot read, so the socket filter does not apply to 32-bit programs",
    ),
    arch: "x86",
    names: ["socketcall", "ipc"],
  },
  {
    cls: allow(
      "tracing and reading one's own (same-user) processes: safe since Linux 4.8, which checks seccomp after ptrace",
    ),
    names: ["ptrace", "process_vm_readv", "process_vm_writev"],
  },
  { cls: allow("x86 thread-local storage and segment set-up"), arch: "x86", names: ["arch_prctl", "modify_ldt"] },
  {
    cls: allow("ARM cache maintenance, TLS and ARM-specific argument orders"),
    arch: "arm",
    names: ["arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls"],
  },
  {
    cls: {
      kind: "filtered",
      caps: ["SYS_ADMIN"],
      reason: "allowed without namespace flags; new namespaces need CAP_SYS_ADMIN",
    },
    names: ["clone"],
  },
  {
    cls: {
      kind: "filtered",
      caps: ["SYS_ADMIN"],
      reason: "its flags are behind a pointer seccomp cannot read: ENOSYS makes libc fall back to clone",
    },
    names: ["clone3"],
  },
  {
    cls: {
      kind: "filtered",
      caps: [],
      reason: "only the Linux and 32-bit personalities (and the query); others change the ABI and disable ASLR",
    },
    names: ["personality"],
  },
  {
    cls: {
      kind: "filtered",
      caps: [],
      reason: "every address family but AF_VSOCK, which reaches the host and its VMs across namespaces",
    },
    names: ["socket"],
  },
  {
    cls: cap(["SYS_ADMIN"], "mounts, namespaces, host and domain names, quotas, filesystem-wide notification"),
    names: [
      ...["mount", "umount", "umount2", "mount_setattr", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount"],
      ...["fspick", "unshare", "setns", "sethostname", "setdomainname", "quotactl", "quotactl_fd", "fanotify_init"],
      ...["lookup_dcookie", "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules"],
    ],
  },
  { cls: cap(["SYS_ADMIN", "BPF"], "loads programs into the kernel"), names: ["bpf"] },
  {
    cls: cap(["SYS_ADMIN", "PERFMON"], "performance counters can observe the host and other containers"),
    names: ["perf_event_open"],
  },
  { cls: cap(["SYS_ADMIN", "SYSLOG"], "the kernel log is the host's"), names: ["syslog"] },
  { cls: cap(["SYS_BOOT"], "restarts or halts the machine (or the pid namespace)"), names: ["reboot"] },
  { cls: cap(["SYS_CHROOT"], "changes the root directory (in Docker's default capabilities)"), names: ["chroot"] },
  {
    cls: cap(["SYS_MODULE"], "loads and unloads kernel modules"),
    names: ["init_module", "finit_module", "delete_module"],
  },
  { cls: cap(["SYS_PACCT"], "process accounting is host-wide"), names: ["acct"] },
  {
    cls: cap(["SYS_PTRACE"], "compares and takes descriptors and memory advice of other processes"),
    names: ["kcmp", "pidfd_getfd", "process_madvise"],
  },
  { cls: cap(["SYS_RAWIO"], "raw I/O port access"), arch: "x86", names: ["iopl", "ioperm"] },
  {
    cls: cap(["SYS_TIME"], "the clock is the host's: setting it changes it for everyone"),
    names: ["settimeofday", "stime", "clock_settime", "clock_settime64"],
  },
  { cls: cap(["SYS_TTY_CONFIG"], "hangs up the controlling terminal"), names: ["vhangup"] },
  {
    cls: cap(["SYS_NICE"], "NUMA memory policy: placement on the host's memory nodes"),
    names: ["get_mempolicy", "set_mempolicy", "mbind", "set_mempolicy_home_node"],
  },
  {
    cls: cap(["DAC_READ_SEARCH"], "opens any file of a filesystem by handle, escaping the container's root"),
    names: ["open_by_handle_at"],
  },
  {
    cls: deny("the kernel keyring is not namespaced: keys of the host and other containers"),
    names: ["add_key", "request_key", "keyctl"],
  },
  {
    cls: deny("loads a new kernel to boot into"),
    names: ["kexec_load", "kexec_file_load"],
  },
  {
    cls: deny("host-wide state: swap, the root of the mount tree, legacy sysctl, memory placement of other processes"),
    names: ["swapon", "swapoff", "pivot_root", "_sysctl", "move_pages", "migrate_pages"],
  },
  {
    cls: deny("user-space page-fault handling, a frequent exploit aid"),
    names: ["userfaultfd"],
  },
  {
    cls: deny("io_uring: a large kernel attack surface with a long record of flaws; programs fall back to epoll"),
    names: ["io_uring_setup", "io_uring_enter", "io_uring_register"],
  },
  {
    cls: deny("obsolete interfaces: removed from the kernel, never implemented, or replaced by newer calls"),
    names: [
      ...["uselib", "ustat", "sysfs", "create_module", "get_kernel_syms", "query_module", "nfsservctl", "getpmsg"],
      ...["putpmsg", "afs_syscall", "tuxcall", "security", "vserver", "bdflush", "break", "ftime", "gtty", "stty"],
      ...["idle", "lock", "mpx", "prof", "profil", "ulimit", "nice", "oldfstat", "oldlstat", "oldstat"],
      ...["olduname", "oldolduname", "readdir", "sgetmask", "ssetmask", "signal", "sigaction", "sigpending"],
      ...["sigsuspend"],
    ],
  },
  { cls: deny("virtual 8086 mode"), arch: "x86", names: ["vm86", "vm86old"] },
];

function buildTable(): ReadonlyMap<string, SyscallClass & { arch?: ArchFamily }> {
  const table = new Map<string, SyscallClass & { arch?: ArchFamily }>();
  for (const g of GROUPS) {
    for (const name of g.names) {
      // NB: a name in two groups would make the profile depend on group order; the table test forbids it.
      if (!table.has(name)) table.set(name, g.arch === undefined ? g.cls : { ...g.cls, arch: g.arch });
    }
  }
  return table;
}

/** Every classified syscall by name, with the architecture family it is limited to, if any. */
export const SYSCALLS: ReadonlyMap<string, SyscallClass & { arch?: "x86" | "arm" }> = buildTable();

/** Names listed in more than one group of the table (empty when the table is well formed). For its test. */
export function duplicateSyscallNames(): string[] {
  const seen = new Set<string>();
  return GROUPS.flatMap((g) => g.names).filter((n) => (seen.has(n) ? true : (seen.add(n), false)));
}
