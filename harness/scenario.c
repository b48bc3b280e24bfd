/*
 * scenario: the parser of .scn files (the language is documented in
 * scenario.h). It is a plain line-at-a-time parser: each line is split into
 * words (keeping each word's column), the first word picks a statement from
 * a table, and the statement's handler fills struct scenario. This file
 * holds the statements; the words, values, errors and suggestions they use
 * are in scenario_lex.c (shared through scenario_priv.h).
 *
 * Two things can only be checked once the whole file is read: which hosts
 * exist (`recipients` may come after a `sysctl recipient2 ...`) and which
 * message ids exist (a `send` defines an id anywhere in the file). Handlers
 * record those references with their positions, and a final pass checks
 * them, so every error still points at the word that caused it.
 *
 * Parsing has no side effects and never prints: errors come back as
 * "FILE:LINE:COL: what (expected ...)" with a suggestion where one helps.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_table.h"
#include "sandbox.h"
#include "scenario.h"
#include "scenario_priv.h"
#include "util.h"

static const char *const scn_setting_keys[] = {
	"timeout-ms", "attempts", "backoff-base-ms", "backoff-cap-ms", "heartbeat-ms",
	"tcp-user-timeout-ms", "connect-timeout-ms", "tcp-keepalive-ms", NULL,
};

static int st_scenario(struct scn_parser *p)
{
	if (scn_need(p, 1, "the scenario's name") == -1 ||
	    scn_name(p, 1, "scenario name", p->s->name, sizeof(p->s->name)) == -1)
		return -1;
	return scn_no_more(p, 2);
}

static int st_title(struct scn_parser *p)
{
	if (scn_need(p, 1, "the title") == -1)
		return -1;
	if (p->nw > 2)
		return scn_err(p, p->w[2].col, "unexpected '%s' (expected the title in double quotes)",
			       p->w[2].text);
	str_copy(p->s->title, p->w[1].text, sizeof(p->s->title));
	return 0;
}

static int st_order(struct scn_parser *p)
{
	long n;

	if (scn_need(p, 1, "a number") == -1 || scn_number(p, 1, 0, 9999, "order", &n) == -1)
		return -1;
	p->s->order = (int)n;
	return scn_no_more(p, 2);
}

static int st_recipients(struct scn_parser *p)
{
	long n;

	if (scn_need(p, 1, "a number") == -1 ||
	    scn_number(p, 1, 0, 64, "recipients count", &n) == -1)
		return -1;
	p->s->recipients = (int)n;
	return scn_no_more(p, 2);
}

/* servers N behind haproxy: N instances of the stack's server behind a real load balancer. */
static int st_servers(struct scn_parser *p)
{
	long n;

	if (scn_need(p, 3, "a number, 'behind' and a balancer (servers 2 behind haproxy)") == -1 ||
	    scn_number(p, 1, 2, SCN_MAX_SERVERS, "servers count", &n) == -1)
		return -1;
	if (strcmp(p->w[2].text, "behind") != 0)
		return scn_err(p, p->w[2].col, "expected 'behind' (servers %ld behind haproxy)", n);
	if (strcmp(p->w[3].text, "haproxy") != 0)
		return scn_err(p, p->w[3].col, "unknown balancer '%s' (expected haproxy)", p->w[3].text);
	p->s->servers = (int)n;
	str_copy(p->s->balancer, p->w[3].text, sizeof p->s->balancer);
	return scn_no_more(p, 4);
}

static int st_channel(struct scn_parser *p)
{
	if (scn_need(p, 1, "a channel name") == -1 ||
	    scn_ident(p, 1, "channel", p->s->channel, sizeof(p->s->channel)) == -1)
		return -1;
	return scn_no_more(p, 2);
}

/* sender STACK: a receive-side scenario, whose columns are the recipient stacks (recipient.h). */
static int st_sender(struct scn_parser *p)
{
	if (scn_need(p, 1, "a send stack's name") == -1 ||
	    scn_name(p, 1, "stack name", p->s->sender, sizeof(p->s->sender)) == -1)
		return -1;
	p->s->sender_pos = scn_pos_of(p, 1);
	return scn_no_more(p, 2);
}

static int st_server(struct scn_parser *p)
{
	if (scn_need(p, 1, "'failpoints'") == -1)
		return -1;
	if (strcmp(p->w[1].text, "failpoints") != 0)
		return scn_err(p, p->w[1].col, "unknown server setting '%s' (expected: %s)",
			       p->w[1].text, p->usage);
	if (scn_need(p, 2, "the failpoint spec") == -1)
		return -1;
	if (strlen(p->w[2].text) >= sizeof(p->s->failpoints))
		return scn_err(p, p->w[2].col, "failpoint spec too long (at most %zu bytes)",
			       sizeof(p->s->failpoints) - 1);
	if (scn_failpoints(p, 2) == -1)
		return -1;
	str_copy(p->s->failpoints, p->w[2].text, sizeof(p->s->failpoints));
	return scn_no_more(p, 3);
}

/* client/listen KEY VALUE...: later values of a key override earlier ones. */
static int scn_settings(struct scn_parser *p, struct scn_setting *set, int *n)
{
	int i, j;

	if (scn_need(p, 1, "a setting") == -1)
		return -1;
	for (i = 1; i < p->nw; i += 2) {
		const struct scn_word *k = &p->w[i];
		char dym[96];
		long v;

		for (j = 0; scn_setting_keys[j]; j++)
			if (strcmp(scn_setting_keys[j], k->text) == 0)
				break;
		if (!scn_setting_keys[j])
			return scn_err(p, k->col, "unknown setting '%s'%s", k->text,
				       scn_did_you_mean(scn_suggest(k->text, scn_setting_keys), dym,
							sizeof(dym)));
		if (scn_need(p, i + 1, "a value") == -1 ||
		    scn_number(p, i + 1, 0, 3600000, "value", &v) == -1)
			return -1;
		for (j = 0; j < *n && strcmp(set[j].key, k->text) != 0; j++)
			;
		if (j == SCN_MAX_SETTINGS)
			return scn_err(p, k->col, "too many settings (at most %d)", SCN_MAX_SETTINGS);
		str_copy(set[j].key, k->text, sizeof(set[j].key));
		set[j].value = v;
		if (j == *n)
			(*n)++;
	}
	return 0;
}

static int st_client(struct scn_parser *p)
{
	return scn_settings(p, p->s->client, &p->s->nclient);
}

static int st_listen(struct scn_parser *p)
{
	return scn_settings(p, p->s->listen, &p->s->nlisten);
}

static int st_sysctl(struct scn_parser *p)
{
	struct scn_sysctl *sc;
	const char *eq;

	if (p->s->nsysctls == (int)ARRAY_LEN(p->s->sysctls))
		return scn_err(p, p->w[0].col, "too many sysctl lines (at most %zu)",
			       ARRAY_LEN(p->s->sysctls));
	sc = &p->s->sysctls[p->s->nsysctls];
	if (scn_need(p, 1, "a host") == -1 ||
	    scn_role_ref(p, 1, sc->host, sizeof(sc->host), SCN_REF_HOST) == -1 ||
	    scn_need(p, 2, "KEY=VALUE") == -1)
		return -1;
	eq = strchr(p->w[2].text, '=');
	if (!eq || eq == p->w[2].text || !eq[1])
		return scn_err(p, p->w[2].col, "bad sysctl '%s' (expected KEY=VALUE like net.ipv4.tcp_retries2=3)",
			       p->w[2].text);
	if ((size_t)(eq - p->w[2].text) >= sizeof(sc->key) || strlen(eq + 1) >= sizeof(sc->value))
		return scn_err(p, p->w[2].col, "sysctl '%s' is too long", p->w[2].text);
	memcpy(sc->key, p->w[2].text, (size_t)(eq - p->w[2].text));
	sc->key[eq - p->w[2].text] = '\0';
	if (!sandbox_sysctl_key_ok(sc->key))
		return scn_err(p, p->w[2].col, "sysctl '%s' is not a host's own network setting (expected a "
			       "net.* key like net.ipv4.tcp_retries2; the machine's settings are never touched)",
			       sc->key);
	str_copy(sc->value, eq + 1, sizeof(sc->value));
	sc->pos = scn_pos_of(p, 0);
	sc->key_pos = scn_pos_of(p, 2);
	sc->key_pos.col += p->w[2].quoted;
	sc->value_pos = sc->key_pos;
	sc->value_pos.col += (int)(eq - p->w[2].text) + 1;
	if (scn_no_more(p, 3) == -1)
		return -1;
	p->s->nsysctls++;
	return 0;
}

static int st_rate(struct scn_parser *p)
{
	static const char *const units[] = { "bit", "kbit", "mbit", "gbit", "bps", "kbps", "mbps", NULL };
	struct scn_rate *r;
	const char *c;
	int i;

	if (p->s->nrates == (int)ARRAY_LEN(p->s->rates))
		return scn_err(p, p->w[0].col, "too many rate lines (at most %zu)", ARRAY_LEN(p->s->rates));
	r = &p->s->rates[p->s->nrates];
	if (scn_need(p, 1, "a host") == -1 ||
	    scn_role_ref(p, 1, r->host, sizeof(r->host), SCN_REF_HOST) == -1 ||
	    scn_need(p, 2, "a rate") == -1)
		return -1;
	for (c = p->w[2].text; isdigit((unsigned char)*c); c++)
		;
	for (i = 0; units[i] && (c == p->w[2].text || strcmp(c, units[i]) != 0); i++)
		;
	if (!units[i] || strlen(p->w[2].text) >= sizeof(r->rate))
		return scn_err(p, p->w[2].col, "bad rate '%s' (expected a rate like 1mbit or 500kbit)",
			       p->w[2].text);
	str_copy(r->rate, p->w[2].text, sizeof(r->rate));
	r->pos = scn_pos_of(p, 0);
	if (scn_no_more(p, 3) == -1)
		return -1;
	p->s->nrates++;
	return 0;
}

static struct scn_step *scn_new_step(struct scn_parser *p, enum scn_step_kind kind)
{
	struct scn_step *st;

	if (scn_grow(p, (void **)&p->s->steps, p->s->nsteps, &p->s->capsteps, sizeof *p->s->steps,
		     SCN_MAX_STEPS, "steps", p->w[0].col) == -1)
		return NULL;
	st = &p->s->steps[p->s->nsteps++];
	memset(st, 0, sizeof(*st));
	st->kind = kind;
	st->pos = scn_pos_of(p, 0);
	return st;
}

/* Add msg_id to the scenario's messages; it must be new. */
static int scn_add_msg(struct scn_parser *p, const char *msg_id, int col)
{
	for (int j = 0; j < p->s->nmsgs; j++)
		if (strcmp(p->s->msg_ids[j], msg_id) == 0)
			return scn_err(p, col, "message '%s' is sent twice (ids must be unique)", msg_id);
	if (scn_grow(p, (void **)&p->s->msg_ids, p->s->nmsgs, &p->s->capmsgs, sizeof *p->s->msg_ids,
		     SCN_MAX_IDS, "messages", col) == -1)
		return -1;
	str_copy(p->s->msg_ids[p->s->nmsgs++], msg_id, SCN_ID_MAX);
	return 0;
}

/*
 * send m1..m1000 [every DURATION] [to CHANNEL]: one send step per id, the
 * ids a prefix and the numbers from the first to the last, with a wait of
 * DURATION between two sends.
 */
static int st_send_range(struct scn_parser *p, const char *dots)
{
	const struct scn_word *w = &p->w[1];
	char prefix[SCN_ID_MAX], channel[SCN_ID_MAX] = "";
	size_t plen = 0, n = strlen(w->text);
	long first, last;
	int every = 0, i = 2, existing = p->s->nmsgs;
	const char *a = w->text, *b = dots + 2;

	while (a + plen < dots && !isdigit((unsigned char)a[plen]))
		plen++;
	if (plen == 0 || plen >= sizeof prefix || a + plen == dots ||
	    strncmp(b, a, plen) != 0 || b + plen >= w->text + n)
		return scn_err(p, w->col, "bad message range '%s' (expected like m1..m100: one prefix, "
			       "two numbers)", w->text);
	memcpy(prefix, a, plen);
	prefix[plen] = '\0';
	{
		char num[32];

		snprintf(num, sizeof num, "%.*s", (int)(dots - a - (long)plen), a + plen);
		if (parse_long(num, 0, SCN_MAX_IDS, &first, NULL, 0) == -1 ||
		    parse_long(b + plen, first, first + SCN_MAX_IDS, &last, NULL, 0) == -1)
			return scn_err(p, w->col, "bad message range '%s' (expected like m1..m100, the "
				       "first number not above the last)", w->text);
	}
	for (; i < p->nw; i += 2) {
		if (p->w[i].quoted)
			return scn_err(p, p->w[i].col, "a range of messages takes no text (each gets its "
				       "own: 'ID: message ID')");
		if (strcmp(p->w[i].text, "every") == 0) {
			if (scn_need(p, i + 1, "a duration after 'every'") == -1 ||
			    scn_duration(p, i + 1, &every) == -1)
				return -1;
		} else if (strcmp(p->w[i].text, "to") == 0) {
			if (scn_need(p, i + 1, "a channel after 'to'") == -1 ||
			    scn_ident(p, i + 1, "channel", channel, sizeof channel) == -1)
				return -1;
		} else {
			return scn_err(p, p->w[i].col, "unexpected '%s' (expected every DURATION or to "
				       "CHANNEL after a range)", p->w[i].text);
		}
	}
	for (long k = first; k <= last; k++) {
		struct scn_step *st;
		char id[SCN_ID_MAX + 24];

		snprintf(id, sizeof id, "%s%ld", prefix, k);
		if (strlen(id) >= SCN_ID_MAX)
			return scn_err(p, w->col, "message id '%s' is too long", id);
		for (int j = 0; j < existing; j++)     /* the range's own ids are distinct */
			if (strcmp(p->s->msg_ids[j], id) == 0)
				return scn_err(p, w->col, "message '%s' is sent twice (ids must be unique)", id);
		if (scn_grow(p, (void **)&p->s->msg_ids, p->s->nmsgs, &p->s->capmsgs,
			     sizeof *p->s->msg_ids, SCN_MAX_IDS, "messages", w->col) == -1 ||
		    !(st = scn_new_step(p, SCN_SEND)))
			return -1;
		str_copy(p->s->msg_ids[p->s->nmsgs++], id, SCN_ID_MAX);
		str_copy(st->msg_id, id, sizeof st->msg_id);
		str_copy(st->channel, channel, sizeof st->channel);
		if (every && k < last) {
			if (!(st = scn_new_step(p, SCN_WAIT)))
				return -1;
			st->ms = every;
		}
	}
	return 0;
}

static int st_send(struct scn_parser *p)
{
	struct scn_step *st;
	int i = 2;
	const char *dots = p->nw > 1 && !p->w[1].quoted ? strstr(p->w[1].text, "..") : NULL;

	if (dots)
		return st_send_range(p, dots);
	if (scn_need(p, 1, "a message id") == -1 || !(st = scn_new_step(p, SCN_SEND)) ||
	    scn_ident(p, 1, "message id", st->msg_id, sizeof(st->msg_id)) == -1)
		return -1;
	if (scn_add_msg(p, st->msg_id, p->w[1].col) == -1)
		return -1;
	if (i < p->nw && !p->w[i].quoted && strcmp(p->w[i].text, "from") == 0) {
		if (scn_send_from(p, i + 1, st) == -1)
			return -1;
		i += 2;
	}
	if (i < p->nw && !p->w[i].quoted && strcmp(p->w[i].text, "reply-to") == 0) {
		if (scn_need(p, i + 1, "a message id after 'reply-to'") == -1 ||
		    scn_msg_ref(p, i + 1, st->reply_to) == -1)
			return -1;
		i += 2;
	}
	if (i < p->nw && !p->w[i].quoted && strcmp(p->w[i].text, "to") == 0) {
		if (scn_need(p, i + 1, "a channel after 'to'") == -1 ||
		    scn_ident(p, i + 1, "channel", st->channel, sizeof(st->channel)) == -1)
			return -1;
		i += 2;
	}
	if (i < p->nw && p->w[i].quoted) {
		if (strlen(p->w[i].text) >= sizeof(st->text))
			return scn_err(p, p->w[i].col, "message text too long (at most %zu bytes)",
				       sizeof(st->text) - 1);
		str_copy(st->text, p->w[i].text, sizeof(st->text));
		i++;
	}
	return scn_no_more(p, i);
}

/* "within DURATION" at word i, if there. Returns the index after it, or -1. */
static int scn_within(struct scn_parser *p, int i, int *ms)
{
	if (i < p->nw && strcmp(p->w[i].text, "within") == 0) {
		if (scn_need(p, i + 1, "a duration after 'within'") == -1 ||
		    scn_duration(p, i + 1, ms) == -1)
			return -1;
		i += 2;
	}
	return i;
}

/*
 * await store has MSG [within D]: the stack's store command is run until
 * its output holds MSG's token. await packet MSG at HOST [within D]: a
 * packet carrying MSG left the router toward HOST. Neither asks anything
 * of the server.
 */
static int st_await_neutral(struct scn_parser *p, struct scn_step *st)
{
	int i;

	st->within_ms = 5000;
	p->usage = strcmp(p->w[1].text, "store") == 0 ? "await store has MSG [within DURATION]"
						       : "await packet MSG at HOST [within DURATION]";
	if (strcmp(p->w[1].text, "store") == 0) {
		str_copy(st->role, "store", sizeof st->role);
		str_copy(st->ev, "has", sizeof st->ev);
		if (scn_need(p, 2, "'has'") == -1)
			return -1;
		if (strcmp(p->w[2].text, "has") != 0)
			return scn_err(p, p->w[2].col, "unexpected '%s' (expected: await store has MSG "
				       "[within DURATION])", p->w[2].text);
		if (scn_need(p, 3, "a message id") == -1 || scn_msg_ref(p, 3, st->msg_id) == -1)
			return -1;
		i = scn_within(p, 4, &st->within_ms);
		return i == -1 ? -1 : scn_no_more(p, i);
	}
	str_copy(st->role, "router", sizeof st->role);
	str_copy(st->ev, "packet", sizeof st->ev);
	if (scn_need(p, 2, "a message id") == -1 || scn_msg_ref(p, 2, st->msg_id) == -1 ||
	    scn_need(p, 3, "'at HOST'") == -1)
		return -1;
	if (strcmp(p->w[3].text, "at") != 0)
		return scn_err(p, p->w[3].col, "unexpected '%s' (expected: await packet MSG at HOST "
			       "[within DURATION])", p->w[3].text);
	if (scn_need(p, 4, "a host after 'at'") == -1 ||
	    scn_packet_host(p, 4, st->host, sizeof st->host) == -1)
		return -1;
	i = scn_within(p, 5, &st->within_ms);
	return i == -1 ? -1 : scn_no_more(p, i);
}

static int st_await(struct scn_parser *p)
{
	struct scn_step *st;
	int i = 3;

	if (p->nw > 1 && !p->w[1].quoted &&
	    (strcmp(p->w[1].text, "store") == 0 || strcmp(p->w[1].text, "packet") == 0))
		return (st = scn_new_step(p, SCN_AWAIT)) ? st_await_neutral(p, st) : -1;

	if (scn_need(p, 1, "a role") == -1 || scn_need(p, 2, "an event") == -1 ||
	    !(st = scn_new_step(p, SCN_AWAIT)) ||
	    scn_role_ref(p, 1, st->role, sizeof(st->role), SCN_REF_ROLE) == -1 ||
	    scn_ident(p, 2, "event", st->ev, sizeof(st->ev)) == -1 ||
	    scn_event_ref(p, 2, st->role, st->ev, true) == -1)
		return -1;
	st->within_ms = 5000;
	if (strcmp(st->ev, "connected") == 0 || strcmp(st->ev, "disconnected") == 0) {
		/* A connection is the role's, not a message's; servers report none of their own. */
		if (strcmp(st->role, "server") == 0)
			return scn_err(p, p->w[2].col, "the server reports no connections of its own ('%s' is "
				       "a client's or a recipient's event)", st->ev);
		if (i < p->nw && strcmp(p->w[i].text, "within") != 0)
			return scn_err(p, p->w[i].col, "'await %s %s' is about the connection, not a message "
				       "(expected 'within DURATION' or nothing)", st->role, st->ev);
	}
	if (i < p->nw && strcmp(p->w[i].text, "within") != 0 && scn_msg_ref(p, i++, st->msg_id) == -1)
		return -1;
	if (i < p->nw && strcmp(p->w[i].text, "within") == 0) {
		if (scn_need(p, i + 1, "a duration after 'within'") == -1 ||
		    scn_duration(p, i + 1, &st->within_ms) == -1)
			return -1;
		i += 2;
	}
	/* "or go on": the await paces the workload, and a stack may rightly never say it. */
	if (i < p->nw && strcmp(p->w[i].text, "or") == 0) {
		if (i + 2 >= p->nw || strcmp(p->w[i + 1].text, "go") != 0 || strcmp(p->w[i + 2].text, "on") != 0)
			return scn_err(p, p->w[i].col, "expected 'or go on' (the workload goes on when the "
				       "await times out)");
		st->or_go_on = true;
		i += 3;
	}
	return scn_no_more(p, i);
}

static int st_wait(struct scn_parser *p)
{
	struct scn_step *st;

	if (scn_need(p, 1, "a duration") == -1 || !(st = scn_new_step(p, SCN_WAIT)) ||
	    scn_duration(p, 1, &st->ms) == -1)
		return -1;
	return scn_no_more(p, 2);
}

static int st_fault(struct scn_parser *p)
{
	struct scn_step *st = scn_new_step(p, SCN_FAULT);

	return st ? scn_fault(p, 1, &st->fault, false) : -1;
}

static int st_heal(struct scn_parser *p)
{
	struct scn_step *st = scn_new_step(p, SCN_HEAL);
	char dym[96];

	if (!st)
		return -1;
	st->fault.pos = st->pos;
	if (p->nw > 1) {
		if (!fault_lookup(p->w[1].text))
			return scn_err(p, p->w[1].col, "unknown fault '%s'%s", p->w[1].text,
				       scn_did_you_mean(scn_fault_suggest(p->w[1].text), dym, sizeof(dym)));
		str_copy(st->fault.name, p->w[1].text, sizeof(st->fault.name));
	}
	return scn_no_more(p, 2);
}

static int st_settle(struct scn_parser *p)
{
	if (scn_need(p, 1, "a duration") == -1 || scn_duration(p, 1, &p->s->settle_ms) == -1)
		return -1;
	return scn_no_more(p, 2);
}

struct scn_statement {
	const char *name;
	int (*parse)(struct scn_parser *p);
	const char *usage;
};

static const struct scn_statement scn_statements[] = {
	{ "scenario", st_scenario, "scenario NAME" },
	{ "title", st_title, "title \"TEXT\"" },
	{ "order", st_order, "order N" },
	{ "recipients", st_recipients, "recipients N" },
	{ "servers", st_servers, "servers N behind haproxy" },
	{ "channel", st_channel, "channel NAME" },
	{ "sender", st_sender, "sender STACK" },
	{ "server", st_server, "server failpoints SPEC" },
	{ "client", st_client, "client KEY VALUE [KEY VALUE...]" },
	{ "listen", st_listen, "listen KEY VALUE [KEY VALUE...]" },
	{ "bot", scn_st_bot, "bot [over http|websocket] [failpoints process=crash@N|after_process=crash@N]" },
	{ "sysctl", st_sysctl, "sysctl HOST KEY=VALUE" },
	{ "rate", st_rate, "rate HOST RATE" },
	{ "on", scn_st_on, "on TRIGGER: FAULT ARGS..." },
	{ "send", st_send, "send MSG [from clientK] [reply-to MSG] [to CHANNEL] [\"TEXT\"]" },
	{ "await", st_await, "await ROLE EV [MSG] [within DURATION], await store has MSG or await packet MSG at HOST" },
	{ "wait", st_wait, "wait DURATION" },
	{ "fault", st_fault, "fault FAULT ARGS..." },
	{ "heal", st_heal, "heal [FAULT]" },
	{ "settle", st_settle, "settle DURATION" },
	{ "workload", scn_st_workload, "workload clients K messages N rate R [recipients M] [channels C]" },
	{ "nemesis", scn_st_nemesis, "nemesis FAULT[,FAULT...] every D±J [for D]" },
	{ "expect", scn_st_expect, "expect STACK|* clean | CLASS={m1,m2} | CLASS=N ..." },
};

static int scn_statement(struct scn_parser *p)
{
	const char *names[ARRAY_LEN(scn_statements) + 1];
	const struct scn_word *w = &p->w[0];
	char dym[96];
	size_t i;

	for (i = 0; i < ARRAY_LEN(scn_statements); i++) {
		names[i] = scn_statements[i].name;
		if (strcmp(w->text, scn_statements[i].name) != 0 || w->quoted)
			continue;
		if (!p->seen_scenario && i != 0)
			return scn_err(p, w->col, "'%s' before 'scenario' (expected 'scenario NAME' as the first statement)",
				       w->text);
		if (p->seen_scenario && i == 0)
			return scn_err(p, w->col, "second 'scenario' statement (the first is at line %d)",
				       p->scenario_pos.line);
		if (i == 0) {
			p->seen_scenario = true;
			p->scenario_pos = scn_pos_of(p, 0);
		}
		p->usage = scn_statements[i].usage;
		return scn_statements[i].parse(p);
	}
	names[i] = NULL;
	return scn_err(p, w->col, "unknown statement '%s'%s", w->text,
		       scn_did_you_mean(scn_suggest(w->text, names), dym, sizeof(dym)));
}

/*
 * Move the error in err to the list in all (one per line), err emptied. The
 * first SCN_MAX_ERRORS are kept; then -1: stop parsing, the list says so.
 */
#define SCN_MAX_ERRORS 20
static int scn_keep_error(char *err, size_t errlen, char *all, size_t alllen, int *nerrors)
{
	size_t n = strlen(all);

	if (!err || !err[0])
		return 0;
	if (*nerrors > SCN_MAX_ERRORS) {
		snprintf(all + n, alllen - n, "%s(more errors after these %d)", n ? "\n" : "", SCN_MAX_ERRORS);
		err[0] = '\0';
		return -1;
	}
	snprintf(all + n, alllen - n, "%s%s", n ? "\n" : "", err);
	err[0] = '\0';
	(void)errlen;
	return 0;
}

int scenario_parse_string(const char *name, const char *text, struct scenario **out, char *err,
			  size_t errlen)
{
	struct scn_parser *p = NULL;
	struct scenario *s = NULL;
	const char *line = text;
	bool in_lesson = true;
	char buf[SCN_LINE_MAX], all[4096] = "";
	int rc = -1, nerrors = 0;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	s = calloc(1, sizeof(*s));
	if (!p || !s) {
		err_set(err, errlen, "%s: out of memory", name);
		goto done;
	}
	str_copy(s->path, name, sizeof(s->path));
	s->recipients = 1;
	s->clients = 1;
	str_copy(s->channel, "general", sizeof(s->channel));
	s->settle_ms = 300;
	s->order = 100;
	p->file = name;
	p->s = s;
	p->err = err;
	p->errlen = errlen;
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		const char *c;

		p->line++;
		if (nerrors && scn_keep_error(err, errlen, all, sizeof all, &nerrors) == -1)
			break;        /* the file has said enough */
		if (len >= sizeof(buf)) {
			scn_err(p, 1, "line too long (at most %zu bytes)", sizeof(buf) - 1);
			nerrors++;
			line = nl ? nl + 1 : line + len;
			continue;
		}
		memcpy(buf, line, len);
		buf[len] = '\0';
		/* Step past the line before dropping its '\r': a last line "x\r" must still end. */
		line = nl ? nl + 1 : line + len;
		if (len && buf[len - 1] == '\r')
			buf[--len] = '\0';
		/* Texts reach JSON (history, reports), which holds UTF-8 only: refuse anything else here. */
		if (utf8_valid_prefix(buf, len) < len) {
			size_t bad = utf8_valid_prefix(buf, len);

			scn_err(p, (int)bad + 1, "invalid UTF-8 (byte 0x%02x; scenario files are UTF-8 text)",
				(unsigned char)buf[bad]);
			nerrors++;
			continue;
		}
		for (c = buf; scn_is_blank(*c); c++)
			;
		if (in_lesson && *c == '#') {
			c++;
			if (*c == ' ')
				c++;
			if (s->lesson[0])
				strncat(s->lesson, "\n", sizeof(s->lesson) - strlen(s->lesson) - 1);
			strncat(s->lesson, c, sizeof(s->lesson) - strlen(s->lesson) - 1);
			continue;
		}
		in_lesson = false;
		/* A bad line is said and parsing goes on, so one check shows every error of a file. */
		if (scn_split(p, buf) == -1) {
			nerrors++;
			continue;
		}
		if (p->nw == 0)
			continue;
		if (scn_statement(p) == -1)
			nerrors++;
	}
	if (nerrors) {
		/* The last error is still in err; the earlier ones are in all. Checks of the whole file
		 * would only repeat them (a bad send makes every later mention of its id unknown). */
		scn_keep_error(err, errlen, all, sizeof all, &nerrors);
		str_copy(err, all, errlen);
		goto done;
	}
	if (!p->seen_scenario) {
		err_set(err, errlen, "%s:%d:1: empty scenario (expected 'scenario NAME' as the first statement)",
			name, p->line ? p->line : 1);
		goto done;
	}
	if (s->nexpects == 0) {
		err_set(err, errlen, "%s:%d:%d: scenario '%s' has no expect statement (expected at least one, like 'expect * clean')",
			name, p->scenario_pos.line, p->scenario_pos.col, s->name);
		goto done;
	}
	if (scn_check_refs(p) == -1)
		goto done;
	if (!s->title[0])
		str_copy(s->title, s->name, sizeof(s->title));
	*out = s;
	s = NULL;
	rc = 0;
done:
	scenario_free(s);
	if (p)
		free(p->refs);
	free(p);
	return rc;
}

int scenario_parse_file(const char *path, struct scenario **out, char *err, size_t errlen)
{
	char *text = file_read_text(path, 1 << 20, err, errlen);
	int rc;

	*out = NULL;
	if (!text)
		return -1;
	rc = scenario_parse_string(path, text, out, err, errlen);
	free(text);
	return rc;
}

void scenario_free(struct scenario *s)
{
	if (!s)
		return;
	for (int i = 0; i < SCN_MAX_EXPECTS; i++)      /* a line that failed may hold some too */
		for (int c = 0; c < CHK_CLASS_COUNT; c++)
			free(s->expects[i].cls[c].ids);
	free(s->steps);
	free(s->msg_ids);
	free(s);
}

long scenario_setting(const struct scn_setting *set, int n, const char *key, long def)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(set[i].key, key) == 0)
			return set[i].value;
	return def;
}
