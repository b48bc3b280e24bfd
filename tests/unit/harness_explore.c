/*
 * Tests of generated workloads and random fault schedules, without a
 * network: the workload statement's sends (ids, senders, channels, the rate
 * kept without drift), `send ... from clientK`, the nemesis statement and
 * its errors, the seeded draw (the same seed gives the same schedule, other
 * seeds others; faults never overlap), the weave (faults land between
 * sends, after an await of the messages before them), the text written
 * back (it parses into the same steps, with may-miss added), and expect
 * CLASS<=N judged by the checker.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../harness/checker.h"
#include "../../harness/explore.h"
#include "../../harness/scenario.h"

static struct scenario *parse_ok(const char *text)
{
	struct scenario *s = NULL;
	char err[1024] = "";

	if (scenario_parse_string("t.scn", text, &s, err, sizeof err) != 0)
		fail_msg("parse failed: %s", err);
	return s;
}

static void parse_err(const char *text, const char *want)
{
	struct scenario *s = NULL;
	char err[1024] = "";

	assert_int_equal(scenario_parse_string("t.scn", text, &s, err, sizeof err), -1);
	assert_null(s);
	assert_string_equal(err, want);
}

static void test_workload(void **state)
{
	struct scenario *s = parse_ok("scenario w\n"
				      "workload clients 3 messages 7 rate 300 recipients 2 channels 2\n"
				      "expect * clean\n");
	static const char *const ids[] = { "w1.1", "w2.1", "w3.1", "w1.2", "w2.2", "w3.2", "w1.3" };
	static const char *const roles[] = { "", "client2", "client3", "", "client2", "client3", "" };
	int send = 0, waited = 0;

	(void)state;
	assert_int_equal(s->clients, 3);
	assert_int_equal(s->recipients, 2);
	assert_int_equal(s->nmsgs, 7);
	assert_int_equal(s->settle_ms, 10000);      /* a workload settles as long as it needs, at most 10 s */
	for (int i = 0; i < s->nsteps; i++) {
		const struct scn_step *st = &s->steps[i];

		if (st->kind == SCN_WAIT) {
			waited += st->ms;
			continue;
		}
		assert_int_equal(st->kind, SCN_SEND);
		/* send i goes at floor(i * 1000 / 300) ms: 0 3 6 10 13 16 20, no drift */
		assert_int_equal(waited, send * 1000 / 300);
		assert_string_equal(st->msg_id, ids[send]);
		assert_string_equal(s->msg_ids[send], ids[send]);
		assert_string_equal(st->role, roles[send]);
		/* each client's messages turn over the channels: its first to general (""), its second to random */
		assert_string_equal(st->channel, send / 3 % 2 ? "random" : "");
		send++;
	}
	assert_int_equal(send, 7);
	scenario_free(s);
}

static void test_send_from(void **state)
{
	struct scenario *s = parse_ok("scenario f\nsend a1 from client4\nsend a2\n"
				      "await client4 done a1\nexpect * clean\n");

	(void)state;
	assert_int_equal(s->clients, 4);
	assert_string_equal(s->steps[0].role, "client4");
	assert_string_equal(s->steps[1].role, "");
	scenario_free(s);
	parse_err("scenario f\nsend a1 from clint2\nexpect * clean\n",
		  "t.scn:2:14: bad sender 'clint2' (expected client or client2..client16) (did you mean 'client'?)");
	parse_err("scenario f\nsend a1 from client2\nawait client3 done a1\nexpect * clean\n",
		  "t.scn:3:7: unknown role 'client3' (did you mean 'client'?) (expected a role: client, client2, "
		  "server, recipient1)");
}

static void test_workload_errors(void **state)
{
	(void)state;
	parse_err("scenario w\nworkload clients 2 messages 10\nexpect * clean\n",
		  "t.scn:2:31: a workload needs clients, messages and rate (expected: workload clients K "
		  "messages N rate R [recipients M] [channels C])");
	parse_err("scenario w\nworkload clients 2 messages 10 rate 5 chanels 2\nexpect * clean\n",
		  "t.scn:2:39: unknown workload setting 'chanels' (did you mean 'channels'?)");
	parse_err("scenario w\nworkload clients 17 messages 10 rate 5\nexpect * clean\n",
		  "t.scn:2:18: bad clients count '17' (expected a number 1..16)");
}

static void test_nemesis(void **state)
{
	struct scenario *s = parse_ok("scenario n\nsend m1\n"
				      "nemesis crash,drop-replies every 300ms±100ms for 2s\nexpect * clean\n");

	(void)state;
	assert_int_equal(s->nemesis.nfaults, 2);
	assert_string_equal(s->nemesis.faults[1], "drop-replies");
	assert_int_equal(s->nemesis.every_ms, 300);
	assert_int_equal(s->nemesis.jitter_ms, 100);
	assert_int_equal(s->nemesis.for_ms, 2000);
	scenario_free(s);
	s = parse_ok("scenario n\nsend m1\nnemesis partition every 1s\nexpect * clean\n");
	assert_int_equal(s->nemesis.jitter_ms, 0);
	assert_int_equal(s->nemesis.for_ms, 500);     /* half of every */
	scenario_free(s);
	parse_err("scenario n\nsend m1\nnemesis crash,drop-reply every 300ms\nexpect * clean\n",
		  "t.scn:3:15: nemesis cannot draw 'drop-reply' (did you mean 'drop-replies'?) (it draws: crash, "
		  "pause, drop-replies, evict-nat, partition, delay, drop, reset, loss, disk-full)");
	parse_err("scenario n\nsend m1\nnemesis crash every 300ms±300ms\nexpect * clean\n",
		  "t.scn:3:21: jitter 300 ms is not below the interval 300 ms");
	parse_err("scenario n\nsend m1\nnemesis crash each 300ms\nexpect * clean\n",
		  "t.scn:3:15: unexpected 'each' (expected: nemesis FAULT[,FAULT...] every D±J [for D])");
}

static void draw(const char *text, uint64_t seed, struct scenario **s, struct explore_schedule *sch)
{
	char err[256] = "";

	*s = parse_ok(text);
	if (explore_draw(&(*s)->nemesis, NULL, explore_horizon_ms(*s), seed, sch, err, sizeof err) != 0)
		fail_msg("draw: %s", err);
}

static const char nemesis_text[] =
	"scenario n\nworkload clients 2 messages 400 rate 100\n"
	"nemesis crash,drop-replies,evict-nat every 300ms±100ms for 120ms\nexpect * clean\n";

static void test_draw_by_seed(void **state)
{
	struct scenario *s;
	struct explore_schedule a, b, c;
	int applied = 0, healed = 0, open_until = -1;

	(void)state;
	draw(nemesis_text, 42, &s, &a);
	scenario_free(s);
	draw(nemesis_text, 42, &s, &b);
	scenario_free(s);
	draw(nemesis_text, 43, &s, &c);
	assert_int_equal(explore_horizon_ms(s), 3990);
	assert_true(a.n > 10);
	assert_int_equal(a.n, b.n);
	for (int i = 0; i < a.n; i++) {
		assert_int_equal(a.ev[i].t_ms, b.ev[i].t_ms);
		assert_memory_equal(&a.ev[i].step, &b.ev[i].step, sizeof a.ev[i].step);
	}
	assert_true(a.n != c.n || memcmp(a.ev, c.ev, (size_t)a.n * sizeof *a.ev) != 0);
	for (int i = 0; i < a.n; i++) {
		const struct scn_step *st = &a.ev[i].step;

		assert_true(a.ev[i].t_ms < 3990 + 120);
		if (i)
			assert_true(a.ev[i].t_ms >= a.ev[i - 1].t_ms);
		if (st->kind == SCN_HEAL || strcmp(st->fault.name, "restart") == 0) {
			healed++;
			continue;
		}
		/* A fault starts only after the one before it has ended, 200..400 ms after it began. */
		assert_true(a.ev[i].t_ms > open_until);
		applied++;
		if (strcmp(st->fault.name, "crash") == 0) {
			assert_string_equal(st->fault.args[0], "server");
			open_until = a.ev[i].t_ms + 120;
		} else if (strcmp(st->fault.name, "drop-replies") == 0) {
			assert_int_equal(st->fault.nargs, 2);
			open_until = a.ev[i].t_ms + 120;
		} else {
			assert_string_equal(st->fault.name, "evict-nat");
			open_until = a.ev[i].t_ms;
		}
	}
	assert_true(applied > 5 && healed <= applied);
	explore_schedule_free(&a);
	explore_schedule_free(&b);
	explore_schedule_free(&c);
	scenario_free(s);
	assert_int_not_equal(explore_nonce(1), explore_nonce(2));
	assert_int_equal(explore_nonce(7), explore_nonce(7));
}

/* Woven: faults between sends, after awaits of every client's latest message; nothing lost, nothing added. */
static void test_weave_and_render(void **state)
{
	struct scenario *s, *back;
	struct explore_schedule sch;
	struct scn_step *steps;
	char err[512] = "", *text;
	int n = 0, sends = 0, faults = 0, waited = 0, waited_src = 0;

	(void)state;
	draw(nemesis_text, 5, &s, &sch);
	steps = explore_weave(s, &sch, &n);
	assert_non_null(steps);
	for (int i = 0; i < n; i++) {
		sends += steps[i].kind == SCN_SEND;
		waited += steps[i].kind == SCN_WAIT ? steps[i].ms : 0;
		if (steps[i].kind != SCN_FAULT)
			continue;
		faults++;
		if (strcmp(steps[i].fault.name, "restart") == 0) {
			/* A restart ends a crash: the messages waiting for the server must not hold it back. */
			assert_int_not_equal(steps[i - 1].kind, SCN_AWAIT);
			continue;
		}
		/* Just before a fault: the awaits of both clients' latest messages (or the fault before). */
		assert_int_equal(steps[i - 1].kind, SCN_AWAIT);
		assert_string_equal(steps[i - 1].ev, "done");
	}
	for (int i = 0; i < s->nsteps; i++)
		waited_src += s->steps[i].kind == SCN_WAIT ? s->steps[i].ms : 0;
	assert_int_equal(sends, 400);
	assert_true(waited >= waited_src);
	text = explore_render(s, nemesis_text, steps, n, "drawn for a test\nsecond line", NULL, true, err,
			      sizeof err);
	assert_non_null(text);
	assert_non_null(strstr(text, "# drawn for a test\n# second line\n"));
	assert_non_null(strstr(text, "\nexpect * clean may-miss\n"));
	assert_null(strstr(text, "nemesis"));
	assert_null(strstr(text, "workload"));
	if (scenario_parse_string("drawn.scn", text, &back, err, sizeof err) != 0)
		fail_msg("the drawn scenario does not parse: %s", err);
	assert_int_equal(back->nsteps, n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(back->steps[i].kind, steps[i].kind);
		assert_string_equal(back->steps[i].msg_id, steps[i].msg_id);
		assert_string_equal(back->steps[i].role, steps[i].role);
		assert_string_equal(back->steps[i].fault.name, steps[i].fault.name);
		assert_int_equal(back->steps[i].ms, steps[i].ms);
	}
	assert_int_equal(back->clients, 2);
	assert_int_equal(faults > 0, 1);
	assert_true(back->expects[0].may_miss);
	scenario_free(back);
	free(text);
	free(steps);
	explore_schedule_free(&sch);
	scenario_free(s);
}

static void test_render_quotes(void **state)
{
	struct scenario *s = parse_ok("scenario q\nsend m1 \"say \\\"hi\\\" \\\\ bye\"\nexpect * clean\n"), *back;
	char err[512] = "", *text;

	(void)state;
	text = explore_render(s, "scenario q\nexpect * clean\n", s->steps, s->nsteps, NULL, "q-min", false, err,
			      sizeof err);
	assert_non_null(text);
	assert_non_null(strstr(text, "scenario q-min\n"));
	assert_int_equal(scenario_parse_string("q.scn", text, &back, err, sizeof err), 0);
	assert_string_equal(back->steps[0].text, s->steps[0].text);
	scenario_free(back);
	scenario_free(s);
	free(text);
}

static void test_at_most(void **state)
{
	struct scenario *s = parse_ok("scenario a\nsend m1\nexpect ws-naive lost<=2\nexpect * clean\n");
	const struct scn_expect *e = scenario_expect_for(s, "ws-naive", true);
	struct chk_result r;

	(void)state;
	assert_true(e->cls[CHK_LOST].named && e->cls[CHK_LOST].at_most);
	assert_int_equal(e->cls[CHK_LOST].count, 2);
	for (int lost = 0; lost <= 3; lost++) {
		memset(&r, 0, sizeof r);
		r.counts[CHK_LOST] = lost;
		chk_compare(&r, e);
		assert_int_equal(r.pass, lost <= 2);
		if (lost == 3)
			assert_string_equal(r.reason, "expected lost<=2, observed lost={}");
	}
	/* A bound asks nothing to happen: failing on another class is not "the fault did not bite". */
	memset(&r, 0, sizeof r);
	r.counts[CHK_FAILED_VISIBLE] = 1;
	chk_compare(&r, e);
	assert_false(r.pass);
	assert_null(strstr(r.reason, "did not bite"));
	scenario_free(s);
	parse_err("scenario a\nsend m1\nexpect ws-naive lost<={m1}\nexpect * clean\n",
		  "t.scn:3:17: lost<= takes a count, not a set (expected lost<=N)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workload),
		cmocka_unit_test(test_send_from),
		cmocka_unit_test(test_workload_errors),
		cmocka_unit_test(test_nemesis),
		cmocka_unit_test(test_draw_by_seed),
		cmocka_unit_test(test_weave_and_render),
		cmocka_unit_test(test_render_quotes),
		cmocka_unit_test(test_at_most),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
