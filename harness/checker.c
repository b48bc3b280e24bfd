/*
 * checker: per-message classification of one cell, then the comparison with
 * the scenario's expectation. It reads only the history (checker.h lists the
 * entries it uses) and works black-box: a message is recognised in the
 * store and on a recipient's screen by its token, never by server ids.
 *
 * The work is in two passes so each is easy to check by eye: chk_observe()
 * gathers the facts of one message (what the client showed, which store
 * rows and which copies each recipient saw), chk_classify() turns facts
 * into one class by a fixed precedence, most alarming first:
 * phantom > duplicate > lost > orphan-reply > gap > failed-visible > ok.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker.h"
#include "util.h"

#define CHK_MAX_TS 16
#define CHK_MAX_RECIPIENTS 16

/* The facts about one message, before classification. */
struct chk_facts {
	const char *parent_ts;        /* for replies, else NULL */
	bool unwatched;               /* recipients do not follow its channel: no gap */
	double client_ms;             /* when the last sent/failed was shown */
	char stored_ts[CHK_MAX_TS][48];
	int nstored_ts;
	double stored_ms;
	/* Distinct ts each recipient saw (index = recipient number - 1). */
	char seen_ts[CHK_MAX_RECIPIENTS][CHK_MAX_TS][48];
	int nseen[CHK_MAX_RECIPIENTS];
	double seen_ms[CHK_MAX_RECIPIENTS];
	int dup_recipient;            /* recipient (1-based) that saw two stored copies, or 0 */
	int phantom_recipient;        /* recipient (1-based) that saw an unstored copy, or 0 */
	char phantom_ts[48];
	int missing_recipient;        /* first recipient that never saw a stored copy, or 0 */
};

static const char *chk_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* A "ts" as text whether the role wrote it as a string or a number. */
static void chk_ts(json_t *obj, char *buf, size_t len)
{
	json_t *ts = json_object_get(obj, "ts");

	if (json_is_string(ts))
		snprintf(buf, len, "%s", json_string_value(ts));
	else if (json_is_integer(ts))
		snprintf(buf, len, "%lld", (long long)json_integer_value(ts));
	else if (json_is_real(ts))
		snprintf(buf, len, "%.6f", json_real_value(ts));
	else
		snprintf(buf, len, "?");
}

/* In double: a stored history may hold any two int64 times, whose difference can overflow. */
static double chk_ms(json_t *e, long long t0)
{
	return ((double)json_integer_value(json_object_get(e, "t")) - (double)t0) / 1e6;
}

static bool chk_has_token(json_t *e, const char *token)
{
	const char *text = chk_str(e, "text");

	return text && token[0] && strstr(text, token);
}

static int chk_find_ts(char (*set)[48], int n, const char *ts)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(set[i], ts) == 0)
			return i;
	return -1;
}

/* Role "recipientN" -> N, else 0. */
static int chk_recipient_no(const char *role)
{
	long n;

	if (!role || strncmp(role, "recipient", 9) != 0)
		return 0;
	if (parse_long(role + 9, 1, CHK_MAX_RECIPIENTS, &n, NULL, 0) == -1)
		return 0;
	return (int)n;
}

static void chk_observe(struct history *h, long long t0, int recipients, struct chk_message *m,
			struct chk_facts *f)
{
	size_t i, n = history_len(h);
	int sending = 0, r;

	str_copy(m->client_outcome, "none", sizeof(m->client_outcome));
	for (i = 0; i < n; i++) {
		json_t *e = history_at(h, i);
		const char *role = chk_str(e, "role"), *ev = chk_str(e, "ev"), *id = chk_str(e, "id");
		char ts[48];
		int a;

		if (!role || !ev)
			continue;
		if (strcmp(role, "client") == 0 && id && strcmp(id, m->id) == 0) {
			a = (int)json_integer_value(json_object_get(e, "attempts"));
			if (strcmp(ev, "sending") == 0) {
				sending++;
				a = (int)json_integer_value(json_object_get(e, "attempt"));
			} else if (strcmp(ev, "sent") == 0 || strcmp(ev, "failed") == 0) {
				str_copy(m->client_outcome, ev, sizeof(m->client_outcome));
				f->client_ms = chk_ms(e, t0);
			}
			if (a > m->attempts)
				m->attempts = a;
		} else if (strcmp(role, "store") == 0 && strcmp(ev, "stored") == 0 &&
			   chk_has_token(e, m->token)) {
			chk_ts(e, ts, sizeof(ts));
			if (m->stored++ == 0)
				f->stored_ms = chk_ms(e, t0);
			if (f->nstored_ts < CHK_MAX_TS && chk_find_ts(f->stored_ts, f->nstored_ts, ts) < 0)
				str_copy(f->stored_ts[f->nstored_ts++], ts, 48);
		} else if ((r = chk_recipient_no(role)) > 0 && strcmp(ev, "received") == 0 &&
			   chk_has_token(e, m->token)) {
			chk_ts(e, ts, sizeof(ts));
			r--;
			if (f->nseen[r] == 0)
				f->seen_ms[r] = chk_ms(e, t0);
			if (f->nseen[r] < CHK_MAX_TS && chk_find_ts(f->seen_ts[r], f->nseen[r], ts) < 0)
				str_copy(f->seen_ts[r][f->nseen[r]++], ts, 48);
		}
	}
	if (sending > m->attempts)
		m->attempts = sending;

	if (recipients > CHK_MAX_RECIPIENTS)
		recipients = CHK_MAX_RECIPIENTS;
	for (r = 0; r < CHK_MAX_RECIPIENTS; r++) {
		int stored_copies = 0, j;

		if (f->nseen[r] > m->delivered_max)
			m->delivered_max = f->nseen[r];
		for (j = 0; j < f->nseen[r]; j++) {
			if (chk_find_ts(f->stored_ts, f->nstored_ts, f->seen_ts[r][j]) >= 0) {
				stored_copies++;
				continue;
			}
			m->phantom_copies++;
			if (!f->phantom_recipient) {
				f->phantom_recipient = r + 1;
				str_copy(f->phantom_ts, f->seen_ts[r][j], sizeof(f->phantom_ts));
			}
		}
		if (stored_copies >= 2 && !f->dup_recipient)
			f->dup_recipient = r + 1;
		if (r < recipients && stored_copies == 0 && !f->unwatched) {
			m->recipients_missing++;
			if (!f->missing_recipient)
				f->missing_recipient = r + 1;
		}
	}
}

/* Is ts the ts of any stored row in the history? */
static bool chk_ts_stored(struct history *h, const char *ts)
{
	size_t i, n = history_len(h);
	char buf[48];

	for (i = 0; i < n; i++) {
		json_t *e = history_at(h, i);
		const char *role = chk_str(e, "role"), *ev = chk_str(e, "ev");

		if (!role || !ev || strcmp(role, "store") != 0 || strcmp(ev, "stored") != 0)
			continue;
		chk_ts(e, buf, sizeof(buf));
		if (strcmp(buf, ts) == 0)
			return true;
	}
	return false;
}

static void chk_classify(struct history *h, struct chk_message *m, const struct chk_facts *f)
{
	bool sent = strcmp(m->client_outcome, "sent") == 0;
	bool failed = strcmp(m->client_outcome, "failed") == 0;
	char shown[64];

	if (sent || failed)
		snprintf(shown, sizeof(shown), "client showed %s at %.0f ms after %d attempt%s",
			 sent ? "Sent" : "Failed", f->client_ms, m->attempts, m->attempts == 1 ? "" : "s");
	else
		snprintf(shown, sizeof(shown), "client never showed Sent or Failed");

	if (m->phantom_copies > 0) {
		m->cls = CHK_PHANTOM;
		snprintf(m->why, sizeof(m->why), "recipient%d saw a copy (ts %s) the store does not have; store has %d row%s",
			 f->phantom_recipient, f->phantom_ts, m->stored, m->stored == 1 ? "" : "s");
	} else if (m->stored >= 2 || f->dup_recipient) {
		m->cls = CHK_DUPLICATE;
		if (m->stored >= 2)
			snprintf(m->why, sizeof(m->why), "stored %d times; %s", m->stored, shown);
		else
			snprintf(m->why, sizeof(m->why), "recipient%d saw %d copies; store has %d row%s",
				 f->dup_recipient, f->nseen[f->dup_recipient - 1], m->stored,
				 m->stored == 1 ? "" : "s");
	} else if (m->stored == 0 && !failed) {
		m->cls = CHK_LOST;
		snprintf(m->why, sizeof(m->why), "%s; store has 0 rows", shown);
	} else if (f->parent_ts && m->stored > 0 && !chk_ts_stored(h, f->parent_ts)) {
		m->cls = CHK_ORPHAN_REPLY;
		snprintf(m->why, sizeof(m->why), "reply stored at %.0f ms, but its parent (ts %s) is not in the store",
			 f->stored_ms, f->parent_ts);
	} else if (m->stored > 0 && m->recipients_missing > 0) {
		m->cls = CHK_GAP;
		snprintf(m->why, sizeof(m->why), "stored (ts %s) but recipient%d never saw it%s",
			 f->stored_ts[0], f->missing_recipient,
			 m->recipients_missing > 1 ? " (nor did others)" : "");
	} else if (failed && m->stored == 0) {
		m->cls = CHK_FAILED_VISIBLE;
		snprintf(m->why, sizeof(m->why), "%s; not stored (honest failure)", shown);
	} else {
		m->cls = CHK_OK;
		snprintf(m->why, sizeof(m->why), "stored once (ts %s); %s", f->stored_ts[0], shown);
	}
}

static const char *chk_short(int c)
{
	static const char *const s[CHK_CLASS_COUNT] = {
		[CHK_OK] = "OK", [CHK_LOST] = "LOST", [CHK_DUPLICATE] = "DUP",
		[CHK_PHANTOM] = "PHANTOM", [CHK_FAILED_VISIBLE] = "FAILED", [CHK_GAP] = "GAP",
		[CHK_ORPHAN_REPLY] = "ORPHAN",
	};
	return s[c];
}

/* Bug classes in the order verdicts name them. */
static const int chk_verdict_order[] = { CHK_LOST, CHK_DUPLICATE, CHK_PHANTOM, CHK_GAP,
					 CHK_ORPHAN_REPLY };

static void chk_cat(char *buf, size_t len, const char *s)
{
	size_t l = strlen(buf);

	if (l + 1 < len)
		snprintf(buf + l, len - l, "%s", s);
}

/* "{m1,m3}" of the messages observed in class c, or "" when none. */
static void chk_observed_set(const struct chk_result *r, int c, char *buf, size_t len)
{
	int i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < r->nmsgs; i++) {
		if ((int)r->msgs[i].cls != c)
			continue;
		chk_cat(buf, len, n++ ? "," : "{");
		chk_cat(buf, len, r->msgs[i].id);
	}
	if (n)
		chk_cat(buf, len, "}");
}

static void chk_expected_set(const struct scn_class_expect *ce, char *buf, size_t len)
{
	int i;

	buf[0] = '\0';
	if (!ce->is_set) {
		snprintf(buf, len, "%d", ce->count);
		return;
	}
	chk_cat(buf, len, "{");
	for (i = 0; i < ce->nids; i++) {
		if (i)
			chk_cat(buf, len, ",");
		chk_cat(buf, len, ce->ids[i]);
	}
	chk_cat(buf, len, "}");
}

/* Does the observation of class c satisfy ce? */
static bool chk_matches(const struct chk_result *r, int c, const struct scn_class_expect *ce)
{
	int i, j;

	if (!ce->is_set)
		return r->counts[c] == ce->count;
	if (r->counts[c] != ce->nids)
		return false;
	for (j = 0; j < ce->nids; j++) {
		for (i = 0; i < r->nmsgs; i++)
			if ((int)r->msgs[i].cls == c && strcmp(r->msgs[i].id, ce->ids[j]) == 0)
				break;
		if (i == r->nmsgs)
			return false;
	}
	return true;
}

static bool chk_named(const struct scn_expect *exp, int c)
{
	return exp && exp->cls[c].named;
}

static void chk_compare(const struct scn_expect *exp, struct chk_result *r)
{
	char set[256], item[300], want[256] = "", got[256] = "";
	bool any_bug = false, want_bug = false;
	size_t k;
	int c, i;

	r->pass = true;
	r->verdict[0] = r->expected[0] = '\0';
	for (k = 0; k < ARRAY_LEN(chk_verdict_order); k++) {
		c = chk_verdict_order[k];
		if (r->counts[c]) {
			any_bug = true;
			chk_cat(r->verdict, sizeof(r->verdict), r->verdict[0] ? ", " : "");
			chk_cat(r->verdict, sizeof(r->verdict), chk_short(c));
			chk_cat(r->verdict, sizeof(r->verdict), " ");
			chk_observed_set(r, c, set, sizeof(set));
			set[strlen(set) - 1] = '\0';
			chk_cat(r->verdict, sizeof(r->verdict), set + 1);
		}
		if (chk_named(exp, c) && exp->cls[c].count > 0) {
			want_bug = true;
			chk_cat(r->expected, sizeof(r->expected), r->expected[0] ? ", " : "");
			chk_cat(r->expected, sizeof(r->expected), chk_short(c));
			if (exp->cls[c].is_set) {
				for (i = 0; i < exp->cls[c].nids; i++) {
					chk_cat(r->expected, sizeof(r->expected), i ? "," : " ");
					chk_cat(r->expected, sizeof(r->expected), exp->cls[c].ids[i]);
				}
			} else {
				snprintf(item, sizeof(item), " ×%d", exp->cls[c].count);
				chk_cat(r->expected, sizeof(r->expected), item);
			}
		}
	}
	if (!r->verdict[0])
		str_copy(r->verdict, "clean", sizeof(r->verdict));
	if (!r->expected[0])
		str_copy(r->expected, "clean", sizeof(r->expected));

	for (c = 0; c < CHK_CLASS_COUNT; c++) {
		if (c == CHK_OK)
			continue;
		/* What to show on each side: the named classes, and every class observed. */
		if (chk_named(exp, c)) {
			chk_expected_set(&exp->cls[c], set, sizeof(set));
			snprintf(item, sizeof(item), "%s%s=%s", want[0] ? " " : "", chk_class_name(c), set);
			chk_cat(want, sizeof(want), item);
			if (!chk_matches(r, c, &exp->cls[c]))
				r->pass = false;
		} else if (chk_class_is_bug(c) && r->counts[c]) {
			r->pass = false;
		}
		if (r->counts[c] && (chk_class_is_bug(c) || chk_named(exp, c))) {
			chk_observed_set(r, c, set, sizeof(set));
			snprintf(item, sizeof(item), "%s%s=%s", got[0] ? " " : "", chk_class_name(c), set);
			chk_cat(got, sizeof(got), item);
		}
	}
	if (r->pass) {
		r->reason[0] = '\0';
		return;
	}
	snprintf(r->reason, sizeof(r->reason), "expected %s, observed %s%s",
		 want_bug || want[0] ? want : "clean", got[0] ? got : "none",
		 want_bug && !any_bug ? ": the fault did not bite" : "");
}

int checker_run(struct history *h, const struct scn_expect *exp, int recipients,
		struct chk_result *out, char *err, size_t errlen)
{
	int64_t t0 = 0;

	if (history_len(h) > 0)
		t0 = json_integer_value(json_object_get(history_at(h, 0), "t"));
	return checker_run_at(h, exp, recipients, t0, out, err, errlen);
}

int checker_run_at(struct history *h, const struct scn_expect *exp, int recipients, int64_t t0_ns,
		   struct chk_result *out, char *err, size_t errlen)
{
	struct chk_facts *f = NULL;
	size_t i, n = history_len(h);
	long long t0 = t0_ns;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	f = calloc(CHK_MAX_MSGS, sizeof(*f));
	if (!f) {
		err_set(err, errlen, "checker: out of memory");
		goto done;
	}
	for (i = 0; i < n; i++) {
		json_t *e = history_at(h, i);
		const char *role = chk_str(e, "role"), *ev = chk_str(e, "ev");
		const char *id = chk_str(e, "id"), *token = chk_str(e, "token");
		struct chk_message *m;

		if (!role || !ev || strcmp(role, "acklab") != 0 || strcmp(ev, "send") != 0)
			continue;
		if (!id || !token || !*token) {
			err_set(err, errlen, "checker: a send entry without \"id\" or \"token\"");
			goto done;
		}
		if (out->nmsgs == CHK_MAX_MSGS) {
			err_set(err, errlen, "checker: more than %d messages", CHK_MAX_MSGS);
			goto done;
		}
		m = &out->msgs[out->nmsgs];
		str_copy(m->id, id, sizeof(m->id));
		str_copy(m->token, token, sizeof(m->token));
		f[out->nmsgs].parent_ts = chk_str(e, "parent_ts");
		f[out->nmsgs].unwatched = json_is_false(json_object_get(e, "watched"));
		out->nmsgs++;
	}
	if (out->nmsgs == 0) {
		err_set(err, errlen, "checker: the history has no send entries (the workload never ran)");
		goto done;
	}
	for (int k = 0; k < out->nmsgs; k++) {
		chk_observe(h, t0, recipients, &out->msgs[k], &f[k]);
		chk_classify(h, &out->msgs[k], &f[k]);
		out->counts[out->msgs[k].cls]++;
	}
	chk_compare(exp, out);
	rc = 0;
done:
	free(f);
	return rc;
}
