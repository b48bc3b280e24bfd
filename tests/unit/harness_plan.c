/*
 * Tests of the plan and check stages, and of sharding: a plan made from a
 * scenario and a stack holds their text, hashes, tokens and timers after
 * defaults and loads back to the same document; a scenario's needs come from
 * what it uses and a stack that lacks one makes the plan n/a with the exact
 * reason; the check stage reads a canned cell folder (no network) and gives
 * the classes of what is in it, n/a, not run or error as the record says;
 * shards partition the cells.
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
#include "../../harness/check.h"
#include "../../harness/matrix.h"
#include "../../harness/plan.h"
#include "../support/scratch.h"

static char dir[128];

static const char scn_text[] =
	"# Lost ack.\n"
	"scenario lost-ack\n"
	"title \"lost ack\"\n"
	"client timeout-ms 300 attempts 6\n"
	"on event server persisted m2: drop-replies client server\n"
	"send m1\n"
	"await client done m1\n"
	"send m2\n"
	"await server persisted m2 within 3s\n"
	"fault restart server\n"
	"heal\n"
	"expect http-nokey duplicate={m2}\n"
	"expect * clean\n";

static const char stack_text[] =
	"stack http-nokey\n"
	"client {bin}/chatc --server http://{server}:{port} --mode http-nokey --timeout-ms {timeout-ms} "
	"--attempts {attempts}\n"
	"listen {bin}/chatc --server http://{server}:{port} --mode listen --channel {channel}\n"
	"server {bin}/chatd --listen {addr}:{port} --db {dir}/chat.db --events - {failpoints}\n"
	"store  {bin}/chatc --server http://{server}:{port} --mode history --channel {channel}\n"
	"port 8080\n"
	"offers failpoints events restart\n";

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static struct plan *make_plan(const char *scn, const char *stk)
{
	struct scenario *s = NULL;
	struct stack *st = NULL;
	struct plan *p = NULL;
	char err[512] = "", path[256];

	write_file("x.scn", scn);
	write_file("x.stack", stk);
	snprintf(path, sizeof path, "%s/x.scn", dir);
	if (scenario_parse_file(path, &s, err, sizeof err) != 0)
		fail_msg("%s", err);
	snprintf(path, sizeof path, "%s/x.stack", dir);
	if (stack_parse_file(path, &st, err, sizeof err) != 0)
		fail_msg("%s", err);
	if (plan_make(s, st, 0x5f2c, 7, &p, err, sizeof err) != 0)
		fail_msg("plan_make: %s", err);
	scenario_free(s);
	stack_free(st);
	return p;
}

static int setup(void **state)
{
	(void)state;
	return scratch_make(dir, sizeof dir, "acklab-plan-test");
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_plan_resolves(void **state)
{
	struct plan *p = make_plan(scn_text, stack_text), *q = NULL;
	char err[512] = "", path[256], hex[65];
	json_t *doc;

	(void)state;
	assert_string_equal(p->cell, "lost-ack/http-nokey");
	assert_string_equal(plan_token(p, "m2"), "acklab-5f2c-m2");
	assert_string_equal(plan_token(p, "m20"), "");
	assert_int_equal(plan_timer(p, 0, "timeout-ms", -1), 300);
	assert_int_equal(plan_timer(p, 0, "attempts", -1), 6);
	assert_int_equal(plan_timer(p, 0, "backoff-base-ms", -1), 50);      /* the default */
	assert_int_equal(plan_timer(p, 1, "timeout-ms", -1), 1000);
	assert_int_equal(p->needs, CAP_EVENTS | CAP_RESTART);
	assert_string_equal(p->na, "");
	doc = p->doc;
	plan_sha256_hex(scn_text, strlen(scn_text), hex);
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "scenario"), "sha256")), hex);
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "scenario"), "text")), scn_text);
	assert_int_equal(json_integer_value(json_object_get(doc, "seed")), 7);
	/* Faults in scenario order, with their source lines. */
	assert_int_equal(json_array_size(json_object_get(doc, "faults")), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(doc, "faults"), 0), "source")),
			    "on event server persisted m2: drop-replies client server");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(doc, "faults"), 2), "fault")),
			    "heal");

	/* Written and loaded back, the plan is the same document. */
	snprintf(path, sizeof path, "%s/plan.json", dir);
	assert_int_equal(plan_write(p, path, err, sizeof err), 0);
	/* The files it came from may change: the plan holds their text. */
	write_file("x.scn", "scenario other\n");
	assert_int_equal(plan_load(path, &q, err, sizeof err), 0);
	assert_true(json_equal(p->doc, q->doc));
	assert_int_equal(q->nonce, 0x5f2c);
	assert_string_equal(q->s->name, "lost-ack");
	plan_free(p);
	plan_free(q);
}

static void test_plan_na(void **state)
{
	struct plan *p;
	char stk[1024], want[512];

	(void)state;
	/* No event lines offered: the rule on line 5 is the first use (the await on line 9 is another). */
	snprintf(stk, sizeof stk, "%s", stack_text);
	*strstr(stk, "offers") = '\0';
	strcat(stk, "offers failpoints restart\n");
	p = make_plan(scn_text, stk);
	snprintf(want, sizeof want, "stack http-nokey does not offer events (%s/x.scn: line 5 fires on "
		 "a server event line)", dir);
	assert_string_equal(p->na, want);
	plan_free(p);
}

static void test_plan_na_reasons(void **state)
{
	static const struct { const char *scn, *offers, *na_end; } cases[] = {
		{ "scenario a\nserver failpoints persist=fail@1\nsend m1\nexpect * clean\n", "offers events\n",
		  "does not offer failpoints (%s/x.scn: it arms server failpoints)" },
		{ "scenario a\nsend m1\nawait server fanout m1\nexpect * clean\n", "offers failpoints\n",
		  "does not offer events (%s/x.scn: line 3 awaits a server event line)" },
		{ "scenario a\nsend m1\nfault restart server\nexpect * clean\n", "offers events\n",
		  "does not offer restart (%s/x.scn: line 3 uses restart, which needs restart)" },
		{ "scenario a\nlisten heartbeat-ms 100\nsend m1\nexpect * clean\n", "offers failpoints\n",
		  "its listen command does not take {heartbeat-ms}, which %s/x.scn sets" },
		/* A listen command per recipient: a send-only stack is n/a, not an error. */
		{ "scenario a\nrecipients 2\nsend m1\nexpect * clean\n", "offers events\nNOLISTEN",
		  "has no listen command, and %s/x.scn has 2 recipients" },
		{ "scenario a\nrecipients 0\nsend m1\nexpect * clean\n", "offers events\nNOLISTEN", NULL },
		/* Process-level events are the harness's own: they need nothing. */
		{ "scenario a\non exit server: restart server\nsend m1\nawait server ready\nexpect * clean\n",
		  "offers restart\n", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char stk[1024], want[512];
		struct plan *p;

		snprintf(stk, sizeof stk, "%s", stack_text);
		*strstr(stk, "offers") = '\0';
		strcat(stk, cases[i].offers);
		if (strstr(stk, "NOLISTEN")) {
			char *l = strstr(stk, "listen "), *nl = strchr(l, '\n');

			*strstr(stk, "NOLISTEN") = '\0';
			memmove(l, nl + 1, strlen(nl + 1) + 1);
		}
		p = make_plan(cases[i].scn, stk);
		if (!cases[i].na_end) {
			assert_string_equal(p->na, "");
		} else {
			snprintf(want, sizeof want, cases[i].na_end, dir);
			if (!strstr(p->na, want))
				fail_msg("case %zu: na '%s' lacks '%s'", i, p->na, want);
		}
		plan_free(p);
	}
}

/* A failpoints offer without the {failpoints} word in the server command is no offer. */
static void test_plan_failpoints_need_placeholder(void **state)
{
	char stk[1024], *fp;
	struct plan *p;

	(void)state;
	snprintf(stk, sizeof stk, "%s", stack_text);
	fp = strstr(stk, " {failpoints}");
	memmove(fp, fp + 13, strlen(fp + 13) + 1);
	p = make_plan("scenario a\nserver failpoints persist=fail@1\nsend m1\nexpect * clean\n", stk);
	assert_non_null(strstr(p->na, "does not offer failpoints"));
	assert_int_equal(p->offers & CAP_FAILPOINTS, 0);
	plan_free(p);
}

/* Storage is offered by a server command that names its data folder {dir}, never declared. */
static void test_plan_storage_needs_dir(void **state)
{
	static const char scn[] = "scenario a\nsend m1\nfault disk-full server\nexpect * clean\n";
	char stk[1024], *d, want[512];
	struct plan *p;

	(void)state;
	p = make_plan(scn, stack_text);
	assert_string_equal(p->na, "");
	assert_int_equal(p->needs & CAP_STORAGE, CAP_STORAGE);
	assert_int_equal(p->offers & CAP_STORAGE, CAP_STORAGE);
	plan_free(p);
	/* the same server keeping its store elsewhere: no disk of its own to fill */
	snprintf(stk, sizeof stk, "%s", stack_text);
	d = strstr(stk, "{dir}/chat.db");
	memcpy(d, "/var/x.db    ", 13);
	p = make_plan(scn, stk);
	snprintf(want, sizeof want, "stack http-nokey does not offer storage (%s/x.scn: line 3 uses "
		 "disk-full, which needs storage)", dir);
	assert_string_equal(p->na, want);
	plan_free(p);
}

static const char *cell_stack = stack_text;     /* the stack the canned cells were planned with */

static void write_cell(const char *cell_json, const char *history, const char *store)
{
	struct plan *p = make_plan(scn_text, cell_stack);
	char err[256], path[256];

	snprintf(path, sizeof path, "%s/plan.json", dir);
	assert_int_equal(plan_write(p, path, err, sizeof err), 0);
	plan_free(p);
	snprintf(path, sizeof path, "%s/cell.json", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/store.jsonl", dir);
	unlink(path);
	if (cell_json)
		write_file("cell.json", cell_json);
	if (history)
		write_file("history.jsonl", history);
	if (store)
		write_file("store.jsonl", store);
}

#define SEND(id, t) "{\"t\":" #t ",\"role\":\"acklab\",\"ev\":\"send\",\"id\":\"" id "\",\"token\":\"acklab-5f2c-" id "\"}\n"
#define SENT(id, t) "{\"t\":" #t ",\"role\":\"client\",\"ev\":\"sent\",\"id\":\"" id "\",\"attempts\":1}\n"
#define RECV(id, ts, t) "{\"t\":" #t ",\"role\":\"recipient1\",\"ev\":\"received\",\"ts\":\"" ts "\",\"text\":\"" id " (acklab-5f2c-" id ")\"}\n"
#define ROW(id, ts) "{\"channel\":\"general\",\"ts\":\"" ts "\",\"text\":\"" id " (acklab-5f2c-" id ")\"}\n"

static void test_check_reads_the_folder(void **state)
{
	static const char history[] = SEND("m1", 1000) SENT("m1", 2000) RECV("m1", "1.1", 2100)
		SEND("m2", 3000) SENT("m2", 4000) RECV("m2", "1.2", 4100) RECV("m2", "1.3", 4200)
		/* A store row in the history is not what the check reads: store.jsonl is. */
		"{\"t\":5000,\"role\":\"store\",\"ev\":\"stored\",\"ts\":\"9.9\",\"text\":\"m1 (acklab-5f2c-m1)\"}\n";
	struct cell_result r;
	char err[256];

	(void)state;
	write_cell("{\"t0_ns\":0,\"store_read_ns\":5000,\"duration_ms\":12.5,\"error\":null}", history,
		   ROW("m1", "1.1") ROW("m2", "1.2") ROW("m2", "1.3"));
	assert_int_equal(check_cell_dir(NULL, dir, &r, err, sizeof err), 0);
	assert_int_equal(r.status, CELL_MET);            /* http-nokey expects duplicate={m2} */
	assert_string_equal(r.chk.verdict, "DUP m2");
	assert_int_equal(r.chk.msgs[0].stored, 1);
	assert_true(r.duration_ms == 12.5);
	assert_string_equal(r.stack, "http-nokey");
	cell_result_release(&r);

	/* The same history with one row fewer in store.jsonl: m2 stored once, clean, not as expected. */
	write_cell("{\"t0_ns\":0,\"store_read_ns\":5000,\"duration_ms\":12.5}", history,
		   ROW("m1", "1.1") ROW("m2", "1.2"));
	assert_int_equal(check_cell_dir(NULL, dir, &r, err, sizeof err), 0);
	assert_int_equal(r.status, CELL_UNMET);
	cell_result_release(&r);
}

/*
 * Which expect line holds: the stack's own for the scenario, then the
 * scenario's for the stack's name, then the scenario's '*' (for any stack,
 * one that is not a default column too). The plan says which, and where.
 */
static void test_plan_expect_precedence(void **state)
{
	char stk[2048], path[256];
	struct plan *p;
	json_t *e;

	(void)state;
	p = make_plan(scn_text, stack_text);         /* the scenario names http-nokey on line 12 */
	snprintf(path, sizeof path, "%s/x.scn", dir);
	assert_string_equal(p->expect_by, "scenario");
	assert_string_equal(p->expect_file, path);
	assert_int_equal(p->expect_line, 12);
	assert_true(p->expect->cls[CHK_DUPLICATE].named);
	e = json_object_get(p->doc, "expect");
	assert_string_equal(json_string_value(json_object_get(e, "source")), "expect http-nokey duplicate={m2}");
	plan_free(p);

	snprintf(stk, sizeof stk, "%sexpect other-scenario lost=1\nexpect lost-ack lost={m2} attempts(m2)>=2\n",
		 stack_text);
	p = make_plan(scn_text, stk);
	snprintf(path, sizeof path, "%s/x.stack", dir);
	assert_string_equal(p->expect_by, "stack");
	assert_string_equal(p->expect_file, path);
	assert_int_equal(p->expect_line, 9);
	assert_true(p->expect->cls[CHK_LOST].named);
	assert_false(p->expect->cls[CHK_DUPLICATE].named);
	e = json_object_get(p->doc, "expect");
	assert_string_equal(json_string_value(json_object_get(e, "by")), "stack");
	assert_int_equal(json_integer_value(json_object_get(e, "line")), 9);
	assert_string_equal(json_string_value(json_object_get(e, "source")),
			    "expect lost-ack lost={m2} attempts(m2)>=2");
	plan_free(p);

	/* A stack the scenario does not name, not a default column: the scenario's '*' (line 13). */
	snprintf(stk, sizeof stk, "%s", stack_text);
	memcpy(strstr(stk, "http-nokey"), "vendor-xy0", 10);
	p = make_plan(scn_text, stk);
	assert_string_equal(p->expect_by, "scenario *");
	assert_int_equal(p->expect_line, 13);
	plan_free(p);
}

/*
 * A stack's own timers win over the scenario's (which win over the
 * defaults), for the roles they name; the plan says where each came from.
 */
static void test_plan_stack_timers(void **state)
{
	static const char stk[] =
		"stack http-nokey\n"
		"client c --timeout-ms {timeout-ms} --attempts {attempts} --connect {connect-timeout-ms}\n"
		"listen l --timeout-ms {timeout-ms} --cap {backoff-cap-ms}\n"
		"server {bin}/chatd --listen {addr}:{port} --db {dir}/chat.db --events - {failpoints}\n"
		"store s\n"
		"port 8080\n"
		"offers failpoints events restart\n"
		"timers timeout-ms 1500 connect-timeout-ms 900\n"
		"timers client timeout-ms 1200\n"
		"timers listen backoff-cap-ms 77\n";
	struct plan *p;
	json_t *from;

	(void)state;
	p = make_plan(scn_text, stk);           /* the scenario: client timeout-ms 300 attempts 6 */
	assert_string_equal(p->na, "");
	assert_int_equal(plan_timer(p, 0, "timeout-ms", -1), 1200);       /* the stack's later line */
	assert_int_equal(plan_timer(p, 0, "attempts", -1), 6);            /* the scenario's */
	assert_int_equal(plan_timer(p, 0, "connect-timeout-ms", -1), 900);
	assert_int_equal(plan_timer(p, 0, "backoff-base-ms", -1), 50);    /* the default */
	assert_int_equal(plan_timer(p, 1, "timeout-ms", -1), 1500);
	assert_int_equal(plan_timer(p, 1, "backoff-cap-ms", -1), 77);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p->doc, "client"), "timeout-ms")), 1200);
	from = json_object_get(json_object_get(p->doc, "timers_from"), "client");
	assert_string_equal(json_string_value(json_object_get(from, "timeout-ms")), "stack");
	assert_string_equal(json_string_value(json_object_get(from, "attempts")), "scenario");
	assert_string_equal(json_string_value(json_object_get(from, "backoff-base-ms")), "default");
	from = json_object_get(json_object_get(p->doc, "timers_from"), "listen");
	assert_string_equal(json_string_value(json_object_get(from, "backoff-cap-ms")), "stack");
	assert_string_equal(json_string_value(json_object_get(from, "attempts")), "default");
	plan_free(p);
}

/* A plan refuses a stack expect line naming a message its scenario never sends. */
static void test_plan_stack_expect_messages(void **state)
{
	struct scenario *s = NULL;
	struct stack *st = NULL;
	struct plan *p = (struct plan *)1;
	char err[512] = "", path[256], stk[2048], want[512];

	(void)state;
	snprintf(stk, sizeof stk, "%sexpect lost-ack lost={m7}\n", stack_text);
	write_file("x.scn", scn_text);
	write_file("x.stack", stk);
	snprintf(path, sizeof path, "%s/x.scn", dir);
	assert_int_equal(scenario_parse_file(path, &s, err, sizeof err), 0);
	snprintf(path, sizeof path, "%s/x.stack", dir);
	assert_int_equal(stack_parse_file(path, &st, err, sizeof err), 0);
	assert_int_equal(plan_make(s, st, 1, 1, &p, err, sizeof err), -1);
	assert_null(p);
	snprintf(want, sizeof want, "%s/x.stack:8:23: message 'm7' is never sent", dir);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("err '%s' does not start with '%s'", err, want);
	scenario_free(s);
	stack_free(st);
}

/* The check holds a cell to the stack's own line, and says where that line is. */
static void test_check_stack_expect(void **state)
{
	static const char history[] = SEND("m1", 1000) SENT("m1", 2000) RECV("m1", "1.1", 2100)
		SEND("m2", 3000) SENT("m2", 4000) RECV("m2", "1.2", 4100);
	char stk[2048], err[256], path[256];
	struct cell_result r;

	(void)state;
	/* Clean, where the scenario's own line for http-nokey wants duplicate={m2}: not as expected. */
	write_cell("{\"t0_ns\":0,\"store_read_ns\":5000,\"duration_ms\":1}", history, ROW("m1", "1.1") ROW("m2", "1.2"));
	assert_int_equal(check_cell_dir(NULL, dir, &r, err, sizeof err), 0);
	assert_int_equal(r.status, CELL_UNMET);
	assert_int_equal(r.expect_line, 12);
	cell_result_release(&r);
	/* The stack says clean for this scenario: its line wins. */
	snprintf(stk, sizeof stk, "%sexpect lost-ack clean\n", stack_text);
	cell_stack = stk;
	write_cell("{\"t0_ns\":0,\"store_read_ns\":5000,\"duration_ms\":1}", history, ROW("m1", "1.1") ROW("m2", "1.2"));
	cell_stack = stack_text;
	assert_int_equal(check_cell_dir(NULL, dir, &r, err, sizeof err), 0);
	assert_int_equal(r.status, CELL_MET);
	snprintf(path, sizeof path, "%s/x.stack", dir);
	assert_string_equal(r.expect_path, path);
	assert_int_equal(r.expect_line, 8);
	cell_result_release(&r);
}

/* A fault that touched nothing makes a clean verdict vacuous: the cell fails unless may-miss. */
static void test_check_untouched(void **state)
{
	static const char history[] = SEND("m1", 1000) SENT("m1", 2000) RECV("m1", "1.1", 2100)
		SEND("m2", 3000) SENT("m2", 4000) RECV("m2", "1.2", 4100) RECV("m2", "1.3", 4200)
		"{\"t\":4500,\"role\":\"acklab\",\"ev\":\"faults\",\"applied\":[{\"fault\":\"drop-replies\","
		"\"args\":[\"client\",\"server\"],\"trigger\":\"step at line 24\",\"touched\":{\"packets\":0,"
		"\"flows\":1,\"bit\":false}}]}\n";
	struct cell_result r;
	char err[256];

	(void)state;
	write_cell("{\"t0_ns\":0,\"store_read_ns\":5000}", history,
		   ROW("m1", "1.1") ROW("m2", "1.2") ROW("m2", "1.3"));
	assert_int_equal(check_cell_dir(NULL, dir, &r, err, sizeof err), 0);
	assert_int_equal(r.status, CELL_UNMET);
	assert_string_equal(r.untouched, "drop-replies client server (step at line 24)");
	assert_string_equal(r.chk.verdict, "DUP m2, UNTOUCHED");
	assert_non_null(strstr(r.chk.reason, "the fault touched nothing: drop-replies client server"));
	cell_result_release(&r);
}

static void test_check_statuses(void **state)
{
	struct cell_result r;
	char err[256];

	(void)state;
	write_cell(NULL, "", NULL);
	assert_int_equal(check_cell_dir(NULL, dir, &r, err, sizeof err), 0);
	assert_int_equal(r.status, CELL_NOT_RUN);
	assert_false(cell_met(&r));
	cell_result_release(&r);

	write_cell("{\"t0_ns\":0,\"error\":\"client did not print a ready line within 10000 ms\"}",
		   SEND("m1", 1000), NULL);
	assert_int_equal(check_cell_dir(NULL, dir, &r, err, sizeof err), 0);
	assert_int_equal(r.status, CELL_ERROR);
	assert_string_equal(r.error, "client did not print a ready line within 10000 ms");
	cell_result_release(&r);

	/* No plan: not a cell. */
	unlink("plan.json");
	assert_int_equal(check_cell_dir("/nonexistent", "a/b", &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/a/b/plan.json"));
}

static void test_shards_partition(void **state)
{
	const char *scn[] = { "b", "a", "a", "c", "b", "a", "c" };
	const char *stk[] = { "x", "y", "x", "x", "y", "z", "y" };
	int seen[7] = { 0 };

	(void)state;
	for (int total = 1; total <= 4; total++) {
		memset(seen, 0, sizeof seen);
		for (int k = 1; k <= total; k++) {
			bool keep[7];

			matrix_shard_select(scn, stk, 7, k, total, keep);
			for (int i = 0; i < 7; i++)
				seen[i] += keep[i];
		}
		for (int i = 0; i < 7; i++)
			assert_int_equal(seen[i], 1);             /* every cell in exactly one shard */
	}
	{
		bool keep[7];

		/* Sorted: a/x a/y a/z b/x b/y c/x c/y; shard 1 of 3 takes a/x, b/x, c/y. */
		matrix_shard_select(scn, stk, 7, 1, 3, keep);
		assert_true(keep[2] && keep[0] && keep[6]);
		assert_false(keep[1] || keep[3] || keep[4] || keep[5]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plan_resolves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_na, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_na_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_failpoints_need_placeholder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_storage_needs_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_reads_the_folder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_expect_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_stack_expect_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_stack_timers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_stack_expect, setup, teardown),
		cmocka_unit_test(test_shards_partition),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
