/*
 * scenario_rule: the rules of a scenario, "on TRIGGER: FAULT ARGS...", and
 * the FAULT ARGS part that the fault statement shares. A trigger is read
 * word by word up to its colon (at, event, packet with its direction and
 * hold, exit, then count); the fault is looked up in the fault table and
 * its arguments checked by the row's own validate, names being recorded
 * for the check at the end of the file (scenario_priv.h).
 */
#include <stdio.h>
#include <string.h>

#include "fault_table.h"
#include "scenario.h"
#include "scenario_priv.h"
#include "util.h"

/* Words [i, nw) are FAULT ARGS...; "heal [FAULT]" is accepted when allow_heal. */
int scn_fault(struct scn_parser *p, int i, struct scn_fault *f, bool allow_heal)
{
	const struct fault_ops *ops;
	const struct scn_word *w;
	const char *args[FAULT_MAX_ARGS];
	char dym[96], msg[512];
	int nargs, j, bad;

	if (scn_need(p, i, "a fault") == -1)
		return -1;
	w = &p->w[i];
	f->pos.line = p->line;
	f->pos.col = w->col;
	if (allow_heal && strcmp(w->text, "heal") == 0) {
		str_copy(f->name, "heal", sizeof(f->name));
		if (i + 1 < p->nw) {
			if (!fault_lookup(p->w[i + 1].text))
				return scn_err(p, p->w[i + 1].col, "unknown fault '%s'%s", p->w[i + 1].text,
					       scn_did_you_mean(scn_fault_suggest(p->w[i + 1].text), dym,
								sizeof(dym)));
			str_copy(f->args[0], p->w[i + 1].text, sizeof(f->args[0]));
			f->nargs = 1;
		}
		return scn_no_more(p, i + 2);
	}
	ops = fault_lookup(w->text);
	if (!ops)
		return scn_err(p, w->col, "unknown fault '%s'%s", w->text,
			       scn_did_you_mean(scn_fault_suggest(w->text), dym, sizeof(dym)));
	str_copy(f->name, ops->name, sizeof(f->name));
	nargs = p->nw - i - 1;
	for (j = 0; j < nargs && j < FAULT_MAX_ARGS; j++)
		args[j] = p->w[i + 1 + j].text;
	/* Which recipients exist is known at the end of the file: scn_check_refs() checks those. */
	if (fault_validate(ops, args, nargs, FAULT_RECIPIENTS_UNKNOWN, &bad, msg, sizeof(msg)) == -1)
		return scn_err(p, bad < 0 ? w->col : scn_pos_of(p, i + 1 + bad).col, "%s", msg);
	f->nargs = nargs;
	for (j = 0; j < nargs; j++) {
		if (j >= fault_names_in(ops, nargs)) {       /* a value the row's validate checked */
			str_copy(f->args[j], p->w[i + 1 + j].text, sizeof(f->args[j]));
			continue;
		}
		if (scn_role_ref(p, i + 1 + j, f->args[j], sizeof(f->args[j]),
				 ops->arg_kind == FAULT_ARG_HOST ? SCN_REF_HOST : SCN_REF_ROLE) == -1)
			return -1;
	}
	return 0;
}

/* Word i names the host at one end of a packet: any host with a link (not the router). */
int scn_packet_host(struct scn_parser *p, int i, char *dst, size_t len)
{
	if (strcmp(p->w[i].text, "router") == 0)
		return scn_err(p, p->w[i].col, "packets cross the router: '%s' names a host with a link "
			       "(client, server or a recipient)", p->w[i - 1].text);
	return scn_role_ref(p, i, dst, len, SCN_REF_HOST);
}

/* Words [1, colon) are the trigger. */
static int scn_trigger(struct scn_parser *p, int colon, struct trigger *tr)
{
	static const char *const kinds[] = { "at", "event", "packet", "exit", NULL };
	const struct scn_word *w = &p->w[1];
	char dym[96];
	int i = 2, ms;
	long n;

	memset(tr, 0, sizeof(*tr));
	tr->count = 1;
	if (colon < 2)
		return scn_err(p, p->w[colon].col, "missing trigger before ':' (expected: %s)", p->usage);
	if (strcmp(w->text, "at") == 0) {
		tr->kind = TRIGGER_AT;
		if (i >= colon)
			return scn_err(p, p->w[colon].col, "missing duration after 'at' (expected: at DURATION)");
		if (scn_duration(p, i++, &ms) == -1)
			return -1;
		tr->at_ms = ms;
	} else if (strcmp(w->text, "event") == 0) {
		tr->kind = TRIGGER_EVENT;
		if (i + 1 >= colon)
			return scn_err(p, p->w[colon].col,
				       "missing %s after 'event' (expected: event ROLE EV [MSG])",
				       i >= colon ? "role and event" : "event");
		if (scn_role_ref(p, i++, tr->role, sizeof(tr->role), SCN_REF_ROLE) == -1 ||
		    scn_ident(p, i++, "event", tr->ev, sizeof(tr->ev)) == -1 ||
		    scn_event_ref(p, i - 1, tr->role, tr->ev, false) == -1)
			return -1;
		if (i < colon && strcmp(p->w[i].text, "count") != 0 &&
		    scn_msg_ref(p, i++, tr->msg_id) == -1)
			return -1;
	} else if (strcmp(w->text, "packet") == 0) {
		tr->kind = TRIGGER_PACKET;
		if (i >= colon)
			return scn_err(p, p->w[colon].col, "missing message after 'packet' (expected: packet MSG)");
		if (scn_msg_ref(p, i++, tr->msg_id) == -1)
			return -1;
		while (i < colon && (strcmp(p->w[i].text, "from") == 0 || strcmp(p->w[i].text, "to") == 0)) {
			bool from = strcmp(p->w[i].text, "from") == 0;
			char *end = from ? tr->from : tr->to;

			if (end[0])
				return scn_err(p, p->w[i].col, "'%s' given twice in one trigger", p->w[i].text);
			if (i + 1 >= colon)
				return scn_err(p, p->w[colon].col, "missing host after '%s' (expected: %s HOST)",
					       p->w[i].text, p->w[i].text);
			if (scn_packet_host(p, i + 1, end, sizeof tr->from) == -1)
				return -1;
			i += 2;
		}
		if (tr->from[0] && strcmp(tr->from, tr->to) == 0)
			return scn_err(p, p->w[i - 1].col, "a packet goes from '%s' to another host, not to "
				       "itself", tr->from);
	} else if (strcmp(w->text, "exit") == 0) {
		tr->kind = TRIGGER_EXIT;
		if (i >= colon)
			return scn_err(p, p->w[colon].col, "missing role after 'exit' (expected: exit ROLE)");
		if (scn_role_ref(p, i++, tr->role, sizeof(tr->role), SCN_REF_ROLE) == -1)
			return -1;
	} else {
		const char *sug = scn_suggest(w->text, kinds);

		return scn_err(p, w->col, "unknown trigger '%s'%s", w->text,
			       sug ? scn_did_you_mean(sug, dym, sizeof(dym))
				   : " (expected at, event, packet or exit)");
	}
	if (i < colon && strcmp(p->w[i].text, "count") == 0) {
		if (i + 1 >= colon)
			return scn_err(p, p->w[colon].col, "missing number after 'count' (expected: count N)");
		if (scn_number(p, i + 1, 1, 1000000, "count", &n) == -1)
			return -1;
		tr->count = (int)n;
		i += 2;
	}
	if (i < colon && strcmp(p->w[i].text, "hold") == 0) {
		if (tr->kind != TRIGGER_PACKET)
			return scn_err(p, p->w[i].col, "'hold' is for packet triggers (expected: packet MSG "
				       "[from HOST] [to HOST] hold: FAULT ARGS...)");
		tr->hold = true;
		if (++i < colon && strcmp(p->w[i].text, "drop") == 0) {
			tr->hold_drop = true;
			i++;
		}
	}
	if (i < colon)
		return scn_err(p, p->w[i].col, "unexpected '%s' in trigger (expected %s)", p->w[i].text,
			       tr->hold ? "':' after the hold" :
			       tr->kind == TRIGGER_PACKET ? "from HOST, to HOST, 'count N', 'hold' or ':'"
							  : "'count N' or ':'");
	return 0;
}

int scn_st_on(struct scn_parser *p)
{
	struct scn_rule *r;
	int colon, i;

	if (p->s->nrules == SCN_MAX_RULES)
		return scn_err(p, p->w[0].col, "too many rules (at most %d)", SCN_MAX_RULES);
	r = &p->s->rules[p->s->nrules];
	if (scn_need(p, 1, "a trigger") == -1)
		return -1;
	/* The colon is a word of its own or ends the trigger's last word. */
	for (colon = 1; colon < p->nw; colon++) {
		struct scn_word *w = &p->w[colon];
		size_t n = strlen(w->text);

		if (strcmp(w->text, ":") == 0)
			break;
		if (!w->quoted && n > 1 && w->text[n - 1] == ':') {
			/* Split "500ms:" into "500ms" and ":". */
			if (p->nw == SCN_MAX_WORDS)
				return scn_err(p, w->col, "too many words on one line");
			for (i = p->nw; i > colon + 1; i--)
				p->w[i] = p->w[i - 1];
			p->nw++;
			w->text[n - 1] = '\0';
			p->w[colon + 1] = *w;
			strcpy(p->w[colon + 1].text, ":");
			p->w[colon + 1].col = w->col + (int)n - 1;
			colon++;
			break;
		}
	}
	if (colon == p->nw) {
		for (i = 2; i < p->nw; i++)
			if (fault_lookup(p->w[i].text) || strcmp(p->w[i].text, "heal") == 0)
				return scn_err(p, p->w[i].col, "missing ':' before '%s' (expected: %s)",
					       p->w[i].text, p->usage);
		return scn_err(p, p->end_col + 1, "missing ':' after the trigger (expected: %s)", p->usage);
	}
	if (scn_trigger(p, colon, &r->trigger) == -1)
		return -1;
	if (scn_fault(p, colon + 1, &r->fault, true) == -1)
		return -1;
	r->pos = scn_pos_of(p, 0);
	p->s->nrules++;
	return 0;
}
