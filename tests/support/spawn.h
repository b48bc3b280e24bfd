/*
 * spawn: start a program for a test, read its stdout line by line with a
 * deadline, and make sure it is gone (killed and reaped) afterwards.
 *
 * Made for integration tests that run bin/chatd, bin/chatc or bin/acklab:
 * the child gets stdin from /dev/null (or a pipe, see spawn_start_stdin),
 * stdout into a pipe the test reads, stderr inherited (so it lands in the
 * test's log), its own process group, and PR_SET_PDEATHSIG(SIGKILL) so a
 * crashed test leaves nothing behind; spawn_start_opts() can also give the
 * child an open-file limit or environment variables (a chatd at its fd
 * limit, sanitizer options). Nothing here sleeps blindly: every wait
 * polls with a deadline in milliseconds. Plain libc only, so any test
 * program can link it.
 */
#ifndef ACKLAB_TEST_SPAWN_H
#define ACKLAB_TEST_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#define SPAWN_LINE_MAX 65536

struct spawn {
	pid_t pid;       /* 0 once reaped */
	int out_fd;      /* read end of the child's stdout, -1 when closed */
	int in_fd;       /* write end of the child's stdin, or -1 */
	int status;      /* wait status, valid once reaped */
	int reaped;
	size_t buf_len;
	char buf[SPAWN_LINE_MAX];
};

/*
 * Start argv[0] (a path; no PATH search) with argv. Returns 0, or -1 with
 * err filled. The caller must end it with spawn_stop() or spawn_wait().
 */
int spawn_start(struct spawn *sp, char *const argv[], char *err, size_t errlen);

/* What spawn_start_opts() changes in the child before exec. */
struct spawn_opts {
	long nofile;              /* RLIMIT_NOFILE (soft and hard) for the child; 0: inherited */
	const char *const *env;   /* "NAME=value" strings to set, NULL-terminated; NULL: none */
};

/* As spawn_start(), with opts (NULL: none) applied in the child. */
int spawn_start_opts(struct spawn *sp, char *const argv[], const struct spawn_opts *opts,
		     char *err, size_t errlen);

/* As spawn_start(), with a pipe on the child's stdin: write to sp->in_fd. */
int spawn_start_stdin(struct spawn *sp, char *const argv[], char *err, size_t errlen);

/*
 * Read the next whole line of the child's stdout (without '\n') into line.
 * Returns 1 with a line, 0 at end of output, -1 on timeout (errno
 * ETIMEDOUT) or error. Lines longer than linelen are truncated.
 */
int spawn_read_line(struct spawn *sp, char *line, size_t linelen, int timeout_ms);

/*
 * Read lines until one contains needle (strstr); that line goes into line.
 * Returns 1, 0 if the output ended first, -1 on timeout. Lines before it
 * are dropped.
 */
int spawn_wait_line(struct spawn *sp, const char *needle, char *line, size_t linelen,
		    int timeout_ms);

/*
 * Wait for chatd's ready line and return the port from its "listen" field
 * (e.g. 40123), or -1 on timeout/exit/garbage.
 */
int spawn_wait_ready_port(struct spawn *sp, int timeout_ms);

/*
 * Wait up to timeout_ms for the child to exit and reap it. Returns 0 with
 * sp->status set, -1 on timeout (the child keeps running).
 */
int spawn_wait(struct spawn *sp, int timeout_ms);

/*
 * Send sig (e.g. SIGTERM), wait up to grace_ms, then SIGKILL the whole
 * process group and reap. Always leaves no child; closes the pipes.
 * Returns the wait status (see WIFEXITED etc.), or -1 if there was nothing
 * to stop.
 */
int spawn_stop(struct spawn *sp, int sig, int grace_ms);

/* Build "$ACKLAB_BIN/name" into path; -1 if ACKLAB_BIN is not set. */
int spawn_bin_path(const char *name, char *path, size_t pathlen);

#endif
