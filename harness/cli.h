/*
 * cli: the command line's shared pieces. main.c parses and dispatches;
 * cli_usage.c holds every --help text; cli_report.c is `acklab report`,
 * which needs no sandbox and nothing of the other commands.
 */
#ifndef ACKLAB_CLI_H
#define ACKLAB_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#define EXIT_PASS 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define EXIT_SKIP 4

struct paths {
	char bin[PATH_MAX];
	char scenarios[PATH_MAX];
	char stacks[PATH_MAX];
	char reports[PATH_MAX];
};

/* Where the programs, scenarios, stacks and reports are (cli_paths.c): the
 * source tree around the executable, or an installed share/acklab. */
void paths_find(struct paths *p);
/*
 * --scenarios-dir DIR and --stacks-dir DIR, for every command, taken out of
 * argv before the command reads its own options. -1 (said) on a bad folder.
 */
int paths_from_args(struct paths *p, int *argc, char **argv);
/*
 * Give the roles a /tmp of their own (sandbox_private_tmp()) in which what
 * they must still reach stays at its path: out (made 0700 if missing), the
 * programs, the scenarios and stacks, the folders of stack files given
 * by path, and also (a folder, or NULL: a replayed plan's {stackdir}).
 * Call after sandbox_enter(). Returns 0 or -1 with err.
 */
struct stack_set;
int paths_private_tmp(const struct paths *p, const char *out, const struct stack_set *stacks,
		      const char *also, char *err, size_t errlen);
/* Is p a folder (following links)? */
bool is_dir(const char *p);

extern const char usage_main[], usage_run[], usage_report[], usage_check[], usage_list[], usage_study[];
/* usage_run, with this machine's default -j and why. */
void usage_run_print(FILE *f);

/* acklab study detection [...]: argv[0] is "study"; stop is set by SIGINT/SIGTERM. The exit status. */
int cmd_study(const struct paths *p, int argc, char **argv, volatile int *stop);

/* main.c's pieces that acklab explore and shrink (explore_cli.c) share with acklab run. */
/* A scenario argument: a path, or a name in the scenarios folder. 0, or -1 when there is none. */
int scenario_resolve(const struct paths *p, const char *arg, char *out, size_t len);
/* A .stack file given by path, added to stacks; its name into name (64 bytes). */
int run_add_stack_file(struct stack_set *stacks, const char *path, char *name, char *err, size_t errlen);
/* acklab explore / acklab shrink (explore_cli.c): argv[0] is the command; stop is set by SIGINT/SIGTERM.
 * Return the exit status. */
int cmd_explore(const struct paths *p, int argc, char **argv, volatile int *stop);
int cmd_shrink(const struct paths *p, int argc, char **argv, volatile int *stop);
extern const char usage_explore[], usage_shrink[];

/* acklab report DIR... [--out DIR] [--summary FILE]: argv[0] is "report". Returns the exit status. */
int cmd_report(int argc, char **argv);

#endif
