/*
 * explore_cli: the commands `acklab explore` and `acklab shrink`.
 *
 * explore draws seeds one after another (SEED, SEED+1, ...), and for each
 * one writes the scenario with its drawn faults (RUN/sSEED/NAME.scn), makes
 * every chosen stack's plan from that file and runs the cells, -j at a time,
 * in workers (explore_cell.c). A cell that does not meet its stack's
 * expectation (`expect http clean`, `expect ws-naive lost<=3`: properties
 * of every explored run) stops the drawing of new seeds; the seed, the
 * reason and the commands that replay and shrink it are printed. With
 * --for the drawing goes on until the time is up or a property fails (a
 * soak); one progress line says how far it got.
 *
 * Seeds are taken in order, so "--seed 7 --runs 3" and "--seed 8 --runs 2"
 * share the runs of seeds 8 and 9, and a failure found at seed 9 is found
 * again by "--seed 9 --runs 1".
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checker_class.h"
#include "cli.h"
#include "explore.h"
#include "log.h"
#include "outdir.h"
#include "sandbox.h"
#include "stack.h"
#include "util.h"

#define EXPLORE_MAX_STACKS 16
#define EXPLORE_MAX_FAULTS 8

struct explore_opts {
	const char *scenario_arg, *out_dir, *faults_arg;
	char *stack_list;
	long seed, runs, jobs;
	int64_t for_ms;               /* --for: a soak; 0: --runs */
	bool verbose;
};

struct explore_state {
	struct explore_opts o;
	struct scenario *s;           /* the scenario as written (with its nemesis) */
	char *text;                   /* its text */
	const struct stack *stacks[EXPLORE_MAX_STACKS];
	int nstacks;
	const char *faults[EXPLORE_MAX_FAULTS + 1];   /* --faults, NULL-terminated; or faults[0] NULL */
	char faults_buf[256];
	char run_dir[PATH_MAX];
	struct explore_run_opts run;
	/* progress */
	long seeds, cells, errors, messages;
	long counts[CHK_CLASS_COUNT];
	struct explore_stats stats[EXPLORE_MAX_STACKS];
	int nstats;
	int64_t start;
	bool failed;
	long fail_seed;
	char fail_cell[PATH_MAX + 64], fail_reason[600];
	volatile int *stop;           /* set by SIGINT/SIGTERM */
};

/* "10m", "90s", "500ms", "1h" into ms; -1 when not a duration. */
static int64_t explore_parse_for(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v <= 0)
		return -1;
	if (strcmp(end, "ms") == 0)
		return (int64_t)v;
	if (strcmp(end, "s") == 0 || !*end)
		return (int64_t)(v * 1000);
	if (strcmp(end, "m") == 0)
		return (int64_t)(v * 60000);
	if (strcmp(end, "h") == 0)
		return (int64_t)(v * 3600000);
	return -1;
}

static int explore_parse_args(struct explore_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "faults", required_argument, NULL, 'f' }, { "seed", required_argument, NULL, 'e' },
		{ "runs", required_argument, NULL, 'r' }, { "for", required_argument, NULL, 'F' },
		{ "stack", required_argument, NULL, 's' }, { "out", required_argument, NULL, 'o' },
		{ "jobs", required_argument, NULL, 'j' }, { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	char err[256];
	int c;

	o->seed = 1;
	o->runs = -1;
	while ((c = getopt_long(argc, argv, "s:o:j:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o->faults_arg = optarg; break;
		case 'e':
			if (parse_long(optarg, 0, 2147483647L, &o->seed, err, sizeof err) == -1) {
				log_warnx("explore: --seed: %s", err);
				return -1;
			}
			break;
		case 'r':
			if (parse_long(optarg, 1, 1000000, &o->runs, err, sizeof err) == -1) {
				log_warnx("explore: --runs: %s", err);
				return -1;
			}
			break;
		case 'F':
			if ((o->for_ms = explore_parse_for(optarg)) <= 0) {
				log_warnx("explore: --for: bad duration '%s' (expected like 90s, 10m or 1h)", optarg);
				return -1;
			}
			break;
		case 's': o->stack_list = optarg; break;
		case 'o': o->out_dir = optarg; break;
		case 'j':
			if (parse_long(optarg, 1, 64, &o->jobs, err, sizeof err) == -1) {
				log_warnx("explore: -j: %s", err);
				return -1;
			}
			break;
		case 'v': o->verbose = true; break;
		case 'h': fputs(usage_explore, stdout); exit(EXIT_PASS);
		default: fputs(usage_explore, stderr); return -1;
		}
	}
	if (optind + 1 != argc) {
		log_warnx("explore: give exactly one scenario (see acklab help explore)");
		return -1;
	}
	o->scenario_arg = argv[optind];
	if (o->runs < 0)
		o->runs = o->for_ms ? 1000000 : 20;
	return 0;
}

/* The stacks to explore: --stack, else those the expect lines name (and the defaults for "*"). */
static int explore_pick_stacks(struct explore_state *x, struct stack_set *set)
{
	char names[EXPLORE_MAX_STACKS][64], err[512];
	int idx[EXPLORE_MAX_STACKS];      /* indices: adding a stack file moves the set */
	bool star = false;

	if (x->o.stack_list) {
		for (char *tok = strtok(x->o.stack_list, ","); tok; tok = strtok(NULL, ",")) {
			size_t len = strlen(tok);
			const char *name = tok;

			if (x->nstacks == EXPLORE_MAX_STACKS)
				break;
			if (strchr(tok, '/') || (len > 6 && strcmp(tok + len - 6, ".stack") == 0)) {
				if (run_add_stack_file(set, tok, names[x->nstacks], err, sizeof err) == -1) {
					log_warnx("explore: --stack: %s", err);
					return -1;
				}
				name = names[x->nstacks];
			}
			if (!stack_find(set, name)) {
				log_warnx("explore: --stack: unknown stack '%s' (see acklab list)", name);
				return -1;
			}
			idx[x->nstacks++] = (int)(stack_find(set, name) - set->stacks);
		}
	} else {
		for (int i = 0; i < x->s->nexpects; i++) {
			const struct stack *st = stack_find(set, x->s->expects[i].stack);

			if (strcmp(x->s->expects[i].stack, "*") == 0)
				star = true;
			else if (!st) {
				log_warnx("%s:%d: no stack '%s' (see acklab list)", x->s->path, x->s->expects[i].pos.line,
					  x->s->expects[i].stack);
				return -1;
			} else if (x->nstacks < EXPLORE_MAX_STACKS)
				idx[x->nstacks++] = (int)(st - set->stacks);
		}
		for (int i = 0; star && i < set->n && x->nstacks < EXPLORE_MAX_STACKS; i++) {
			bool named = false;

			for (int k = 0; k < x->s->nexpects; k++)
				named = named || strcmp(x->s->expects[k].stack, set->stacks[i].name) == 0;
			if (set->stacks[i].is_default && !named)
				idx[x->nstacks++] = i;
		}
	}
	for (int i = 0; i < x->nstacks; i++)
		x->stacks[i] = &set->stacks[idx[i]];
	if (x->nstacks == 0) {
		log_warnx("explore: no stack to explore (name them in expect lines, or with --stack)");
		return -1;
	}
	return 0;
}

static int explore_faults(struct explore_state *x)
{
	int n = 0;

	if (!x->o.faults_arg)
		return 0;
	str_copy(x->faults_buf, x->o.faults_arg, sizeof x->faults_buf);
	for (char *tok = strtok(x->faults_buf, ","); tok; tok = strtok(NULL, ",")) {
		if (n == EXPLORE_MAX_FAULTS) {
			log_warnx("explore: --faults: at most %d faults", EXPLORE_MAX_FAULTS);
			return -1;
		}
		if (!scn_nemesis_fault_lookup(tok)) {
			log_warnx("explore: --faults: a nemesis cannot draw '%s' (it draws: %s)", tok,
				  scn_nemesis_fault_list());
			return -1;
		}
		x->faults[n++] = tok;
	}
	x->faults[n] = NULL;
	return 0;
}

/*
 * The scenario of one seed: drawn, woven, written as RUN/sSEED/NAME.scn and
 * parsed back from there (so the plans hold the file's very text). NULL
 * with err on failure.
 */
static struct scenario *explore_seed_scenario(struct explore_state *x, long seed, char *dir, size_t dirlen,
					      char *err, size_t errlen)
{
	struct explore_schedule sch;
	struct scn_step *steps = NULL;
	struct scenario *out = NULL;
	char note[512], path[PATH_MAX + 64], *text = NULL;
	struct outdir run, seed_dir;
	int nsteps = 0;

	if (explore_draw(&x->s->nemesis, x->faults[0] ? x->faults : NULL, explore_horizon_ms(x->s),
			 (uint64_t)seed, &sch, err, errlen) == -1)
		return NULL;
	snprintf(note, sizeof note, "Drawn by acklab explore from %s, seed %ld: %d fault and heal steps.\n"
		 "Replay a cell with acklab run --plan %s/s%ld/%s/STACK/plan.json.", x->s->path, seed, sch.n,
		 x->run_dir, seed, x->s->name);
	if (!(steps = explore_weave(x->s, &sch, &nsteps)) ||
	    !(text = explore_render(x->s, x->text, steps, nsteps, note, NULL, true, err, errlen))) {
		if (!steps)
			err_set(err, errlen, "out of memory");
		goto done;
	}
	snprintf(dir, dirlen, "%s/s%ld", x->run_dir, seed);
	if (outdir_open(&run, x->run_dir, false, err, errlen) == -1)
		goto done;
	snprintf(path, sizeof path, "s%ld", seed);
	if (outdir_open_sub(&seed_dir, &run, path, err, errlen) == 0) {
		snprintf(path, sizeof path, "%s.scn", x->s->name);
		if (outdir_write_file(&seed_dir, path, text, strlen(text), err, errlen) == 0) {
			snprintf(path, sizeof path, "%s/%s.scn", dir, x->s->name);
			scenario_parse_file(path, &out, err, errlen);
		}
		outdir_close(&seed_dir);
	}
	outdir_close(&run);
done:
	explore_schedule_free(&sch);
	free(steps);
	free(text);
	return out;
}

static void explore_progress(struct explore_state *x, bool tty, bool final)
{
	double secs = ms_since(x->start) / 1000.0;
	char classes[512] = "";

	for (int c = 0; c < CHK_CLASS_COUNT; c++)
		if (x->counts[c])
			snprintf(classes + strlen(classes), sizeof classes - strlen(classes), "%s%s %ld",
				 classes[0] ? ", " : "", chk_class_name(c), x->counts[c]);
	printf("%sexplore: %ld seed%s, %ld cells, %ld messages checked (%s), %.0f messages/s, %.1f cells/min",
	       tty && !final ? "\r\033[K" : "", x->seeds, x->seeds == 1 ? "" : "s", x->cells, x->messages,
	       classes[0] ? classes : "none yet", secs > 0 ? x->messages / secs : 0.0,
	       secs > 0 ? x->cells * 60.0 / secs : 0.0);
	if (x->errors)
		printf(", %ld error%s", x->errors, x->errors == 1 ? "" : "s");
	if (!tty || final)
		printf("\n");
	fflush(stdout);
}

/* A cell has ended: count it; a property that fails stops the drawing. */
static void explore_cell_done(struct explore_state *x, struct explore_cell *c, bool tty)
{
	struct cell_result r;

	explore_cell_check(c, &r);
	x->cells++;
	if (r.classified || r.ran) {
		x->messages += r.chk.nmsgs;
		for (int k = 0; k < CHK_CLASS_COUNT; k++)
			x->counts[k] += r.chk.counts[k];
		explore_stats_add(x->stats, &x->nstats, EXPLORE_MAX_STACKS, &r);
	}
	if (r.status == CELL_UNMET || r.status == CELL_ERROR) {
		if (tty)
			printf("\r\033[K");
		printf("%s seed %d: %s: %s\n", r.status == CELL_UNMET ? "FAIL" : "ERROR", c->tag, r.stack,
		       r.status == CELL_UNMET ? r.chk.reason : r.error);
		printf("  replay: acklab run --plan %s/%s/plan.json\n", c->run_dir, c->plan->cell);
		if (r.status == CELL_UNMET) {
			printf("  shrink: acklab shrink %s/%s/plan.json\n", c->run_dir, c->plan->cell);
			if (!x->failed) {
				x->failed = true;
				x->fail_seed = c->tag;
				snprintf(x->fail_cell, sizeof x->fail_cell, "%s/%s", c->run_dir, c->plan->cell);
				str_copy(x->fail_reason, r.chk.reason, sizeof x->fail_reason);
			}
		} else {
			x->errors++;
		}
		fflush(stdout);
	} else if (r.status == CELL_NA) {
		if (tty)
			printf("\r\033[K");
		printf("n/a seed %d: %s: %s\n", c->tag, r.stack, r.na);
	}
	cell_result_release(&r);
	plan_free(c->plan);
	c->plan = NULL;
}

/* The next seed's plans into queue (n/a cells said and left out); false when drawing must stop. */
static bool explore_next_seed(struct explore_state *x, long seed, struct plan **queue, int *nqueue, char *dir,
			      size_t dirlen)
{
	char err[1024];
	struct scenario *s2 = explore_seed_scenario(x, seed, dir, dirlen, err, sizeof err);
	bool ok = s2 != NULL;

	*nqueue = 0;
	if (!s2)
		log_warnx("explore: seed %ld: %s", seed, err);
	for (int i = 0; s2 && i < x->nstacks; i++) {
		if (plan_make(s2, x->stacks[i], explore_nonce((uint64_t)seed), (unsigned long)seed,
			      &queue[*nqueue], err, sizeof err) == -1) {
			log_warnx("explore: seed %ld: %s", seed, err);
			ok = false;
			break;
		}
		if (queue[*nqueue]->na[0]) {
			printf("n/a seed %ld: %s: %s\n", seed, x->stacks[i]->name, queue[*nqueue]->na);
			plan_free(queue[*nqueue]);
			continue;
		}
		(*nqueue)++;
	}
	scenario_free(s2);
	x->seeds++;
	if (!ok)
		x->errors++;
	return ok;
}

/* The explorer's loop: the next seed's plans once the last seed's are started, -j cells at a time. */
static int explore_loop(struct explore_state *x, int jobs)
{
	struct explore_cell *cells = calloc((size_t)jobs, sizeof *cells);
	struct plan *queue[EXPLORE_MAX_STACKS];
	char qdir[PATH_MAX], err[1024];
	long next_seed = x->o.seed, drawn = 0, qseed = 0;
	int nqueue = 0, qnext = 0, running = 0;
	bool tty = isatty(STDOUT_FILENO), stop_drawing = false;
	int64_t last_progress = mono_ns();

	if (!cells) {
		log_warnx("explore: out of memory");
		return EXIT_FAIL;
	}
	for (;;) {
		bool time_up = x->o.for_ms && ms_since(x->start) >= (double)x->o.for_ms;

		stop_drawing = stop_drawing || x->failed || *x->stop || time_up || drawn >= x->o.runs;
		if (qnext == nqueue && !stop_drawing) {
			qnext = 0;
			qseed = next_seed;
			drawn++;
			if (!explore_next_seed(x, next_seed++, queue, &nqueue, qdir, sizeof qdir))
				stop_drawing = true;
			else if (nqueue == 0) {
				log_warnx("explore: no stack can run this scenario (every cell is n/a): nothing to explore");
				stop_drawing = true;
				x->errors++;
			}
		}
		for (int k = 0; k < jobs && qnext < nqueue && !*x->stop; k++) {
			if (cells[k].pid > 0)
				continue;
			cells[k].plan = queue[qnext++];
			cells[k].tag = (int)qseed;
			str_copy(cells[k].run_dir, qdir, sizeof cells[k].run_dir);
			if (explore_cell_start(&cells[k], &x->run, err, sizeof err) == -1) {
				log_warnx("explore: %s", err);
				plan_free(cells[k].plan);
				cells[k].plan = NULL;
				stop_drawing = true;
				x->errors++;
				continue;
			}
			running++;
		}
		if (running == 0) {
			if (stop_drawing || *x->stop)
				break;
			continue;
		}
		/* Block only when nothing else can start. */
		int k = explore_cell_wait(cells, jobs, running < jobs && !stop_drawing ? 0 : 200);

		if (k >= 0) {
			running--;
			explore_cell_done(x, &cells[k], tty);
		} else if (*x->stop) {
			for (int i = 0; i < jobs; i++)
				if (cells[i].pid > 0)
					kill(cells[i].pid, SIGTERM);
		}
		if (tty || ms_since(last_progress) > 10000.0) {
			if (tty || x->o.for_ms)
				explore_progress(x, tty, false);
			last_progress = mono_ns();
		}
	}
	for (int i = qnext; i < nqueue; i++)
		plan_free(queue[i]);
	free(cells);
	return 0;
}

static int explore_make_out(struct explore_state *x, const struct paths *p)
{
	char err[PATH_MAX + 256];
	struct outdir d;
	DIR *dir;
	struct dirent *e;
	int n = 0;

	if (x->o.out_dir) {
		if (x->o.out_dir[0] == '/')
			str_copy(x->run_dir, x->o.out_dir, sizeof x->run_dir);
		else {
			char cwd[PATH_MAX];

			if (!getcwd(cwd, sizeof cwd))
				return -1;
			snprintf(x->run_dir, sizeof x->run_dir, "%s/%s", cwd, x->o.out_dir);
		}
	} else {
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
		snprintf(x->run_dir, sizeof x->run_dir, "%s/explore-%s-%04x", p->reports, stamp,
			 (unsigned)(mono_ns() ^ getpid()) & 0xffff);
	}
	if (outdir_make_parents(x->run_dir, err, sizeof err) == -1 ||
	    outdir_open(&d, x->run_dir, true, err, sizeof err) == -1) {
		log_warnx("explore: %s", err);
		return -1;
	}
	outdir_close(&d);
	if ((dir = opendir(x->run_dir))) {
		while ((e = readdir(dir)))
			n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
		closedir(dir);
	}
	if (n) {
		log_warnx("explore: %s is not empty (an earlier run?): choose another --out", x->run_dir);
		return -1;
	}
	return 0;
}

int cmd_explore(const struct paths *p, int argc, char **argv, volatile int *stop)
{
	struct explore_state *x = calloc(1, sizeof *x);
	struct stack_set set = { NULL, 0 };
	char path[PATH_MAX], err[1024];
	int rc = EXIT_USAGE, jobs;

	if (!x)
		return EXIT_FAIL;
	if (explore_parse_args(&x->o, argc, argv) == -1 || explore_faults(x) == -1)
		goto done;
	if (scenario_resolve(p, x->o.scenario_arg, path, sizeof path) == -1) {
		log_warnx("explore: no scenario '%s' in %s (see acklab list)", x->o.scenario_arg, p->scenarios);
		goto done;
	}
	if (scenario_parse_file(path, &x->s, err, sizeof err) == -1 ||
	    !(x->text = file_read_text(path, 1 << 20, err, sizeof err))) {
		log_warnx("%s", err);
		goto done;
	}
	if (!x->s->nemesis.nfaults && !x->faults[0]) {
		log_warnx("explore: %s has no nemesis line and no --faults were given: nothing to draw", path);
		goto done;
	}
	if (stack_load_dir(p->stacks, &set, err, sizeof err) == -1) {
		log_warnx("%s", err);
		goto done;
	}
	if (explore_pick_stacks(x, &set) == -1 || explore_make_out(x, p) == -1)
		goto done;
	jobs = x->o.jobs ? (int)x->o.jobs : 2;
	if (sandbox_enter(err, sizeof err) == -1) {
		log_warnx("cannot build the sandbox: %s", err);
		rc = EXIT_SKIP;
		goto done;
	}
	if (paths_private_tmp(p, x->run_dir, &set, NULL, err, sizeof err) == -1) {
		log_warnx("explore: %s", err);
		goto done;
	}
	x->run.bin_dir = p->bin;
	x->run.verbose = x->o.verbose;
	x->run.stop = stop;
	x->stop = stop;
	x->start = mono_ns();
	printf("acklab explore: %s against", x->s->name);
	for (int i = 0; i < x->nstacks; i++)
		printf(" %s", x->stacks[i]->name);
	if (x->o.for_ms)
		printf(", seeds from %ld for %.0f s", x->o.seed, x->o.for_ms / 1000.0);
	else
		printf(", seeds %ld..%ld", x->o.seed, x->o.seed + x->o.runs - 1);
	printf(", %d at a time, in %s\n", jobs, x->run_dir);
	fflush(stdout);
	rc = explore_loop(x, jobs);
	explore_progress(x, isatty(STDOUT_FILENO), true);
	explore_stats_print(stdout, x->stats, x->nstats);
	if (rc == 0 && x->failed) {
		printf("property failed at seed %ld: %s\n  replay: acklab run --plan %s/plan.json\n"
		       "  shrink: acklab shrink %s/plan.json\n", x->fail_seed, x->fail_reason, x->fail_cell,
		       x->fail_cell);
		rc = EXIT_FAIL;
	} else if (rc == 0 && *x->stop) {
		rc = 130;
	} else if (rc == 0) {
		printf("no property failed in %ld seed%s\n", x->seeds, x->seeds == 1 ? "" : "s");
		rc = x->errors ? EXIT_FAIL : EXIT_PASS;
	}
done:
	explore_stats_free(x->stats, x->nstats);
	scenario_free(x->s);
	free(x->text);
	stack_set_free(&set);
	free(x);
	return rc;
}

int cmd_shrink(const struct paths *p, int argc, char **argv, volatile int *stop)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' }, { "max-runs", required_argument, NULL, 'm' },
		{ "copies", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct shrink_opts o = { .max_runs = 60, .copies = 2 };
	struct stack_set none = { NULL, 0 };
	char work[PATH_MAX], err[1024], *slash;
	long max_runs;
	int c;

	while ((c = getopt_long(argc, argv, "o:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o.out_file = optarg; break;
		case 'm':
			if (parse_long(optarg, 1, 10000, &max_runs, err, sizeof err) == -1) {
				log_warnx("shrink: --max-runs: %s", err);
				return EXIT_USAGE;
			}
			o.max_runs = (int)max_runs;
			break;
		case 'c':
			if (parse_long(optarg, 1, EXPLORE_MAX_COPIES, &max_runs, err, sizeof err) == -1) {
				log_warnx("shrink: --copies: %s", err);
				return EXIT_USAGE;
			}
			o.copies = (int)max_runs;
			break;
		case 'v': o.run.verbose = true; break;
		case 'h': fputs(usage_shrink, stdout); return EXIT_PASS;
		default: fputs(usage_shrink, stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		log_warnx("shrink: give exactly one plan.json (see acklab help shrink)");
		return EXIT_USAGE;
	}
	o.plan_path = argv[optind];
	/* The reruns go beside the plan: CELL/shrink/rN/SCENARIO/STACK. */
	if (!realpath(o.plan_path, work)) {
		log_warnx("shrink: %s: %s", o.plan_path, strerror(errno));
		return EXIT_USAGE;
	}
	if ((slash = strrchr(work, '/')))
		*slash = '\0';
	if (strlen(work) + 16 >= sizeof work)
		return EXIT_USAGE;
	strcat(work, "/shrink");
	if (access(work, F_OK) == 0) {
		log_warnx("shrink: %s exists (an earlier shrink?): remove it first", work);
		return EXIT_USAGE;
	}
	o.work_dir = work;
	o.stacks_dir = p->stacks;
	o.run.bin_dir = p->bin;
	o.run.stop = stop;
	if (sandbox_enter(err, sizeof err) == -1) {
		log_warnx("cannot build the sandbox: %s", err);
		return EXIT_SKIP;
	}
	if (paths_private_tmp(p, work, &none, NULL, err, sizeof err) == -1) {
		log_warnx("shrink: %s", err);
		return EXIT_USAGE;
	}
	return explore_shrink(&o);
}
