/*
 * Tests of the scenario parser: one full scenario parsed into the expected
 * structure, and a table of broken inputs, each with the exact error
 * message it must produce (file, line, column and wording).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../../harness/scenario.h"

static const char full_text[] =
	"# Lost ack: the server stores the message but its reply is lost.\n"
	"#\n"
	"#  The client retries.\n"
	"scenario lost-ack\n"
	"title \"lost ack: reply dropped after persist\"\n"
	"recipients 2\n"
	"channel random\n"
	"server failpoints after_persist=delay:100@2+,persist=fail\n"
	"client timeout-ms 800 attempts 3\n"
	"client timeout-ms 900\n"
	"listen heartbeat-ms 200\n"
	"sysctl client net.ipv4.tcp_retries2=3\n"
	"rate router 1mbit\n"
	"\n"
	"# a comment in the body\n"
	"on event server persisted m1 count 2: drop-replies client server\n"
	"on at 1.5s : crash server\n"
	"on packet m2: evict-nat client   # trailing comment\n"
	"on exit server: restart server\n"
	"send m1\n"
	"send m2 to general \"hello \\\"you\\\"\"\n"
	"await client done m1 within 3s\n"
	"await recipient2 received\n"
	"wait 250ms\n"
	"fault blackhole recipient1\n"
	"heal\n"
	"heal blackhole\n"
	"settle 2s\n"
	"expect ws-naive clean\n"
	"expect ws-ack duplicate={m1} failed-visible={m2}\n"
	"expect * lost=1 gap={ m1 , m2 }\n";

static void test_full(void **state)
{
	struct scenario *s = NULL;
	const struct scn_expect *e;
	char err[512] = "";

	(void)state;
	assert_int_equal(scenario_parse_string("full.scn", full_text, &s, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(s->name, "lost-ack");
	assert_string_equal(s->title, "lost ack: reply dropped after persist");
	assert_string_equal(s->lesson, "Lost ack: the server stores the message but its reply is lost.\n\n The client retries.");
	assert_int_equal(s->recipients, 2);
	assert_string_equal(s->channel, "random");
	assert_string_equal(s->failpoints, "after_persist=delay:100@2+,persist=fail");
	assert_int_equal(s->nclient, 2);
	assert_int_equal(scenario_setting(s->client, s->nclient, "timeout-ms", 5), 900);
	assert_int_equal(scenario_setting(s->client, s->nclient, "attempts", 5), 3);
	assert_int_equal(scenario_setting(s->client, s->nclient, "heartbeat-ms", 5), 5);
	assert_int_equal(scenario_setting(s->listen, s->nlisten, "heartbeat-ms", 5), 200);
	assert_int_equal(s->nsysctls, 1);
	assert_string_equal(s->sysctls[0].host, "client");
	assert_string_equal(s->sysctls[0].key, "net.ipv4.tcp_retries2");
	assert_string_equal(s->sysctls[0].value, "3");
	assert_int_equal(s->sysctls[0].pos.line, 12);
	assert_int_equal(s->nrates, 1);
	assert_string_equal(s->rates[0].rate, "1mbit");

	assert_int_equal(s->nrules, 4);
	assert_int_equal(s->rules[0].trigger.kind, TRIGGER_EVENT);
	assert_string_equal(s->rules[0].trigger.role, "server");
	assert_string_equal(s->rules[0].trigger.ev, "persisted");
	assert_string_equal(s->rules[0].trigger.msg_id, "m1");
	assert_int_equal(s->rules[0].trigger.count, 2);
	assert_string_equal(s->rules[0].fault.name, "drop-replies");
	assert_int_equal(s->rules[0].fault.nargs, 2);
	assert_string_equal(s->rules[0].fault.args[1], "server");
	assert_int_equal(s->rules[0].fault.pos.line, 16);
	assert_int_equal(s->rules[0].fault.pos.col, 39);
	assert_int_equal(s->rules[1].trigger.kind, TRIGGER_AT);
	assert_int_equal(s->rules[1].trigger.at_ms, 1500);
	assert_int_equal(s->rules[1].trigger.count, 1);
	assert_string_equal(s->rules[1].fault.name, "crash");
	assert_int_equal(s->rules[2].trigger.kind, TRIGGER_PACKET);
	assert_string_equal(s->rules[2].trigger.msg_id, "m2");
	assert_int_equal(s->rules[2].fault.nargs, 1);
	assert_int_equal(s->rules[3].trigger.kind, TRIGGER_EXIT);
	assert_string_equal(s->rules[3].trigger.role, "server");
	assert_string_equal(s->rules[3].fault.name, "restart");

	assert_int_equal(s->nsteps, 8);
	assert_int_equal(s->steps[0].kind, SCN_SEND);
	assert_string_equal(s->steps[0].msg_id, "m1");
	assert_string_equal(s->steps[0].channel, "");
	assert_string_equal(s->steps[0].text, "");
	assert_string_equal(s->steps[1].channel, "general");
	assert_string_equal(s->steps[1].text, "hello \"you\"");
	assert_int_equal(s->steps[2].kind, SCN_AWAIT);
	assert_string_equal(s->steps[2].role, "client");
	assert_string_equal(s->steps[2].ev, "done");
	assert_string_equal(s->steps[2].msg_id, "m1");
	assert_int_equal(s->steps[2].within_ms, 3000);
	assert_string_equal(s->steps[3].role, "recipient2");
	assert_string_equal(s->steps[3].msg_id, "");
	assert_int_equal(s->steps[3].within_ms, 5000);
	assert_int_equal(s->steps[4].kind, SCN_WAIT);
	assert_int_equal(s->steps[4].ms, 250);
	assert_int_equal(s->steps[5].kind, SCN_FAULT);
	assert_string_equal(s->steps[5].fault.name, "blackhole");
	assert_string_equal(s->steps[5].fault.args[0], "recipient1");
	assert_int_equal(s->steps[6].kind, SCN_HEAL);
	assert_string_equal(s->steps[6].fault.name, "");
	assert_string_equal(s->steps[7].fault.name, "blackhole");
	assert_int_equal(s->settle_ms, 2000);
	assert_int_equal(s->nmsgs, 2);
	assert_string_equal(s->msg_ids[1], "m2");

	assert_int_equal(s->nexpects, 3);
	e = scenario_expect_for(s, "ws-naive", true);
	assert_non_null(e);
	assert_string_equal(e->stack, "ws-naive");
	for (int c = 0; c < CHK_CLASS_COUNT; c++)
		assert_false(e->cls[c].named);
	e = scenario_expect_for(s, "ws-ack", true);
	assert_true(e->cls[CHK_DUPLICATE].named);
	assert_true(e->cls[CHK_DUPLICATE].is_set);
	assert_int_equal(e->cls[CHK_DUPLICATE].nids, 1);
	assert_string_equal(e->cls[CHK_DUPLICATE].ids[0], "m1");
	assert_true(e->cls[CHK_FAILED_VISIBLE].named);
	assert_false(e->cls[CHK_LOST].named);
	e = scenario_expect_for(s, "http", true);
	assert_string_equal(e->stack, "*");
	assert_false(e->cls[CHK_LOST].is_set);
	assert_int_equal(e->cls[CHK_LOST].count, 1);
	assert_int_equal(e->cls[CHK_GAP].nids, 2);
	assert_string_equal(e->cls[CHK_GAP].ids[1], "m2");
	assert_null(scenario_expect_for(s, "vendor-x", false));
	scenario_free(s);
}

static void test_defaults(void **state)
{
	struct scenario *s = NULL;
	char err[512] = "";

	(void)state;
	assert_int_equal(scenario_parse_string("d.scn", "scenario d\nsend m1\nexpect * clean\n", &s,
					       err, sizeof(err)), 0);
	assert_string_equal(s->lesson, "");
	assert_string_equal(s->title, "d");
	assert_int_equal(s->recipients, 1);
	assert_string_equal(s->channel, "general");
	assert_int_equal(s->settle_ms, 300);
	assert_int_equal(s->nrules, 0);
	scenario_free(s);
	scenario_free(NULL);
}

struct bad_case {
	const char *text;
	const char *err;
};

#define HEAD "scenario x\nsend m1\n"

static const struct bad_case bad_cases[] = {
	{ "scenario x\nsend m1\nawait client done m1 within 1s or go\nexpect * clean\n",
	  "bad.scn:3:32: expected 'or go on' (the workload goes on when the await times out)" },
	{ "scenario x\nservers 1 behind haproxy\nsend m1\nexpect * clean\n",
	  "bad.scn:2:9: bad servers count '1' (expected a number 2..8)" },
	{ "scenario x\nservers 2 behind nginx\nsend m1\nexpect * clean\n",
	  "bad.scn:2:18: unknown balancer 'nginx' (expected haproxy)" },
	{ "scenario x\nservers 2 with haproxy\nsend m1\nexpect * clean\n",
	  "bad.scn:2:11: expected 'behind' (servers 2 behind haproxy)" },
	{ "scenario x\nservers 2 behind haproxy\nsend m1\nfault crash server\nexpect * clean\n",
	  "bad.scn:4:13: unknown role 'server' (did you mean 'server1'?) (expected a role: client, lb, server1, server2, recipient1)" },
	{ "scenario x\nservers 2 behind haproxy\nsend m1\nfault stop server3\nexpect * clean\n",
	  "bad.scn:4:12: unknown role 'server3' (did you mean 'server1'?) (expected a role: client, lb, server1, server2, recipient1)" },
	{ "title \"t\"\nscenario x\n",
	  "bad.scn:1:1: 'title' before 'scenario' (expected 'scenario NAME' as the first statement)" },
	{ "", "bad.scn:1:1: empty scenario (expected 'scenario NAME' as the first statement)" },
	{ "# only a lesson\n\n", "bad.scn:2:1: empty scenario (expected 'scenario NAME' as the first statement)" },
	{ "scenario x\nsned m1\n", "bad.scn:2:1: unknown statement 'sned' (did you mean 'send'?)" },
	{ "scenario x\nfrobnicate\n", "bad.scn:2:1: unknown statement 'frobnicate'" },
	{ "scenario x\nsysctl client vm.swappiness=1\n",
	  "bad.scn:2:15: sysctl 'vm.swappiness' is not a host's own network setting (expected a net.* key like net.ipv4.tcp_retries2; the machine's settings are never touched)" },
	{ "scenario x\nsysctl client net.ipv4/../../vm/x=1\n",
	  "bad.scn:2:15: sysctl 'net.ipv4/../../vm/x' is not a host's own network setting (expected a net.* key like net.ipv4.tcp_retries2; the machine's settings are never touched)" },
	{ "scenario x\nsend m1\non event server persistd m1: crash server\nexpect * clean\n",
	  "bad.scn:3:17: server never says 'persistd' (did you mean 'persisted'?)" },
	{ "scenario x\nsend m1\nawait client dne m1\nexpect * clean\n",
	  "bad.scn:3:14: client never says 'dne' (did you mean 'done'?)" },
	{ "scenario x\nsend m1\non event client done m1: crash server\nexpect * clean\n",
	  "bad.scn:3:17: 'done' is for await only (expected sent or failed here)" },
	{ "scenario x\nrecipients 0\nsend m1\nsend r1 reply-to m1\nexpect * clean\n",
	  "bad.scn:4:1: send r1 reply-to m1 needs a recipient to have seen m1 (expected 'recipients 1' or more; this scenario has 0)" },
	{ "scenario x\nsend r1 reply-to\nexpect * clean\n",
	  "bad.scn:2:18: missing a message id after 'reply-to' (expected: send MSG [from clientK] [reply-to MSG] [to CHANNEL] [\"TEXT\"])" },
	{ HEAD "on packet m1: drop-reply client server\n",
	  "bad.scn:3:15: unknown fault 'drop-reply' (did you mean 'drop-replies'?)" },
	{ HEAD "fault crash\n",
	  "bad.scn:3:7: fault 'crash' takes 1 argument, got 0 (usage: crash ROLE)" },
	{ HEAD "fault drop-replies client server router\n",
	  "bad.scn:3:34: fault 'drop-replies' takes 2 arguments, got 3 (usage: drop-replies FROM-HOST TO-HOST)" },
	{ HEAD "expect * duplicat={m1}\n",
	  "bad.scn:3:10: unknown class 'duplicat' (did you mean 'duplicate'?)" },
	{ HEAD "expect * ok=1\n",
	  "bad.scn:3:10: 'ok' cannot be expected (expected 'clean' or a class: lost, duplicate, phantom, gap, orphan-reply, failed-stored, ts-mismatch, dup-push, reordered, bot-lost, bot-dup or failed-visible)" },
	{ HEAD "expect * lost\n",
	  "bad.scn:3:10: missing '=' after 'lost' (expected lost={m1,m2} or lost=N)" },
	{ HEAD "wait 250\n",
	  "bad.scn:3:6: bad duration '250' (expected a duration like 250ms or 2s)" },
	{ HEAD "wait\n", "bad.scn:3:6: missing a duration (expected: wait DURATION)" },
	{ HEAD "wait 1s 2s\n", "bad.scn:3:9: unexpected '2s' (expected: wait DURATION)" },
	{ HEAD "send m2 \"oops\n",
	  "bad.scn:3:9: unterminated string (expected a closing '\"' on the same line)" },
	{ HEAD "sysctl clinet net.ipv4.tcp_retries2=3\nexpect * clean\n",
	  "bad.scn:3:8: unknown host 'clinet' (did you mean 'client'?) (expected a host: client, server, router, recipient1)" },
	{ HEAD "rate recipient3 1mbit\nrecipients 2\nexpect * clean\n",
	  "bad.scn:3:6: unknown host 'recipient3' (did you mean 'recipient1'?) (expected a host: client, server, router, recipient1, recipient2)" },
	{ HEAD "fault crash router\nexpect * clean\n",
	  "bad.scn:3:13: unknown role 'router' (expected a role: client, server, recipient1)" },
	{ HEAD "fault drop client router\nexpect * clean\n",
	  "bad.scn:3:19: fault 'drop' acts on a host's link, and the router has none of its own (expected a host: client, server or a recipient)" },
	{ HEAD "fault reset server server\nexpect * clean\n",
	  "bad.scn:3:20: fault 'reset' names 'server' twice (expected two different hosts: reset FROM-HOST TO-HOST)" },
	{ HEAD "fault disk-slow server soon\nexpect * clean\n",
	  "bad.scn:3:24: disk-slow: the delay of each fsync in milliseconds: 'soon' is not a number" },
	{ HEAD "fault disk-error server flush\nexpect * clean\n",
	  "bad.scn:3:25: unknown operation 'flush' for disk-error (expected fsync, write or read; none for all three)" },
	{ HEAD "fault disk-full client\nexpect * clean\n",
	  "bad.scn:3:17: fault 'disk-full' acts on the server's data folder ({dir}), and 'client' has none that acklab serves (expected: server)" },
	{ HEAD "fault evict-nat nowhere\nexpect * clean\n",
	  "bad.scn:3:17: unknown host 'nowhere' (expected a host: client, server, router, recipient1)" },
	{ HEAD "await client done m9\nexpect * clean\n",
	  "bad.scn:3:19: message 'm9' is never sent (did you mean 'm1'?) (expected an id defined by a send: m1)" },
	{ HEAD "expect * lost={m1,zz}\n",
	  "bad.scn:3:19: message 'zz' is never sent (expected an id defined by a send: m1)" },
	{ HEAD "on packet m7: crash server\nexpect * clean\n",
	  "bad.scn:3:11: message 'm7' is never sent (did you mean 'm1'?) (expected an id defined by a send: m1)" },
	{ HEAD "expect ws-ack clean\nexpect ws-ack lost={m1}\n",
	  "bad.scn:4:8: duplicate expect for stack 'ws-ack' (first at line 3)" },
	{ HEAD "wait 1s\n",
	  "bad.scn:1:1: scenario 'x' has no expect statement (expected at least one, like 'expect * clean')" },
	{ HEAD "scenario y\n", "bad.scn:3:1: second 'scenario' statement (the first is at line 1)" },
	{ HEAD "on at 1s crash server\n",
	  "bad.scn:3:10: missing ':' before 'crash' (expected: on TRIGGER: FAULT ARGS...)" },
	{ HEAD "on at 1s\n",
	  "bad.scn:3:10: missing ':' after the trigger (expected: on TRIGGER: FAULT ARGS...)" },
	{ HEAD "on at 1s:\n", "bad.scn:3:11: missing a fault (expected: on TRIGGER: FAULT ARGS...)" },
	{ HEAD "on att 1s: crash server\n", "bad.scn:3:4: unknown trigger 'att' (did you mean 'at'?)" },
	{ HEAD "on event server: crash server\n",
	  "bad.scn:3:16: missing event after 'event' (expected: event ROLE EV [MSG])" },
	{ HEAD "on at 1s count 0: crash server\n",
	  "bad.scn:3:16: bad count '0' (expected a number 1..1000000)" },
	{ HEAD "client timeout 100\n",
	  "bad.scn:3:8: unknown setting 'timeout'" },
	{ HEAD "client timout-ms 100\n",
	  "bad.scn:3:8: unknown setting 'timout-ms' (did you mean 'timeout-ms'?)" },
	{ HEAD "client attempts\n", "bad.scn:3:17: missing a value (expected: client KEY VALUE [KEY VALUE...])" },
	{ HEAD "recipients 65\n", "bad.scn:3:12: bad recipients count '65' (expected a number 0..64)" },
	{ HEAD "send m1..x5\n", "bad.scn:3:6: bad message range 'm1..x5' (expected like m1..m100: one prefix, two numbers)" },
	{ HEAD "send m5..m2\n", "bad.scn:3:6: bad message range 'm5..m2' (expected like m1..m100, the first number not above the last)" },
	{ HEAD "send m1..m3 \"hi\"\n", "bad.scn:3:13: a range of messages takes no text (each gets its own: 'ID: message ID')" },
	{ HEAD "send m1..m3\n", "bad.scn:3:6: message 'm1' is sent twice (ids must be unique)" },
	{ HEAD "rate client fast\n",
	  "bad.scn:3:13: bad rate 'fast' (expected a rate like 1mbit or 500kbit)" },
	{ HEAD "sysctl client net.ipv4.tcp_retries2\n",
	  "bad.scn:3:15: bad sysctl 'net.ipv4.tcp_retries2' (expected KEY=VALUE like net.ipv4.tcp_retries2=3)" },
	{ HEAD "send m1\n", "bad.scn:3:6: message 'm1' is sent twice (ids must be unique)" },
	{ HEAD "server faults x\n",
	  "bad.scn:3:8: unknown server setting 'faults' (expected: server failpoints SPEC)" },
	{ HEAD "heal crahs\n", "bad.scn:3:6: unknown fault 'crahs' (did you mean 'crash'?)" },
	{ HEAD "expect * lost={m1\n", "bad.scn:3:18: missing '}' (expected {m1,m2})" },
	{ HEAD "expect * clean lost=1\n",
	  "bad.scn:3:10: 'clean' and a bug class on one line (expected one or the other)" },
	{ HEAD "expect * lost=1 lost=2\n", "bad.scn:3:17: class 'lost' named twice" },
	{ HEAD "await client connected m1\nexpect * clean\n",
	  "bad.scn:3:24: 'await client connected' is about the connection, not a message (expected 'within DURATION' or nothing)" },
	{ HEAD "await server disconnected within 1s\nexpect * clean\n",
	  "bad.scn:3:14: the server reports no connections of its own ('disconnected' is a client's or a recipient's event)" },
	{ HEAD "await client conected\nexpect * clean\n",
	  "bad.scn:3:14: client never says 'conected' (did you mean 'connected'?)" },
	{ HEAD "expect *\n", "bad.scn:3:10: missing 'clean' or CLASS={ids} (expected: expect STACK|* clean | CLASS={m1,m2} | CLASS=N ...)" },
	{ HEAD "title \"a\" b\n", "bad.scn:3:11: unexpected 'b' (expected the title in double quotes)" },
	/* Scenario and stack names become folders of the run: nothing that could leave it. */
	{ "scenario ..\n",
	  "bad.scn:1:10: bad scenario name '..' (expected lowercase letters, digits, '-' and '_', starting with a letter or digit)" },
	{ "scenario a/../../etc\n",
	  "bad.scn:1:10: bad scenario name 'a/../../etc' (expected lowercase letters, digits, '-' and '_', starting with a letter or digit)" },
	{ "# lesson\nscenario  Lost-Ack\n",
	  "bad.scn:2:11: bad scenario name 'Lost-Ack' (expected lowercase letters, digits, '-' and '_', starting with a letter or digit)" },
	{ "scenario .hidden\n",
	  "bad.scn:1:10: bad scenario name '.hidden' (expected lowercase letters, digits, '-' and '_', starting with a letter or digit)" },
	{ "scenario -x\n",
	  "bad.scn:1:10: bad scenario name '-x' (expected lowercase letters, digits, '-' and '_', starting with a letter or digit)" },
	/* The failpoint spec in chatd's grammar, pointing into the spec. */
	{ HEAD "server failpoints before-persist=crash@3\n",
	  "bad.scn:3:19: unknown failpoint 'before-persist' (did you mean 'before_persist'?)" },
	{ HEAD "server failpoints persist=fail@2,nowhere=crash\n",
	  "bad.scn:3:34: unknown failpoint 'nowhere' (expected recv, before_persist, persist, after_persist, after_fanout or before_reply)" },
	{ HEAD "server failpoints \"recv=crsh\"\n",
	  "bad.scn:3:25: unknown failpoint action 'crsh' (did you mean 'crash'?)" },
	{ HEAD "server failpoints recv=explode\n",
	  "bad.scn:3:24: unknown failpoint action 'explode' (expected crash, fail, hang or delay:MS)" },
	{ HEAD "server failpoints recv=crash@0\n",
	  "bad.scn:3:30: bad hit number '0' (expected @N or @N+ with N 1 or more, like crash@3)" },
	{ HEAD "server failpoints recv=crash@x+\n",
	  "bad.scn:3:30: bad hit number 'x+' (expected @N or @N+ with N 1 or more, like crash@3)" },
	{ HEAD "server failpoints recv=fail\n",
	  "bad.scn:3:24: action 'fail' only applies to failpoint 'persist'" },
	{ HEAD "server failpoints persist=delay\n",
	  "bad.scn:3:27: missing milliseconds after 'delay' (expected delay:MS, like delay:250)" },
	{ HEAD "server failpoints persist=delay:9999999\n",
	  "bad.scn:3:33: bad delay '9999999' (expected delay:MS with MS 0..3600000)" },
	{ HEAD "server failpoints recv=crash,,persist=fail\n",
	  "bad.scn:3:30: empty failpoint entry (remove the stray ',')" },
	{ HEAD "server failpoints =crash\n",
	  "bad.scn:3:19: missing failpoint name before '=' (expected NAME=ACTION, like before_persist=crash@3)" },
	{ HEAD "server failpoints recv=@2\n",
	  "bad.scn:3:24: missing action after '=' (expected crash, fail, hang or delay:MS)" },
	{ HEAD "server failpoints crash@3\n",
	  "bad.scn:3:19: bad failpoint 'crash@3' (expected NAME=ACTION, like before_persist=crash@3)" },
	/* Texts reach JSON, which holds UTF-8 only. */
	{ HEAD "send m2 \"caf\xe9\"\n",
	  "bad.scn:3:13: invalid UTF-8 (byte 0xe9; scenario files are UTF-8 text)" },
	{ "# le\xc3\n" HEAD, "bad.scn:1:5: invalid UTF-8 (byte 0xc3; scenario files are UTF-8 text)" },
	{ HEAD "title \"\xed\xa0\x80\"\n",
	  "bad.scn:3:8: invalid UTF-8 (byte 0xed; scenario files are UTF-8 text)" },
	/* Packet triggers with a direction and holds, the awaits that ask nothing of the server, queue faults. */
	{ HEAD "on packet m1 from router hold: crash server\n",
	  "bad.scn:3:19: packets cross the router: 'from' names a host with a link (client, server or a recipient)" },
	{ HEAD "on packet m1 from client from server: crash server\n",
	  "bad.scn:3:26: 'from' given twice in one trigger" },
	{ HEAD "on packet m1 from client to client: crash server\n",
	  "bad.scn:3:29: a packet goes from 'client' to another host, not to itself" },
	{ HEAD "on packet m1 to: crash server\n",
	  "bad.scn:3:16: missing host after 'to' (expected: to HOST)" },
	{ HEAD "on event client sent m1 hold: crash server\n",
	  "bad.scn:3:25: 'hold' is for packet triggers (expected: packet MSG [from HOST] [to HOST] hold: FAULT ARGS...)" },
	{ HEAD "on packet m1 hold please: crash server\n",
	  "bad.scn:3:19: unexpected 'please' in trigger (expected ':' after the hold)" },
	{ HEAD "on packet m1 form client: crash server\n",
	  "bad.scn:3:14: unexpected 'form' in trigger (expected from HOST, to HOST, 'count N', 'hold' or ':')" },
	{ HEAD "on packet m1 from clinet: crash server\nexpect * clean\n",
	  "bad.scn:3:19: unknown host 'clinet' (did you mean 'client'?) (expected a host: client, server, router, recipient1)" },
	{ HEAD "on packet m1 hold drop drop: crash server\n",
	  "bad.scn:3:24: unexpected 'drop' in trigger (expected ':' after the hold)" },
	{ HEAD "await store hsa m1\n",
	  "bad.scn:3:13: unexpected 'hsa' (expected: await store has MSG [within DURATION])" },
	{ HEAD "await store has m9\nexpect * clean\n",
	  "bad.scn:3:17: message 'm9' is never sent (did you mean 'm1'?) (expected an id defined by a send: m1)" },
	{ HEAD "await packet m1 on server\n",
	  "bad.scn:3:17: unexpected 'on' (expected: await packet MSG at HOST [within DURATION])" },
	{ HEAD "await packet m1 at router\n",
	  "bad.scn:3:20: packets cross the router: 'at' names a host with a link (client, server or a recipient)" },
	{ HEAD "await packet m1 at\n",
	  "bad.scn:3:20: missing a host after 'at' (expected: await packet MSG at HOST [within DURATION])" },
	{ HEAD "await store has m1 within\n",
	  "bad.scn:3:27: missing a duration after 'within' (expected: await store has MSG [within DURATION])" },
	{ HEAD "await packet m1 at server within 2x\n",
	  "bad.scn:3:34: bad duration '2x' (expected a duration like 250ms or 2s)" },
	{ HEAD "fault delay client server 80\n",
	  "bad.scn:3:27: bad duration '80' (expected a duration like 80ms or 2s)" },
	{ HEAD "fault delay client server 80ms jiter 5ms\n",
	  "bad.scn:3:32: unexpected 'jiter' (usage: delay FROM-HOST TO-HOST DURATION [jitter DURATION])" },
	{ HEAD "fault delay client server 80ms jitter\n",
	  "bad.scn:3:39: missing duration after 'jitter' (usage: delay FROM-HOST TO-HOST DURATION [jitter DURATION])" },
	{ HEAD "fault loss client server\n",
	  "bad.scn:3:7: fault 'loss' takes 3 arguments, got 2 (usage: loss FROM-HOST TO-HOST PERCENT)" },
	{ HEAD "fault loss client server 200%\n",
	  "bad.scn:3:26: chance '200%' is out of range (expected more than 0% and at most 100%)" },
	{ HEAD "fault reorder client server 10% by\n",
	  "bad.scn:3:36: missing duration after 'by' (usage: reorder FROM-HOST TO-HOST PERCENT [by DURATION])" },
	{ HEAD "fault partition client\n",
	  "bad.scn:3:7: fault 'partition' takes 2 arguments, got 1 (usage: partition HOST HOST)" },
	{ HEAD "fault hold client server 1s\n",
	  "bad.scn:3:26: fault 'hold' takes 2 arguments, got 3 (usage: hold FROM-HOST TO-HOST)" },
	{ HEAD "fault duplicate client srever 5%\nexpect * clean\n",
	  "bad.scn:3:24: unknown host 'srever' (did you mean 'server'?) (expected a host: client, server, router, recipient1)" },
	{ HEAD "expect .. clean\n",
	  "bad.scn:3:8: bad stack name '..' (expected lowercase letters, digits, '-' and '_', starting with a letter or digit)" },
};

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct scenario *s = (struct scenario *)1;
		char err[512] = "";
		int rc = scenario_parse_string("bad.scn", bad_cases[i].text, &s, err, sizeof(err));

		if (rc != -1 || strcmp(err, bad_cases[i].err) != 0)
			print_error("case %zu: rc %d\n  got:  %s\n  want: %s\n", i, rc, err,
				    bad_cases[i].err);
		assert_int_equal(rc, -1);
		assert_null(s);
		assert_string_equal(err, bad_cases[i].err);
	}
}

/*
 * What only the machine can tell: keys looked up in a fresh network
 * namespace, values shaped like the key's own. Every case is also a scenario
 * the parser accepts, which is the point: `check` used to pass them.
 */
static void test_sysctls_on_this_machine(void **state)
{
	static const struct bad_case cases[] = {
		{ "scenario x\nsysctl client net.ipv4.tcp_retires2=3\nsend m1\nexpect * clean\n",
		  "bad.scn:2:24: unknown sysctl 'net.ipv4.tcp_retires2' (did you mean 'net.ipv4.tcp_retries2'?)" },
		{ "scenario x\nsysctl client net.ipb4.tcp_syn_retries=3\nsend m1\nexpect * clean\n",
		  "bad.scn:2:19: unknown sysctl 'net.ipb4.tcp_syn_retries' (did you mean 'net.ipv4.tcp_syn_retries'?)" },
		{ "scenario x\nsysctl client net.ipv4.tcp_retries2=abc\nsend m1\nexpect * clean\n",
		  "bad.scn:2:37: bad value 'abc' for net.ipv4.tcp_retries2 (expected a whole number, like its default 15)" },
		{ "scenario x\nsysctl client \"net.ipv4.ip_local_port_range=1024\"\nsend m1\nexpect * clean\n",
		  "bad.scn:2:45: bad value '1024' for net.ipv4.ip_local_port_range (expected 2 whole numbers "
		  "separated by blanks, like its default '32768 60999')" },
		{ "scenario x\nsysctl client net.core.netdev_max_backlog=10\nsend m1\nexpect * clean\n",
		  "bad.scn:2:24: unknown sysctl 'net.core.netdev_max_backlog' (a host's network namespace has no "
		  "'netdev_max_backlog' there)" },
	};
	struct scenario *s = NULL;
	char err[512] = "";
	int rc;

	(void)state;
	assert_int_equal(scenario_parse_string("ok.scn", "scenario x\nsysctl client net.ipv4.tcp_retries2=3\n"
					       "sysctl client \"net.ipv4.ip_local_port_range=2000 3000\"\n"
					       "sysctl router net.ipv4.conf.client0.rp_filter=0\n"
					       "sysctl client net.ipv4.tcp_congestion_control=reno\n"
					       "send m1\nexpect * clean\n", &s, err, sizeof(err)), 0);
	rc = scenario_check_sysctls(s, err, sizeof(err));
	scenario_free(s);
	if (rc == 1)
		skip();           /* no namespaces here: the keys cannot be looked up (err says why) */
	if (rc != 0)
		fail_msg("%s", err);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(scenario_parse_string("bad.scn", cases[i].text, &s, err, sizeof(err)), 0);
		rc = scenario_check_sysctls(s, err, sizeof(err));
		scenario_free(s);
		if (rc != -1 || strcmp(err, cases[i].err) != 0)
			print_error("case %zu: rc %d\n  got:  %s\n  want: %s\n", i, rc, err, cases[i].err);
		assert_int_equal(rc, -1);
		assert_string_equal(err, cases[i].err);
	}
}

/* One check shows every bad line of a file, each with its place; the file is refused. */
static void test_every_error(void **state)
{
	static const char text[] = "scenario x\nsend m1\nawiat client done m1\n"
				   "fault drop-reply client server\nrecipients 99\nexpect * clean\n";
	struct scenario *s = NULL;
	char err[2048];

	(void)state;
	assert_int_equal(scenario_parse_string("multi.scn", text, &s, err, sizeof err), -1);
	assert_null(s);
	assert_string_equal(err, "multi.scn:3:1: unknown statement 'awiat' (did you mean 'await'?)\n"
				 "multi.scn:4:7: unknown fault 'drop-reply' (did you mean 'drop-replies'?)\n"
				 "multi.scn:5:12: bad recipients count '99' (expected a number 0..64)");
}

static void test_file(void **state)
{
	struct scenario *s = NULL;
	char err[512] = "", path[] = "/tmp/acklab-scn-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("scenario f\nsend m1\nexpect * clean\n", f);
	fclose(f);
	assert_int_equal(scenario_parse_file(path, &s, err, sizeof(err)), 0);
	assert_string_equal(s->path, path);
	scenario_free(s);
	unlink(path);
	assert_int_equal(scenario_parse_file("/nonexistent/x.scn", &s, err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/x.scn: No such file or directory");
}

static void test_reply(void **state)
{
	struct scenario *s = NULL;
	char err[512] = "";

	(void)state;
	assert_int_equal(scenario_parse_string("r.scn", "scenario r\nsend m1\nsend r1 reply-to m1 to general\n"
					       "expect * clean\n", &s, err, sizeof(err)), 0);
	assert_string_equal(s->steps[1].msg_id, "r1");
	assert_string_equal(s->steps[1].reply_to, "m1");
	assert_string_equal(s->steps[1].channel, "general");
	assert_string_equal(s->steps[0].reply_to, "");
	scenario_free(s);
	s = NULL;
	assert_int_equal(scenario_parse_string("r.scn", "scenario r\nsend r1 reply-to m7\nexpect * clean\n",
					       &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "r.scn:2:18: message 'm7' is never sent"));
	assert_null(s);
}

/* A storage fault names the server, then values: a delay, an operation (not roles). */
static void test_storage_fault_values(void **state)
{
	struct scenario *s = NULL;
	char err[512] = "";

	(void)state;
	assert_int_equal(scenario_parse_string("d.scn", "scenario d\nsend m1\nfault disk-slow server 200ms\n"
					       "fault disk-error server fsync\non exit server: lose-unsynced server\n"
					       "expect * clean\n", &s, err, sizeof(err)), 0);
	assert_int_equal(s->steps[1].fault.nargs, 2);
	assert_string_equal(s->steps[1].fault.args[0], "server");
	assert_string_equal(s->steps[1].fault.args[1], "200ms");
	assert_string_equal(s->steps[2].fault.args[1], "fsync");
	assert_string_equal(s->rules[0].fault.name, "lose-unsynced");
	scenario_free(s);
}

/* The connection forms of await: a role and a deadline, never a message. */
static void test_await_connection(void **state)
{
	struct scenario *s = NULL;
	char err[512] = "";

	(void)state;
	assert_int_equal(scenario_parse_string("c.scn", "scenario c\nsend m1\nfault evict-nat client server\n"
					       "await client disconnected within 3s\nawait recipient1 connected\n"
					       "expect * clean\n", &s, err, sizeof(err)), 0);
	assert_int_equal(s->nsteps, 4);
	assert_int_equal(s->steps[2].kind, SCN_AWAIT);
	assert_string_equal(s->steps[2].role, "client");
	assert_string_equal(s->steps[2].ev, "disconnected");
	assert_string_equal(s->steps[2].msg_id, "");
	assert_int_equal(s->steps[2].within_ms, 3000);
	assert_string_equal(s->steps[3].role, "recipient1");
	assert_string_equal(s->steps[3].ev, "connected");
	assert_int_equal(s->steps[3].within_ms, 5000);
	scenario_free(s);
}

/* Holds, directions, the server-neutral awaits and a queue fault with values, parsed into data. */
static void test_hold_and_neutral_awaits(void **state)
{
	struct scenario *s = NULL;
	char err[512] = "";

	(void)state;
	assert_int_equal(scenario_parse_string("h.scn", "scenario h\nrecipients 2\n"
					       "on packet m1 from client to server hold: crash server\n"
					       "on packet m1 to recipient2 count 2 hold drop: heal\n"
					       "on packet m1 from server: drop client server\n"
					       "on packet m1: evict-nat client\n"
					       "send m1\nawait store has m1 within 2s\nawait packet m1 at recipient1\n"
					       "fault delay client server 80ms jitter 20ms\nfault loss server client 0.5%\n"
					       "expect * clean\n", &s, err, sizeof(err)), 0);
	assert_int_equal(s->nrules, 4);
	assert_int_equal(s->rules[0].trigger.kind, TRIGGER_PACKET);
	assert_string_equal(s->rules[0].trigger.from, "client");
	assert_string_equal(s->rules[0].trigger.to, "server");
	assert_true(s->rules[0].trigger.hold);
	assert_false(s->rules[0].trigger.hold_drop);
	assert_string_equal(s->rules[0].fault.name, "crash");
	assert_string_equal(s->rules[1].trigger.from, "");
	assert_string_equal(s->rules[1].trigger.to, "recipient2");
	assert_int_equal(s->rules[1].trigger.count, 2);
	assert_true(s->rules[1].trigger.hold && s->rules[1].trigger.hold_drop);
	assert_string_equal(s->rules[1].fault.name, "heal");
	assert_true(trigger_needs_queue(&s->rules[2].trigger));
	assert_false(s->rules[2].trigger.hold);
	assert_false(trigger_needs_queue(&s->rules[3].trigger));
	assert_string_equal(s->steps[1].role, "store");
	assert_string_equal(s->steps[1].ev, "has");
	assert_string_equal(s->steps[1].msg_id, "m1");
	assert_int_equal(s->steps[1].within_ms, 2000);
	assert_string_equal(s->steps[2].role, "router");
	assert_string_equal(s->steps[2].ev, "packet");
	assert_string_equal(s->steps[2].host, "recipient1");
	assert_int_equal(s->steps[2].within_ms, 5000);
	assert_string_equal(s->steps[3].fault.name, "delay");
	assert_int_equal(s->steps[3].fault.nargs, 5);
	assert_string_equal(s->steps[3].fault.args[2], "80ms");
	assert_string_equal(s->steps[3].fault.args[4], "20ms");
	assert_string_equal(s->steps[4].fault.args[2], "0.5%");
	scenario_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_storage_fault_values),
		cmocka_unit_test(test_await_connection),
		cmocka_unit_test(test_hold_and_neutral_awaits),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_every_error),
		cmocka_unit_test(test_sysctls_on_this_machine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
