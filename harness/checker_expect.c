/*
 * checker_expect: the comparison of a cell's classified messages with what
 * the scenario expects for its stack (checker.h): every class as named,
 * every class not named empty (failed-visible too), attempts(MSG) checks,
 * and the verdict, expectation and reason said in words. It reads only the
 * result, so a stored result can be compared again.
 */
#include <stdio.h>
#include <string.h>

#include "checker.h"
#include "util.h"

/* The message with this id, or -1 (expectations name few ids: a scan is enough). */
static int chk_message_of(const struct chk_result *r, const char *id)
{
	for (int i = 0; i < r->nmsgs; i++)
		if (strcmp(r->msgs[i].id, id) == 0)
			return i;
	return -1;
}

/* Classes in the order verdicts name them. */
static const int chk_verdict_order[] = { CHK_LOST, CHK_DUPLICATE, CHK_PHANTOM, CHK_GAP,
					 CHK_ORPHAN_REPLY, CHK_FAILED_STORED, CHK_TS_MISMATCH,
					 CHK_DUP_PUSH, CHK_REORDERED, CHK_BOT_LOST, CHK_BOT_DUP,
					 CHK_FAILED_VISIBLE };

static void chk_cat(char *buf, size_t len, const char *s)
{
	size_t l = strlen(buf);

	if (l + 1 < len)
		snprintf(buf + l, len - l, "%s", s);
}

/*
 * "m1,m3" of the messages observed in class c, or "" when none; with more
 * than most (0: no limit), the first few and "+N more", so a big cell's
 * verdict stays one readable line.
 */
static void chk_observed_ids(const struct chk_result *r, int c, char *buf, size_t len, int most)
{
	int n = 0;

	buf[0] = '\0';
	for (int i = 0; i < r->nmsgs; i++) {
		if ((int)r->msgs[i].cls != c)
			continue;
		if (most && n == most - 1 && r->counts[c] > most) {
			char more[32];

			snprintf(more, sizeof more, ",+%d more", r->counts[c] - n);
			chk_cat(buf, len, more);
			return;
		}
		if (n++)
			chk_cat(buf, len, ",");
		chk_cat(buf, len, r->msgs[i].id);
	}
}

static void chk_expected_set(const struct scn_class_expect *ce, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!ce->is_set) {
		snprintf(buf, len, "%s%d", ce->at_most ? "<=" : "", ce->count);
		return;
	}
	chk_cat(buf, len, "{");
	for (int i = 0; i < ce->nids; i++) {
		if (i)
			chk_cat(buf, len, ",");
		chk_cat(buf, len, ce->ids[i]);
	}
	chk_cat(buf, len, "}");
}

/* Does the observation of class c satisfy ce? */
static bool chk_matches(const struct chk_result *r, int c, const struct scn_class_expect *ce)
{

	if (!ce->is_set)
		return ce->at_most ? r->counts[c] <= ce->count : r->counts[c] == ce->count;
	if (r->counts[c] != ce->nids)
		return false;
	for (int j = 0; j < ce->nids; j++) {
		int m = chk_message_of(r, ce->ids[j]);

		if (m < 0 || (int)r->msgs[m].cls != c)
			return false;
	}
	return true;
}

static bool chk_named(const struct scn_expect *exp, int c)
{
	return exp && exp->cls[c].named;
}

/* attempts(m2)=1, >=, <=: each one that does not hold, said in reason. */
static bool chk_attempts(const struct chk_result *r, const struct scn_expect *exp, char *why, size_t len)
{
	bool ok = true;

	why[0] = '\0';
	for (int i = 0; exp && i < exp->nattempts; i++) {
		const struct scn_attempts_expect *a = &exp->attempts[i];
		int m = chk_message_of(r, a->id);
		int got = m >= 0 ? r->msgs[m].attempts : 0;
		bool holds = a->op == '=' ? got == a->n : a->op == '>' ? got >= a->n : got <= a->n;
		char item[160];

		if (holds)
			continue;
		ok = false;
		snprintf(item, sizeof item, "%sattempts(%s)%s%d, observed %d", why[0] ? "; " : "", a->id,
			 a->op == '=' ? "=" : a->op == '>' ? ">=" : "<=", a->n, got);
		chk_cat(why, len, item);
	}
	return ok;
}

void chk_compare(struct chk_result *r, const struct scn_expect *exp)
{
	char set[200], item[260], want[256] = "", got[256] = "", attempts[256];
	bool any_bug = false, want_bug = false;

	r->pass = true;
	r->verdict[0] = r->expected[0] = '\0';
	for (size_t k = 0; k < ARRAY_LEN(chk_verdict_order); k++) {
		int c = chk_verdict_order[k];

		if (r->counts[c]) {
			any_bug = any_bug || chk_class_is_bug(c);
			chk_observed_ids(r, c, set, sizeof set, 6);
			snprintf(item, sizeof item, "%s%s %s", r->verdict[0] ? ", " : "", chk_class_short(c), set);
			chk_cat(r->verdict, sizeof r->verdict, item);
		}
		if (chk_named(exp, c) && exp->cls[c].count > 0) {
			want_bug = want_bug || (chk_class_is_bug(c) && !exp->cls[c].at_most);   /* a bound asks no bite */
			if (exp->cls[c].is_set) {
				chk_expected_set(&exp->cls[c], set, sizeof set);
				set[strlen(set) - 1] = '\0';
				snprintf(item, sizeof item, "%s%s %s", r->expected[0] ? ", " : "",
					 chk_class_short(c), set + 1);
			} else {
				snprintf(item, sizeof item, "%s%s %s%d", r->expected[0] ? ", " : "",
					 chk_class_short(c), exp->cls[c].at_most ? "≤" : "×", exp->cls[c].count);
			}
			chk_cat(r->expected, sizeof r->expected, item);
		}
	}
	if (!r->verdict[0])
		str_copy(r->verdict, "clean", sizeof r->verdict);
	if (!r->expected[0])
		str_copy(r->expected, "clean", sizeof r->expected);

	for (int c = 0; c < CHK_CLASS_COUNT; c++) {
		if (c == CHK_OK)
			continue;
		/* Every class must be as named; one not named must be empty (failed-visible too). */
		if (chk_named(exp, c)) {
			chk_expected_set(&exp->cls[c], set, sizeof set);
			snprintf(item, sizeof item, "%s%s%s%s", want[0] ? " " : "", chk_class_name(c),
				 exp->cls[c].at_most ? "" : "=", set);
			chk_cat(want, sizeof want, item);
			if (!chk_matches(r, c, &exp->cls[c]))
				r->pass = false;
		} else if (r->counts[c]) {
			r->pass = false;
		}
		if (r->counts[c]) {
			chk_observed_ids(r, c, set, sizeof set, 12);
			snprintf(item, sizeof item, "%s%s={%s}", got[0] ? " " : "", chk_class_name(c), set);
			chk_cat(got, sizeof got, item);
		}
	}
	if (!chk_attempts(r, exp, attempts, sizeof attempts))
		r->pass = false;
	if (r->pass) {
		r->reason[0] = '\0';
		return;
	}
	if (attempts[0] && !strcmp(want[0] ? want : "", got))
		snprintf(r->reason, sizeof r->reason, "expected %s", attempts);
	else
		snprintf(r->reason, sizeof r->reason, "expected %s, observed %s%s%s%s",
			 want[0] ? want : "clean", got[0] ? got : "none",
			 want_bug && !any_bug ? ": the fault did not bite" : "", attempts[0] ? "; " : "",
			 attempts);
}

