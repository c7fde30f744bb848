/*
 * shoal-init: a minimal init for PID 1 inside a container (what `docker run --init` provides).
 *
 * The kernel ignores signals sent to a pid namespace's init unless it installed a handler, so a plain
 * `sleep` as PID 1 never sees the stop signal and every stop waits for SIGKILL; and nobody reaps orphans.
 * shoal-init runs the real command as its child, forwards every catchable signal to it, reaps all children,
 * and exits with the child's status (128 + signal when it was killed). Statically linked, so any image works.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t child_pid = -1;

static void forward(int sig) {
  if (child_pid > 0) kill(child_pid, sig);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: shoal-init COMMAND [ARG...]\n");
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward;
  sa.sa_flags = SA_RESTART;
  sigfillset(&sa.sa_mask);
  for (int s = 1; s < NSIG; s++) {
    if (s == SIGKILL || s == SIGSTOP || s == SIGCHLD) continue;
    sigaction(s, &sa, NULL);
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("shoal-init: fork");
    return 1;
  }
  if (pid == 0) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++) sigaction(s, &dfl, NULL);
    setpgid(0, 0);
    execvp(argv[1], argv + 1);
    fprintf(stderr, "shoal-init: cannot execute %s: %s\n", argv[1], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  child_pid = pid;
  for (;;) {
    int st;
    pid_t w = waitpid(-1, &st, 0);
    if (w < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (w == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
}
