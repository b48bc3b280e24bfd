/*
 * Tests of .stack files: parsing, errors with file:line:col, loading a
 * directory in name order, and placeholder expansion ({failpoints} as two
 * words or none; a placeholder the runner does not give is a parse error
 * with its column, and one missing from the values names itself and the line).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../harness/capability.h"

#include "../../harness/stack.h"

static const char ws_ack[] =
	"# the reference ws-ack stack\n"
	"stack ws-ack\n"
	"describe \"WebSocket send that waits for an ack\"\n"
	"client {bin}/chatc --server http://{server}:{port} --mode ws-ack --timeout-ms {timeout-ms}\n"
	"listen {bin}/chatc --server http://{server}:{port} --mode listen --channel {channel}\n"
	"server {bin}/chatd --listen {addr}:{port} --db {dir}/chat.db --events - {failpoints}\n"
	"store  {bin}/chatc --server http://{server}:{port} --mode history --channel {channel}\n"
	"port   8080\n"
	"ready  line   # a ready line on stdout\n"
	"needs  failpoints\n"
	"default yes\n";

static const char *const vars_fp[] = {
	"bin", "/opt/acklab/bin", "server", "198.18.2.2", "addr", "198.18.2.2", "port", "8080",
	"dir", "/tmp/cell", "channel", "general", "timeout-ms", "800",
	"failpoints", "after-persist=crash", NULL,
};

static const char *const vars_nofp[] = {
	"bin", "/b", "server", "s", "addr", "198.18.2.2", "port", "8080", "dir", "/d",
	"failpoints", "", NULL,
};

static char *join(char **argv)
{
	static char buf[2048];

	buf[0] = '\0';
	for (int i = 0; argv[i]; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? " " : "", argv[i]);
	return buf;
}

static void test_parse_expand(void **state)
{
	struct stack *s = NULL;
	char err[512] = "", **argv = NULL;

	(void)state;
	assert_int_equal(stack_parse_string("ws-ack.stack", ws_ack, &s, err, sizeof(err)), 0);
	assert_string_equal(s->name, "ws-ack");
	assert_string_equal(s->describe, "WebSocket send that waits for an ack");
	assert_int_equal(s->port, 8080);
	assert_false(s->ready_port);
	assert_int_equal(s->offers, CAP_FAILPOINTS);
	assert_true(s->is_default);
	assert_int_equal(s->server.line, 6);
	assert_int_equal(s->server.nwords, 8);

	assert_int_equal(stack_expand(s, &s->server, vars_fp, &argv, err, sizeof(err)), 0);
	assert_string_equal(join(argv), "/opt/acklab/bin/chatd --listen 198.18.2.2:8080 --db /tmp/cell/chat.db "
					"--events - --failpoints after-persist=crash");
	stack_argv_free(argv);
	assert_int_equal(stack_expand(s, &s->client, vars_fp, &argv, err, sizeof(err)), 0);
	assert_string_equal(join(argv), "/opt/acklab/bin/chatc --server http://198.18.2.2:8080 --mode ws-ack --timeout-ms 800");
	stack_argv_free(argv);

	assert_int_equal(stack_expand(s, &s->server, vars_nofp, &argv, err, sizeof(err)), 0);
	assert_string_equal(join(argv), "/b/chatd --listen 198.18.2.2:8080 --db /d/chat.db --events -");
	stack_argv_free(argv);

	assert_int_equal(stack_expand(s, &s->store, vars_nofp, &argv, err, sizeof(err)), -1);
	assert_null(argv);
	assert_string_equal(err, "ws-ack.stack:7: unknown placeholder {channel} (known: bin, server, addr, port, dir, failpoints)");
	/* Not placeholders: braces that do not close, empty braces. */
	stack_free(s);
	assert_int_equal(stack_parse_string("j.stack",
					    "stack j\nclient x {} {a {bin}c\nserver y\nstore z\nport 1\n",
					    &s, err, sizeof(err)), 0);
	{
		const char *const v[] = { "bin", "B", NULL };

		assert_int_equal(stack_expand(s, &s->client, v, &argv, err, sizeof(err)), 0);
		assert_string_equal(join(argv), "x {} {a Bc");
		stack_argv_free(argv);
	}
	stack_free(s);
	/* Braces around anything but a name are text: a command can carry JSON. */
	assert_int_equal(stack_parse_string("j.stack",
					    "stack j\nclient curl -d {\"user\":\"alice\"} \"{\\\"n\\\": {seed}}\"\n"
					    "server y\nstore z\nport 1\n", &s, err, sizeof(err)), 0);
	{
		const char *const v[] = { "seed", "7", NULL };

		assert_int_equal(stack_expand(s, &s->client, v, &argv, err, sizeof(err)), 0);
		assert_string_equal(join(argv), "curl -d {\"user\":\"alice\"} {\"n\": 7}");
		stack_argv_free(argv);
	}
	stack_free(s);
	stack_free(NULL);
}

struct bad_case {
	const char *text, *err;
};

static const struct bad_case bad_cases[] = {
	{ "", "b.stack:1:1: empty stack file (expected 'stack NAME' first)" },
	{ "client x\n", "b.stack:1:1: 'client' before 'stack' (expected 'stack NAME' first)" },
	{ "stack a\nclinet x\n",
	  "b.stack:2:1: unknown statement 'clinet' (expected stack, describe, kind, client, listen, server, store, bot, bot-store, setup, setup-timeout-ms, requires, port, ready, offers, timers, order, default or expect)" },
	{ "stack a\nport 99999\n", "b.stack:2:6: bad port '99999' (expected a number 1..65535)" },
	{ "stack a\nready soon\n", "b.stack:2:7: bad readiness 'soon' (expected line or port)" },
	{ "stack a\nneeds wings\n", "b.stack:2:7: unknown capability 'wings' (expected failpoints, events, restart, catchup, bot-http or bot-websocket; timers, storage and replicas follow from the commands' placeholders)" },
	{ "stack a\noffers storage\n", "b.stack:2:8: unknown capability 'storage' (expected failpoints, events, restart, catchup, bot-http or bot-websocket; timers, storage and replicas follow from the commands' placeholders)" },
	{ "stack a\noffers failpoints evnets\n", "b.stack:2:19: unknown capability 'evnets' (did you mean 'events'?) (expected failpoints, events, restart, catchup, bot-http or bot-websocket; timers, storage and replicas follow from the commands' placeholders)" },
	{ "stack a\noffers\n", "b.stack:2:1: missing capability after 'offers' (expected failpoints, events, restart, catchup, bot-http or bot-websocket)" },
	{ "stack a\ndescribe \"x\n", "b.stack:2:10: unterminated string (expected a closing '\"' on the same line)" },
	{ "stack a\nclient x\nclient y\n", "b.stack:3:1: second 'client' command (the first is at line 2)" },
	{ "stack a\nclient x\nserver y\nport 1\n", "b.stack:4:1: stack 'a' has no 'store' line" },
	{ "stack a\nport\n", "b.stack:2:1: missing value after 'port'" },
	{ "stack a\nport 1 2\n", "b.stack:2:8: unexpected '2' (expected one value)" },
	/* Placeholders are the runner's, checked when the file is read, with their column. */
	{ "stack a\nclient {bin}/chatc --timeout-ms {timeout} --seed {seed}\n",
	  "b.stack:2:33: unknown placeholder {timeout} (did you mean {timeout-ms}?)" },
	{ "stack a\nserver \"{bin}/chatd {dir}/x {nothing-like-it}\"\n",
	  "b.stack:2:29: unknown placeholder {nothing-like-it} (expected one of {bin} {server} {addr} {port} {dir} {stackdir} {channel} {failpoints} {seed} {role} or a client setting like {timeout-ms})" },
	{ "stack a\nserver chatd --fp={failpoints}\n",
	  "b.stack:2:19: {failpoints} must be a word of its own (it becomes the two words --failpoints SPEC, or nothing)" },
	{ "stack a\ndescribe \"\xff\"\n", "b.stack:2:11: invalid UTF-8 (byte 0xff; stack files are UTF-8 text)" },
	/* A stack name becomes a folder of the run. */
	{ "stack ..\n",
	  "b.stack:1:7: bad stack name '..' (expected lowercase letters, digits, '-' and '_', starting with a letter or digit)" },
	{ "# x\nstack   ../../etc\n",
	  "b.stack:2:9: bad stack name '../../etc' (expected lowercase letters, digits, '-' and '_', starting with a letter or digit)" },
	{ "stack HTTP\n",
	  "b.stack:1:7: bad stack name 'HTTP' (expected lowercase letters, digits, '-' and '_', starting with a letter or digit)" },
	/* Timers of the stack's own: known keys, numbers, and a command that takes each. */
	{ "stack a\ntimers timeout 5\n", "b.stack:2:8: unknown timer 'timeout' (did you mean 'timeout-ms'?)" },
	{ "stack a\ntimers client\n",
	  "b.stack:2:8: missing timer after 'client' (expected timers [client|listen] KEY VALUE..., e.g. timers timeout-ms 1500)" },
	{ "stack a\ntimers attempts\n", "b.stack:2:8: missing value after 'attempts'" },
	{ "stack a\ntimers attempts -1\n", "b.stack:2:17: bad value '-1' (expected a number of milliseconds, 0..3600000)" },
	{ "stack a\nclient c {timeout-ms}\nserver s\nstore r\nport 1\ntimers listen  timeout-ms 9\n",
	  "b.stack:6:16: timer 'timeout-ms' is set for the recipients, but the listen command takes no {timeout-ms}: it would not reach them" },
	{ "stack a\nclient c\nserver s\nstore r\nport 1\ntimers attempts 9\n",
	  "b.stack:6:8: timer 'attempts' is set, but neither the client nor the listen command takes {attempts}: it would reach no role" },
	/* A stack's own expect lines: the scenario language's grammar and errors, word 1 a scenario. */
	{ "stack a\nexpect lost-ack dup={m3}\n", "b.stack:2:17: unknown class 'dup' (did you mean 'gap'?)" },
	{ "stack a\nexpect lost-ack duplicate={m3\n", "b.stack:2:30: missing '}' (expected {m1,m2})" },
	{ "stack a\nexpect * clean\n",
	  "b.stack:2:8: a stack's expect line names one scenario ('*' is for a scenario's own expect lines)" },
	{ "stack a\nexpect Lost clean\n",
	  "b.stack:2:8: bad scenario name 'Lost' (expected the name of a scenario: lowercase letters, digits, '-' and '_')" },
	{ "stack a\nexpect  lost-ack clean\nexpect   lost-ack duplicate=1\n",
	  "b.stack:3:10: second expect for scenario 'lost-ack' (the first is at line 2)" },
	{ "stack a\nexpect lost-ack clean lost={m1}\n",
	  "b.stack:2:17: 'clean' and a bug class on one line (expected one or the other)" },
};

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct stack *s = (struct stack *)1;
		char err[512] = "";

		assert_int_equal(stack_parse_string("b.stack", bad_cases[i].text, &s, err, sizeof(err)), -1);
		assert_null(s);
		assert_string_equal(err, bad_cases[i].err);
	}
}

/* expect lines in a stack: parsed as a scenario's, found by scenario, checked against its sends. */
static void test_expect(void **state)
{
	static const char scn[] = "scenario lost-ack\nsend m1\nsend m3\nexpect * clean\n";
	struct scenario *sc = NULL;
	struct stack *s = NULL;
	const struct stack_expect *x;
	char err[512] = "";

	(void)state;
	assert_int_equal(scenario_parse_string("l.scn", scn, &sc, err, sizeof err), 0);
	assert_int_equal(stack_parse_string("v.stack",
					    "stack v\nclient c\nserver s\nstore r\nport 1\n"
					    "expect lost-ack duplicate={m3} attempts(m3)>=2 may-miss  # at least once\n"
					    "expect unknown-channel failed-visible=1\n", &s, err, sizeof err), 0);
	assert_int_equal(s->nexpects, 2);
	x = stack_expect_for(s, "lost-ack");
	assert_non_null(x);
	assert_int_equal(x->line, 6);
	assert_string_equal(x->e.stack, "v");
	assert_true(x->e.cls[CHK_DUPLICATE].named && x->e.cls[CHK_DUPLICATE].is_set);
	assert_int_equal(x->e.cls[CHK_DUPLICATE].nids, 1);
	assert_string_equal(x->e.cls[CHK_DUPLICATE].ids[0], "m3");
	assert_int_equal(x->e.nattempts, 1);
	assert_true(x->e.may_miss);
	assert_false(stack_expect_for(s, "unknown-channel")->e.cls[CHK_FAILED_VISIBLE].is_set);
	assert_null(stack_expect_for(s, "lost"));
	/* Not every scenario is known: only the known ones are checked. */
	assert_int_equal(stack_check_expects(s, &sc, 1, false, err, sizeof err), 0);
	/* Every scenario is known: unknown-channel is not among them. */
	assert_int_equal(stack_check_expects(s, &sc, 1, true, err, sizeof err), -1);
	assert_string_equal(err, "v.stack:7:8: unknown scenario 'unknown-channel' (see `acklab list`)");
	stack_free(s);

	assert_int_equal(stack_parse_string("v.stack", "stack v\nclient c\nserver s\nstore r\nport 1\n"
					    "expect lost-akc lost={m2}\n", &s, err, sizeof err), 0);
	assert_int_equal(stack_check_expects(s, &sc, 1, true, err, sizeof err), -1);
	assert_string_equal(err, "v.stack:6:8: unknown scenario 'lost-akc' (did you mean 'lost-ack'?)");
	stack_free(s);
	/* Its messages are the scenario's sends. */
	assert_int_equal(stack_parse_string("v.stack", "stack v\nclient c\nserver s\nstore r\nport 1\n"
					    "expect lost-ack lost={m2}\n", &s, err, sizeof err), 0);
	assert_int_equal(stack_check_expects(s, &sc, 1, false, err, sizeof err), -1);
	assert_string_equal(err, "v.stack:6:23: message 'm2' is never sent (did you mean 'm1'?) (expected an id "
			    "defined by a send: m1, m3)");
	stack_free(s);
	scenario_free(sc);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_load_dir(void **state)
{
	char dir[] = "/tmp/acklab-stacks-XXXXXX", err[512] = "", cmd[600];
	struct stack_set set;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(stack_load_dir(dir, &set, err, sizeof(err)), -1);
	snprintf(cmd, sizeof(cmd), "%s: no *.stack files", dir);
	assert_string_equal(err, cmd);
	write_file(dir, "ws-ack.stack", ws_ack);
	write_file(dir, "http.stack", "stack http\nclient c\nserver s\nstore t\nport 80\nready port\n");
	write_file(dir, "notes.txt", "not a stack\n");
	assert_int_equal(stack_load_dir(dir, &set, err, sizeof(err)), 0);
	assert_int_equal(set.n, 2);
	assert_string_equal(set.stacks[0].name, "http");
	assert_true(set.stacks[0].ready_port);
	assert_false(set.stacks[0].is_default);
	assert_string_equal(set.stacks[1].name, "ws-ack");
	assert_ptr_equal(stack_find(&set, "ws-ack"), &set.stacks[1]);
	assert_null(stack_find(&set, "nope"));
	stack_set_free(&set);

	write_file(dir, "zz.stack", "stack http\nclient c\nserver s\nstore t\nport 80\n");
	assert_int_equal(stack_load_dir(dir, &set, err, sizeof(err)), -1);
	snprintf(cmd, sizeof(cmd), "%s/zz.stack: stack 'http' is also defined in %s/http.stack", dir, dir);
	assert_string_equal(err, cmd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_expand),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_expect),
		cmocka_unit_test(test_load_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
