/*
 * stack_expand: a stack command's template words into the argv of one role
 * in one cell (stack.h). The parser (stack.c) has already refused any
 * placeholder it does not know, so here each {name} is looked up in the
 * cell's values; one that has none is an error naming the command's line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"
#include "util.h"

static const char *stack_var(stack_vars vars, const char *name, size_t len)
{
	int i;

	for (i = 0; vars && vars[i]; i += 2)
		if (strlen(vars[i]) == len && strncmp(vars[i], name, len) == 0)
			return vars[i + 1] ? vars[i + 1] : "";
	return NULL;
}

void stack_argv_free(char **argv)
{
	int i;

	if (!argv)
		return;
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* Expand the placeholders of one word into a fresh string. */
static char *stack_expand_word(const struct stack *s, const struct stack_cmd *cmd, const char *word,
			       stack_vars vars, char *err, size_t errlen)
{
	size_t cap = strlen(word) + 64, len = 0;
	char *out = malloc(cap);
	const char *c = word;

	if (!out)
		goto oom;
	while (*c) {
		const char *close = stack_placeholder_end(c);
		const char *val = "";
		size_t vlen;

		if (close) {
			val = stack_var(vars, c + 1, (size_t)(close - c - 1));
			if (!val) {
				char known[512] = "";
				int k;

				for (k = 0; vars && vars[k]; k += 2)
					snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
						 k ? ", " : "", vars[k]);
				err_set(err, errlen, "%s:%d: unknown placeholder %.*s (known: %s)", s->path,
					cmd->line, (int)(close - c + 1), c, known[0] ? known : "none");
				free(out);
				return NULL;
			}
			if (strncmp(c, "{failpoints}", 12) == 0) {
				err_set(err, errlen, "%s:%d: {failpoints} must be a word of its own in '%s'",
					s->path, cmd->line, word);
				free(out);
				return NULL;
			}
			c = close + 1;
		} else {
			val = c++;
			vlen = 1;
			goto append;
		}
		vlen = strlen(val);
append:
		if (len + vlen + 1 > cap) {
			char *t = realloc(out, cap = (len + vlen + 1) * 2);

			if (!t)
				goto oom;
			out = t;
		}
		memcpy(out + len, val, vlen);
		len += vlen;
	}
	out[len] = '\0';
	return out;
oom:
	free(out);
	err_set(err, errlen, "%s:%d: out of memory", s->path, cmd->line);
	return NULL;
}

int stack_expand(const struct stack *s, const struct stack_cmd *cmd, stack_vars vars,
		 char ***argv_out, char *err, size_t errlen)
{
	char **argv;
	int i, n = 0;

	*argv_out = NULL;
	if (!cmd->nwords)
		return err_set(err, errlen, "%s: stack '%s' has no such command", s->path, s->name);
	/* {failpoints} may become two words. */
	argv = calloc((size_t)cmd->nwords * 2 + 1, sizeof(*argv));
	if (!argv)
		return err_set(err, errlen, "%s:%d: out of memory", s->path, cmd->line);
	for (i = 0; i < cmd->nwords; i++) {
		if (strcmp(cmd->words[i], "{failpoints}") == 0) {
			const char *fp = stack_var(vars, "failpoints", 10);

			if (!fp || !*fp)
				continue;
			if (!(argv[n++] = strdup("--failpoints")) || !(argv[n++] = strdup(fp)))
				goto oom;
			continue;
		}
		argv[n] = stack_expand_word(s, cmd, cmd->words[i], vars, err, errlen);
		if (!argv[n])
			goto fail;
		n++;
	}
	*argv_out = argv;
	return 0;
oom:
	err_set(err, errlen, "%s:%d: out of memory", s->path, cmd->line);
fail:
	stack_argv_free(argv);
	return -1;
}
