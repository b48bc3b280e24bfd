/*
 * Tests of the checker on canned histories (no network, no root): every
 * class is produced from the entries that define it, and the comparison
 * with expectations is two-sided: runs that must pass and runs that must
 * fail (a naive stack coming out clean when LOST is expected is a failure).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../harness/checker.h"
#include "util.h"

#define MS 1000000LL
#define T0 5000000000LL

static void add(struct history *h, const char *role, long long ms, json_t *obj)
{
	assert_non_null(history_add(h, role, obj, T0 + ms * MS));
}

static void add_send(struct history *h, const char *id, long long ms)
{
	char token[64];

	snprintf(token, sizeof(token), "acklab-5f2c-%s", id);
	add(h, "acklab", ms, json_pack("{s:s,s:s,s:s,s:s}", "ev", "send", "id", id, "token", token,
				       "channel", "general"));
}

static void add_client(struct history *h, const char *ev, const char *id, int attempts, long long ms)
{
	add(h, "client", ms, json_pack("{s:s,s:s,s:i}", "ev", ev, "id", id,
				       strcmp(ev, "sending") == 0 ? "attempt" : "attempts", attempts));
}

static void add_text(struct history *h, const char *role, const char *ev, const char *id,
		     const char *ts, long long ms)
{
	char text[128];

	snprintf(text, sizeof(text), "%s: message %s (acklab-5f2c-%s)", id, id, id);
	add(h, role, ms, json_pack("{s:s,s:s,s:s}", "ev", ev, "ts", ts, "text", text));
}

/* m sent, stored once as ts, seen by recipient1 (ok). */
static void add_ok(struct history *h, const char *id, const char *ts, long long ms)
{
	add_send(h, id, ms);
	add_client(h, "sending", id, 1, ms + 1);
	add_client(h, "sent", id, 1, ms + 5);
	add_text(h, "recipient1", "received", id, ts, ms + 6);
	add_text(h, "store", "stored", id, ts, 10000);
}

static struct scn_expect expect_of(int cls, const char *id, int count)
{
	struct scn_expect e;

	memset(&e, 0, sizeof(e));
	str_copy(e.stack, "*", sizeof(e.stack));
	if (cls >= 0) {
		e.cls[cls].named = true;
		if (id) {
			e.cls[cls].is_set = true;
			static char pool[16][1][SCN_ID_MAX];     /* expectations built here live as long as the test */
			static int next;

			e.cls[cls].ids = pool[next++ % 16];
			str_copy(e.cls[cls].ids[0], id, SCN_ID_MAX);
			e.cls[cls].nids = 1;
			e.cls[cls].count = 1;
		} else {
			e.cls[cls].count = count;
		}
	}
	return e;
}

/* Where chk_why() puts the sentence of an ok message. */
static char why_buf[256];

static void test_classes(void **state)
{
	struct history *h = history_new();
	struct chk_result r = { 0 };
	char err[256] = "";

	(void)state;
	add_ok(h, "m1", "100.000001", 0);
	/* m2: lost (client showed Sent, store has nothing; recipient saw nothing). */
	add_send(h, "m2", 100);
	add_client(h, "sending", "m2", 1, 101);
	add_client(h, "sent", "m2", 1, 412);
	/* m3: duplicate (stored twice after a resend). */
	add_send(h, "m3", 200);
	add_client(h, "sending", "m3", 1, 201);
	add_client(h, "sending", "m3", 2, 900);
	add_client(h, "sent", "m3", 2, 950);
	add_text(h, "recipient1", "received", "m3", "100.000003", 210);
	add_text(h, "recipient1", "received", "m3", "100.000004", 960);
	add_text(h, "store", "stored", "m3", "100.000003", 10000);
	add_text(h, "store", "stored", "m3", "100.000004", 10000);
	/* m4: phantom (a recipient saw a ts the store lacks). */
	add_send(h, "m4", 300);
	add_client(h, "sent", "m4", 1, 305);
	add_text(h, "recipient1", "received", "m4", "100.000005", 303);
	/* m5: failed-visible. */
	add_send(h, "m5", 400);
	add_client(h, "sending", "m5", 1, 401);
	add_client(h, "failed", "m5", 3, 700);
	/* m6: gap (stored, recipient never saw it). */
	add_send(h, "m6", 500);
	add_client(h, "sent", "m6", 1, 505);
	add_text(h, "store", "stored", "m6", "100.000006", 10000);
	/* r1: orphan reply (its parent ts is not stored). */
	add(h, "acklab", 600, json_pack("{s:s,s:s,s:s,s:s}", "ev", "send", "id", "r1", "token",
					"acklab-5f2c-r1", "parent_ts", "99.999"));
	add_client(h, "sent", "r1", 1, 605);
	add_text(h, "recipient1", "received", "r1", "100.000007", 606);
	add_text(h, "store", "stored", "r1", "100.000007", 10000);
	/* m7: the client never said anything and nothing is stored: lost. */
	add_send(h, "m7", 700);
	/* r2: a reply to m1, which is stored: ok. */
	add(h, "acklab", 800, json_pack("{s:s,s:s,s:s,s:s}", "ev", "send", "id", "r2", "token",
					"acklab-5f2c-r2", "parent_ts", "100.000001"));
	add_client(h, "sent", "r2", 1, 805);
	add_text(h, "recipient1", "received", "r2", "100.000008", 806);
	add_text(h, "store", "stored", "r2", "100.000008", 10000);

	chk_result_free(&r);
	assert_int_equal(checker_run(h, NULL, 1, &r, err, sizeof(err)), 0);
	assert_int_equal(r.nmsgs, 9);
	assert_string_equal(r.msgs[0].id, "m1");
	assert_int_equal(r.msgs[0].cls, CHK_OK);
	assert_string_equal(r.msgs[0].client_outcome, "sent");
	assert_int_equal(r.msgs[0].stored, 1);
	assert_int_equal(r.msgs[0].delivered_max, 1);
	assert_string_equal(chk_why(&r.msgs[0], why_buf, sizeof why_buf), "stored once (ts 100.000001); client showed Sent at 5 ms after 1 attempt");
	assert_int_equal(r.msgs[1].cls, CHK_LOST);
	assert_string_equal(chk_why(&r.msgs[1], why_buf, sizeof why_buf), "client showed Sent at 412 ms after 1 attempt; store has 0 rows");
	assert_int_equal(r.msgs[2].cls, CHK_DUPLICATE);
	assert_int_equal(r.msgs[2].attempts, 2);
	assert_int_equal(r.msgs[2].stored, 2);
	assert_int_equal(r.msgs[2].delivered_max, 2);
	assert_string_equal(chk_why(&r.msgs[2], why_buf, sizeof why_buf), "stored 2 times; client showed Sent at 950 ms after 2 attempts");
	assert_int_equal(r.msgs[3].cls, CHK_PHANTOM);
	assert_int_equal(r.msgs[3].phantom_copies, 1);
	assert_string_equal(chk_why(&r.msgs[3], why_buf, sizeof why_buf), "recipient1 saw a copy (ts 100.000005) the store does not have; store has 0 rows");
	assert_int_equal(r.msgs[4].cls, CHK_FAILED_VISIBLE);
	assert_string_equal(r.msgs[4].client_outcome, "failed");
	assert_int_equal(r.msgs[4].attempts, 3);
	assert_int_equal(r.msgs[5].cls, CHK_GAP);
	assert_int_equal(r.msgs[5].recipients_missing, 1);
	assert_string_equal(chk_why(&r.msgs[5], why_buf, sizeof why_buf), "stored (ts 100.000006) but recipient1 never saw it");
	assert_int_equal(r.msgs[6].cls, CHK_ORPHAN_REPLY);
	assert_int_equal(r.msgs[7].cls, CHK_LOST);
	assert_string_equal(r.msgs[7].client_outcome, "none");
	assert_string_equal(chk_why(&r.msgs[7], why_buf, sizeof why_buf), "client never showed Sent or Failed; store has 0 rows");
	assert_int_equal(r.msgs[8].cls, CHK_OK);
	assert_int_equal(r.counts[CHK_LOST], 2);
	assert_int_equal(r.counts[CHK_OK], 2);
	assert_false(r.pass);
	assert_string_equal(r.verdict, "LOST m2,m7, DUP m3, PHANTOM m4, GAP m6, ORPHAN r1, FAILED m5");
	assert_string_equal(r.expected, "clean");
	assert_string_equal(r.reason, "expected clean, observed lost={m2,m7} duplicate={m3} phantom={m4} "
			    "failed-visible={m5} gap={m6} orphan-reply={r1}");
	chk_result_free(&r);
	history_free(h);
}

static void test_recipient_duplicate(void **state)
{
	struct history *h = history_new();
	struct chk_result r = { 0 };
	char err[256];

	(void)state;
	/* The same copy shown twice (same ts) is one stored copy pushed twice: dup-push, not duplicate. */
	add_ok(h, "m1", "1.1", 0);
	add_text(h, "recipient1", "received", "m1", "1.1", 50);
	chk_result_free(&r);
	assert_int_equal(checker_run(h, NULL, 1, &r, err, sizeof(err)), 0);
	assert_int_equal(r.msgs[0].cls, CHK_DUP_PUSH);
	assert_int_equal(r.msgs[0].pushes_max, 2);
	assert_int_equal(r.msgs[0].delivered_max, 1);
	assert_false(r.pass);
	assert_string_equal(r.verdict, "DUP-PUSH m1");
	assert_string_equal(chk_why(&r.msgs[0], why_buf, sizeof why_buf), "recipient1 was shown the stored copy (ts 1.1) 2 times");
	chk_result_free(&r);
	/* A second recipient that never saw m1: the gap is the lesser class, dup-push stays. */
	chk_result_free(&r);
	assert_int_equal(checker_run(h, NULL, 2, &r, err, sizeof(err)), 0);
	assert_int_equal(r.msgs[0].cls, CHK_DUP_PUSH);
	assert_int_equal(r.msgs[0].recipients_missing, 1);
	chk_result_free(&r);
	chk_result_free(&r);
	history_free(h);
}

/* A message to a channel the recipients do not follow is no gap when they miss it. */
static void test_unwatched_channel(void **state)
{
	struct history *h = history_new();
	struct chk_result r = { 0 };
	char err[256];

	(void)state;
	add(h, "acklab", 0, json_pack("{s:s,s:s,s:s,s:s,s:b}", "ev", "send", "id", "m1", "token",
				       "acklab-5f2c-m1", "channel", "random", "watched", 0));
	add_client(h, "sent", "m1", 1, 5);
	add_text(h, "store", "stored", "m1", "2.1", 10000);
	add(h, "acklab", 20, json_pack("{s:s,s:s,s:s,s:s,s:b}", "ev", "send", "id", "m2", "token",
					"acklab-5f2c-m2", "channel", "general", "watched", 1));
	add_client(h, "sent", "m2", 1, 25);
	add_text(h, "store", "stored", "m2", "2.2", 10000);
	chk_result_free(&r);
	assert_int_equal(checker_run(h, NULL, 1, &r, err, sizeof(err)), 0);
	assert_int_equal(r.msgs[0].cls, CHK_OK);       /* #random: recipients were never meant to see it */
	assert_int_equal(r.msgs[1].cls, CHK_GAP);      /* #general: recipient1 should have seen it */
	chk_result_free(&r);
	history_free(h);
}

/* The ws-naive crash-before-persist cell: LOST m3 expected. */
static struct history *naive_history(bool fault_bit)
{
	struct history *h = history_new();

	add_ok(h, "m1", "7.1", 0);
	add_ok(h, "m2", "7.2", 100);
	add_send(h, "m3", 200);
	add_client(h, "sending", "m3", 1, 201);
	add_client(h, "sent", "m3", 1, 202);
	if (!fault_bit) {
		add_text(h, "recipient1", "received", "m3", "7.3", 206);
		add_text(h, "store", "stored", "m3", "7.3", 10000);
	}
	return h;
}

static void test_two_sided(void **state)
{
	struct scn_expect lost_m3 = expect_of(CHK_LOST, "m3", 0);
	struct scn_expect lost_1 = expect_of(CHK_LOST, NULL, 1);
	struct scn_expect lost_m2 = expect_of(CHK_LOST, "m2", 0);
	struct scn_expect clean = expect_of(-1, NULL, 0);
	struct history *h;
	struct chk_result r = { 0 };
	char err[256];

	(void)state;
	/* Must pass: the fault bit and the expectation says so. */
	h = naive_history(true);
	chk_result_free(&r);
	assert_int_equal(checker_run(h, &lost_m3, 1, &r, err, sizeof(err)), 0);
	assert_true(r.pass);
	assert_string_equal(r.verdict, "LOST m3");
	assert_string_equal(r.expected, "LOST m3");
	chk_result_free(&r);
	assert_int_equal(checker_run(h, &lost_1, 1, &r, err, sizeof(err)), 0);
	assert_true(r.pass);
	assert_string_equal(r.expected, "LOST ×1");
	/* The wrong message lost: fail. */
	chk_result_free(&r);
	assert_int_equal(checker_run(h, &lost_m2, 1, &r, err, sizeof(err)), 0);
	assert_false(r.pass);
	assert_string_equal(r.reason, "expected lost={m2}, observed lost={m3}");
	/* A clean expectation on a lossy run: fail. */
	chk_result_free(&r);
	assert_int_equal(checker_run(h, &clean, 1, &r, err, sizeof(err)), 0);
	assert_false(r.pass);
	assert_string_equal(r.reason, "expected clean, observed lost={m3}");
	chk_result_free(&r);
	history_free(h);

	/* Must fail: the naive stack came out clean, so the fault did not bite. */
	h = naive_history(false);
	chk_result_free(&r);
	assert_int_equal(checker_run(h, &lost_m3, 1, &r, err, sizeof(err)), 0);
	assert_false(r.pass);
	assert_string_equal(r.verdict, "clean");
	assert_string_equal(r.reason, "expected lost={m3}, observed none: the fault did not bite");
	chk_result_free(&r);
	assert_int_equal(checker_run(h, &lost_1, 1, &r, err, sizeof(err)), 0);
	assert_false(r.pass);
	assert_string_equal(r.reason, "expected lost=1, observed none: the fault did not bite");
	chk_result_free(&r);
	assert_int_equal(checker_run(h, &clean, 1, &r, err, sizeof(err)), 0);
	assert_true(r.pass);

	/* An extra duplicate on top of the expected loss: fail. */
	add_text(h, "store", "stored", "m1", "7.9", 10001);
	chk_result_free(&r);
	assert_int_equal(checker_run(h, &clean, 1, &r, err, sizeof(err)), 0);
	assert_false(r.pass);
	assert_string_equal(r.verdict, "DUP m1");
	assert_string_equal(r.reason, "expected clean, observed duplicate={m1}");
	chk_result_free(&r);
	history_free(h);
}

static void test_failed_visible_named(void **state)
{
	struct scn_expect fv = expect_of(CHK_FAILED_VISIBLE, "m1", 0);
	struct scn_expect fv0 = expect_of(CHK_FAILED_VISIBLE, NULL, 0);
	struct scn_expect clean = expect_of(-1, NULL, 0);
	struct history *h = history_new();
	struct chk_result r = { 0 };
	char err[256];

	(void)state;
	add_send(h, "m1", 0);
	add_client(h, "failed", "m1", 2, 30);
	/* Not named: a failure the scenario did not expect is a failure of the cell. */
	chk_result_free(&r);
	assert_int_equal(checker_run(h, &clean, 1, &r, err, sizeof(err)), 0);
	assert_false(r.pass);
	assert_string_equal(r.verdict, "FAILED m1");
	assert_string_equal(r.reason, "expected clean, observed failed-visible={m1}");
	chk_result_free(&r);
	assert_int_equal(checker_run(h, &fv, 1, &r, err, sizeof(err)), 0);
	assert_true(r.pass);
	/* Named as none: the failure is a mismatch. */
	chk_result_free(&r);
	assert_int_equal(checker_run(h, &fv0, 1, &r, err, sizeof(err)), 0);
	assert_false(r.pass);
	assert_string_equal(r.reason, "expected failed-visible=0, observed failed-visible={m1}");
	chk_result_free(&r);
	history_free(h);
}

static void test_unusable(void **state)
{
	struct history *h = history_new();
	struct chk_result r = { 0 };
	char err[256];

	(void)state;
	chk_result_free(&r);
	assert_int_equal(checker_run(h, NULL, 1, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "checker: the history has no send entries (the workload never ran)");
	chk_result_free(&r);
	history_free(h);
}

/* m1 and m10..m12: a copy of m10 is not a copy of m1 (tokens match whole). */
static void test_whole_tokens(void **state)
{
	struct history *h = history_new();
	struct chk_result r = { 0 };
	char err[256], id[8], ts[16];

	(void)state;
	for (int i = 1; i <= 12; i++) {
		snprintf(id, sizeof id, "m%d", i);
		snprintf(ts, sizeof ts, "1.%d", i);
		add_ok(h, id, ts, i * 10);
	}
	assert_int_equal(checker_run(h, NULL, 1, &r, err, sizeof(err)), 0);
	assert_int_equal(r.nmsgs, 12);
	assert_string_equal(r.verdict, "clean");
	assert_int_equal(r.msgs[0].stored, 1);
	assert_int_equal(r.msgs[0].delivered_max, 1);
	assert_true(r.pass);
	chk_result_free(&r);
	history_free(h);
}

static void test_failed_stored_and_ts_mismatch(void **state)
{
	struct history *h = history_new();
	struct chk_result r = { 0 };
	char err[256];

	(void)state;
	/* m1: the client gave up, but the server had stored it. */
	add_send(h, "m1", 0);
	add_client(h, "failed", "m1", 3, 30);
	add_text(h, "recipient1", "received", "m1", "1.1", 20);
	add_text(h, "store", "stored", "m1", "1.1", 10000);
	/* m2: Sent with a ts the store does not hold for m2 (a dedup hit answered with a new ts). */
	add_send(h, "m2", 100);
	add(h, "client", 105, json_pack("{s:s,s:s,s:i,s:s}", "ev", "sent", "id", "m2", "attempts", 2,
					"ts", "1.9"));
	add_text(h, "recipient1", "received", "m2", "1.2", 106);
	add_text(h, "store", "stored", "m2", "1.2", 10000);
	assert_int_equal(checker_run(h, NULL, 1, &r, err, sizeof(err)), 0);
	assert_int_equal(r.msgs[0].cls, CHK_FAILED_STORED);
	assert_string_equal(chk_why(&r.msgs[0], why_buf, sizeof why_buf), "client showed Failed at 30 ms after 3 attempts, yet the store "
			    "has it (ts 1.1): a retry by hand will store it twice");
	assert_int_equal(r.msgs[1].cls, CHK_TS_MISMATCH);
	assert_string_equal(chk_why(&r.msgs[1], why_buf, sizeof why_buf), "client showed Sent with ts 1.9; the store holds it as ts 1.2");
	assert_string_equal(r.verdict, "FAILED-STORED m1, TS-MISMATCH m2");
	assert_false(r.pass);
	chk_result_free(&r);
	history_free(h);
}

/* A server that gives no ts: the store and the recipients agree through the token alone. */
static void test_no_ts(void **state)
{
	struct history *h = history_new();
	struct chk_result r = { 0 };
	char err[256];

	(void)state;
	add_ok(h, "m1", "", 0);
	add_ok(h, "m2", "", 10);
	add_send(h, "m3", 20);
	add_client(h, "sent", "m3", 1, 25);
	add_text(h, "recipient1", "received", "m3", "", 26);      /* shown, never stored */
	assert_int_equal(checker_run(h, NULL, 1, &r, err, sizeof(err)), 0);
	assert_int_equal(r.msgs[0].cls, CHK_OK);
	assert_int_equal(r.msgs[1].cls, CHK_OK);
	assert_int_equal(r.msgs[2].cls, CHK_PHANTOM);
	chk_result_free(&r);
	history_free(h);
}

static void test_reordered(void **state)
{
	struct history *h = history_new();
	struct chk_result r = { 0 };
	char err[256];

	(void)state;
	/* Stored m1, m2, m3; recipient1 is pushed m2, m1, m3. */
	add_send(h, "m1", 0);
	add_client(h, "sent", "m1", 1, 5);
	add_send(h, "m2", 10);
	add_client(h, "sent", "m2", 1, 15);
	add_text(h, "recipient1", "received", "m2", "1.2", 16);
	add_text(h, "recipient1", "received", "m1", "1.1", 17);
	add_text(h, "store", "stored", "m1", "1.1", 10000);     /* the store's order: m1, m2, m3 */
	add_text(h, "store", "stored", "m2", "1.2", 10000);
	add_ok(h, "m3", "1.3", 20);
	assert_int_equal(checker_run(h, NULL, 1, &r, err, sizeof(err)), 0);
	assert_int_equal(r.msgs[0].cls, CHK_REORDERED);
	assert_string_equal(chk_why(&r.msgs[0], why_buf, sizeof why_buf), "pushed after m2, which the store holds after it");
	assert_int_equal(r.msgs[1].cls, CHK_OK);
	assert_int_equal(r.msgs[2].cls, CHK_OK);
	assert_string_equal(r.verdict, "REORDERED m1");
	chk_result_free(&r);
	/* A catch-up read after a reconnect may come after newer pushes: not a reorder. */
	history_free(h);
	h = history_new();
	add_send(h, "m1", 0);
	add_client(h, "sent", "m1", 1, 5);
	add_ok(h, "m2", "1.2", 10);
	add(h, "recipient1", 30, json_pack("{s:s,s:s,s:s,s:s}", "ev", "received", "ts", "1.1", "text",
					   "m1 (acklab-5f2c-m1)", "via", "catchup"));
	add_text(h, "store", "stored", "m1", "1.1", 9999);
	assert_int_equal(checker_run(h, NULL, 1, &r, err, sizeof(err)), 0);
	assert_string_equal(r.verdict, "clean");
	chk_result_free(&r);
	history_free(h);
}

static void test_attempts(void **state)
{
	struct scn_expect e = expect_of(-1, NULL, 0);
	struct history *h = history_new();
	struct chk_result r = { 0 };
	char err[256];

	(void)state;
	add_ok(h, "m1", "1.1", 0);
	add_send(h, "m2", 10);
	add_client(h, "sending", "m2", 1, 11);
	add_client(h, "sending", "m2", 2, 12);
	add_client(h, "sending", "m2", 3, 13);
	add_client(h, "sent", "m2", 3, 14);
	add_text(h, "recipient1", "received", "m2", "1.2", 15);
	add_text(h, "store", "stored", "m2", "1.2", 10000);
	e.attempts[0] = (struct scn_attempts_expect){ "m2", '=', 1, { 9, 20 } };
	e.attempts[1] = (struct scn_attempts_expect){ "m1", '<', 1, { 9, 40 } };
	e.nattempts = 2;
	assert_int_equal(checker_run(h, &e, 1, &r, err, sizeof(err)), 0);
	assert_int_equal(r.msgs[1].attempts, 3);
	assert_false(r.pass);
	assert_string_equal(r.verdict, "clean");
	assert_string_equal(r.reason, "expected attempts(m2)=1, observed 3");
	chk_result_free(&r);
	e.attempts[0].op = '>';
	e.attempts[0].n = 3;
	assert_int_equal(checker_run(h, &e, 1, &r, err, sizeof(err)), 0);
	assert_true(r.pass);
	chk_result_free(&r);
	history_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_recipient_duplicate),
		cmocka_unit_test(test_unwatched_channel),
		cmocka_unit_test(test_two_sided),
		cmocka_unit_test(test_failed_visible_named),
		cmocka_unit_test(test_unusable),
		cmocka_unit_test(test_whole_tokens),
		cmocka_unit_test(test_failed_stored_and_ts_mismatch),
		cmocka_unit_test(test_no_ts),
		cmocka_unit_test(test_reordered),
		cmocka_unit_test(test_attempts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
