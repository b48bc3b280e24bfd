/*
 * cli_study: `acklab study detection` (cli.h). Reads its options, finds the
 * stack the sweep runs on (ws-naive), enters the sandbox as `acklab run`
 * does and hands over to study.h.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "matrix.h"
#include "sandbox.h"
#include "stack.h"
#include "study.h"
#include "util.h"

/* The stack every row runs on: it shows a message written into a dead connection as LOST. */
#define STUDY_STACK "ws-naive"

int cmd_study(const struct paths *p, int argc, char **argv, volatile int *stop)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' }, { "jobs", required_argument, NULL, 'j' },
		{ "seed", required_argument, NULL, 'e' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct study_opts so = { .seed = 1, .stop = stop };
	struct stack_set stacks = { NULL, 0 };
	char err[1024], out_abs[PATH_MAX];
	long jobs = 0, seed = 1;
	int c, rc = EXIT_USAGE;

	while ((c = getopt_long(argc, argv, "o:j:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': so.out_dir = optarg; break;
		case 'j':
			if (parse_long(optarg, 1, MATRIX_MAX_JOBS, &jobs, err, sizeof err) == -1) {
				log_warnx("study: -j: %s", err);
				return EXIT_USAGE;
			}
			break;
		case 'e':
			if (parse_long(optarg, 0, 2147483647L, &seed, err, sizeof err) == -1) {
				log_warnx("study: --seed: %s", err);
				return EXIT_USAGE;
			}
			break;
		case 'h': fputs(usage_study, stdout); return EXIT_PASS;
		default: fputs(usage_study, stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc || strcmp(argv[optind], "detection") != 0 || optind + 1 < argc) {
		log_warnx("study: %s%s (the one study is `detection`; see acklab help study)",
			  optind < argc ? "no study named " : "which study?",
			  optind < argc ? argv[optind] : "");
		return EXIT_USAGE;
	}
	so.seed = (unsigned long)seed;
	if (so.out_dir && so.out_dir[0] != '/') {
		char cwd[PATH_MAX];

		/* The roles see the folder from mount namespaces of their own: make it absolute. */
		if (!getcwd(cwd, sizeof cwd) ||
		    snprintf(out_abs, sizeof out_abs, "%s/%s", cwd, so.out_dir) >= (int)sizeof out_abs) {
			log_warnx("study: --out %s: cannot make it an absolute path", so.out_dir);
			return EXIT_USAGE;
		}
		so.out_dir = out_abs;
	}
	if (stack_load_dir(p->stacks, &stacks, err, sizeof err) == -1) {
		log_warnx("%s", err);
		return EXIT_USAGE;
	}
	so.stack = stack_find(&stacks, STUDY_STACK);
	if (!so.stack) {
		log_warnx("study: no stack '%s' in %s: the study runs on it", STUDY_STACK, p->stacks);
		goto done;
	}
	if (sandbox_enter(err, sizeof err) == -1) {
		log_warnx("cannot build the sandbox: %s", err);
		log_warnx("run `acklab doctor` to see what this machine lacks");
		rc = EXIT_SKIP;
		goto done;
	}
	if (paths_private_tmp(p, so.out_dir ? so.out_dir : p->reports, &stacks, NULL, err, sizeof err) == -1) {
		log_warnx("study: %s", err);
		goto done;
	}
	so.reports_dir = p->reports;
	so.bin_dir = p->bin;
	so.jobs = jobs ? (int)jobs : matrix_default_jobs(NULL, 0);
	rc = study_detection_run(&so);
done:
	stack_set_free(&stacks);
	return rc;
}
