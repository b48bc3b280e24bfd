/*
 * stack_expect: a stack file's own expectations. A vendor whose system is
 * at-least-once says so in its own .stack file:
 *
 *   expect lost-ack duplicate={m3}
 *
 * instead of editing the scenarios acklab ships. The line after the
 * scenario's name is a scenario's expect line, parsed by the same code
 * (scenario_expect_parse_line), so both files take the same classes, sets,
 * counts, attempts() checks and may-miss, with the same errors. The message
 * ids can only be checked once the scenario is known, so the line's text is
 * kept and parsed again against it (stack_check_expects: `acklab check` and
 * `acklab run`, and every plan).
 *
 * Which expectation holds for a cell (plan.c): the stack's own line for the
 * scenario, else the scenario's line for the stack's name, else the
 * scenario's `*` line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"

#include "util.h"

/* The column of a line's second word (the scenario's name on an expect line). */
static int stack_word1_col(const char *text)
{
	const char *c = text + strspn(text, " \t");

	c += strcspn(c, " \t");
	c += strspn(c, " \t");
	return (int)(c - text) + 1;
}

int stack_expect_add(struct stack *s, const char *file, int lineno, const char *text, char *err,
		     size_t errlen)
{
	struct stack_expect *v, *x;
	struct scn_expect e;

	if (scenario_expect_parse_line(file, lineno, text, NULL, &e, err, errlen) == -1)
		return -1;
	for (int i = 0; i < s->nexpects; i++)
		if (strcmp(s->expects[i].scenario, e.stack) == 0) {
			err_set(err, errlen, "%s:%d:%d: second expect for scenario '%s' (the first is at line %d)",
				file, lineno, stack_word1_col(text), e.stack, s->expects[i].line);
			scenario_expect_release(&e);
			return -1;
		}
	if (s->nexpects == STACK_MAX_EXPECTS) {
		scenario_expect_release(&e);
		return err_set(err, errlen, "%s:%d:1: too many expect lines (at most %d)", file, lineno,
			       STACK_MAX_EXPECTS);
	}
	v = realloc(s->expects, (size_t)(s->nexpects + 1) * sizeof *v);
	if (!v || !(text = strdup(text))) {
		if (v)
			s->expects = v;
		scenario_expect_release(&e);
		return err_set(err, errlen, "%s:%d: out of memory", file, lineno);
	}
	s->expects = v;
	x = &s->expects[s->nexpects++];
	memset(x, 0, sizeof *x);
	str_copy(x->scenario, e.stack, sizeof x->scenario);
	x->line = lineno;
	x->col = stack_word1_col(text);
	x->text = (char *)text;
	x->e = e;
	str_copy(x->e.stack, s->name, sizeof x->e.stack);    /* an expectation for this stack */
	return 0;
}

void stack_expects_free(struct stack *s)
{
	for (int i = 0; i < s->nexpects; i++) {
		scenario_expect_release(&s->expects[i].e);
		free(s->expects[i].text);
	}
	free(s->expects);
	s->expects = NULL;
	s->nexpects = 0;
}

const struct stack_expect *stack_expect_for(const struct stack *st, const char *scenario)
{
	for (int i = 0; i < st->nexpects; i++)
		if (strcmp(st->expects[i].scenario, scenario) == 0)
			return &st->expects[i];
	return NULL;
}

/* The scenario named name among scns, or NULL, with the closest name as a suggestion. */
static const struct scenario *stack_scenario_named(struct scenario *const *scns, int n, const char *name,
						   const char **closest)
{
	int best = 4;

	*closest = NULL;
	for (int i = 0; i < n; i++) {
		int d;

		if (strcmp(scns[i]->name, name) == 0)
			return scns[i];
		d = edit_distance(name, scns[i]->name);
		if (d < best) {
			best = d;
			*closest = scns[i]->name;
		}
	}
	return NULL;
}

int stack_check_expects(const struct stack *st, struct scenario *const *scns, int n, bool complete,
			char *err, size_t errlen)
{
	for (int i = 0; i < st->nexpects; i++) {
		const struct stack_expect *x = &st->expects[i];
		const char *closest;
		const struct scenario *s = stack_scenario_named(scns, n, x->scenario, &closest);
		struct scn_expect e;

		if (!s) {
			if (!complete)
				continue;
			return err_set(err, errlen, "%s:%d:%d: unknown scenario '%s'%s%s%s", st->path, x->line,
				       x->col, x->scenario,
				       closest ? " (did you mean '" : " (see `acklab list`)", closest ? closest : "",
				       closest ? "'?)" : "");
		}
		if (scenario_expect_parse_line(st->path, x->line, x->text, s, &e, err, errlen) == -1)
			return -1;
		scenario_expect_release(&e);
	}
	return 0;
}
