/*
 * stack_requires: whether this machine has what a stack's `requires` line
 * names (stack.h). A stack built on software acklab does not ship (Node and
 * npm packages, a browser) cannot run where that software is missing; that
 * is a fact about the machine, not a bug in the system under test, so its
 * cells are n/a with the missing piece named, never a failed matrix. The
 * check only looks (stat and PATH), runs nothing and changes nothing, so it
 * is the same answer in the planning process and in every cell.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stack.h"
#include "util.h"

/* An executable regular file named prog in one of PATH's folders. */
static bool stack_on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char full[4096];

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t len = colon ? (size_t)(colon - path) : strlen(path);
		struct stat st;

		snprintf(full, sizeof full, "%.*s/%s", (int)len, len ? path : ".", prog);
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
			return true;
		path += len + (colon ? 1 : 0);
	}
	return false;
}

int stack_requires_met(const struct stack *s, const char *bin_dir, char *why, size_t whylen)
{
	const char *vars[] = { "bin", bin_dir, NULL };
	char **words = NULL;

	why[0] = '\0';
	if (!s->requires.nwords)
		return 1;
	if (stack_expand(s, &s->requires, vars, &words, why, whylen) == -1)
		return -1;
	for (int i = 0; words[i]; i++) {
		struct stat st;

		if (strchr(words[i], '/')) {
			if (stat(words[i], &st) == 0)
				continue;
			snprintf(why, whylen, "stack %s requires %s, which this machine does not have (%s:%d)",
				 s->name, words[i], s->path, s->requires.line);
		} else {
			if (stack_on_path(words[i]))
				continue;
			snprintf(why, whylen, "stack %s requires the program %s, which is not on PATH (%s:%d)",
				 s->name, words[i], s->path, s->requires.line);
		}
		stack_argv_free(words);
		return 0;
	}
	stack_argv_free(words);
	return 1;
}
