/*
 * cli_report: `acklab report DIR...` (cli.h). Loads run folders, checks every
 * cell again from its record and writes the reports as one matrix: no
 * network, no sandbox, nothing is run.
 */
#include "cli.h"

#include <getopt.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "collect.h"
#include "log.h"
#include "outdir.h"
#include "report.h"
#include "util.h"

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' }, { "summary", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct collection col = { 0 };
	struct outdir outd = { .fd = -1 };
	const char *out = NULL, *summary = NULL;
	char err[1024];
	int c, rc = EXIT_USAGE;
	int64_t start = mono_ns();

	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'm': summary = optarg; break;
		case 'h': fputs(usage_report, stdout); return EXIT_PASS;
		default: fputs(usage_report, stderr); return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		log_warnx("report: which run folders? (e.g. acklab report reports/latest)");
		fputs(usage_report, stderr);
		return EXIT_USAGE;
	}
	if (!out && argc - optind > 1) {
		log_warnx("report: %d run folders: say where the merged reports go with --out DIR",
			  argc - optind);
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++)
		if (!is_dir(argv[i])) {
			log_warnx("report: %s: no such run folder", argv[i]);
			return EXIT_USAGE;
		}
	if (!out)
		out = argv[optind];
	if (outdir_open(&outd, out, true, err, sizeof err) == -1) {
		log_warnx("report: %s", err);
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		bool single = argc - optind == 1 && strcmp(argv[i], out) == 0;
		int n = collect_run_dir(&col, argv[i], single ? "" : argv[i], err, sizeof err);

		if (n == -1) {
			log_warnx("report: %s", err);
			goto done;
		}
		if (n == 0) {
			log_warnx("report: %s holds no cell (no SCENARIO/STACK/plan.json in it)", argv[i]);
			goto done;
		}
	}
	report_print_matrix(stdout, col.cells, col.n, isatty(STDOUT_FILENO));
	report_print_detection(stdout, col.cells, col.n, false);
	printf("\n");
	if (collect_report(&col, &outd, ms_since(start), summary, err, sizeof err) == -1) {
		log_warnx("report: cannot write the reports: %s", err);
		rc = EXIT_FAIL;
		goto done;
	}
	collect_print_tally(stdout, &col);
	printf("Reports: %s/summary.md, results.json, junit.xml\n", out);
	rc = collect_exit_status(&col);
done:
	collect_free(&col);
	outdir_close(&outd);
	return rc;
}
