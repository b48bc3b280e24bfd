/*
 * matrix: the run of many cells, their progress on screen, and the reports
 * (matrix.h). Plans are made in the parent before anything runs; each
 * runnable plan is run by a forked worker (runner.h) whose pipe carries only
 * a line of progress (an error that kept it from writing its record); when
 * a worker is gone, the parent checks the cell from its folder (check.h) for
 * the progress line. At the end the run folder is collected and reported
 * exactly as `acklab report` would (collect.h).
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

#include "capability.h"
#include "check.h"
#include "collect.h"
#include "disk.h"
#include "log.h"
#include "outdir.h"
#include "recipient.h"
#include "report.h"
#include "runner.h"
#include "util.h"

struct job {
	struct plan *plan;            /* owned, unless it is the caller's --plan */
	pid_t pid;
	int fd;
	char msg[512];                /* what the worker said through its pipe */
	size_t len;
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

	/* A receive scenario's columns are the recipient stacks; every other's, the send stacks. */
	if (!recipient_pairs(s, st))
		return false;
	for (int i = 0; i < s->nexpects; i++)
		if (strcmp(s->expects[i].stack, st->name) == 0)
			named_by_scenario = true;
	if (o->only_stacks) {
		for (int i = 0; o->only_stacks[i]; i++)
			if (strcmp(o->only_stacks[i], st->name) == 0)
				return true;          /* named on the command line: runs even if default no */
		return false;
	}
	/* A bot's row runs on the stacks that have a bot (scenario_bot.c), and only those it names. */
	if (s->bot)
		return named_by_scenario && st->bot.nwords > 0;
	/* A non-default stack (a control) runs where a scenario names it. */
	return st->is_default || named_by_scenario;
}

struct shard_key {
	const char *scenario, *stack;
	int index;
};

static int shard_key_cmp(const void *a, const void *b)
{
	const struct shard_key *x = a, *y = b;
	int d = strcmp(x->scenario, y->scenario);

	return d ? d : strcmp(x->stack, y->stack);
}

void matrix_shard_select(const char *const *scenario, const char *const *stack, int n, int index,
			 int total, bool *keep)
{
	struct shard_key *k = calloc((size_t)n + 1, sizeof *k);

	for (int i = 0; i < n; i++)
		keep[i] = total <= 1;
	if (!k || total <= 1) {
		free(k);
		return;
	}
	for (int i = 0; i < n; i++)
		k[i] = (struct shard_key){ scenario[i], stack[i], i };
	qsort(k, (size_t)n, sizeof *k, shard_key_cmp);
	for (int i = 0; i < n; i++)
		keep[k[i].index] = i % total == index - 1;
	free(k);
}

static void matrix_child(const struct job *j, const struct matrix_opts *o, const struct outdir *run,
			 int fd)
{
	struct runner_opts ro = { o->bin_dir, run->path, run, o->verbose, o->stop };
	char err[512];

	if (runner_run_plan(j->plan, &ro, err, sizeof err) == -1 &&
	    write(fd, err, strlen(err)) < 0)
		log_warn("cell %s: %s", j->plan->cell, err);
	close(fd);
}

static int matrix_spawn(struct job *j, const struct matrix_opts *o, const struct outdir *run)
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
		matrix_child(j, o, run, p[1]);
		exit(0);
	}
	close(p[1]);
	j->fd = p[0];
	j->started = mono_ns();
	return 0;
}

static void matrix_progress(FILE *tty, int done, int total, const struct cell_result *r)
{
	const char *mark = r->status == CELL_NA ? "n/a" : !r->ran ? "ERROR" : r->chk.pass ? "ok" : "FAIL";

	fprintf(tty, "[%2d/%d] %-26s %-17s %-5s %-22s expected %-22s %6.2fs\n", done, total,
		r->scenario, r->stack, mark, r->ran ? r->chk.verdict : "-",
		r->ran ? r->chk.expected : "-", r->duration_ms / 1000.0);
	if (r->status == CELL_NA)
		fprintf(tty, "        %s\n", r->na);
	else if (!r->ran)
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
			n += snprintf(line + n, sizeof line - n, " %s", jobs[i].plan->cell);
	fputs(line, tty);
	fflush(tty);
}

/*
 * The run folder, made 0700 and held open without following links
 * (outdir.h); the folders on the way to an --out that does not exist yet are
 * made too (those are the caller's choice, so they are followed).
 */
static int matrix_make_run_dir(const struct matrix_opts *o, struct outdir *run, char *err,
			       size_t errlen)
{
	struct outdir reports;
	char name[64];
	time_t now = time(NULL);
	struct tm tm;
	unsigned id = (unsigned)(mono_ns() ^ getpid()) & 0xffff;
	int rc;

	localtime_r(&now, &tm);
	strftime(name, sizeof name, "%Y%m%d-%H%M%S", &tm);
	if (o->out_dir) {
		if (outdir_make_parents(o->out_dir, err, errlen) == -1)
			return -1;
		return outdir_open(run, o->out_dir, true, err, errlen);
	}
	if (outdir_open(&reports, o->reports_dir, true, err, errlen) == -1)
		return -1;
	snprintf(name + strlen(name), sizeof name - strlen(name), "-%04x", id);
	rc = outdir_open_sub(run, &reports, name, err, errlen);
	if (rc == 0 && outdir_symlink(&reports, "latest", name, err, errlen) == -1)
		log_warnx("run: %s", err);
	outdir_close(&reports);
	return rc;
}

/*
 * The plan stage's output: plan.json in the cell's folder, written for every
 * cell before any runs, so a cell that never runs (n/a, or interrupted
 * before its turn) is in the reports all the same.
 */
int matrix_write_cell_plan(const struct plan *p, const struct outdir *run, char *err, size_t errlen)
{
	struct outdir scenario_dir, cell_dir;
	int rc;

	if (outdir_open_sub(&scenario_dir, run, p->s->name, err, errlen) == -1)
		return -1;
	rc = outdir_open_sub(&cell_dir, &scenario_dir, p->st->name, err, errlen);
	outdir_close(&scenario_dir);
	if (rc == -1)
		return -1;
	/* A record left by an earlier run into the same folder is not this run's. */
	rc = outdir_clear(&cell_dir, err, errlen);
	if (rc == 0)
		rc = plan_write_at(p, &cell_dir, err, errlen);
	outdir_close(&cell_dir);
	return rc;
}

/* The plan of s against st: a receive scenario's is made with its sender (recipient.h). */
static int matrix_plan_cell(const struct matrix_opts *o, const struct scenario *s, const struct stack *st,
			    unsigned nonce, struct plan **out, char *err, size_t errlen)
{
	const struct stack *sender;

	if (!s->sender[0])
		return plan_make(s, st, nonce, o->seed, out, err, errlen);
	if (!(sender = stack_find(o->stacks, s->sender)))
		return err_set(err, errlen, "%s: no send stack '%s' to be its sender", s->path, s->sender);
	return plan_make_receive(s, sender, st, nonce, o->seed, out, err, errlen);
}

/* Every cell of the run as a plan, sharded; -1 with err (a usage error) when none. */
static int matrix_plan(const struct matrix_opts *o, unsigned nonce, struct job **out, int *nout,
		       char *err, size_t errlen)
{
	int cap = o->nscenarios * o->stacks->n + 1, n = 0, kept = 0;
	struct job *jobs = calloc((size_t)cap, sizeof *jobs);
	const char **sn = calloc((size_t)cap, sizeof *sn), **kn = calloc((size_t)cap, sizeof *kn);
	const struct scenario **scn = calloc((size_t)cap, sizeof *scn);
	const struct stack **stk = calloc((size_t)cap, sizeof *stk);
	bool *keep = calloc((size_t)cap, sizeof *keep);
	int rc = -1;

	if (!jobs || !sn || !kn || !scn || !stk || !keep) {
		err_set(err, errlen, "out of memory");
		goto done;
	}
	if (o->plan) {
		jobs[0].plan = o->plan;
		jobs[0].fd = -1;
		*out = jobs;
		*nout = 1;
		jobs = NULL;
		rc = 0;
		goto done;
	}
	for (int i = 0; i < o->nscenarios; i++)
		for (int k = 0; k < o->stacks->n; k++)
			if (matrix_stack_chosen(o, o->scenarios[i], &o->stacks->stacks[k])) {
				scn[n] = o->scenarios[i];
				stk[n] = &o->stacks->stacks[k];
				sn[n] = scn[n]->name;
				kn[n] = stk[n]->name;
				n++;
			}
	matrix_shard_select(sn, kn, n, o->shard_index, o->shard_total, keep);
	for (int i = 0; i < n; i++) {
		if (!keep[i])
			continue;
		jobs[kept].fd = -1;
		if (matrix_plan_cell(o, scn[i], stk[i], nonce, &jobs[kept].plan, err, errlen) == -1) {
			for (int k = 0; k < kept; k++)
				plan_free(jobs[k].plan);
			goto done;
		}
		kept++;
	}
	if (kept == 0) {
		if (n)
			err_set(err, errlen, "shard %d/%d has no cell (there are only %d)", o->shard_index,
				o->shard_total, n);
		else
			err_set(err, errlen, "no cell to run (no scenario, or --stack matched none of "
				"their stacks)");
		goto done;
	}
	*out = jobs;
	*nout = kept;
	jobs = NULL;
	rc = 0;
done:
	free(jobs);
	free(sn);
	free(kn);
	free(scn);
	free(stk);
	free(keep);
	return rc;
}

/*
 * A cell whose scenario breaks the server's storage needs a machine that
 * lets acklab serve FUSE: where it does not, the cell is n/a with the
 * reason (probed once per run), not an error in every such cell.
 */
static void matrix_machine_fit(const struct matrix_opts *o, struct plan *p)
{
	static int fuse_ok = -1;
	static char why[200];
	char req[400];

	/* A stack on a program this machine may lack: its requires line says whether it runs here. */
	if (!p->na[0] && stack_requires_met(p->st, o->bin_dir, req, sizeof req) == -1) {
		snprintf(p->na, sizeof p->na, "stack %s requires %s", p->st->name, req);
		json_object_set_new(p->doc, "na", json_string(p->na));
		return;
	}
	if (p->na[0] || !(p->needs & CAP_STORAGE))
		return;
	if (fuse_ok < 0)
		fuse_ok = disk_probe(why, sizeof why) == 0;
	if (fuse_ok)
		return;
	snprintf(p->na, sizeof p->na, "this machine cannot serve FUSE, which storage faults need: %s",
		 why);
	json_object_set_new(p->doc, "na", json_string(p->na));      /* plan.json says so too */
}

static void matrix_free_jobs(const struct matrix_opts *o, struct job *jobs, int n)
{
	for (int i = 0; i < n; i++)
		if (jobs[i].plan != o->plan)
			plan_free(jobs[i].plan);
	free(jobs);
}

static void matrix_read_job(struct job *j)
{
	for (;;) {
		ssize_t got = read(j->fd, j->msg + j->len, sizeof j->msg - 1 - j->len);

		if (got > 0) {
			j->len += (size_t)got;
			if (j->len < sizeof j->msg - 1)
				continue;
		}
		if (got == -1 && errno == EINTR)
			continue;
		break;
	}
	j->msg[j->len] = '\0';
}

/* The worker of j is gone: check its cell for the progress line. */
static void matrix_finish(struct job *j, const char *run_dir, int status, int done, int total,
			  int *failed)
{
	struct cell_result r;
	char err[512];

	if (check_cell_dir(run_dir, j->plan->cell, &r, err, sizeof err) == -1) {
		memset(&r, 0, sizeof r);
		str_copy(r.scenario, j->plan->s->name, sizeof r.scenario);
		str_copy(r.stack, j->plan->st->name, sizeof r.stack);
		r.status = CELL_ERROR;
		snprintf(r.error, sizeof r.error, "%s", err);
	}
	if (r.status == CELL_NOT_RUN) {
		r.status = CELL_ERROR;
		if (j->msg[0])
			snprintf(r.error, sizeof r.error, "%s", j->msg);
		else if (WIFSIGNALED(status))
			snprintf(r.error, sizeof r.error, "the cell's worker died of signal %d",
				 WTERMSIG(status));
		else
			snprintf(r.error, sizeof r.error, "the cell's worker exited %d without a record",
				 WEXITSTATUS(status));
	}
	if (r.status != CELL_MET && r.status != CELL_NA)
		(*failed)++;
	if (r.duration_ms == 0)
		r.duration_ms = ms_since(j->started);
	matrix_progress(stdout, done, total, &r);
	cell_result_release(&r);
}

int matrix_run(const struct matrix_opts *o)
{
	struct job *jobs = NULL;
	struct collection col = { 0 };
	int njobs = 0, next = 0, done = 0, running = 0, failed = 0, rc, nna = 0;
	struct outdir run = { .fd = -1 };
	const char *run_dir;
	char err[PATH_MAX + 512];
	unsigned nonce = o->plan ? o->plan->nonce : (unsigned)(mono_ns() ^ getpid()) & 0xffff;
	bool tty = isatty(STDOUT_FILENO);
	int64_t start = mono_ns();

	if (matrix_plan(o, nonce, &jobs, &njobs, err, sizeof err) == -1) {
		log_warnx("run: %s", err);
		return 2;
	}
	if (matrix_make_run_dir(o, &run, err, sizeof err) == -1) {
		log_warnx("run: %s", err);
		matrix_free_jobs(o, jobs, njobs);
		return 2;
	}
	run_dir = run.path;
	for (int i = 0; i < njobs; i++) {
		matrix_machine_fit(o, jobs[i].plan);
		if (matrix_write_cell_plan(jobs[i].plan, &run, err, sizeof err) == -1) {
			log_warnx("run: %s", err);
			matrix_free_jobs(o, jobs, njobs);
			outdir_close(&run);
			return 1;
		}
		if (jobs[i].plan->na[0]) {
			jobs[i].done = true;
			nna++;
		}
	}
	printf("acklab: %d cells (%d scenarios%s), %d at a time, reports in %s\n", njobs,
	       o->plan ? 1 : o->nscenarios, o->shard_total > 1 ? ", one shard" : "", o->jobs, run_dir);
	if (o->shard_total > 1)
		printf("shard %d of %d\n", o->shard_index, o->shard_total);
	for (int i = 0; i < njobs; i++)
		if (jobs[i].done)
			printf("n/a    %s: %s\n", jobs[i].plan->cell, jobs[i].plan->na);
	fflush(stdout);
	done = nna;

	while (done < njobs) {
		struct pollfd pfd[64];
		int idx[64], n = 0;

		while (running < o->jobs && next < njobs && !*o->stop) {
			if (jobs[next].done) {
				next++;
				continue;
			}
			if (matrix_spawn(&jobs[next], o, &run) == -1)
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
			done++;
			if (tty)
				fputs("\r\033[K", stdout);
			matrix_finish(j, run_dir, status, done - nna, njobs - nna, &failed);
		}
	}
	if (tty)
		fputs("\r\033[K", stdout);
	printf("\n");
	rc = collect_run_dir(&col, run_dir, "", err, sizeof err) == -1 ? -1 : 0;
	if (rc == -1) {
		log_warnx("run: %s", err);
		rc = 1;
		goto out;
	}
	/* -v: the events went by as they came; now each story, told as the reports tell it. */
	for (int i = 0; o->verbose && i < col.n; i++)
		report_print_story(stdout, &col.cells[i]);
	report_print_matrix(stdout, col.cells, col.n, tty);
	report_print_detection(stdout, col.cells, col.n, false);
	printf("\n");
	if (collect_report(&col, &run, ms_since(start), o->summary_file, err, sizeof err) == -1) {
		log_warnx("run: cannot write the reports: %s", err);
		printf("%.1f s. The reports could not be written (see above).\n", ms_since(start) / 1000.0);
		rc = 1;
		goto out;
	} else {
		rc = collect_exit_status(&col);
		if (rc == 4 && nna == njobs)
			log_warnx("run: no cell could run: every stack lacks what its scenario needs");
	}
	collect_print_tally(stdout, &col);
	printf("%.1f s. Reports: %s/report.html, summary.md, results.json, junit.xml\n",
	       ms_since(start) / 1000.0, run_dir);
	if (*o->stop) {
		printf("interrupted: %d of %d cells did not finish\n", njobs - done, njobs);
		rc = 130;
	} else if (done < njobs) {
		rc = 1;
	}
	(void)failed;
out:
	collect_free(&col);
	matrix_free_jobs(o, jobs, njobs);
	outdir_close(&run);
	return rc;
}
