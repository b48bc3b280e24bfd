/*
 * checker: per-message classification of one cell, then the comparison with
 * the scenario's expectation (checker.h). It works black-box: a message is
 * recognised in the store and on a recipient's screen by its token (whole),
 * never by server ids.
 *
 * Two steps, each easy to check by eye. chk_feed() (checker_feed.h) takes the
 * history's entries one by one, in time order, from memory or from the
 * cell's files, and files each under its message through two hashes (token
 * -> message, id -> message): what the client showed, each distinct copy
 * (ts) the store holds and each recipient was shown, how often, and the order
 * in which each recipient was pushed messages. chk_classify() then turns one
 * message's facts into one class by a fixed precedence, most alarming first
 * (checker_class.h). Memory is linear in the history: one small record per
 * distinct copy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker.h"
#include "checker_bot.h"
#include "checker_feed.h"
#include "arena.h"
#include "prefault.h"
#include "strmap.h"
#include "token.h"
#include "util.h"

/* One distinct copy (ts) of a message, in the store (who 0) or shown to recipient who. */
struct chk_copy {
	int next;                     /* the message's next copy, or -1 */
	int who;
	int count;                    /* store rows, or displays, with this ts */
	const char *ts;               /* "" when the server gives none; in the result's strings */
};

/* Laid out for size: a million of them in a big cell. */
struct chk_facts {
	const char *channel;
	double stored_ms;
	long store_pos;               /* index of its first store row, -1 when not stored */
	int first_copy;               /* -1: none */
	int sending;
	int reply;                    /* its parent in chk_state's replies, -1 when it is no reply */
	bool unwatched;               /* recipients do not follow its channel: no gap */
};

/* What a reply points at (few messages are replies: kept apart from chk_facts). */
struct chk_reply {
	const char *parent_id, *parent_ts;   /* each NULL when the send entry did not say */
};

/* A sequence of message indexes: what one recipient was pushed, in order. */
struct chk_seq {
	int *v;
	size_t n, cap;
};

struct chk_state {
	struct chk_result *r;
	struct chk_facts *f;
	struct chk_reply *replies;
	size_t nreplies, capreplies;
	struct chk_copy *copies;
	size_t ncopies, capcopies;
	struct strmap by_token, by_id;   /* message indexes */
	int hint_token, hint_id;      /* the message last found by each (chk_find): recipients, client */
	int hint_store;               /* the same for the store's rows, which come in their own order */
	int indexed;                  /* messages put in the hashes so far */
	size_t capmsgs;
	size_t expect_msgs, expect_copies;   /* first sizes, guessed from the history's length */
	int *stored_copies;           /* scratch for chk_classify: by recipient, recipients + 1 */
	struct chk_seq *pushed;       /* by recipient number - 1 */
	int npushed;
	long store_rows;
	long long t0;
	const char *last_channel;     /* in r->strings: the channel of the latest send that named one */
	struct chk_bot bot;           /* the bot's record, when the cell has a bot (checker_bot.h) */
	struct prefault *pf;          /* a big cell's: the pages of msgs, f and copies made present ahead */
};

/* prefault regions */
enum { CHK_PF_MSGS, CHK_PF_FACTS, CHK_PF_COPIES, CHK_PF_STRINGS };
/* Cells from this many history entries on (some 25,000 messages) get a prefault thread. */
#define CHK_PREFAULT_ENTRIES 100000

/* A "ts" as text whether the role wrote it as a string or a number; "" when absent. */
static void chk_ts(const struct history_fields *e, char *buf, size_t len)
{
	switch (e->ts_kind) {
	case HISTORY_TS_STRING: str_copy(buf, e->ts_string, len); break;
	case HISTORY_TS_INTEGER: snprintf(buf, len, "%lld", e->ts_integer); break;
	case HISTORY_TS_REAL: snprintf(buf, len, "%.6f", e->ts_real); break;
	default: buf[0] = '\0'; break;
	}
}

/* In double: a stored history may hold any two int64 times, whose difference can overflow. */
static double chk_ms(const struct history_fields *e, long long t0)
{
	return ((double)e->t - (double)t0) / 1e6;
}

/* Role "recipientN" -> N (1..999999), else 0. */
static int chk_recipient_no(const char *role)
{
	int n = 0;

	if (strncmp(role, "recipient", 9) != 0 || role[9] < '1' || role[9] > '9')
		return 0;
	for (const char *p = role + 9; *p; p++) {
		if (*p < '0' || *p > '9' || n > 99999)
			return 0;
		n = n * 10 + (*p - '0');
	}
	return n;
}

/*
 * The message of an id or a token, or -1. Histories mostly speak of messages
 * in the order they were sent (a client's events, the store's rows), so the
 * message after the last one found is tried before the hash.
 */
static int chk_find_from(struct chk_state *st, int *hint, bool token, const char *key, size_t len)
{
	const struct strmap *map = token ? &st->by_token : &st->by_id;
	int m;

	for (int k = *hint; k <= *hint + 1 && k < st->r->nmsgs; k++) {
		const char *name = k < 0 ? NULL : token ? st->r->msgs[k].token : st->r->msgs[k].id;

		if (name && strncmp(name, key, len) == 0 && !name[len])
			return *hint = k;
	}
	/* The hashes are filled only when the order does not help (the first time, then as sends come). */
	for (; st->indexed < st->r->nmsgs; st->indexed++)
		if (strmap_put(&st->by_id, st->r->msgs[st->indexed].id, st->indexed) == -1 ||
		    strmap_put(&st->by_token, st->r->msgs[st->indexed].token, st->indexed) == -1)
			return -1;
	m = strmap_getn(map, key, len);
	if (m >= 0)
		*hint = m;
	return m;
}

static int chk_find(struct chk_state *st, bool token, const char *key)
{
	return chk_find_from(st, token ? &st->hint_token : &st->hint_id, token, key, strlen(key));
}

/* --- gathering -------------------------------------------------------------- */

/*
 * A ts for message m, kept in the result's strings: the one m's copies or
 * its client already hold when it is the same (the store's copy, each
 * recipient's and the client's are mostly one ts), else a new copy.
 */
static const char *chk_intern_ts(struct chk_state *st, int m, const char *ts)
{
	const char *client = st->r->msgs[m].client_ts;

	if (!ts[0])
		return "";
	if (client && strcmp(client, ts) == 0)
		return client;
	for (int i = st->f[m].first_copy; i >= 0; i = st->copies[i].next)
		if (strcmp(st->copies[i].ts, ts) == 0)
			return st->copies[i].ts;
	return arena_strdup(&st->r->strings, ts);
}

static struct chk_copy *chk_copy_of(struct chk_state *st, int m, int who, const char *ts)
{
	struct chk_copy *c;
	int i;

	for (i = st->f[m].first_copy; i >= 0; i = st->copies[i].next)
		if (st->copies[i].who == who && strcmp(st->copies[i].ts, ts) == 0)
			return &st->copies[i];
	if (st->ncopies == st->capcopies) {
		size_t cap = st->capcopies ? st->capcopies * 2 : st->expect_copies;
		struct chk_copy *v = realloc(st->copies, cap * sizeof *v);

		if (!v)
			return NULL;
		mem_hugepages(v, cap * sizeof *v);
		st->copies = v;
		st->capcopies = cap;
	}
	c = &st->copies[st->ncopies];
	c->next = st->f[m].first_copy;
	c->who = who;
	c->count = 0;
	if (!(c->ts = chk_intern_ts(st, m, ts)))
		return NULL;
	st->f[m].first_copy = (int)st->ncopies++;
	prefault_ahead(st->pf, CHK_PF_COPIES, st->copies, st->ncopies * sizeof *st->copies,
		       st->capcopies * sizeof *st->copies);
	return c;
}

static int chk_seq_push(struct chk_seq *s, int m)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		int *v = realloc(s->v, cap * sizeof *v);

		if (!v)
			return -1;
		mem_hugepages(v, cap * sizeof *v);
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = m;
	return 0;
}

/*
 * The message whose token e's text carries, or -1; hint is the caller's place
 * in its own order. The first token is mostly the one, and mostly found
 * already by the reader (history_fields' text_token_*).
 */
static int chk_message_in(struct chk_state *st, int *hint, const struct history_fields *e)
{
	const char *text = e->text;
	size_t n, pos = 0, start, len;
	int m;

	if (!text)
		return -1;
	if (e->text_token_known) {
		if (!e->text_token_len)
			return -1;
		m = chk_find_from(st, hint, true, text + e->text_token_at, e->text_token_len);
		if (m >= 0)
			return m;
		pos = e->text_token_at + e->text_token_len;
	}
	n = strlen(text);
	while (token_span_next(text, n, &pos, &start, &len))
		if ((m = chk_find_from(st, hint, true, text + start, len)) >= 0)
			return m;
	return -1;
}

static int chk_on_client(struct chk_state *st, const struct history_fields *e)
{
	struct chk_message *msg;
	char ts[48];
	int m, a;

	if (!e->id || (m = chk_find(st, false, e->id)) < 0)
		return 0;
	msg = &st->r->msgs[m];
	a = (int)e->attempts;
	if (str_is(e->ev, "sending")) {
		st->f[m].sending++;
		a = (int)e->attempt;
	} else if (str_is(e->ev, "sent") || str_is(e->ev, "failed")) {
		msg->client_outcome = e->ev[0] == 'f' ? "failed" : "sent";
		msg->client_ms = chk_ms(e, st->t0);
		chk_ts(e, ts, sizeof ts);
		msg->client_ts = "";
		if (e->ev[0] != 'f' && !(msg->client_ts = chk_intern_ts(st, m, ts)))
			return -1;
	}
	if (a > msg->attempts)
		msg->attempts = a;
	return 0;
}

static int chk_on_stored(struct chk_state *st, const struct history_fields *e)
{
	int m = chk_message_in(st, &st->hint_store, e);
	struct chk_copy *c;
	char ts[48];

	st->store_rows++;
	if (m < 0)
		return 0;
	chk_ts(e, ts, sizeof ts);
	if (!(c = chk_copy_of(st, m, 0, ts)))
		return -1;
	c->count++;
	if (st->r->msgs[m].stored++ == 0) {
		st->f[m].stored_ms = chk_ms(e, st->t0);
		st->f[m].store_pos = st->store_rows - 1;
	}
	return 0;
}

static int chk_on_received(struct chk_state *st, const struct history_fields *e, int who)
{
	int m = chk_message_in(st, &st->hint_token, e);
	const char *via = e->via;
	struct chk_copy *c;
	char ts[48];

	if (m < 0)
		return 0;
	chk_ts(e, ts, sizeof ts);
	if (!(c = chk_copy_of(st, m, who, ts)))
		return -1;
	/* Pushes in arrival order, first display of each copy only, for the order check. */
	if (c->count++ == 0 && (!via || str_is(via, "ws"))) {
		if (who > st->npushed) {
			struct chk_seq *v = realloc(st->pushed, (size_t)who * sizeof *v);

			if (!v)
				return -1;
			memset(v + st->npushed, 0, (size_t)(who - st->npushed) * sizeof *v);
			st->pushed = v;
			st->npushed = who;
		}
		return chk_seq_push(&st->pushed[who - 1], m);
	}
	return 0;
}

/* Room for one more message: the arrays grow. */
static int chk_grow(struct chk_state *st)
{
	struct chk_result *r = st->r;

	if ((size_t)r->nmsgs == st->capmsgs) {
		size_t cap = st->capmsgs ? st->capmsgs * 2 : st->expect_msgs;
		struct chk_message *msgs = realloc(r->msgs, cap * sizeof *msgs);
		struct chk_facts *f;

		if (!msgs)
			return -1;
		mem_hugepages(msgs, cap * sizeof *msgs);
		r->msgs = msgs;
		f = realloc(st->f, cap * sizeof *f);
		if (!f)
			return -1;
		mem_hugepages(f, cap * sizeof *f);
		st->f = f;
		st->capmsgs = cap;
	}
	return 0;
}

/* Note what reply f points at (its send entry e names a parent). 0, or -1 when out of memory. */
static int chk_add_reply(struct chk_state *st, struct chk_facts *f, const struct history_fields *e)
{
	struct chk_reply *reply;

	if (st->nreplies == st->capreplies) {
		size_t cap = st->capreplies ? st->capreplies * 2 : 16;
		struct chk_reply *v = realloc(st->replies, cap * sizeof *v);

		if (!v)
			return -1;
		st->replies = v;
		st->capreplies = cap;
	}
	reply = &st->replies[st->nreplies];
	reply->parent_id = reply->parent_ts = NULL;
	if ((e->parent && !(reply->parent_id = arena_strdup(&st->r->strings, e->parent))) ||
	    (e->parent_ts && !(reply->parent_ts = arena_strdup(&st->r->strings, e->parent_ts))))
		return -1;
	f->reply = (int)st->nreplies++;
	return 0;
}

/* A send entry makes a message. */
static int chk_on_send(struct chk_state *st, const struct history_fields *e, char *err, size_t errlen)
{
	struct chk_message *m;
	struct chk_facts *f;
	size_t idlen, toklen;

	if (!e->id || !e->token || !*e->token)
		return err_set(err, errlen, "checker: a send entry without \"id\" or \"token\"");
	if (chk_grow(st) == -1)
		return err_set(err, errlen, "checker: out of memory");
	m = &st->r->msgs[st->r->nmsgs];
	f = &st->f[st->r->nmsgs];
	memset(m, 0, sizeof *m);
	memset(f, 0, sizeof *f);
	if (!(m->token = arena_strdup(&st->r->strings, e->token)))
		return err_set(err, errlen, "checker: out of memory");
	/* A token mostly ends with its id ("acklab-5f2c-m3"): the id is then that end of it. */
	idlen = strlen(e->id);
	toklen = strlen(m->token);
	if (toklen > idlen && m->token[toklen - idlen - 1] == '-' && strcmp(m->token + toklen - idlen, e->id) == 0)
		m->id = m->token + toklen - idlen;
	else if (!(m->id = arena_strdup(&st->r->strings, e->id)))
		return err_set(err, errlen, "checker: out of memory");
	m->client_outcome = "none";
	m->client_ts = "";
	m->send_ms = chk_ms(e, st->t0);
	f->first_copy = -1;
	f->store_pos = -1;
	f->reply = -1;
	/* The entry's strings live only as long as its line: what the message keeps is copied. */
	if ((e->parent || e->parent_ts) && chk_add_reply(st, f, e) == -1)
		return err_set(err, errlen, "checker: out of memory");
	if (e->channel) {
		/* Most messages go to the channel of the one before: one copy serves them all. */
		if (!st->last_channel || strcmp(st->last_channel, e->channel) != 0)
			st->last_channel = arena_strdup(&st->r->strings, e->channel);
		if (!(f->channel = st->last_channel))
			return err_set(err, errlen, "checker: out of memory");
	}
	f->unwatched = e->watched_false;
	st->r->nmsgs++;
	prefault_ahead(st->pf, CHK_PF_MSGS, st->r->msgs, (size_t)st->r->nmsgs * sizeof *st->r->msgs,
		       st->capmsgs * sizeof *st->r->msgs);
	prefault_ahead(st->pf, CHK_PF_FACTS, st->f, (size_t)st->r->nmsgs * sizeof *st->f, st->capmsgs * sizeof *st->f);
	if (st->pf) {
		void *block;
		size_t used, size;

		arena_tail(&st->r->strings, &block, &used, &size);
		prefault_ahead(st->pf, CHK_PF_STRINGS, block, used, size);
	}
	return 0;
}

int chk_feed(struct chk_state *st, const struct history_fields *e, char *err, size_t errlen)
{
	int who, rc = 0;

	if (!e->role || !e->ev)
		return 0;
	if (str_is(e->role, "acklab"))
		return str_is(e->ev, "send") ? chk_on_send(st, e, err, errlen) : 0;
	if (st->r->nmsgs == 0)
		return 0;
	if (e->role[0] == 'c' && strncmp(e->role, "client", 6) == 0)    /* client, and client2.. of a workload */
		rc = chk_on_client(st, e);
	else if (str_is(e->role, "store") && str_is(e->ev, "stored"))
		rc = chk_on_stored(st, e);
	else if (str_is(e->ev, "received") && (who = chk_recipient_no(e->role)) > 0)
		rc = chk_on_received(st, e, who);
	else if (str_is(e->role, "bot-store"))
		rc = chk_bot_feed(&st->bot, e);
	return rc == -1 ? err_set(err, errlen, "checker: out of memory") : 0;
}

/* --- classifying ------------------------------------------------------------ */

/* Does the store hold message m's copy ts (by ts when the store gives one, else by token)? */
static bool chk_store_has(const struct chk_state *st, int m, const char *ts, bool *ts_known)
{
	bool known = false;

	for (int i = st->f[m].first_copy; i >= 0; i = st->copies[i].next) {
		const struct chk_copy *c = &st->copies[i];

		if (c->who != 0)
			continue;
		if (c->ts[0])
			known = true;
		if (strcmp(c->ts, ts) == 0)
			return true;
	}
	if (ts_known)
		*ts_known = known;
	/* No ts on one side: the token alone says it is the stored message. */
	return st->r->msgs[m].stored > 0 && (!ts[0] || !known);
}

/* The first stored ts of m, for sentences. */
static const char *chk_first_stored_ts(const struct chk_state *st, int m)
{
	const char *ts = "?";

	for (int i = st->f[m].first_copy; i >= 0; i = st->copies[i].next)
		if (st->copies[i].who == 0)
			ts = st->copies[i].ts[0] ? st->copies[i].ts : "no ts";
	return ts;
}

/* Is the parent of reply m stored with the ts the reply points at? */
static bool chk_parent_stored(struct chk_state *st, int m)
{
	const struct chk_reply *reply = &st->replies[st->f[m].reply];

	if (reply->parent_id) {
		int p = chk_find(st, false, reply->parent_id);

		if (p >= 0)
			return chk_store_has(st, p, reply->parent_ts, NULL);
	}
	for (int p = 0; p < st->r->nmsgs; p++)      /* a parent acklab did not send: rare */
		for (int i = st->f[p].first_copy; i >= 0; i = st->copies[i].next)
			if (st->copies[i].who == 0 && strcmp(st->copies[i].ts, reply->parent_ts) == 0)
				return true;
	return false;
}

/* Which messages each recipient was pushed after a message of the same channel stored after them. */
static void chk_order(const struct chk_state *st, bool *reordered, int *reordered_by)
{
	for (int r = 0; r < st->npushed; r++) {
		const struct chk_seq *s = &st->pushed[r];
		int last = -1;        /* the pushed message with the highest store position so far */

		for (size_t k = 0; k < s->n; k++) {
			int m = s->v[k];
			const struct chk_facts *f = &st->f[m];

			if (f->store_pos < 0)
				continue;
			/* One channel at a time is what the store's order says anything about. */
			if (last >= 0 && st->f[last].store_pos > f->store_pos &&
			    ((!f->channel && !st->f[last].channel) ||
			     (f->channel && st->f[last].channel && strcmp(f->channel, st->f[last].channel) == 0))) {
				if (!reordered[m]) {
					reordered[m] = true;
					reordered_by[m] = last;
				}
				continue;
			}
			if (last < 0 || f->store_pos > st->f[last].store_pos)
				last = m;
		}
	}
}

static void chk_classify(struct chk_state *st, int m, int recipients, bool reordered,
			 int reordered_by)
{
	struct chk_message *msg = &st->r->msgs[m];
	const struct chk_facts *f = &st->f[m];
	bool sent = str_is(msg->client_outcome, "sent");
	bool failed = str_is(msg->client_outcome, "failed");
	bool ts_known = false;
	int phantom_who = 0, dup_who = 0, dup_copies = 0, push_who = 0, missing_who = 0;
	const char *phantom_ts = "", *push_ts = "";
	char shown[96], why[256];
	int *stored_copies = st->stored_copies;

	memset(stored_copies, 0, ((size_t)recipients + 1) * sizeof *stored_copies);

	if (f->sending > msg->attempts)
		msg->attempts = f->sending;
	msg->stored_ts = msg->stored ? chk_first_stored_ts(st, m) : "";
	chk_store_has(st, m, "", &ts_known);
	for (int i = f->first_copy; i >= 0; i = st->copies[i].next) {
		const struct chk_copy *c = &st->copies[i];

		if (c->who == 0)
			continue;
		if (c->count > msg->pushes_max)
			msg->pushes_max = c->count;
		if (!chk_store_has(st, m, c->ts, NULL)) {
			msg->phantom_copies++;
			if (!phantom_who) {
				phantom_who = c->who;
				phantom_ts = c->ts[0] ? c->ts : "no ts";
			}
			continue;
		}
		if (c->count >= 2 && !push_who) {
			push_who = c->who;
			push_ts = c->ts[0] ? c->ts : "no ts";
		}
		if (c->who <= recipients && ++stored_copies[c->who] >= 2 && !dup_who) {
			dup_who = c->who;
			dup_copies = stored_copies[c->who];
		}
	}
	for (int r = 1; r <= recipients; r++) {
		int copies = stored_copies[r];

		if (copies > msg->delivered_max)
			msg->delivered_max = copies;
		if (copies == 0 && !f->unwatched && msg->stored > 0) {
			msg->recipients_missing++;
			if (!missing_who)
				missing_who = r;
		}
	}
	/* "client showed Sent at 412 ms after 1 attempt", for the sentences that say it (not ok's). */
#define CHK_SHOWN()                                                                                  \
	((sent || failed) ? (snprintf(shown, sizeof(shown), "client showed %s at %lld ms after %d attempt%s", \
				      sent ? "Sent" : "Failed", (long long)(msg->client_ms + 0.5),       \
				      msg->attempts, msg->attempts == 1 ? "" : "s"), shown)                \
			  : "client never showed Sent or Failed")

	if (msg->phantom_copies > 0) {
		msg->cls = CHK_PHANTOM;
		snprintf(why, sizeof(why), "recipient%d saw a copy (ts %s) the store does not have; "
			 "store has %d row%s", phantom_who, phantom_ts, msg->stored, msg->stored == 1 ? "" : "s");
	} else if (msg->stored >= 2 || dup_who) {
		msg->cls = CHK_DUPLICATE;
		if (msg->stored >= 2)
			snprintf(why, sizeof(why), "stored %d times; %s", msg->stored, CHK_SHOWN());
		else
			snprintf(why, sizeof(why), "recipient%d saw %d copies; store has %d row%s",
				 dup_who, dup_copies, msg->stored, msg->stored == 1 ? "" : "s");
	} else if (msg->stored == 0 && !failed) {
		msg->cls = CHK_LOST;
		snprintf(why, sizeof(why), "%s; store has 0 rows", CHK_SHOWN());
	} else if (failed && msg->stored > 0) {
		msg->cls = CHK_FAILED_STORED;
		snprintf(why, sizeof(why), "%s, yet the store has it (ts %s): a retry by hand "
			 "will store it twice", CHK_SHOWN(), chk_first_stored_ts(st, m));
	} else if (sent && msg->client_ts[0] && ts_known && !chk_store_has(st, m, msg->client_ts, NULL)) {
		msg->cls = CHK_TS_MISMATCH;
		snprintf(why, sizeof(why), "client showed Sent with ts %s; the store holds it as "
			 "ts %s", msg->client_ts, chk_first_stored_ts(st, m));
	} else if (f->reply >= 0 && st->replies[f->reply].parent_ts && msg->stored > 0 &&
		   !chk_parent_stored(st, m)) {
		msg->cls = CHK_ORPHAN_REPLY;
		snprintf(why, sizeof(why), "reply stored at %.0f ms, but its parent (ts %s) is not "
			 "in the store", f->stored_ms, st->replies[f->reply].parent_ts);
	} else if (push_who) {
		msg->cls = CHK_DUP_PUSH;
		snprintf(why, sizeof(why), "recipient%d was shown the stored copy (ts %s) %d times",
			 push_who, push_ts, msg->pushes_max);
	} else if (msg->stored > 0 && msg->recipients_missing > 0) {
		msg->cls = CHK_GAP;
		snprintf(why, sizeof(why), "stored (ts %s) but recipient%d never saw it%s",
			 chk_first_stored_ts(st, m), missing_who,
			 msg->recipients_missing > 1 ? " (nor did others)" : "");
	} else if (reordered) {
		msg->cls = CHK_REORDERED;
		snprintf(why, sizeof(why), "pushed after %s, which the store holds after it",
			 st->r->msgs[reordered_by].id);
	} else if (failed) {
		msg->cls = CHK_FAILED_VISIBLE;
		snprintf(why, sizeof(why), "%s; not stored (honest failure)", CHK_SHOWN());
	} else {
		msg->cls = CHK_OK;
		return;               /* chk_why() tells it from the fields when asked */
	}
	msg->why = arena_strdup(&st->r->strings, why);
	if (!msg->why)
		msg->why = "(out of memory)";
#undef CHK_SHOWN
}

/* --- the entry points ------------------------------------------------------- */

void chk_result_free(struct chk_result *r)
{
	arena_free(&r->strings);
	free(r->msgs);
	r->msgs = NULL;
	r->nmsgs = 0;
}

int checker_run(struct history *h, const struct scn_expect *exp, int recipients,
		struct chk_result *out, char *err, size_t errlen)
{
	int64_t t0 = 0;

	if (history_len(h) > 0)
		t0 = json_integer_value(json_object_get(history_at(h, 0), "t"));
	return checker_run_at(h, exp, recipients, t0, out, err, errlen);
}

struct chk_state *chk_begin(struct chk_result *out, size_t entries, int64_t t0_ns)
{
	struct chk_state *st = calloc(1, sizeof *st);

	memset(out, 0, sizeof(*out));
	if (!st)
		return NULL;
	st->r = out;
	st->t0 = t0_ns;
	/* A message makes about five entries and two or three copies: allocate once, not by doubling. */
	st->expect_msgs = entries / 4 + 64;
	st->expect_copies = entries / 2 + 1024;
	if (strmap_init(&st->by_token, entries / 4) == -1 || strmap_init(&st->by_id, entries / 4) == -1) {
		chk_state_free(st);
		return NULL;
	}
	if (entries >= CHK_PREFAULT_ENTRIES)
		st->pf = prefault_start();
	return st;
}

void chk_state_free(struct chk_state *st)
{
	if (!st)
		return;
	prefault_stop(st->pf);
	free(st->stored_copies);
	free(st->f);
	free(st->replies);
	free(st->copies);
	strmap_free(&st->by_token);
	strmap_free(&st->by_id);
	for (int r = 0; r < st->npushed; r++)
		free(st->pushed[r].v);
	free(st->pushed);
	chk_bot_free(&st->bot);
	free(st);
}

int chk_end(struct chk_state *st, const struct scn_expect *exp, int recipients, char *err, size_t errlen)
{
	struct chk_result *out = st->r;
	bool *reordered = NULL;
	int *reordered_by = NULL;
	int rc = -1;

	prefault_stop(st->pf);        /* nothing more is filed */
	st->pf = NULL;
	if (out->nmsgs == 0) {
		err_set(err, errlen, "checker: the history has no send entries (the workload never ran)");
		goto done;
	}
	st->stored_copies = calloc((size_t)(recipients > 0 ? recipients : 0) + 1, sizeof *st->stored_copies);
	reordered = calloc((size_t)out->nmsgs, sizeof *reordered);
	reordered_by = calloc((size_t)out->nmsgs, sizeof *reordered_by);
	if (!st->stored_copies || !reordered || !reordered_by) {
		err_set(err, errlen, "checker: out of memory");
		goto done;
	}
	chk_order(st, reordered, reordered_by);
	for (int m = 0; m < out->nmsgs; m++) {
		chk_classify(st, m, recipients, reordered[m], reordered_by[m]);
		out->counts[out->msgs[m].cls]++;
	}
	if (chk_bot_view(&st->bot, out) == -1) {
		err_set(err, errlen, "checker: out of memory");
		goto done;
	}
	chk_compare(out, exp);
	rc = 0;
done:
	free(reordered);
	free(reordered_by);
	chk_state_free(st);
	return rc;
}

int checker_run_at(struct history *h, const struct scn_expect *exp, int recipients, int64_t t0_ns,
		   struct chk_result *out, char *err, size_t errlen)
{
	struct chk_state *st = chk_begin(out, history_len(h), t0_ns);
	size_t n = history_len(h);

	if (!st)
		return err_set(err, errlen, "checker: out of memory");
	for (size_t i = 0; i < n; i++) {
		struct history_fields e;

		history_fields_of(history_at(h, i), &e);
		if (chk_feed(st, &e, err, errlen) == -1) {
			chk_state_free(st);
			return -1;
		}
	}
	return chk_end(st, exp, recipients, err, errlen);
}
