// A probe of a container's sandbox, run by sandbox-runc.test.ts (built there with gcc -static).
//
// `sandbox-probe syscalls` makes each call below and prints `name=ERRNO` (`EPERM`, `EFAULT`, ...) or `name=0`
// when it succeeds. Each call runs in a child of its own, so one that succeeds (unshare) changes nothing for the
// next. The arguments are ones the kernel itself refuses with an errno other than EPERM where it can (a NULL
// pointer, an unknown command, bad flags), so EPERM there means seccomp refused, and nothing is ever changed.
// `sandbox-probe euid` prints `euid=N`: run from a setuid-root copy it shows whether the setuid bit took effect.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long probe(const char *name) {
  if (strcmp(name, "unshare") == 0) return syscall(SYS_unshare, CLONE_NEWUSER);
  if (strcmp(name, "mount") == 0) return syscall(SYS_mount, "none", NULL, "tmpfs", 0UL, NULL);
  if (strcmp(name, "add_key") == 0) return syscall(SYS_add_key, NULL, "probe", NULL, 0UL, -2L);
  if (strcmp(name, "keyctl") == 0) return syscall(SYS_keyctl, 0x7fffffffL, 0L, 0L, 0L, 0L);
  if (strcmp(name, "bpf") == 0) return syscall(SYS_bpf, 0x7fffL, NULL, 0UL);
  if (strcmp(name, "perf_event_open") == 0) return syscall(SYS_perf_event_open, NULL, 0L, -1L, -1L, 0UL);
  // Flag 0x100 is undefined: EINVAL before anything is loaded or unloaded.
  if (strcmp(name, "kexec_load") == 0) return syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0x100UL);
  if (strcmp(name, "open_by_handle_at") == 0) return syscall(SYS_open_by_handle_at, -1L, NULL, 0L);
  if (strcmp(name, "clock_settime") == 0) return syscall(SYS_clock_settime, (long)CLOCK_REALTIME, NULL);
  // No reboot magic: EINVAL even with CAP_SYS_BOOT.
  if (strcmp(name, "reboot") == 0) return syscall(SYS_reboot, 0L, 0L, 0L, NULL);
  if (strcmp(name, "clone3") == 0) return syscall(SYS_clone3, NULL, 0UL);
  errno = ENOTSUP;
  return -1;
}

static const char *const CALLS[] = {"unshare", "mount", "add_key", "keyctl", "bpf", "perf_event_open",
                                    "kexec_load", "open_by_handle_at", "clock_settime", "reboot", "clone3"};

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "euid") == 0) {
    printf("euid=%d\n", (int)geteuid());
    return 0;
  }
  if (argc != 2 || strcmp(argv[1], "syscalls") != 0) {
    fprintf(stderr, "usage: sandbox-probe syscalls|euid\n");
    return 2;
  }
  for (size_t i = 0; i < sizeof CALLS / sizeof CALLS[0]; i++) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      return 1;
    }
    if (pid == 0) _exit(probe(CALLS[i]) < 0 ? errno : 0);
    int status = 0;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
      printf("%s=crashed\n", CALLS[i]);
      continue;
    }
    int err = WEXITSTATUS(status);
    if (err == 0) printf("%s=0\n", CALLS[i]);
    else printf("%s=%s\n", CALLS[i], strerrorname_np(err) ? strerrorname_np(err) : "unknown");
  }
  return 0;
}
