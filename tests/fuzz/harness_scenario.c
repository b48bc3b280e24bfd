/*
 * Fuzz program for the scenario parser (harness/scenario*.c). The input is
 * the text of a .scn file, given to scenario_parse_string(), which is what
 * scenario_parse_file() calls once it has read a file, so nothing touches
 * the disk. Inputs holding a NUL byte are refused up front, as the file
 * reader refuses them.
 *
 * Besides the sanitizers, it holds the parser to its contract: an error
 * says where ("fuzz.scn:LINE:COL: what"), with a line and column that exist
 * in the input; a parsed scenario has a name, at least one expectation,
 * counts within their arrays, every string terminated, and every message
 * it refers to sent by some step.
 */
#include "fuzz.h"

#include "../../harness/scenario.h"

#define FUZZ_NAME "fuzz.scn"

static bool is_sent(const struct scenario *s, const char *id)
{
	for (int i = 0; i < s->nmsgs; i++)
		if (strcmp(s->msg_ids[i], id) == 0)
			return true;
	return false;
}

static void check_scenario(const struct scenario *s)
{
	FUZZ_CHECK(FUZZ_TERMINATED(s->name) && s->name[0], "no name");
	FUZZ_CHECK(FUZZ_TERMINATED(s->title) && s->title[0], "no title");
	FUZZ_CHECK(FUZZ_TERMINATED(s->lesson) && FUZZ_TERMINATED(s->channel) &&
		   FUZZ_TERMINATED(s->failpoints), "unterminated string");
	FUZZ_CHECK(s->recipients >= 0 && s->recipients <= 64, "recipients %d", s->recipients);
	FUZZ_CHECK(s->nclient >= 0 && s->nclient <= SCN_MAX_SETTINGS, "nclient %d", s->nclient);
	FUZZ_CHECK(s->nlisten >= 0 && s->nlisten <= SCN_MAX_SETTINGS, "nlisten %d", s->nlisten);
	FUZZ_CHECK(s->nsysctls >= 0 && s->nsysctls <= 8, "nsysctls %d", s->nsysctls);
	FUZZ_CHECK(s->nrates >= 0 && s->nrates <= 4, "nrates %d", s->nrates);
	FUZZ_CHECK(s->nrules >= 0 && s->nrules <= SCN_MAX_RULES, "nrules %d", s->nrules);
	FUZZ_CHECK(s->nsteps >= 0 && s->nsteps <= SCN_MAX_STEPS, "nsteps %d", s->nsteps);
	FUZZ_CHECK(s->nexpects >= 1 && s->nexpects <= SCN_MAX_EXPECTS, "nexpects %d", s->nexpects);
	FUZZ_CHECK(s->nmsgs >= 0 && s->nmsgs <= SCN_MAX_IDS, "nmsgs %d", s->nmsgs);
	for (int i = 0; i < s->nmsgs; i++)
		FUZZ_CHECK(FUZZ_TERMINATED(s->msg_ids[i]) && s->msg_ids[i][0], "message id %d", i);
	for (int i = 0; i < s->nsysctls; i++)
		FUZZ_CHECK(FUZZ_TERMINATED(s->sysctls[i].host) && FUZZ_TERMINATED(s->sysctls[i].key) &&
			   FUZZ_TERMINATED(s->sysctls[i].value), "sysctl %d", i);
	for (int i = 0; i < s->nrules; i++) {
		const struct scn_rule *r = &s->rules[i];

		FUZZ_CHECK(r->fault.nargs >= 0 && r->fault.nargs <= FAULT_MAX_ARGS, "rule %d: %d args", i,
			   r->fault.nargs);
		FUZZ_CHECK(FUZZ_TERMINATED(r->trigger.from) && FUZZ_TERMINATED(r->trigger.to) &&
			   (!r->trigger.hold || r->trigger.kind == TRIGGER_PACKET), "rule %d: direction or hold", i);
		FUZZ_CHECK(r->trigger.count >= 1, "rule %d: count %d", i, r->trigger.count);
		FUZZ_CHECK(FUZZ_TERMINATED(r->trigger.msg_id) && FUZZ_TERMINATED(r->trigger.role),
			   "rule %d: unterminated", i);
		FUZZ_CHECK(!r->trigger.msg_id[0] || is_sent(s, r->trigger.msg_id),
			   "rule %d: message '%s' is never sent", i, r->trigger.msg_id);
	}
	for (int i = 0; i < s->nsteps; i++) {
		const struct scn_step *st = &s->steps[i];

		FUZZ_CHECK(FUZZ_TERMINATED(st->msg_id) && FUZZ_TERMINATED(st->reply_to) &&
			   FUZZ_TERMINATED(st->channel) && FUZZ_TERMINATED(st->text) &&
			   FUZZ_TERMINATED(st->role) && FUZZ_TERMINATED(st->ev) && FUZZ_TERMINATED(st->host),
			   "step %d: unterminated", i);
		FUZZ_CHECK(st->pos.line >= 1 && st->pos.col >= 1, "step %d: position %d:%d", i,
			   st->pos.line, st->pos.col);
		FUZZ_CHECK(!st->msg_id[0] || is_sent(s, st->msg_id), "step %d: message '%s' is never sent",
			   i, st->msg_id);
		FUZZ_CHECK(!st->reply_to[0] || is_sent(s, st->reply_to), "step %d: parent '%s' is never sent",
			   i, st->reply_to);
		FUZZ_CHECK(st->within_ms >= 0 && st->ms >= 0, "step %d: negative time", i);
	}
	for (int i = 0; i < s->nexpects; i++) {
		const struct scn_expect *e = &s->expects[i];

		FUZZ_CHECK(FUZZ_TERMINATED(e->stack) && e->stack[0], "expect %d: no stack", i);
		for (int c = 0; c < CHK_CLASS_COUNT; c++) {
			FUZZ_CHECK(e->cls[c].nids >= 0 && e->cls[c].nids <= SCN_MAX_IDS, "expect %d: nids", i);
			for (int k = 0; k < e->cls[c].nids; k++)
				FUZZ_CHECK(is_sent(s, e->cls[c].ids[k]), "expect %d: '%s' is never sent", i,
					   e->cls[c].ids[k]);
		}
		FUZZ_CHECK(scenario_expect_for(s, e->stack, true) == e, "expect %d: not found again", i);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scenario *s = (struct scenario *)1;     /* not NULL: a failed parse must reset it */
	char err[1024] = "";
	char *text;
	int rc;

	if (memchr(data, '\0', size))
		return -1;            /* the file reader refuses these; keep them out of the corpus */
	text = fuzz_text(data, size);
	if (!text)
		return 0;
	rc = scenario_parse_string(FUZZ_NAME, text, &s, err, sizeof err);
	if (rc == 0) {
		FUZZ_CHECK(s != NULL, "success without a scenario");
		check_scenario(s);
	} else {
		FUZZ_CHECK(rc == -1 && s == NULL, "failure returned %d and left *out set", rc);
		fuzz_check_where(err, FUZZ_NAME, text, false);
	}
	scenario_free(s);
	free(text);
	return 0;
}
