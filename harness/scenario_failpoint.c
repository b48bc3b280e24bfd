/*
 * scenario_failpoint: the grammar of `server failpoints SPEC`, checked when
 * the scenario is parsed. The spec is handed to the server's first life as
 * --failpoints, and a server that refuses it only says so when the cell
 * starts; so `acklab check` and `acklab run` check it here, before anything
 * runs, and point at the bad part with its column.
 *
 * The grammar is chatd's (fixtures/chatd/failpoint.h: the failpoint
 * capability a stack declares with `needs failpoints`), written again here
 * rather than linked, because the harness must not depend on the server it
 * tests:
 *
 *   SPEC   = ENTRY ("," ENTRY)*                at most 16 entries
 *   ENTRY  = NAME "=" ACTION ["@" N ["+"]]     N >= 1: the Nth hit (and later with +)
 *   NAME   = recv | before_persist | persist | after_persist | after_fanout | before_reply
 *   ACTION = crash | fail | hang | delay:MS    fail only for persist; MS 0..3600000
 */
#include <stdio.h>
#include <string.h>

#include "scenario_priv.h"
#include "util.h"

#define SCN_FP_MAX_ENTRIES 16
#define SCN_FP_MAX_DELAY_MS 3600000L

static const char *const scn_fp_names[] = {
	"recv", "before_persist", "persist", "after_persist", "after_fanout", "before_reply", NULL,
};
static const char *const scn_fp_actions[] = { "crash", "fail", "hang", "delay", NULL };

/* An entry's parts; each *_col is the 1-based column of the part in the file. */
struct scn_fp_entry {
	char text[256], name[64], action[64], hit[64];
	int col, name_col, action_col, hit_col;
	bool has_hit;
};

/* The whole decimal number s in [min, max]? */
static bool scn_fp_number(const char *s, long min, long max, long *v)
{
	return *s && parse_long(s, min, max, v, NULL, 0) == 0;
}

static int scn_fp_check_entry(struct scn_parser *p, const struct scn_fp_entry *e)
{
	char dym[96];
	long v;
	int i;

	if (!e->name[0])
		return scn_err(p, e->name_col, "missing failpoint name before '=' (expected NAME=ACTION, like "
			       "before_persist=crash@3)");
	if (!e->action[0])
		return scn_err(p, e->action_col, "missing action after '=' (expected crash, fail, hang or delay:MS)");
	for (i = 0; scn_fp_names[i] && strcmp(scn_fp_names[i], e->name) != 0; i++)
		;
	if (!scn_fp_names[i]) {
		const char *sug = scn_suggest(e->name, scn_fp_names);

		return scn_err(p, e->name_col, "unknown failpoint '%s'%s", e->name,
			       sug ? scn_did_you_mean(sug, dym, sizeof(dym))
				   : " (expected recv, before_persist, persist, after_persist, after_fanout "
				     "or before_reply)");
	}
	if (e->has_hit) {
		char num[64];
		size_t n = strlen(e->hit);

		str_copy(num, e->hit, sizeof(num));
		if (n && num[n - 1] == '+')
			num[n - 1] = '\0';
		if (!scn_fp_number(num, 1, 1000000000L, &v))
			return scn_err(p, e->hit_col, "bad hit number '%s' (expected @N or @N+ with N 1 or more, "
				       "like crash@3)", e->hit);
	}
	if (strcmp(e->action, "crash") == 0 || strcmp(e->action, "hang") == 0)
		return 0;
	if (strcmp(e->action, "fail") == 0)
		return strcmp(e->name, "persist") == 0
			       ? 0
			       : scn_err(p, e->action_col, "action 'fail' only applies to failpoint 'persist'");
	if (strcmp(e->action, "delay") == 0)
		return scn_err(p, e->action_col, "missing milliseconds after 'delay' (expected delay:MS, like delay:250)");
	if (strncmp(e->action, "delay:", 6) == 0) {
		if (!scn_fp_number(e->action + 6, 0, SCN_FP_MAX_DELAY_MS, &v))
			return scn_err(p, e->action_col + 6, "bad delay '%s' (expected delay:MS with MS 0..%ld)",
				       e->action + 6, SCN_FP_MAX_DELAY_MS);
		return 0;
	}
	{
		const char *sug = scn_suggest(e->action, scn_fp_actions);

		return scn_err(p, e->action_col, "unknown failpoint action '%s'%s", e->action,
			       sug ? scn_did_you_mean(sug, dym, sizeof(dym))
				   : " (expected crash, fail, hang or delay:MS)");
	}
}

/* Cut text (an entry starting at column col) into its parts. */
static int scn_fp_split(struct scn_parser *p, const char *text, size_t len, int col,
			struct scn_fp_entry *e)
{
	const char *eq, *at;

	memset(e, 0, sizeof(*e));
	if (len >= sizeof(e->text))
		return scn_err(p, col, "failpoint entry too long (at most %zu bytes)", sizeof(e->text) - 1);
	memcpy(e->text, text, len);
	e->col = col;
	eq = strchr(e->text, '=');
	if (!eq)
		return scn_err(p, col, "bad failpoint '%s' (expected NAME=ACTION, like before_persist=crash@3)",
			       e->text);
	snprintf(e->name, sizeof(e->name), "%.*s", (int)(eq - e->text), e->text);
	e->name_col = col;
	at = strchr(eq + 1, '@');
	snprintf(e->action, sizeof(e->action), "%.*s", (int)(at ? at - eq - 1 : (long)strlen(eq + 1)), eq + 1);
	e->action_col = col + (int)(eq - e->text) + 1;
	if (at) {
		e->has_hit = true;
		str_copy(e->hit, at + 1, sizeof(e->hit));
		e->hit_col = col + (int)(at - e->text) + 1;
	}
	return 0;
}

int scn_failpoints(struct scn_parser *p, int i)
{
	const struct scn_word *w = &p->w[i];
	const char *c = w->text;
	int base = w->col + (w->quoted ? 1 : 0), n = 0;

	if (!*c)
		return 0;             /* "": no failpoints */
	for (;;) {
		const char *comma = strchr(c, ',');
		size_t len = comma ? (size_t)(comma - c) : strlen(c);
		int col = base + (int)(c - w->text);
		struct scn_fp_entry e;

		if (len == 0)
			return scn_err(p, col, "empty failpoint entry (remove the stray ',')");
		if (n == SCN_FP_MAX_ENTRIES)
			return scn_err(p, col, "too many failpoint entries (at most %d)", SCN_FP_MAX_ENTRIES);
		if (scn_fp_split(p, c, len, col, &e) == -1 || scn_fp_check_entry(p, &e) == -1)
			return -1;
		n++;
		if (!comma)
			return 0;
		c = comma + 1;
	}
}
