/*
 * matrix: the run of many cells, their progress on screen, and the reports.
 *
 * Cells are forked workers: the child runs runner_run_cell() and writes its
 * struct cell_result (without pointers) followed by its "extra" JSON through
 * a pipe; the parent polls the pipes, reaps the workers and keeps at most
 * `jobs` of them alive. When all are done, each cell's history is loaded
 * back from its history.jsonl for the stories in summary.md, the reporters
 * run, and the matrix is printed.
 */
#include "matrix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "history.h"
#include "log.h"
#include "report.h"
#include "runner.h"
#include "sandbox.h"
#include "util.h"

struct job {
	const struct scenario *s;
	const struct stack *st;
	pid_t pid;
	int fd;
	char *buf;
	size_t len, cap;
	bool done;
	int64_t started;
};

/* MemAvailable from /proc/meminfo, in MiB, or -1 when it cannot be read. */
static long matrix_available_mib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kib = -1;

	if (!f)
		return -1;
	while (kib < 0 && fgets(line, sizeof line, f))
		if (sscanf(line, "MemAvailable: %ld kB", &kib) != 1)
			kib = -1;
	fclose(f);
	return kib < 0 ? -1 : kib / 1024;
}

int matrix_default_jobs(char *why, size_t len)
{
	cpu_set_t set;
	int cores = 0, jobs;
	long mib = matrix_available_mib(), by_memory = mib < 0 ? -1 : mib / MATRIX_CELL_MIB;

	if (sched_getaffinity(0, sizeof set, &set) == 0)
		cores = CPU_COUNT(&set);
	if (cores < 1)
		cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (cores < 1)
		cores = 1;
	jobs = cores * MATRIX_JOBS_PER_CORE;
	if (by_memory >= 0 && by_memory < jobs)
		jobs = (int)by_memory;
	if (jobs > MATRIX_MAX_JOBS)
		jobs = MATRIX_MAX_JOBS;
	if (jobs < 1)
		jobs = 1;
	if (why && len) {
		if (by_memory < 0)
			snprintf(why, len, "%d (%d core%s, available memory unknown)", jobs, cores,
				 cores == 1 ? "" : "s");
		else
			snprintf(why, len, "%d (%d core%s, %ld MiB available)", jobs, cores, cores == 1 ? "" : "s",
				 mib);
	}
	return jobs;
}

static bool matrix_stack_chosen(const struct matrix_opts *o, const struct scenario *s,
				const struct stack *st)
{
	bool named_by_scenario = false;

	for (int i = 0; i < s->nexpects; i++)
		if (strcmp(s->expects[i].stack, st->name) == 0)
			named_by_scenario = true;
	if (o->only_stacks) {
		for (int i = 0; o->only_stacks[i]; i++)
			if (strcmp(o->only_stacks[i], st->name) == 0)
				return st->is_default || named_by_scenario;
		return false;
	}
	/* A non-default stack (a control) runs where a scenario names it. */
	return st->is_default || named_by_scenario;
}

static void matrix_child(const struct job *j, const struct matrix_opts *o, const char *run_dir,
			 unsigned nonce, int fd)
{
	struct runner_opts ro = { o->bin_dir, run_dir, nonce, o->verbose, o->stop };
	struct cell_result r;
	char *extra = NULL;
	size_t elen;

	runner_run_cell(j->s, j->st, &ro, &r);
	if (r.extra)
		extra = json_dumps(r.extra, JSON_COMPACT);
	json_decref(r.extra);
	r.extra = NULL;
	r.history = NULL;
	elen = extra ? strlen(extra) : 0;
	if (write(fd, &r, sizeof r) != (ssize_t)sizeof r ||
	    (elen && write(fd, extra, elen) != (ssize_t)elen))
		log_warn("cell %s/%s: cannot report its result", j->s->name, j->st->name);
	free(extra);
	close(fd);
}

static int matrix_spawn(struct job *j, const struct matrix_opts *o, const char *run_dir, unsigned nonce)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	fflush(NULL);
	j->pid = fork();
	if (j->pid == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (j->pid == 0) {
		close(p[0]);
		matrix_child(j, o, run_dir, nonce, p[1]);
		exit(0);
	}
	close(p[1]);
	j->fd = p[0];
	j->started = mono_ns();
	return 0;
}

/* Turn what a worker sent into a cell result; a worker that died says so. */
static void matrix_collect(struct job *j, struct cell_result *r, int status)
{
	if (j->len >= sizeof *r) {
		memcpy(r, j->buf, sizeof *r);
		r->extra = NULL;
		r->history = NULL;
		if (j->len > sizeof *r) {
			json_error_t jerr;

			r->extra = json_loadb(j->buf + sizeof *r, j->len - sizeof *r, 0, &jerr);
		}
		return;
	}
	memset(r, 0, sizeof *r);
	str_copy(r->scenario, j->s->name, sizeof r->scenario);
	str_copy(r->title, j->s->title[0] ? j->s->title : j->s->name, sizeof r->title);
	str_copy(r->stack, j->st->name, sizeof r->stack);
	snprintf(r->dir, sizeof r->dir, "%s/%s", j->s->name, j->st->name);
	if (WIFSIGNALED(status))
		snprintf(r->error, sizeof r->error, "the cell's worker died of signal %d",
			 WTERMSIG(status));
	else
		snprintf(r->error, sizeof r->error, "the cell's worker exited %d without a result",
			 WEXITSTATUS(status));
	r->duration_ms = ms_since(j->started);
}

static void matrix_progress(FILE *tty, int done, int total, const struct cell_result *r)
{
	const char *mark = !r->ran ? "ERROR" : r->chk.pass ? "ok" : "FAIL";

	fprintf(tty, "[%2d/%d] %-26s %-17s %-5s %-22s expected %-22s %6.2fs\n", done, total,
		r->scenario, r->stack, mark, r->ran ? r->chk.verdict : "-",
		r->ran ? r->chk.expected : "-", r->duration_ms / 1000.0);
	if (!r->ran)
		fprintf(tty, "        %s\n", r->error);
	else if (!r->chk.pass)
		fprintf(tty, "        %s\n", r->chk.reason);
	fflush(tty);
}

static void matrix_live(FILE *tty, struct job *jobs, int njobs)
{
	char line[256];
	int n = 0;

	n += snprintf(line + n, sizeof line - n, "\r\033[K  running:");
	for (int i = 0; i < njobs && n < (int)sizeof line - 40; i++)
		if (jobs[i].pid > 0 && !jobs[i].done)
			n += snprintf(line + n, sizeof line - n, " %s×%s", jobs[i].s->name, jobs[i].st->name);
	fputs(line, tty);
	fflush(tty);
}

static int matrix_make_run_dir(const struct matrix_opts *o, char *dir, size_t len, unsigned *nonce)
{
	char name[64];
	time_t now = time(NULL);
	struct tm tm;

	*nonce = (unsigned)(mono_ns() ^ getpid()) & 0xffff;
	localtime_r(&now, &tm);
	strftime(name, sizeof name, "%Y%m%d-%H%M%S", &tm);
	if (o->out_dir) {
		str_copy(dir, o->out_dir, len);
	} else {
		if (mkdir(o->reports_dir, 0755) == -1 && errno != EEXIST)
			return -1;
		snprintf(dir, len, "%s/%s-%04x", o->reports_dir, name, *nonce);
	}
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		return -1;
	if (!o->out_dir) {
		char link[PATH_MAX];

		snprintf(link, sizeof link, "%s/latest", o->reports_dir);
		unlink(link);
		if (symlink(strrchr(dir, '/') + 1, link) == -1)
			log_warn("cannot point %s at the run", link);
	}
	return 0;
}

static int matrix_report(const char *run_dir, struct cell_result *cells, int n, double total_ms)
{
	struct run_info info;
	time_t now = time(NULL);
	struct tm tm;
	int rc = 0;

	memset(&info, 0, sizeof info);
	str_copy(info.dir, run_dir, sizeof info.dir);
	gmtime_r(&now, &tm);
	strftime(info.started, sizeof info.started, "%Y-%m-%dT%H:%M:%SZ", &tm);
	info.ncells = n;
	info.duration_ms = total_ms;
	info.rootless = sandbox_outer_uid() != 0;
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX + 600], err[256];

		snprintf(path, sizeof path, "%s/%s/history.jsonl", run_dir, cells[i].dir);
		cells[i].history = history_load_jsonl(path, err, sizeof err);
	}
	for (int k = 0; report_table[k]; k++) {
		const struct reporter_ops *ops = report_table[k];
		void *state = NULL;
		char err[512];

		if (ops->begin(&state, &info, err, sizeof err) == -1) {
			log_warnx("report %s: %s", ops->name, err);
			rc = -1;
			continue;
		}
		for (int i = 0; i < n; i++)
			if (ops->cell(state, &cells[i], err, sizeof err) == -1) {
				log_warnx("report %s: %s", ops->name, err);
				rc = -1;
			}
		if (ops->end(state, &info, cells, n, err, sizeof err) == -1) {
			log_warnx("report %s: %s", ops->name, err);
			rc = -1;
		}
	}
	for (int i = 0; i < n; i++) {
		history_free(cells[i].history);
		cells[i].history = NULL;
	}
	return rc;
}

static void matrix_read_job(struct job *j)
{
	for (;;) {
		ssize_t got;

		if (j->cap - j->len < 4096) {
			size_t cap = j->cap ? j->cap * 2 : sizeof(struct cell_result) + 8192;
			char *p = realloc(j->buf, cap);

			if (!p)
				break;
			j->buf = p;
			j->cap = cap;
		}
		got = read(j->fd, j->buf + j->len, j->cap - j->len);
		if (got > 0) {
			j->len += (size_t)got;
			continue;
		}
		if (got == -1 && errno == EINTR)
			continue;
		break;            /* EOF, or no more for now is impossible: blocking read */
	}
}

int matrix_run(const struct matrix_opts *o)
{
	struct job *jobs;
	struct cell_result *cells;
	int njobs = 0, next = 0, done = 0, running = 0, failed = 0, rc;
	char run_dir[PATH_MAX];
	unsigned nonce;
	bool tty = isatty(STDOUT_FILENO);
	int64_t start = mono_ns();

	jobs = calloc((size_t)o->nscenarios * (size_t)o->stacks->n + 1, sizeof *jobs);
	cells = calloc((size_t)o->nscenarios * (size_t)o->stacks->n + 1, sizeof *cells);
	if (!jobs || !cells)
		fatalx("out of memory");
	for (int i = 0; i < o->nscenarios; i++)
		for (int k = 0; k < o->stacks->n; k++)
			if (matrix_stack_chosen(o, o->scenarios[i], &o->stacks->stacks[k])) {
				jobs[njobs].s = o->scenarios[i];
				jobs[njobs].st = &o->stacks->stacks[k];
				jobs[njobs].fd = -1;
				njobs++;
			}
	if (njobs == 0) {
		log_warnx("run: no cell to run (no scenario, or --stack matched none of their stacks)");
		free(jobs);
		free(cells);
		return 2;
	}
	if (matrix_make_run_dir(o, run_dir, sizeof run_dir, &nonce) == -1) {
		log_warn("run: cannot create the run folder %s", run_dir);
		free(jobs);
		free(cells);
		return 2;
	}
	printf("acklab: %d cells (%d scenarios), %d at a time, reports in %s\n", njobs,
	       o->nscenarios, o->jobs, run_dir);
	fflush(stdout);

	while (done < njobs) {
		struct pollfd pfd[64];
		int idx[64], n = 0;

		while (running < o->jobs && next < njobs && !*o->stop) {
			if (matrix_spawn(&jobs[next], o, run_dir, nonce) == -1)
				fatal("cannot start a cell");
			running++;
			next++;
		}
		if (*o->stop && running == 0)
			break;
		if (tty)
			matrix_live(stdout, jobs, next);
		for (int i = 0; i < next && n < 64; i++)
			if (jobs[i].pid > 0 && !jobs[i].done) {
				pfd[n].fd = jobs[i].fd;
				pfd[n].events = POLLIN;
				idx[n++] = i;
			}
		if (poll(pfd, n, 200) <= 0) {
			if (*o->stop)
				for (int i = 0; i < next; i++)
					if (jobs[i].pid > 0 && !jobs[i].done)
						kill(jobs[i].pid, SIGTERM);
			continue;
		}
		for (int k = 0; k < n; k++) {
			struct job *j = &jobs[idx[k]];
			int status = 0;

			if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			matrix_read_job(j);
			close(j->fd);
			j->fd = -1;
			while (waitpid(j->pid, &status, 0) == -1 && errno == EINTR)
				;
			j->done = true;
			running--;
			matrix_collect(j, &cells[idx[k]], status);
			free(j->buf);
			j->buf = NULL;
			done++;
			if (!cells[idx[k]].ran || !cells[idx[k]].chk.pass)
				failed++;
			if (tty)
				fputs("\r\033[K", stdout);
			matrix_progress(stdout, done, njobs, &cells[idx[k]]);
		}
	}
	if (tty)
		fputs("\r\033[K", stdout);
	printf("\n");
	for (int i = 0; i < njobs; i++)
		if (!jobs[i].done) {
			str_copy(cells[i].scenario, jobs[i].s->name, sizeof cells[i].scenario);
			str_copy(cells[i].title, jobs[i].s->title, sizeof cells[i].title);
			str_copy(cells[i].stack, jobs[i].st->name, sizeof cells[i].stack);
			snprintf(cells[i].error, sizeof cells[i].error, "not run (interrupted)");
		}
	report_print_matrix(stdout, cells, njobs, tty);
	report_print_detection(stdout, cells, njobs, false);
	matrix_report(run_dir, cells, njobs, ms_since(start));
	printf("\n%d of %d cells met their expectation in %.1f s. Reports: %s/summary.md, "
	       "results.json, junit.xml\n", done - failed, njobs, ms_since(start) / 1000.0, run_dir);
	rc = failed || done < njobs ? 1 : 0;
	if (*o->stop) {
		int unfinished = 0;

		for (int i = 0; i < njobs; i++)
			unfinished += !cells[i].ran;
		printf("interrupted: %d of %d cells did not finish\n", unfinished, njobs);
		rc = 130;
	}
	for (int i = 0; i < njobs; i++)
		json_decref(cells[i].extra);
	free(jobs);
	free(cells);
	return rc;
}
