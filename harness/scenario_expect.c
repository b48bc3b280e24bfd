/*
 * scenario_expect: the expect statement — what a cell must show, per stack —
 * and finding the expectation that applies to a stack. The same statement
 * also reads a stack file's own expect lines (expect SCENARIO ...), so the
 * two files share one grammar and one set of error messages. A set like
 * lost={m3} names exact messages; a count like lost=1 is for outcomes that
 * cannot be pinned to one message; classes not named must stay empty.
 */
#include <stdlib.h>
#include <string.h>

#include "outdir.h"
#include "scenario.h"
#include "scenario_priv.h"
#include "util.h"

/* "{m1, m2}" or "3" for one class of an expect line. */
static int scn_expect_value(struct scn_parser *p, int wi, const char *v, int vcol,
			    struct scn_class_expect *ce)
{
	const char *c;
	long n;
	char tmp[128];

	if (*v != '{') {
		if (parse_long(v, 0, 100000, &n, tmp, sizeof(tmp)) == -1)
			return scn_err(p, vcol, "bad value '%s' (expected {m1,m2} or a count)", v);
		ce->count = (int)n;
		return 0;
	}
	ce->is_set = true;
	for (c = v + 1;;) {
		char id[SCN_ID_MAX];
		size_t len = 0;
		int col;

		while (*c == ' ' || *c == '\t')
			c++;
		if (*c == '}' && ce->nids == 0)
			break;
		col = vcol + (int)(c - v);
		while (*c && *c != ',' && *c != '}' && !scn_is_blank(*c)) {
			if (len + 1 < sizeof(id))
				id[len++] = *c;
			c++;
		}
		id[len] = '\0';
		if (!len || !scn_is_ident(id))
			return scn_err(p, col, "bad message id in set (expected {m1,m2})");
		if (scn_grow(p, (void **)&ce->ids, ce->nids, &ce->capids, sizeof *ce->ids, SCN_MAX_IDS, "ids",
			     col) == -1)
			return -1;
		str_copy(ce->ids[ce->nids++], id, SCN_ID_MAX);
		if (scn_add_ref(p, SCN_REF_MSG, id, col) == -1)
			return -1;
		while (*c == ' ' || *c == '\t')
			c++;
		if (*c == ',') {
			c++;
			continue;
		}
		if (*c == '}')
			break;
		return scn_err(p, vcol + (int)(c - v), "missing '}' (expected {m1,m2})");
	}
	if (c[1])
		return scn_err(p, vcol + (int)(c - v) + 1, "unexpected '%s' after '}'", c + 1);
	ce->count = ce->nids;
	(void)wi;
	return 0;
}

/* attempts(MSG)=N, attempts(MSG)>=N, attempts(MSG)<=N */
static int scn_expect_attempts(struct scn_parser *p, struct scn_expect *e, const struct scn_word *w)
{
	struct scn_attempts_expect *a;
	const char *close = strchr(w->text, ')'), *v;
	char id[SCN_ID_MAX];
	size_t len;
	long n;

	if (!close)
		return scn_err(p, w->col, "missing ')' (expected attempts(m2)=1)");
	len = (size_t)(close - (w->text + 9));
	if (!len || len >= sizeof id)
		return scn_err(p, w->col + 9, "bad message id in attempts() (expected attempts(m2)=1)");
	memcpy(id, w->text + 9, len);
	id[len] = '\0';
	if (!scn_is_ident(id))
		return scn_err(p, w->col + 9, "bad message id '%s' in attempts()", id);
	if (e->nattempts == SCN_MAX_ATTEMPTS)
		return scn_err(p, w->col, "too many attempts() checks on one line (at most %d)",
			       SCN_MAX_ATTEMPTS);
	a = &e->attempts[e->nattempts];
	v = close + 1;
	if (strncmp(v, ">=", 2) == 0 || strncmp(v, "<=", 2) == 0) {
		a->op = v[0];
		v += 2;
	} else if (*v == '=') {
		a->op = '=';
		v++;
	} else {
		return scn_err(p, w->col + (int)(v - w->text), "expected =, >= or <= after attempts(%s)", id);
	}
	if (parse_long(v, 0, 1000, &n, NULL, 0) == -1)
		return scn_err(p, w->col + (int)(v - w->text), "bad count '%s' (expected a number 0..1000)", v);
	str_copy(a->id, id, sizeof a->id);
	a->n = (int)n;
	a->pos = (struct scn_pos){ p->line, w->col };
	e->nattempts++;
	return scn_add_ref(p, SCN_REF_MSG, id, w->col + 9);
}

int scn_st_expect(struct scn_parser *p)
{
	static const char *const classes[] = { "lost", "duplicate", "phantom", "gap", "orphan-reply",
					       "failed-stored", "ts-mismatch", "dup-push", "reordered",
					       "bot-lost", "bot-dup", "failed-visible", "clean", "attempts", "may-miss", NULL };
	struct scn_expect *e;
	bool clean = false, bug_named = false;
	int i, j;

	if (p->s->nexpects == SCN_MAX_EXPECTS)
		return scn_err(p, p->w[0].col, "too many expect lines (at most %d)", SCN_MAX_EXPECTS);
	e = &p->s->expects[p->s->nexpects];
	/* A line before this one may have failed half way in the same slot: what it grew goes. */
	for (int c = 0; c < CHK_CLASS_COUNT; c++)
		free(e->cls[c].ids);
	memset(e, 0, sizeof(*e));
	if (scn_need(p, 1, "a stack name or '*'") == -1)
		return -1;
	if (strcmp(p->w[1].text, "*") == 0)
		str_copy(e->stack, "*", sizeof(e->stack));
	else if (scn_name(p, 1, "stack name", e->stack, sizeof(e->stack)) == -1)
		return -1;
	for (j = 0; j < p->s->nexpects; j++)
		if (strcmp(p->s->expects[j].stack, e->stack) == 0)
			return scn_err(p, p->w[1].col, "duplicate expect for stack '%s' (first at line %d)",
				       e->stack, p->s->expects[j].pos.line);
	if (scn_need(p, 2, "'clean' or CLASS={ids}") == -1)
		return -1;
	for (i = 2; i < p->nw; i++) {
		struct scn_word *w = &p->w[i];
		char name[32], dym[96];
		char *eq = strchr(w->text, '=');
		int c;

		if (strcmp(w->text, "clean") == 0) {
			clean = true;
			continue;
		}
		if (strcmp(w->text, "may-miss") == 0) {
			e->may_miss = true;
			continue;
		}
		if (strncmp(w->text, "attempts(", 9) == 0) {
			if (scn_expect_attempts(p, e, w) == -1)
				return -1;
			continue;
		}
		/* lost<=N: at most N (a property of explored runs, where the exact set is unknowable). */
		bool at_most = eq && eq > w->text && eq[-1] == '<';

		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - w->text) - at_most : (int)strlen(w->text),
			 w->text);
		c = chk_class_parse(name);
		if (c == CHK_OK)
			return scn_err(p, w->col, "'ok' cannot be expected (expected 'clean' or a class: %s)",
				       chk_class_list());
		if (c < 0)
			return scn_err(p, w->col, "unknown class '%s'%s", name,
				       scn_did_you_mean(scn_suggest(name, classes), dym, sizeof(dym))[0]
					       ? dym
					       : " (expected a class: see acklab help run)");
		if (!eq)
			return scn_err(p, w->col, "missing '=' after '%s' (expected %s={m1,m2} or %s=N)",
				       name, name, name);
		if (e->cls[c].named)
			return scn_err(p, w->col, "class '%s' named twice", name);
		e->cls[c].named = true;
		if (chk_class_is_bug(c))
			bug_named = true;
		if (scn_expect_value(p, i, eq + 1, w->col + (int)(eq - w->text) + 1, &e->cls[c]) == -1)
			return -1;
		if (at_most && e->cls[c].is_set)
			return scn_err(p, w->col, "%s<= takes a count, not a set (expected %s<=N)", name, name);
		e->cls[c].at_most = at_most;
	}
	if (clean && bug_named)
		return scn_err(p, p->w[2].col, "'clean' and a bug class on one line (expected one or the other)");
	e->pos = scn_pos_of(p, 0);
	p->s->nexpects++;
	return 0;
}

const struct scn_expect *scenario_expect_for(const struct scenario *s, const char *stack,
					     bool is_default_stack)
{
	int i;

	for (i = 0; i < s->nexpects; i++)
		if (strcmp(s->expects[i].stack, stack) == 0)
			return &s->expects[i];
	if (!is_default_stack)
		return NULL;
	for (i = 0; i < s->nexpects; i++)
		if (strcmp(s->expects[i].stack, "*") == 0)
			return &s->expects[i];
	return NULL;
}

void scenario_expect_release(struct scn_expect *e)
{
	if (!e)
		return;
	for (int c = 0; c < CHK_CLASS_COUNT; c++) {
		free(e->cls[c].ids);
		e->cls[c].ids = NULL;
	}
}

/*
 * Another file's expect line goes through the statement above with a
 * scenario of its own for the parser to fill; word 1 names a scenario, so it
 * is checked here first (the statement would call a bad one a stack name).
 * With against, the message ids are checked against its sends as a
 * scenario's own are.
 */
int scenario_expect_parse_line(const char *file, int line, const char *text,
			       const struct scenario *against, struct scn_expect *out, char *err,
			       size_t errlen)
{
	struct scn_parser *p = calloc(1, sizeof *p);
	struct scenario *tmp = calloc(1, sizeof *tmp);
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (!p || !tmp) {
		err_set(err, errlen, "%s:%d: out of memory", file, line);
		goto done;
	}
	p->file = file;
	p->line = line;
	p->s = tmp;
	p->err = err;
	p->errlen = errlen;
	p->usage = "expect SCENARIO clean | CLASS={m1,m2} | CLASS=N | attempts(MSG)=N ... [may-miss]";
	if (scn_split(p, text) == -1)
		goto done;
	if (p->nw < 1 || strcmp(p->w[0].text, "expect") != 0) {
		scn_err(p, p->nw ? p->w[0].col : 1, "not an expect statement");
		goto done;
	}
	if (scn_need(p, 1, "a scenario name") == -1)
		goto done;
	if (strcmp(p->w[1].text, "*") == 0) {
		scn_err(p, p->w[1].col, "a stack's expect line names one scenario ('*' is for a scenario's "
			"own expect lines)");
		goto done;
	}
	if (!outdir_name_ok(p->w[1].text)) {
		scn_err(p, p->w[1].col, "bad scenario name '%s' (expected the name of a scenario: lowercase "
			"letters, digits, '-' and '_')", p->w[1].text);
		goto done;
	}
	if (scn_st_expect(p) == -1)
		goto done;
	if (against) {
		/* The sends are the target scenario's: borrowed, and given back below. */
		tmp->msg_ids = against->msg_ids;
		tmp->nmsgs = against->nmsgs;
		tmp->recipients = against->recipients;
		rc = scn_check_refs(p);
		tmp->msg_ids = NULL;
		if (rc == -1)
			goto done;
		rc = -1;
	}
	*out = tmp->expects[0];
	memset(&tmp->expects[0], 0, sizeof tmp->expects[0]);     /* its ids move to out */
	rc = 0;
done:
	if (p)
		free(p->refs);
	free(p);
	scenario_free(tmp);
	return rc;
}
