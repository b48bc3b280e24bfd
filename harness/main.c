/*
 * acklab: the command line. Subcommands run, report, list, check, doctor.
 *
 * Parsing and validation happen outside the sandbox, so a typo is a plain
 * usage error (exit 2) that never creates a namespace. `run` and `doctor`
 * then enter the sandbox (sandbox.h) and do everything inside it.
 * Exit codes: 0 every cell met its expectation, 1 one did not or a report
 * could not be written, 2 usage or scenario error, 4 this machine cannot run
 * it (the reason is printed).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capability.h"
#include "cli.h"
#include "collect.h"
#include "disk.h"
#include "doctor.h"
#include "fault_table.h"
#include "log.h"
#include "matrix.h"
#include "plan.h"
#include "report.h"
#include "outdir.h"
#include "recipient.h"
#include "sandbox.h"
#include "scenario.h"
#include "stack.h"
#include "util.h"


static volatile int stop_requested;


static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every FILE in dir ending with suffix, sorted; NULL-terminated, caller frees each and the array. */
static char **list_files(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, sl = strlen(suffix);

	if (!d)
		return calloc(1, sizeof *names);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		char **p;

		if (l <= sl || strcmp(e->d_name + l - sl, suffix) != 0)
			continue;
		p = realloc(names, (n + 2) * sizeof *names);
		if (!p)
			break;
		names = p;
		if (asprintf(&names[n], "%s/%s", dir, e->d_name) == -1)
			break;
		n++;
	}
	closedir(d);
	if (!names)
		return calloc(1, sizeof *names);
	qsort(names, n, sizeof *names, name_cmp);
	names[n] = NULL;
	return names;
}

static void free_list(char **l)
{
	for (size_t i = 0; l && l[i]; i++)
		free(l[i]);
	free(l);
}

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void install_stop_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Resolve a scenario argument: a path, or a name in the scenarios folder. */
int scenario_resolve(const struct paths *p, const char *arg, char *out, size_t len)
{
	struct stat st;

	if (strchr(arg, '/') || (strlen(arg) > 4 && strcmp(arg + strlen(arg) - 4, ".scn") == 0)) {
		str_copy(out, arg, len);
		return 0;
	}
	snprintf(out, len, "%s/%s.scn", p->scenarios, arg);
	return stat(out, &st) == 0 ? 0 : -1;
}

/* Matrix rows: by order, then by name. */
static int scenario_cmp_order(const void *a, const void *b)
{
	const struct scenario *x = *(struct scenario *const *)a, *y = *(struct scenario *const *)b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void scenarios_free(struct scenario **v, int n)
{
	for (int i = 0; i < n; i++)
		scenario_free(v[i]);
	free(v);
}

/* Every stack an expect line names must exist: a typo would silently drop a cell. */
static int check_expect_stacks(struct scenario **scns, int nscn, struct stack_set *stacks)
{
	char err[1024];

	for (int i = 0; i < nscn; i++) {
		/* and a receive scenario's sender and columns are stacks of the right kind */
		if (recipient_check(scns[i], stacks, err, sizeof err) == -1) {
			log_warnx("%s", err);
			return -1;
		}
		for (int k = 0; k < scns[i]->nexpects; k++) {
			const struct scn_expect *e = &scns[i]->expects[k];
			const char *best = NULL;
			int best_d = 4;

			if (strcmp(e->stack, "*") == 0 || stack_find(stacks, e->stack))
				continue;
			for (int j = 0; j < stacks->n; j++) {
				int d = edit_distance(e->stack, stacks->stacks[j].name);

				if (d < best_d) {
					best_d = d;
					best = stacks->stacks[j].name;
				}
			}
			log_warnx("%s:%d:%d: unknown stack '%s'%s%s%s", scns[i]->path, e->pos.line, e->pos.col + 7,
				  e->stack, best ? " (did you mean '" : " (see `acklab list`)", best ? best : "",
				  best ? "'?)" : "");
			return -1;
		}
	}
	return 0;
}

/*
 * The run folder must be usable before anything starts: an existing
 * non-folder, a missing or unwritable parent are usage errors, said plainly.
 * A run as root must not be turned against the machine by what someone put
 * in the folder beforehand, so an existing run folder (or the reports folder
 * the run goes under) that is a symbolic link, belongs to someone else or
 * holds a link where the run would write is refused here (outdir.h); the
 * run itself never follows one either.
 * is_parent: dir is the reports folder the run goes under (created if missing).
 */
static int check_out_dir(const char *dir, bool is_parent, bool force)
{
	char parent[PATH_MAX], *slash, err[PATH_MAX + 512];
	struct stat st;

	if (lstat(dir, &st) == 0) {
		struct outdir d;

		if (is_parent ? outdir_open(&d, dir, false, err, sizeof err) : outdir_check_tree(dir, err, sizeof err)) {
			log_warnx("run: %s", err);
			return -1;
		}
		if (is_parent)
			outdir_close(&d);
		if (access(dir, W_OK | X_OK) == -1) {
			log_warnx("run: cannot write in %s: %s (choose another with --out DIR)", dir,
				  strerror(errno));
			return -1;
		}
		if (!is_parent) {
			DIR *d = opendir(dir);
			struct dirent *e;
			int n = 0;

			while (d && (e = readdir(d)))
				n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
			if (d)
				closedir(d);
			if (n && !force) {
				log_warnx("run: %s is not empty (an earlier run?): choose another --out, or add "
					  "--force to clear it first", dir);
				return -1;
			}
		}
		return 0;
	}
	/* Missing folders on the way are made: the nearest one that exists must be writable. */
	str_copy(parent, dir, sizeof parent);
	do {
		slash = strrchr(parent, '/');
		if (!slash)
			str_copy(parent, ".", sizeof parent);
		else if (slash == parent)
			parent[1] = '\0';
		else
			*slash = '\0';
	} while (slash && slash != parent && stat(parent, &st) == -1 && errno == ENOENT);
	if (stat(parent, &st) == 0 && !S_ISDIR(st.st_mode)) {
		log_warnx("run: cannot create %s: %s is not a folder (choose another with --out DIR)", dir,
			  parent);
		return -1;
	}
	if (access(parent, W_OK | X_OK) == -1) {
		log_warnx("run: cannot create %s: %s: %s (choose another with --out DIR)", dir, parent,
			  strerror(errno));
		return -1;
	}
	return 0;
}

/* "K/N" with 1 <= K <= N <= 1000. */
static int parse_shard(const char *arg, int *index, int *total, char *err, size_t errlen)
{
	char buf[32], *slash;
	long k, n;

	str_copy(buf, arg, sizeof buf);
	slash = strchr(buf, '/');
	if (!slash)
		return err_set(err, errlen, "'%s' is not K/N (e.g. --shard 2/3)", arg);
	*slash = '\0';
	if (parse_long(slash + 1, 1, 1000, &n, err, errlen) == -1 ||
	    parse_long(buf, 1, n, &k, err, errlen) == -1)
		return err_set(err, errlen, "'%s' is not K/N with 1 <= K <= N <= 1000", arg);
	*index = (int)k;
	*total = (int)n;
	return 0;
}


/*
 * Parse the stack file at path and add it to stacks; its name goes to name
 * (64 bytes). A name the installed stacks already use is an error.
 */
int run_add_stack_file(struct stack_set *stacks, const char *path, char *name, char *err,
			      size_t errlen)
{
	struct stack *st = NULL, *v;

	if (stack_parse_file(path, &st, err, errlen) == -1)
		return -1;
	if (stack_find(stacks, st->name)) {
		err_set(err, errlen, "%s: stack '%s' is also defined in %s (rename one)", path, st->name,
			stack_find(stacks, st->name)->path);
		stack_free(st);
		return -1;
	}
	v = realloc(stacks->stacks, (size_t)(stacks->n + 1) * sizeof *v);
	if (!v) {
		stack_free(st);
		return err_set(err, errlen, "out of memory");
	}
	stacks->stacks = v;
	stacks->stacks[stacks->n++] = *st;      /* the commands move with the copy */
	str_copy(name, st->name, 64);
	free(st);
	return 0;
}

static int cmd_run(const struct paths *p, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "stack", required_argument, NULL, 's' }, { "out", required_argument, NULL, 'o' },
		{ "jobs", required_argument, NULL, 'j' }, { "verbose", no_argument, NULL, 'v' },
		{ "shard", required_argument, NULL, 'S' }, { "seed", required_argument, NULL, 'e' },
		{ "plan", required_argument, NULL, 'p' }, { "summary", required_argument, NULL, 'm' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct matrix_opts mo;
	struct plan *plan = NULL;
	const char *plan_path = NULL;
	long seed = 1;
	bool force = false;
	char out_abs[PATH_MAX];
	struct stack_set stacks = { NULL, 0 };
	struct scenario **scns = NULL;
	char *stack_list = NULL, *only[32], only_names[32][64];
	char err[1024], path[PATH_MAX];
	char **files = NULL;
	int c, nscn = 0, rc = EXIT_USAGE;
	long jobs = 0;               /* 0: the machine's default */

	memset(&mo, 0, sizeof mo);
	mo.shard_index = mo.shard_total = 1;
	while ((c = getopt_long(argc, argv, "s:o:j:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': stack_list = optarg; break;
		case 'o': mo.out_dir = optarg; break;
		case 'j':
			if (parse_long(optarg, 1, MATRIX_MAX_JOBS, &jobs, err, sizeof err) == -1) {
				log_warnx("run: -j: %s", err);
				return EXIT_USAGE;
			}
			break;
		case 'v': mo.verbose = true; break;
		case 'S':
			if (parse_shard(optarg, &mo.shard_index, &mo.shard_total, err, sizeof err) == -1) {
				log_warnx("run: --shard: %s", err);
				return EXIT_USAGE;
			}
			break;
		case 'e':
			if (parse_long(optarg, 0, 2147483647L, &seed, err, sizeof err) == -1) {
				log_warnx("run: --seed: %s", err);
				return EXIT_USAGE;
			}
			break;
		case 'p': plan_path = optarg; break;
		case 'm': mo.summary_file = optarg; break;
		case 'F': force = true; break;
		case 'h': usage_run_print(stdout); return EXIT_PASS;
		default: usage_run_print(stderr); return EXIT_USAGE;
		}
	}
	mo.seed = (unsigned long)seed;
	if (plan_path) {
		if (optind < argc || stack_list || mo.shard_total > 1) {
			log_warnx("run: --plan runs exactly one cell: give no scenario, --stack or --shard "
				  "with it");
			return EXIT_USAGE;
		}
		if (plan_load(plan_path, &plan, err, sizeof err) == -1) {
			log_warnx("run: --plan: %s", err);
			return EXIT_USAGE;
		}
		mo.plan = plan;
	}
	if (stack_load_dir(p->stacks, &stacks, err, sizeof err) == -1) {
		log_warnx("%s", err);
		plan_free(plan);
		return EXIT_USAGE;
	}
	if (stacks.n == 0) {
		log_warnx("run: no stack definitions in %s", p->stacks);
		goto done;
	}
	if (stack_list) {
		int n = 0;

		for (char *tok = strtok(stack_list, ","); tok && n < 31; tok = strtok(NULL, ",")) {
			size_t len = strlen(tok);

			/* A path to a .stack file of one's own: loaded beside the installed stacks. */
			if (strchr(tok, '/') || (len > 6 && strcmp(tok + len - 6, ".stack") == 0)) {
				if (run_add_stack_file(&stacks, tok, only_names[n], err, sizeof err) == -1) {
					log_warnx("run: --stack: %s", err);
					goto done;
				}
				only[n] = only_names[n];
				n++;
				continue;
			}
			if (!stack_find(&stacks, tok)) {
				log_warnx("run: --stack: unknown stack '%s' (see `acklab list`, or give a path to "
					  "a .stack file)", tok);
				goto done;
			}
			only[n++] = tok;
		}
		only[n] = NULL;
		mo.only_stacks = (const char *const *)only;
	}
	if (optind < argc) {
		files = calloc((size_t)(argc - optind + 1), sizeof *files);
		for (int i = optind; i < argc; i++) {
			if (scenario_resolve(p, argv[i], path, sizeof path) == -1) {
				log_warnx("run: no scenario '%s' in %s (see `acklab list`)", argv[i], p->scenarios);
				goto done;
			}
			files[i - optind] = strdup(path);
		}
	} else if (!plan) {
		files = list_files(p->scenarios, ".scn");
	} else {
		files = calloc(1, sizeof *files);
	}
	for (int i = 0; files && files[i]; i++) {
		struct scenario **v = realloc(scns, (size_t)(nscn + 1) * sizeof *scns);

		if (!v)
			goto done;
		scns = v;
		if (scenario_parse_file(files[i], &scns[nscn], err, sizeof err) == -1) {
			log_warnx("%s", err);
			goto done;
		}
		nscn++;
		/* A nemesis is drawn by explore from a seed; run alone it would quietly leave its faults out. */
		if (scns[nscn - 1]->nemesis.nfaults) {
			log_warnx("%s:%d: a nemesis draws its faults from a seed: run this scenario with `acklab "
				  "explore %s` (and replay a drawn run with `acklab run --plan`)", files[i],
				  scns[nscn - 1]->nemesis.pos.line, scns[nscn - 1]->name);
			goto done;
		}
		/* Unchecked (1) only where namespaces cannot be made: the sandbox will say so. */
		if (scenario_check_sysctls(scns[nscn - 1], err, sizeof err) == -1) {
			log_warnx("%s", err);
			goto done;
		}
	}
	if (nscn == 0 && !plan) {
		log_warnx("run: no scenario to run in %s", p->scenarios);
		goto done;
	}
	for (int i = 0; i < nscn; i++)
		for (int k = 0; k < i; k++)
			if (strcmp(scns[i]->name, scns[k]->name) == 0) {
				log_warnx("run: scenario '%s' is named twice (%s and %s)", scns[i]->name,
					  scns[k]->path, scns[i]->path);
				goto done;
			}
	/*
	 * A stack's own expect lines: their messages must be the scenario's. With every scenario
	 * loaded, one for a scenario that is not there applies to no cell: said, not fatal (a stack
	 * written for acklab's scenarios may be run against a folder of one's own).
	 */
	for (int i = 0; i < stacks.n; i++) {
		if (stack_check_expects(&stacks.stacks[i], scns, nscn, false, err, sizeof err) == -1) {
			log_warnx("%s", err);
			goto done;
		}
		if (optind == argc && !plan && stack_check_expects(&stacks.stacks[i], scns, nscn, true, err,
								     sizeof err) == -1)
			log_warnx("warning: %s: that expect line applies to no cell of this run", err);
	}
	if (check_expect_stacks(scns, nscn, &stacks) == -1 ||
	    check_out_dir(mo.out_dir ? mo.out_dir : p->reports, !mo.out_dir, force) == -1)
		goto done;
	/*
	 * Roles see the run folder by path, some from a mount namespace of their own
	 * (a private /tmp, the storage faults' mount), where a relative path would
	 * resolve against the working folder as it was before those mounts.
	 */
	if (mo.out_dir && mo.out_dir[0] != '/') {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof cwd) ||
		    snprintf(out_abs, sizeof out_abs, "%s/%s", cwd, mo.out_dir) >= (int)sizeof out_abs) {
			log_warnx("run: --out %s: cannot make it an absolute path", mo.out_dir);
			goto done;
		}
		mo.out_dir = out_abs;
	}
	if (force && mo.out_dir && is_dir(mo.out_dir) && outdir_clear_run(mo.out_dir, err, sizeof err) == -1) {
		log_warnx("run: --force: %s", err);
		goto done;
	}
	if (optind == argc && nscn > 1)
		qsort(scns, (size_t)nscn, sizeof *scns, scenario_cmp_order);
	if (sandbox_enter(err, sizeof err) == -1) {
		log_warnx("cannot build the sandbox: %s", err);
		log_warnx("run `acklab doctor` to see what this machine lacks");
		rc = EXIT_SKIP;
		goto done;
	}
	install_stop_handlers();
	/* A plan run again keeps its stack's folder reachable too, as the plan recorded it ({stackdir}). */
	if (paths_private_tmp(p, mo.out_dir ? mo.out_dir : p->reports, &stacks, plan ? plan->stackdir : NULL, err,
			      sizeof err) == -1) {
		log_warnx("run: %s", err);
		goto done;
	}
	mo.scenarios = scns;
	mo.nscenarios = nscn;
	mo.stacks = &stacks;
	mo.reports_dir = p->reports;
	mo.bin_dir = p->bin;
	mo.jobs = jobs ? (int)jobs : matrix_default_jobs(NULL, 0);
	mo.stop = &stop_requested;
	rc = matrix_run(&mo);
done:
	plan_free(plan);
	free_list(files);
	scenarios_free(scns, nscn);
	stack_set_free(&stacks);
	return rc;
}

/* Is file directly in folder (both resolved, so links and ".." cannot fool it)? */
static bool in_folder(const char *file, const char *folder)
{
	char real_file[PATH_MAX], real_folder[PATH_MAX], *slash;

	if (!realpath(file, real_file) || !realpath(folder, real_folder))
		return false;
	slash = strrchr(real_file, '/');
	if (!slash)
		return false;
	*slash = '\0';
	return strcmp(real_file, real_folder) == 0;
}

/*
 * Warn when a scenario's title is another's: the matrix names rows by
 * title, so two would read alike. titles holds (title, file) pairs seen so
 * far; room for *n + 1 is the caller's (NULL: no check).
 */
static void check_title(const struct scenario *s, const char *file, char (*titles)[2][512], int *n)
{
	const char *title = s->title[0] ? s->title : s->name;

	if (!titles)
		return;
	for (int i = 0; i < *n; i++)
		if (strcmp(titles[i][0], title) == 0) {
			log_warnx("warning: %s: title \"%s\" is also %s's: their rows in the matrix would "
				  "read alike", file, title, titles[i][1]);
			return;
		}
	str_copy(titles[*n][0], title, sizeof titles[*n][0]);
	str_copy(titles[*n][1], file, sizeof titles[*n][1]);
	(*n)++;
}

/* A stack's own expect lines against every scenario in the scenarios folder (those that parse). */
static int check_stack_expects(const struct paths *p, const struct stack *st, char *err, size_t errlen)
{
	char **files = st->nexpects ? list_files(p->scenarios, ".scn") : NULL, perr[1024];
	struct scenario **scns = NULL;
	int n = 0, rc;

	for (int i = 0; files && files[i]; i++) {
		struct scenario **v = realloc(scns, (size_t)(n + 1) * sizeof *scns);

		if (!v)
			break;
		scns = v;
		if (scenario_parse_file(files[i], &scns[n], perr, sizeof perr) == 0)
			n++;
	}
	rc = stack_check_expects(st, scns, n, true, err, errlen);
	scenarios_free(scns, n);
	free_list(files);
	return rc;
}

static int cmd_check(const struct paths *p, int argc, char **argv)
{
	char **files, **stacks_files = NULL, err[1024];
	struct stack_set stacks = { NULL, 0 };
	bool have_stacks;
	int bad = 0, n = 0, ntitles = 0;
	char (*titles)[2][512];

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_check, stdout);
		return EXIT_PASS;
	}
	if (argc > 1) {
		files = calloc((size_t)argc, sizeof *files);
		for (int i = 1; i < argc; i++)
			files[i - 1] = strdup(argv[i]);
	} else {
		files = list_files(p->scenarios, ".scn");
		stacks_files = list_files(p->stacks, ".stack");
	}
	{
		size_t nfiles = 0;

		while (files && files[nfiles])
			nfiles++;
		titles = calloc(nfiles + 1, sizeof *titles);   /* one per scenario file, at most */
	}
	/* Stack names in expect lines are checked against the installed stacks. */
	have_stacks = stack_load_dir(p->stacks, &stacks, err, sizeof err) == 0;
	for (int pass = 0; pass < 2; pass++) {
		char **list = pass == 0 ? files : stacks_files;

		for (int i = 0; list && list[i]; i++) {
			size_t l = strlen(list[i]);
			int rc;

			if (l > 6 && strcmp(list[i] + l - 6, ".stack") == 0) {
				struct stack *st = NULL;

				rc = stack_parse_file(list[i], &st, err, sizeof err);
				if (rc == 0)
					rc = check_stack_expects(p, st, err, sizeof err);
				stack_free(st);
				if (!in_folder(list[i], p->stacks))
					log_warnx("warning: %s is not in %s: a .stack file is code, its commands run "
						  "with acklab's privileges (as root: the whole machine); read it before "
						  "running it", list[i], p->stacks);
			} else {
				struct scenario *s = NULL;

				rc = scenario_parse_file(list[i], &s, err, sizeof err);
				if (rc == 0)
					check_title(s, list[i], titles, &ntitles);
				if (rc == 0 && have_stacks && check_expect_stacks(&s, 1, &stacks) == -1) {
					rc = -2;      /* already said */
				}
				if (rc == 0) {
					int r = scenario_check_sysctls(s, err, sizeof err);

					if (r == 1)
						log_warnx("warning: %s", err);
					rc = r == -1 ? -1 : rc;
				}
				scenario_free(s);
			}
			n++;
			if (rc == -1) {
				fprintf(stderr, "%s\n", err);
				bad++;
			} else if (rc == -2) {
				bad++;
			} else {
				printf("ok    %s\n", list[i]);
			}
		}
	}
	free_list(files);
	free_list(stacks_files);
	stack_set_free(&stacks);
	free(titles);
	if (n == 0) {
		log_warnx("check: no files to check in %s", p->scenarios);
		return EXIT_USAGE;
	}
	printf("%d file%s checked, %d with errors\n", n, n == 1 ? "" : "s", bad);
	return bad ? EXIT_USAGE : EXIT_PASS;
}

static int cmd_list(const struct paths *p, int argc, char **argv)
{
	char **files = list_files(p->scenarios, ".scn"), err[1024];
	struct stack_set stacks = { NULL, 0 };
	struct scenario **scns = NULL;
	int nscn = 0;
	const char *const *faults = fault_names();

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		free_list(files);
		fputs(usage_list, stdout);
		return EXIT_PASS;
	}
	printf("| scenario | what it demonstrates |\n| --- | --- |\n");
	for (int i = 0; files[i]; i++) {
		struct scenario **v = realloc(scns, (size_t)(nscn + 1) * sizeof *scns);

		if (!v)
			break;
		scns = v;
		if (scenario_parse_file(files[i], &scns[nscn], err, sizeof err) == -1) {
			printf("| %s | (invalid: %s) |\n", files[i], err);
			continue;
		}
		nscn++;
	}
	if (nscn > 1)
		qsort(scns, (size_t)nscn, sizeof *scns, scenario_cmp_order);
	for (int i = 0; i < nscn; i++) {
		char first[256];
		size_t len = strcspn(scns[i]->lesson, "\n");

		snprintf(first, sizeof first, "%.*s", (int)len, scns[i]->lesson);
		printf("| %s | %s |\n", scns[i]->name, first[0] ? first : scns[i]->title);
	}
	scenarios_free(scns, nscn);
	printf("\n| stack | default | offers | its own expect lines | what it is |\n"
	       "| --- | --- | --- | --- | --- |\n");
	if (stack_load_dir(p->stacks, &stacks, err, sizeof err) == 0)
		for (int i = 0; i < stacks.n; i++) {
			const struct stack *st = &stacks.stacks[i];
			char offers[128], own[512] = "";

			cap_format(st->offers, offers, sizeof offers);
			for (int k = 0; k < st->nexpects && strlen(own) + 2 < sizeof own; k++)
				snprintf(own + strlen(own), sizeof own - strlen(own), "%s%s", k ? ", " : "",
					 st->expects[k].scenario);
			printf("| %s | %s | %s | %s | %s |\n", st->name, st->is_default ? "yes" : "control", offers,
			       own[0] ? own : "-", st->describe);
		}
	printf("\n| fault | usage | what it does |\n| --- | --- | --- |\n");
	for (int i = 0; faults[i]; i++) {
		const struct fault_ops *f = fault_lookup(faults[i]);

		printf("| %s | `%s` | %s |\n", f->name, f->usage, f->summary);
	}
	printf("| heal | `heal [FAULT]` | undo every active fault (or those of FAULT), the last applied first |\n");
	stack_set_free(&stacks);
	free_list(files);
	return EXIT_PASS;
}

int main(int argc, char **argv)
{
	struct paths p;
	const char *cmd;

	log_init("acklab", LOG_LEVEL_INFO);
	if (argc < 2) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    (strcmp(cmd, "help") == 0 && argc == 2)) {
		fputs(usage_main, stdout);
		return EXIT_PASS;
	}
	if (strcmp(cmd, "help") == 0) {
		const char *what = argv[2];

		if (strcmp(what, "run") == 0) usage_run_print(stdout);
		else if (strcmp(what, "report") == 0) fputs(usage_report, stdout);
		else if (strcmp(what, "check") == 0) fputs(usage_check, stdout);
		else if (strcmp(what, "list") == 0) fputs(usage_list, stdout);
		else if (strcmp(what, "doctor") == 0) fputs(doctor_usage, stdout);
		else if (strcmp(what, "study") == 0) fputs(usage_study, stdout);
		else if (strcmp(what, "explore") == 0) fputs(usage_explore, stdout);
		else if (strcmp(what, "shrink") == 0) fputs(usage_shrink, stdout);
		else {
			log_warnx("help: no command '%s' (commands: run, report, list, check, doctor, study, explore, "
				  "shrink)", what);
			return EXIT_USAGE;
		}
		return EXIT_PASS;
	}
	if (strcmp(cmd, "probe-echo") == 0 && argc == 3)
		return doctor_probe_echo(argv[2]);
	if (strcmp(cmd, "disk-serve") == 0 && argc == 2)
		return diskfs_main();
	paths_find(&p);
	if (paths_from_args(&p, &argc, argv) == -1)
		return EXIT_USAGE;
	if (strcmp(cmd, "run") == 0)
		return cmd_run(&p, argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(&p, argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (strcmp(cmd, "explore") == 0 || strcmp(cmd, "shrink") == 0) {
		install_stop_handlers();
		return (cmd[0] == 'e' ? cmd_explore : cmd_shrink)(&p, argc - 1, argv + 1, &stop_requested);
	}
	if (strcmp(cmd, "list") == 0)
		return cmd_list(&p, argc - 1, argv + 1);
	if (strcmp(cmd, "study") == 0) {
		install_stop_handlers();
		return cmd_study(&p, argc - 1, argv + 1, &stop_requested);
	}
	if (strcmp(cmd, "doctor") == 0) {
		install_stop_handlers();
		return doctor_main(argc - 1, argv + 1, p.bin);
	}
	log_warnx("unknown command '%s' (commands: run, report, list, check, doctor, study, explore, shrink; "
		  "see acklab --help)", cmd);
	return EXIT_USAGE;
}
