/*
 * shoal-shim: the per-container process that outlives the agent.
 *
 * The runtime starts one shim per container. The shim daemonizes, becomes a child subreaper, and runs
 * `runc run -d` with the container's stdout and stderr connected to pipes it reads. When runc returns, the
 * container's init has been reparented to the shim, which therefore collects its real exit status, whatever
 * happens to the agent meanwhile. The shim:
 *   - reports "ok <init pid> <shim pid>" (or "error <message>") to the process that started it, then exits that
 *     foreground half so the caller's `await` ends;
 *   - writes stdout and stderr as JSON lines (Docker's json-file format) with nanosecond UTC timestamps, into
 *     `<log-dir>/container.log`, rotated at --log-max-size into container.log.1 .. .<max-files - 1>;
 *   - when init exits, drains the pipes (at most --drain-ms once init is gone), then writes
 *     `<exit-file>` atomically: {"status":N,"signal":S,"time":"..."}, and exits.
 *
 * Invariant: the exit file appears only after the log is complete, so a reader that sees the exit has every
 * line. The shim never touches the container otherwise: signals go through `runc kill`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PIECE_MAX 16384 /* a longer line is written in pieces of this size, like Docker */

struct opts {
  const char *id, *bundle, *runc, *runc_root, *log_dir, *exit_file, *pid_file;
  const char *rootfs, *overlay; /* optional: mount an overlay with these options at rootfs first */
  long long log_max_size;
  int log_max_files;
  int drain_ms;
};

struct stream {
  const char *name;
  int fd;
  char buf[PIECE_MAX];
  size_t len;
};

/* The last complete line seen on stderr: runc's error when the container never started. */
static char last_err[2048];

static struct opts o = {.log_max_size = 10 * 1024 * 1024, .log_max_files = 3, .drain_ms = 2000};
static int log_fd = -1;
static long long log_size = 0;
static int report_fd = -1;

static void report(const char *fmt, ...) {
  if (report_fd < 0) return;
  char line[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof line - 2) n = sizeof line - 2;
  line[n++] = '\n';
  ssize_t w = write(report_fd, line, n);
  (void)w;
  close(report_fd);
  report_fd = -1;
}

static void die(const char *what) {
  report("error shim: %s: %s", what, strerror(errno));
  _exit(1);
}

static void now_rfc3339(char *out, size_t cap) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  char base[32];
  strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, cap, "%s.%09ldZ", base, ts.tv_nsec);
}

static void open_log(void) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/container.log", o.log_dir);
  log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0) die("open log");
  struct stat st;
  log_size = fstat(log_fd, &st) == 0 ? st.st_size : 0;
}

/* Renames .N-1 -> .N down to live -> .1 (dropping the oldest), then opens a new live file. */
static void rotate(void) {
  char from[PATH_MAX], to[PATH_MAX];
  close(log_fd);
  if (o.log_max_files <= 1) {
    /* Delete and recreate, never truncate: a reader holding the old file must not see it shrink. */
    snprintf(from, sizeof from, "%s/container.log", o.log_dir);
    if (unlink(from) != 0) { /* keep going: a failed rotation must not stop the capture */ }
  } else {
    for (int i = o.log_max_files - 1; i >= 1; i--) {
      if (i == 1) snprintf(from, sizeof from, "%s/container.log", o.log_dir);
      else snprintf(from, sizeof from, "%s/container.log.%d", o.log_dir, i - 1);
      snprintf(to, sizeof to, "%s/container.log.%d", o.log_dir, i);
      if (rename(from, to) != 0 && errno != ENOENT) { /* as above */ }
    }
  }
  open_log();
}

/* Appends one JSON-lines entry for `data` (a line with its newline, or a piece of a long line). */
static void write_entry(const char *stream, const char *data, size_t n) {
  static char out[PIECE_MAX * 6 + 256];
  char ts[64];
  now_rfc3339(ts, sizeof ts);
  size_t k = 0;
  k += (size_t)sprintf(out + k, "{\"log\":\"");
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)data[i];
    switch (c) {
      case '"': out[k++] = '\\'; out[k++] = '"'; break;
      case '\\': out[k++] = '\\'; out[k++] = '\\'; break;
      case '\n': out[k++] = '\\'; out[k++] = 'n'; break;
      case '\r': out[k++] = '\\'; out[k++] = 'r'; break;
      case '\t': out[k++] = '\\'; out[k++] = 't'; break;
      default:
        if (c < 0x20 || c == 0x7f) k += (size_t)sprintf(out + k, "\\u%04x", c);
        else out[k++] = (char)c; /* UTF-8 passes through; invalid bytes are the reader's to replace */
    }
  }
  k += (size_t)sprintf(out + k, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream, ts);
  if (log_size > 0 && log_size + (long long)k > o.log_max_size) rotate();
  size_t off = 0;
  while (off < k) {
    ssize_t w = write(log_fd, out + off, k - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      break; /* disk full: drop the entry rather than block the container */
    }
    off += (size_t)w;
  }
  log_size += (long long)off;
}

/* Reads what is available; emits complete lines and full pieces. Returns 1 after data, -1 when nothing is
 * available now, 0 at EOF (or on error). */
static int pump(struct stream *s) {
  ssize_t r = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
  if (r < 0) return errno == EINTR || errno == EAGAIN ? -1 : 0;
  if (r == 0) {
    if (s->len > 0) write_entry(s->name, s->buf, s->len);
    s->len = 0;
    return 0;
  }
  s->len += (size_t)r;
  size_t start = 0;
  for (size_t i = 0; i < s->len; i++) {
    if (s->buf[i] == '\n') {
      if (s->name[3] == 'e' && i > start) { /* "stderr" */
        size_t n = i - start < sizeof last_err - 1 ? i - start : sizeof last_err - 1;
        memcpy(last_err, s->buf + start, n);
        last_err[n] = 0;
      }
      write_entry(s->name, s->buf + start, i + 1 - start);
      start = i + 1;
    }
  }
  if (start == 0 && s->len == sizeof s->buf) {
    write_entry(s->name, s->buf, s->len);
    start = s->len;
  }
  memmove(s->buf, s->buf + start, s->len - start);
  s->len -= start;
  return 1;
}

static void write_exit(int status) {
  char tmp[PATH_MAX], ts[64], body[256];
  now_rfc3339(ts, sizeof ts);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  int n = snprintf(body, sizeof body, "{\"status\":%d,\"signal\":%d,\"time\":\"%s\"}\n", code, sig, ts);
  snprintf(tmp, sizeof tmp, "%s.tmp", o.exit_file);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (write(fd, body, (size_t)n) == n) fsync(fd);
  close(fd);
  if (rename(tmp, o.exit_file) != 0) unlink(tmp);
}

static pid_t read_pid_file(void) {
  char b[32] = {0};
  int fd = open(o.pid_file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, b, sizeof b - 1);
  close(fd);
  return n > 0 ? (pid_t)atoi(b) : -1;
}

/* runc's reason for failing: the last line it wrote to stderr (the container's stderr pipe). */
static void runc_error(struct stream *err, char *out, size_t cap) {
  while (err->fd >= 0 && pump(err) == 1) {}
  snprintf(out, cap, "%s", last_err[0] ? last_err : "runc failed without a message");
}

static void usage(void) {
  fprintf(stderr,
          "usage: shoal-shim --id ID --bundle DIR --runc PATH --runc-root DIR --log-dir DIR --exit-file F\n"
          "                  --pid-file F [--rootfs DIR --overlay MOUNT-OPTIONS] [--log-max-size BYTES] [--log-max-files N] [--drain-ms MS]\n");
  exit(2);
}

static void parse(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *k = argv[i];
    if (i + 1 >= argc) usage();
    const char *v = argv[++i];
    if (!strcmp(k, "--id")) o.id = v;
    else if (!strcmp(k, "--bundle")) o.bundle = v;
    else if (!strcmp(k, "--runc")) o.runc = v;
    else if (!strcmp(k, "--runc-root")) o.runc_root = v;
    else if (!strcmp(k, "--log-dir")) o.log_dir = v;
    else if (!strcmp(k, "--exit-file")) o.exit_file = v;
    else if (!strcmp(k, "--pid-file")) o.pid_file = v;
    else if (!strcmp(k, "--rootfs")) o.rootfs = v;
    else if (!strcmp(k, "--overlay")) o.overlay = v;
    else if (!strcmp(k, "--log-max-size")) o.log_max_size = atoll(v);
    else if (!strcmp(k, "--log-max-files")) o.log_max_files = atoi(v);
    else if (!strcmp(k, "--drain-ms")) o.drain_ms = atoi(v);
    else usage();
  }
  if (!o.id || !o.bundle || !o.runc || !o.runc_root || !o.log_dir || !o.exit_file || !o.pid_file)
    usage();
  if (o.log_max_size < 4096) o.log_max_size = 4096;
  if (o.log_max_files < 1) o.log_max_files = 1;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
  parse(argc, argv);

  /* Foreground half: wait for the daemon's one-line report and relay it. */
  int rp[2];
  if (pipe2(rp, O_CLOEXEC) != 0) { perror("shoal-shim: pipe"); return 1; }
  pid_t d = fork();
  if (d < 0) { perror("shoal-shim: fork"); return 1; }
  if (d > 0) {
    close(rp[1]);
    char line[4096];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof line - 1 && (n = read(rp[0], line + len, sizeof line - 1 - len)) != 0) {
      if (n < 0) { if (errno == EINTR) continue; break; }
      len += (size_t)n;
    }
    line[len] = 0;
    if (strncmp(line, "ok ", 3) == 0) { fputs(line + 3, stdout); return 0; }
    fputs(len ? (strncmp(line, "error ", 6) == 0 ? line + 6 : line) : "shim exited before starting the container\n", stderr);
    return 1;
  }

  /* Daemon half. */
  close(rp[0]);
  report_fd = rp[1];
  if (setsid() < 0) die("setsid");
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) die("prctl(PR_SET_CHILD_SUBREAPER)");
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) die("open /dev/null");
  dup2(devnull, 0);
  dup2(devnull, 1);
  dup2(devnull, 2);

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0) die("sigprocmask");
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) die("signalfd");

  /* The rootfs overlay, mounted here with one syscall rather than by a `mount` process in the agent. */
  if (o.rootfs && o.overlay && mount("overlay", o.rootfs, "overlay", 0, o.overlay) != 0) {
    report("error mounting the root filesystem at %s: %s", o.rootfs, strerror(errno));
    return 1;
  }

  open_log();
  int outp[2], errp[2];
  if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) die("pipe");

  pid_t runc = fork();
  if (runc < 0) die("fork runc");
  if (runc == 0) {
    sigprocmask(SIG_UNBLOCK, &mask, NULL);
    dup2(devnull, 0);
    dup2(outp[1], 1);
    dup2(errp[1], 2);
    /* No --log: runc 1.1 spends ~10 ms forwarding its init's log; its errors reach stderr, which we read. */
    execlp(o.runc, o.runc, "--root", o.runc_root, "run", "-d",
          "--pid-file", o.pid_file, "--bundle", o.bundle, o.id, (char *)NULL);
    _exit(127);
  }
  close(outp[1]);
  close(errp[1]);
  fcntl(outp[0], F_SETFL, O_NONBLOCK);
  fcntl(errp[0], F_SETFL, O_NONBLOCK);

  struct stream s_out = {.name = "stdout", .fd = outp[0]}, s_err = {.name = "stderr", .fd = errp[0]};
  pid_t init = -1;
  int init_status = 0, init_done = 0, runc_done = 0;
  /* Children reaped before init's pid was known (a container that exits at once). */
  pid_t early_pid[64];
  int early_status[64], early_n = 0;
  long long drain_deadline = -1;

  for (;;) {
    struct pollfd p[3] = {{sfd, POLLIN, 0}, {s_out.fd, POLLIN, 0}, {s_err.fd, POLLIN, 0}};
    int timeout = -1;
    if (drain_deadline >= 0) {
      long long left = drain_deadline - now_ms();
      timeout = left > 0 ? (int)left : 0;
    }
    int r = poll(p, 3, timeout);
    if (r < 0 && errno != EINTR) die("poll");
    if (r > 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) && !pump(&s_out)) s_out.fd = -1;
    if (r > 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR)) && !pump(&s_err)) s_err.fd = -1;
    if (r > 0 && (p[0].revents & POLLIN)) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {}
      int st;
      pid_t w;
      while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
        if (w == runc) {
          runc_done = 1;
          if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            char msg[2048];
            if (WIFEXITED(st) && WEXITSTATUS(st) == 127) snprintf(msg, sizeof msg, "cannot execute %s", o.runc);
            else runc_error(&s_err, msg, sizeof msg);
            /* The container never ran: its log holds only runc's complaint, which the caller reports. */
            report("error %s", msg);
            return 1;
          }
          init = read_pid_file();
          if (init <= 0) { errno = EINVAL; die("runc left no pid file"); }
          for (int i = 0; i < early_n; i++)
            if (early_pid[i] == init) { init_done = 1; init_status = early_status[i]; }
          report("ok %d %d", (int)init, (int)getpid());
        } else if (init > 0 && w == init) {
          init_done = 1;
          init_status = st;
        } else if (init < 0 && early_n < 64) {
          early_pid[early_n] = w;
          early_status[early_n++] = st;
        }
      }
    }
    if (runc_done && init_done && drain_deadline < 0) drain_deadline = now_ms() + o.drain_ms;
    int drained = s_out.fd < 0 && s_err.fd < 0;
    if (init_done && (drained || (drain_deadline >= 0 && now_ms() >= drain_deadline))) break;
    if (drained && !runc_done) continue;
  }
  if (s_out.fd >= 0 && s_out.len) write_entry("stdout", s_out.buf, s_out.len);
  if (s_err.fd >= 0 && s_err.len) write_entry("stderr", s_err.buf, s_err.len);
  fsync(log_fd);
  write_exit(init_status);
  return 0;
}
