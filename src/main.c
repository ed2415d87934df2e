/* main.c: configuration, privileges, confirmation, the run, and the exit status: 0 success,
 * 1 partial, 2 failure. The run's own status comes from the run (plan.c's finish()); main
 * returns 2 itself only when the run could not start (bad configuration, privileges, the
 * metrics file, the loop). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "out.h"
#include "plan.h"
#include "privdrop.h"
#include "report.h"
#include "version.h"

static const char *env_lookup(const char *name) { return getenv(name); }

/* As the Docker CLI: ask only when a person is there to answer. */
static bool confirmed(const dc_config_t *cfg) {
  if (cfg->force || cfg->dry_run || !isatty(STDIN_FILENO))
    return true;
  fprintf(stderr, "WARNING! This will remove:\n");
  if (cfg->containers)
    fprintf(stderr, "  - all stopped containers\n");
  if (cfg->networks)
    fprintf(stderr, "  - all networks not used by at least one container\n");
  if (cfg->volumes)
    fprintf(stderr, cfg->volumes_all ? "  - all volumes not used by at least one container\n"
                                     : "  - all anonymous volumes not used by at least one container\n");
  if (cfg->images)
    fprintf(stderr, cfg->prune_all ? "  - all images without at least one container associated to them\n"
                                   : "  - all dangling images\n");
  if (cfg->build_cache)
    fprintf(stderr, cfg->prune_all ? "  - all build cache\n" : "  - unused build cache\n");
  fprintf(stderr, "except resources labelled %s%s%s.\nAre you sure you want to continue? [y/N] ", cfg->protect.key,
          cfg->protect.has_value ? "=" : "", cfg->protect.has_value ? cfg->protect.value : "");
  char line[16];
  if (!fgets(line, sizeof(line), stdin))
    return false;
  line[strcspn(line, "\r\n")] = '\0';
  return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}

/* The Docker CLI asks each plugin for this before it lists or runs it: JSON and nothing else. */
static int plugin_metadata(void) {
  printf("{\"SchemaVersion\":\"0.1.0\",\"Vendor\":\"docker-cleaner\",\"Version\":\"%s\","
         "\"ShortDescription\":\"Remove unused containers, images, networks, volumes and build cache\"}\n",
         DC_VERSION);
  return fflush(stdout) == 0 ? 0 : 1;
}

/* The metrics file follows the report: it is written when the summary is (also on failure). */
static void metrics_summary(int exit_code, long long duration_ms) {
  char err[1400];
  if (dc_metrics_commit(exit_code, duration_ms, err, sizeof(err)) < 0)
    dc_error("%s", err);
}
static const dc_report_observer_t metrics_observer = {dc_metrics_operation, metrics_summary};

/* A SIGTERM or SIGINT that comes before the run's own handlers (uv_signal, in dc_run_start)
 * are in place is recorded here and raised again once they are, so that it too ends the run
 * with the report rather than killing the process silently. */
static volatile sig_atomic_t early_signal;

static void on_early_signal(int sig) { early_signal = sig; }

/* Installed first thing in main. No SA_RESTART: a signal at the confirmation prompt ends the
 * read, and so the run. The two signals are unblocked too, in case they were inherited
 * blocked: as PID 1 the program must end on them. */
static void catch_early_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_early_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* The report is out (queued, at least): lets the output reach its readers until the run's end
 * (its deadline, or the signal that stopped it) plus a little, so that the process still ends
 * within 0.5 s of it, or until a signal now; then says whether the report could be written
 * whole. Returns the exit status. */
static int end_output(int exit_code, uint64_t end_ns) {
  /* The run's signal handlers are gone and SIGTERM and SIGINT blocked (plan.c): main's own
   * take them (catch_early_signals unblocks them), and a signal ends the wait. */
  catch_early_signals();
  uint64_t until = end_ns + 250 * 1000000ull;
  bool all = dc_out_drain(until, &early_signal);
  if (!all)
    dc_out_mode(DC_OUT_LAST_WORDS); /* what waits in the queue is given up on: one try, past it */
  exit_code = dc_report_output_end(exit_code);
  if (all)
    dc_out_drain(until + 100 * 1000000ull, &early_signal);
  return exit_code;
}

/* Descriptors 0, 1 and 2 must be open before anything else is: a closed one would be reused by
 * the first open (the epoll instance, the engine's socket, the metrics file), and the report
 * written into it (libuv also aborts closing such a descriptor). A closed one is filled with
 * /dev/null; a closed stdout or stderr is marked unwritable (out.c: EBADF), so that a closed
 * stdout is a report that could not be written, said on stderr, as a full disk would be. */
static void keep_std_fds(void) {
  for (int fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
      continue;
    int nfd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (nfd != fd)
      _exit(2); /* not reached: open takes the lowest free descriptor, and 0..fd-1 are open */
    if (fd > 0)
      dc_out_closed(fd);
  }
}

int main(int argc, char **argv) {
  static dc_config_t cfg;
  dc_run_t *run = NULL;
  char err[512];
  uv_loop_t loop;

  keep_std_fds();
  /* Before anything else: no configuration, no privilege drop, no connection. */
  if (argc >= 2 && strcmp(argv[1], "docker-cli-plugin-metadata") == 0)
    return plugin_metadata();

  /* A write to a connection the engine closed must be an error, not a death. */
  signal(SIGPIPE, SIG_IGN);
  catch_early_signals();

  int rc = dc_config_load(&cfg, argc, argv, env_lookup, dc_now_ns(), err, sizeof(err));
  if (rc == DC_CONFIG_HELP) {
    dc_config_usage(stdout);
    return 0;
  }
  if (rc == DC_CONFIG_VERSION) {
    printf("docker-cleaner %s\n", DC_VERSION_STRING);
    return 0;
  }
  if (rc < 0) {
    /* One line, in the format LOG_FORMAT asked for when it was itself valid. */
    dc_log_setup(DC_LOG_ERROR, cfg.log_format);
    dc_error("%s", err);
    return 2;
  }
  dc_log_setup(cfg.log_level, cfg.log_format);
  dc_report_init(&cfg);

  /* Asked before the drop, so that connections opened for a root-only socket do not sit idle
   * while a person reads the question. */
  if (!confirmed(&cfg)) {
    fprintf(stderr, "Aborted: nothing was removed.\n");
    return 0;
  }
  long long t0 = dc_now_ms();
  dc_preconnect_t pre;
  if (dc_privdrop(&cfg, &pre, err, sizeof(err)) < 0) {
    dc_error("%s", err);
    return 2;
  }
  /* After the drop, so that the directory is checked for the user that will write the file at
   * the end, before anything is removed. */
  if (cfg.metrics_file[0]) {
    char merr[1400];
    if (dc_metrics_open(cfg.metrics_file, cfg.dry_run, merr, sizeof(merr)) < 0) {
      dc_error("%s", merr);
      return 2;
    }
    dc_report_observe(&metrics_observer);
  }

  /* From here on the report and the diagnostics never hold the loop (out.h): a reader that
   * stalls cannot keep the deadline or a signal from ending the run. */
  dc_out_mode(DC_OUT_ASYNC);

  char host[300];
  if (cfg.host_kind == DC_HOST_UNIX)
    snprintf(host, sizeof(host), "unix://%s", cfg.socket_path);
  else
    snprintf(host, sizeof(host), "tcp://%s:%d", cfg.tcp_host, cfg.tcp_port);
  dc_report_start(host);

  if ((rc = uv_loop_init(&loop)) < 0) {
    dc_error("cannot start the event loop: %s", uv_strerror(rc));
    metrics_summary(2, dc_now_ms() - t0);
    return 2;
  }
  if (!(run = dc_run_new())) {
    dc_error("cannot start: %s", uv_strerror(UV_ENOMEM));
    metrics_summary(2, dc_now_ms() - t0);
    return 2;
  }
  if ((rc = dc_run_start(run, &loop, &cfg, &pre)) < 0) {
    dc_error("cannot start: %s", uv_strerror(rc));
    uv_run(&loop, UV_RUN_DEFAULT); /* lets the handles opened so far close */
    if (uv_loop_close(&loop) != 0)
      dc_error("internal error: handles left open at exit");
    dc_run_free(run);
    metrics_summary(2, dc_now_ms() - t0);
    return 2;
  }
  /* The run's handlers are in place: a signal that came before goes to them. */
  if (early_signal) {
    int sig = early_signal;
    early_signal = 0;
    raise(sig);
  }
  while (uv_run(&loop, UV_RUN_ONCE) != 0) {
    /* The report is out and everything is closed but a host-name lookup that libuv cannot
     * cancel: leave now rather than wait for the resolver's own time-out. _exit, because
     * libuv's destructor would join the thread that waits for the resolver. */
    if (dc_run_finished(run) && dc_client_stuck(dc_run_client(run)))
      _exit(end_output(dc_run_exit_code(run), dc_run_end_ns(run)));
  }
  int exit_code = dc_run_exit_code(run);
  uint64_t end_ns = dc_run_end_ns(run);
  if ((rc = uv_loop_close(&loop)) != 0) {
    dc_error("internal error: handles left open at exit (%s)", uv_strerror(rc));
    exit_code = 2;
  }
  dc_run_free(run);
  return end_output(exit_code, end_ns);
}
