/*
 * cli_paths: where acklab finds its programs, scenarios, stacks and reports
 * folder (cli.h): beside the executable in a source tree, under
 * share/acklab when installed, $ACKLAB_SCENARIOS, or the folders a user
 * names with --scenarios-dir and --stacks-dir; and the private /tmp that
 * keeps those reachable from the roles.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "outdir.h"
#include "sandbox.h"
#include "stack.h"
#include "util.h"

/*
 * --scenarios-dir DIR and --stacks-dir DIR, for every command: where the
 * scenarios and the stacks are (default: the project's scenarios/ and
 * scenarios/stacks/, or $ACKLAB_SCENARIOS and its stacks/). Taken out of argv
 * before the command reads its own options. -1 (said) on a bad folder.
 */
int paths_from_args(struct paths *p, int *argc, char **argv)
{
	bool stk_given = false;
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		bool scn = strcmp(argv[i], "--scenarios-dir") == 0, stk = strcmp(argv[i], "--stacks-dir") == 0;
		char real[PATH_MAX];

		if (!scn && !stk) {
			argv[out++] = argv[i];
			continue;
		}
		if (i + 1 >= *argc || !is_dir(argv[i + 1]) || !realpath(argv[i + 1], real)) {
			log_warnx("%s: %s is not a folder", argv[i], i + 1 < *argc ? argv[i + 1] : "(nothing)");
			return -1;
		}
		if (scn) {
			str_copy(p->scenarios, real, sizeof p->scenarios);
			/* The stacks follow the scenarios unless --stacks-dir says otherwise. */
			if (!stk_given)
				snprintf(p->stacks, sizeof p->stacks, "%.*s/stacks", PATH_MAX - 8, real);
		} else {
			str_copy(p->stacks, real, sizeof p->stacks);
			stk_given = true;
		}
		i++;
	}
	*argc = out;
	argv[out] = NULL;
	return 0;
}

bool is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

void paths_find(struct paths *p)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	const char *env = getenv("ACKLAB_SCENARIOS");

	if (n <= 0)
		fatal("cannot find my own executable");
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	*slash = '\0';
	str_copy(p->bin, exe, sizeof p->bin);
	if (env) {
		str_copy(p->scenarios, env, sizeof p->scenarios);
		snprintf(p->reports, sizeof p->reports, "reports");
	} else {
		/* A source tree: bin/ (or build/asan/bin/) below the folder holding scenarios/. */
		char up[PATH_MAX + 64];
		bool found = false;

		str_copy(up, exe, sizeof up);
		for (int level = 0; level < 4 && !found; level++) {
			char *cut = strrchr(up, '/');

			if (!cut || cut == up)
				break;
			*cut = '\0';
			snprintf(p->scenarios, sizeof p->scenarios, "%s/scenarios/stacks", up);
			if (is_dir(p->scenarios)) {
				snprintf(p->scenarios, sizeof p->scenarios, "%s/scenarios", up);
				snprintf(p->reports, sizeof p->reports, "%s/reports", up);
				found = true;
			}
		}
		if (!found) {      /* installed: PREFIX/bin and PREFIX/share/acklab */
			snprintf(p->scenarios, sizeof p->scenarios, "%s/../share/acklab/scenarios", exe);
			snprintf(p->reports, sizeof p->reports, "reports");
		}
	}
	if (realpath(p->scenarios, exe))
		str_copy(p->scenarios, exe, sizeof p->scenarios);
	snprintf(p->stacks, sizeof p->stacks, "%.*s/stacks", PATH_MAX - 8, p->scenarios);
}

/*
 * Roles get a /tmp of their own (sandbox_private_tmp()); what they must
 * still reach at its path stays reachable: the folder the run writes to
 * (made here, 0700, if missing), the programs and the scenario and stack
 * files.
 */
int paths_private_tmp(const struct paths *p, const char *out, const struct stack_set *stacks,
		      const char *also, char *err, size_t errlen)
{
	const char *keep[16] = { out, p->bin, p->scenarios, p->stacks };
	char folders[4][PATH_MAX];
	int nkeep = 4, nfolders = 0;
	struct outdir d;

	if (also && also[0] && strcmp(also, p->stacks) != 0)
		keep[nkeep++] = also;

	/* The folders of stack files given by path: their commands may name files beside them. */
	for (int i = 0; i < stacks->n && nfolders < 3; i++) {      /* the sandbox keeps 8 in all */
		char *slash;

		if (!realpath(stacks->stacks[i].path, folders[nfolders]) ||
		    !(slash = strrchr(folders[nfolders], '/')))
			continue;
		*slash = '\0';
		if (strcmp(folders[nfolders], p->stacks) != 0 && folders[nfolders][0])
			keep[nkeep++] = folders[nfolders++];
	}
	keep[nkeep] = NULL;

	if (outdir_make_parents(out, err, errlen) == -1)
		return -1;
	if (outdir_open(&d, out, true, err, errlen) == -1)
		return -1;
	outdir_close(&d);
	return sandbox_private_tmp(keep, err, errlen);
}
