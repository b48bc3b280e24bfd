/*
 * explore_cell: explored and shrunk cells, each run by a forked worker and
 * checked from its folder once the worker is gone (explore.h).
 *
 * This is the matrix's recipe (matrix.c) without its table: a worker runs
 * runner_run_plan() and exits, its pipe carries only an error that kept it
 * from writing a record, and the verdict comes from check_cell_dir() in the
 * parent, so a cell's crash or leak cannot touch the explorer, and what the
 * explorer says is what `acklab report` would say of the same folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "explore.h"
#include "log.h"
#include "outdir.h"
#include "runner.h"
#include "util.h"

static void explore_child(struct explore_cell *x, const struct explore_run_opts *o, int fd)
{
	struct outdir run;
	char err[512];

	if (outdir_open(&run, x->run_dir, true, err, sizeof err) == 0) {
		struct runner_opts ro = { o->bin_dir, run.path, &run, o->verbose, o->stop };

		if (runner_run_plan(x->plan, &ro, err, sizeof err) == 0)
			err[0] = '\0';
		outdir_close(&run);
	}
	if (err[0] && write(fd, err, strlen(err)) < 0)
		log_warn("cell %s: %s", x->plan->cell, err);
	close(fd);
}

int explore_cell_start(struct explore_cell *x, const struct explore_run_opts *o, char *err, size_t errlen)
{
	int p[2];

	x->len = 0;
	x->msg[0] = '\0';
	if (pipe2(p, O_CLOEXEC) == -1)
		return err_set(err, errlen, "pipe: %s", strerror(errno));
	fflush(NULL);
	x->pid = fork();
	if (x->pid == -1) {
		x->pid = 0;
		close(p[0]);
		close(p[1]);
		return err_set(err, errlen, "fork: %s", strerror(errno));
	}
	if (x->pid == 0) {
		close(p[0]);
		explore_child(x, o, p[1]);
		_exit(0);
	}
	close(p[1]);
	x->fd = p[0];
	x->started = mono_ns();
	return 0;
}

/* Read what the worker said, then reap it. */
static void explore_cell_reap(struct explore_cell *x)
{
	int status;

	for (;;) {
		ssize_t got = read(x->fd, x->msg + x->len, sizeof x->msg - 1 - x->len);

		if (got > 0 && (x->len += (size_t)got) < sizeof x->msg - 1)
			continue;
		if (got == -1 && errno == EINTR)
			continue;
		break;
	}
	x->msg[x->len] = '\0';
	close(x->fd);
	x->fd = -1;
	while (waitpid(x->pid, &status, 0) == -1 && errno == EINTR)
		;
	x->pid = 0;
}

int explore_cell_wait(struct explore_cell *xs, int n, int timeout_ms)
{
	struct pollfd pfd[64];
	int idx[64], k = 0;

	for (int i = 0; i < n && k < 64; i++)
		if (xs[i].pid > 0) {
			pfd[k].fd = xs[i].fd;
			pfd[k].events = POLLIN;
			idx[k++] = i;
		}
	if (k == 0 || poll(pfd, (nfds_t)k, timeout_ms) <= 0)
		return -1;
	for (int j = 0; j < k; j++)
		if (pfd[j].revents & (POLLIN | POLLHUP | POLLERR)) {
			explore_cell_reap(&xs[idx[j]]);
			return idx[j];
		}
	return -1;
}

void explore_cell_check(struct explore_cell *x, struct cell_result *r)
{
	char err[512];

	if (check_cell_dir(x->run_dir, x->plan->cell, r, err, sizeof err) == -1) {
		memset(r, 0, sizeof *r);
		str_copy(r->scenario, x->plan->s->name, sizeof r->scenario);
		str_copy(r->stack, x->plan->st->name, sizeof r->stack);
		r->status = CELL_ERROR;
		snprintf(r->error, sizeof r->error, "%s", err);
	}
	if (r->status == CELL_NOT_RUN) {
		r->status = CELL_ERROR;
		snprintf(r->error, sizeof r->error, "%s", x->msg[0] ? x->msg : "the cell's worker left no record");
	}
}

int explore_cell_run(struct plan *p, const char *run_dir, int copies, const struct explore_run_opts *o,
		     struct cell_result *r, char *err, size_t errlen)
{
	struct explore_cell x[EXPLORE_MAX_COPIES];
	int running = 0, rc = 0;

	if (copies < 1 || copies > EXPLORE_MAX_COPIES)
		return err_set(err, errlen, "%d copies of a cell (1..%d)", copies, EXPLORE_MAX_COPIES);
	memset(x, 0, sizeof x);
	for (int i = 0; i < copies; i++) {
		x[i].plan = p;
		x[i].fd = -1;
		snprintf(x[i].run_dir, sizeof x[i].run_dir, "%s/c%d", run_dir, i + 1);
		if (mkdir(x[i].run_dir, 0700) == -1 && errno != EEXIST) {
			rc = err_set(err, errlen, "%s: %s", x[i].run_dir, strerror(errno));
			break;
		}
		if (explore_cell_start(&x[i], o, err, errlen) == -1) {
			rc = -1;
			break;
		}
		running++;
	}
	while (running > 0) {
		if (explore_cell_wait(x, copies, 200) >= 0)
			running--;
		else if (o->stop && *o->stop)
			for (int i = 0; i < copies; i++)
				if (x[i].pid > 0)
					kill(x[i].pid, SIGTERM);
	}
	for (int i = 0; rc == 0 && i < copies; i++)
		explore_cell_check(&x[i], &r[i]);
	return rc;
}
