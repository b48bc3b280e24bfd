/*
 * Tests of the bot view of the checker (checker_bot.c) and of the language
 * that asks for it (the scenario's bot statement, the stack's bot and
 * bot-store lines), on canned text and histories: no network, no root.
 * Two-sided: a bot that processed each event once is clean, one that
 * missed or repeated one is caught, and a send-side class stays the
 * message's class.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../harness/capability.h"
#include "../../harness/checker.h"
#include "../../harness/scenario.h"
#include "../../harness/stack.h"
#include "util.h"

#define MS 1000000LL
#define T0 5000000000LL

static void add(struct history *h, const char *role, long long ms, json_t *obj)
{
	assert_non_null(history_add(h, role, obj, T0 + ms * MS));
}

static void add_text(struct history *h, const char *role, const char *ev, const char *id, long long ms)
{
	char text[128];

	snprintf(text, sizeof(text), "%s: message %s (acklab-5f2c-%s)", id, id, id);
	add(h, role, ms, json_pack("{s:s,s:s,s:s}", "ev", ev, "ts", "1.000001", "text", text));
}

/* id sent, shown Sent and stored once: ok on the send side. */
static void add_sent_stored(struct history *h, const char *id, long long ms)
{
	char token[64];

	snprintf(token, sizeof(token), "acklab-5f2c-%s", id);
	add(h, "acklab", ms, json_pack("{s:s,s:s,s:s,s:s}", "ev", "send", "id", id, "token", token,
				       "channel", "general"));
	add(h, "client", ms + 1, json_pack("{s:s,s:s,s:i}", "ev", "sending", "id", id, "attempt", 1));
	add(h, "client", ms + 5, json_pack("{s:s,s:s,s:i}", "ev", "sent", "id", id, "attempts", 1));
	add_text(h, "store", "stored", id, 10000);
}

/* A bot's record as the read-back gives it: a line of the bot-store role. */
static void add_processed(struct history *h, const char *id)
{
	char line[160];

	snprintf(line, sizeof line, "{\"event_id\":\"Ev-%s\",\"channel\":\"general\",\"ts\":\"1.000001\","
		 "\"text\":\"%s: message %s (acklab-5f2c-%s)\"}", id, id, id, id);
	assert_non_null(chk_bot_add_record(h, line, T0 + 10001 * MS));
}

static const struct chk_message *msg_of(const struct chk_result *r, const char *id)
{
	for (int i = 0; i < r->nmsgs; i++)
		if (strcmp(r->msgs[i].id, id) == 0)
			return &r->msgs[i];
	fail_msg("no message %s", id);
	return NULL;
}

static void test_each_event_once_is_clean(void **state)
{
	struct history *h = history_new();
	struct chk_result r;
	char err[256];

	(void)state;
	add_sent_stored(h, "m1", 0);
	add_sent_stored(h, "m2", 10);
	add_processed(h, "m1");
	add_processed(h, "m2");
	assert_int_equal(checker_run(h, NULL, 0, &r, err, sizeof err), 0);
	assert_true(r.pass);
	assert_string_equal(r.verdict, "clean");
	assert_int_equal(r.counts[CHK_OK], 2);
	chk_result_free(&r);
	history_free(h);
}

static void test_missed_and_repeated_events(void **state)
{
	struct history *h = history_new();
	struct chk_result r;
	char err[256];

	(void)state;
	add_sent_stored(h, "m1", 0);
	add_sent_stored(h, "m2", 10);
	add_sent_stored(h, "m3", 20);
	add_processed(h, "m1");
	add_processed(h, "m3");
	add_processed(h, "m3");
	assert_int_equal(checker_run(h, NULL, 0, &r, err, sizeof err), 0);
	assert_false(r.pass);
	assert_int_equal(msg_of(&r, "m1")->cls, CHK_OK);
	assert_int_equal(msg_of(&r, "m2")->cls, CHK_BOT_LOST);
	assert_int_equal(msg_of(&r, "m3")->cls, CHK_BOT_DUP);
	assert_string_equal(msg_of(&r, "m3")->why, "stored once and shown Sent; the bot processed it 2 times");
	assert_int_equal(r.counts[CHK_OK], 1);
	assert_int_equal(r.counts[CHK_BOT_LOST], 1);
	assert_int_equal(r.counts[CHK_BOT_DUP], 1);
	assert_string_equal(r.verdict, "BOT-LOST m2, BOT-DUP m3");
	chk_result_free(&r);
	history_free(h);
}

/* A bot that processed nothing still has a record: its read-back started, and every event is lost. */
static void test_empty_record_loses_everything(void **state)
{
	struct history *h = history_new();
	struct chk_result r;
	char err[256];

	(void)state;
	add_sent_stored(h, "m1", 0);
	add(h, "bot-store", 10001, json_pack("{s:s}", "ev", "started"));
	assert_int_equal(checker_run(h, NULL, 0, &r, err, sizeof err), 0);
	assert_int_equal(msg_of(&r, "m1")->cls, CHK_BOT_LOST);
	chk_result_free(&r);
	history_free(h);
}

/* Without a bot's record there is no bot view; a send-side class is never replaced by a bot class. */
static void test_no_bot_and_send_side_first(void **state)
{
	struct history *h = history_new();
	struct chk_result r;
	char err[256];

	(void)state;
	add_sent_stored(h, "m1", 0);
	assert_int_equal(checker_run(h, NULL, 0, &r, err, sizeof err), 0);
	assert_int_equal(msg_of(&r, "m1")->cls, CHK_OK);
	chk_result_free(&r);

	add(h, "acklab", 30, json_pack("{s:s,s:s,s:s,s:s}", "ev", "send", "id", "m2", "token",
				       "acklab-5f2c-m2", "channel", "general"));
	add(h, "client", 35, json_pack("{s:s,s:s,s:i}", "ev", "sent", "id", "m2", "attempts", 1));
	add_processed(h, "m1");
	assert_int_equal(checker_run(h, NULL, 0, &r, err, sizeof err), 0);
	assert_int_equal(msg_of(&r, "m1")->cls, CHK_OK);
	assert_int_equal(msg_of(&r, "m2")->cls, CHK_LOST);      /* never stored: no event, not bot-lost */
	chk_result_free(&r);
	history_free(h);
}

/* The expectation names the bot classes like any other, and a bot that did not bite fails it. */
static void test_expect_bot_dup(void **state)
{
	static const char text[] =
		"scenario b\nbot\nsend m1\nawait bot processed m1\nexpect bot-events bot-dup={m1}\n";
	struct scenario *s = NULL;
	struct history *h = history_new();
	const struct scn_expect *e;
	struct chk_result r;
	char err[512];

	(void)state;
	assert_int_equal(scenario_parse_string("b.scn", text, &s, err, sizeof err), 0);
	e = scenario_expect_for(s, "bot-events", false);
	assert_non_null(e);
	add_sent_stored(h, "m1", 0);
	add_processed(h, "m1");
	assert_int_equal(checker_run(h, e, 0, &r, err, sizeof err), 0);
	assert_false(r.pass);
	assert_string_equal(r.reason, "expected bot-dup={m1}, observed none: the fault did not bite");
	chk_result_free(&r);
	add_processed(h, "m1");
	assert_int_equal(checker_run(h, e, 0, &r, err, sizeof err), 0);
	assert_true(r.pass);
	chk_result_free(&r);
	history_free(h);
	scenario_free(s);
}

static void test_bot_statement(void **state)
{
	static const struct { const char *text, *err; } bad[] = {
		{ "scenario b\nsend m1\nawait bot processed m1\nexpect * clean\n",
		  "b.scn:3:7: unknown role 'bot' (a scenario with a bot says so: add a statement 'bot')" },
		{ "scenario b\nbot failpoints process=crash\n",
		  "b.scn:2:16: bad bot failpoint 'process=crash' (expected process=crash@N or "
		  "after_process=crash@N: the bot dies just before, or just after, processing its Nth event)" },
		{ "scenario b\nbot restart\n", "b.scn:2:5: unknown bot setting 'restart' (expected: bot "
		  "[over http|websocket] [failpoints process=crash@N|after_process=crash@N])" },
		{ "scenario b\nbot over carrier-pigeon\n", "b.scn:2:10: unknown bot delivery 'carrier-pigeon' "
		  "(expected http: the server POSTs each event and retries, or websocket: the bot holds a "
		  "WebSocket to the server)" },
		{ "scenario b\nbot\nsend m1\nawait bot procesed m1\nexpect * clean\n",
		  "b.scn:4:11: bot never says 'procesed' (did you mean 'processed'?)" },
	};
	struct scenario *s = NULL;
	char err[512];

	(void)state;
	assert_int_equal(scenario_parse_string("b.scn", "scenario b\nbot failpoints process=crash@3\n"
					       "on exit bot: restart bot\nsend m1\nfault evict-nat bot server\n"
					       "expect * clean\n",
					       &s, err, sizeof err), 0);
	assert_true(s->bot);
	assert_string_equal(s->bot_failpoints, "process=crash@3");
	assert_int_equal(s->bot_over, 0);
	scenario_free(s);
	assert_int_equal(scenario_parse_string("b.scn", "scenario b\nbot over websocket failpoints process=crash@2\n"
					       "send m1\nexpect * clean\n", &s, err, sizeof err), 0);
	assert_int_equal(s->bot_over, CAP_BOT_WS);
	assert_string_equal(s->bot_failpoints, "process=crash@2");
	scenario_free(s);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		s = NULL;
		assert_int_equal(scenario_parse_string("b.scn", bad[i].text, &s, err, sizeof err), -1);
		assert_string_equal(err, bad[i].err);
	}
}

static void test_stack_bot_lines(void **state)
{
	static const char head[] = "stack b\nclient c\nserver s --url http://{bot}:9000/\nstore r\nport 80\n";
	struct stack *st = NULL;
	char text[512], err[512];

	(void)state;
	snprintf(text, sizeof text, "%sbot x --listen {addr}:9000 {failpoints}\nbot-store y {dir}/b\n", head);
	assert_int_equal(stack_parse_string("b.stack", text, &st, err, sizeof err), 0);
	assert_int_equal(st->bot.nwords, 4);
	assert_int_equal(st->bot_store.nwords, 2);
	stack_free(st);
	snprintf(text, sizeof text, "%sbot x\n", head);
	st = NULL;
	assert_int_equal(stack_parse_string("b.stack", text, &st, err, sizeof err), -1);
	assert_string_equal(err, "b.stack:6:1: stack 'b' has a 'bot' line and no 'bot-store' line (a bot's "
			    "record is read back like the store)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_event_once_is_clean),
		cmocka_unit_test(test_missed_and_repeated_events),
		cmocka_unit_test(test_empty_record_loses_everything),
		cmocka_unit_test(test_no_bot_and_send_side_first),
		cmocka_unit_test(test_expect_bot_dup),
		cmocka_unit_test(test_bot_statement),
		cmocka_unit_test(test_stack_bot_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
