/*
 * Tests of the reporters on two canned cells (one as expected, one not):
 * every reporter in report_table writes its file into a temporary run
 * folder, and each file is checked for the parts a reader relies on (and
 * a CI system: the failure first, its expect line and its rerun command);
 * the terminal matrix is checked for alignment. A report that cannot be
 * written fails with the file and the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../harness/report.h"
#include "util.h"

#define MS 1000000LL
#define T0 7000000000LL

static char run_dir[64];
static struct outdir run_out;         /* run_dir, open: reporters write into it */

static void add(struct history *h, const char *role, double ms, json_t *o)
{
	assert_non_null(history_add(h, role, o, T0 + (long long)(ms * MS)));
}

/* A crash-before-persist history on ws-naive: m1 ok, m2 lost. */
static struct history *lost_history(void)
{
	struct history *h = history_new();

	add(h, "server", -50, json_pack("{s:s}", "ev", "ready"));
	add(h, "acklab", 0, json_pack("{s:s,s:s,s:s,s:s}", "ev", "send", "id", "m1", "token", "acklab-1-m1", "channel", "general"));
	add(h, "client", 3, json_pack("{s:s,s:s,s:i}", "ev", "sent", "id", "m1", "attempts", 1));
	add(h, "recipient1", 4, json_pack("{s:s,s:s,s:s,s:s}", "ev", "received", "ts", "1.1", "text", "m1 (acklab-1-m1)", "via", "ws"));
	add(h, "acklab", 100, json_pack("{s:s,s:s,s:s,s:s}", "ev", "send", "id", "m2", "token", "acklab-1-m2", "channel", "general"));
	add(h, "client", 101, json_pack("{s:s,s:s,s:i}", "ev", "sending", "id", "m2", "attempt", 1));
	add(h, "client", 412.3, json_pack("{s:s,s:s,s:i}", "ev", "sent", "id", "m2", "attempts", 1));
	add(h, "acklab", 415, json_pack("{s:s,s:s,s:[s],s:s,s:s}", "ev", "fault", "fault", "crash", "args", "server",
					 "what", "killed server with SIGKILL", "trigger", "packet carrying m2"));
	add(h, "server", 415.5, json_pack("{s:s,s:s}", "ev", "exit", "status", "signal 9 (KILL)"));
	add(h, "client", 420, json_pack("{s:s,s:s}", "ev", "connected", "id", "other"));
	add(h, "client", 430, json_pack("{s:s,s:s}", "ev", "disconnected", "reason", "heartbeat"));
	add(h, "client", 440, json_pack("{s:s}", "ev", "connected"));
	add(h, "store", 900, json_pack("{s:s,s:s,s:s}", "ev", "stored", "ts", "1.1", "text", "m1 (acklab-1-m1)"));
	return h;
}

static void make_cells(struct cell_result *cells, struct history **h)
{
	char err[256];
	struct scn_expect lost;

	memset(cells, 0, 2 * sizeof(*cells));
	*h = lost_history();
	memset(&lost, 0, sizeof(lost));
	lost.cls[CHK_LOST].named = lost.cls[CHK_LOST].is_set = true;
	static char lost_ids[1][SCN_ID_MAX];

	lost.cls[CHK_LOST].ids = lost_ids;
	str_copy(lost.cls[CHK_LOST].ids[0], "m2", SCN_ID_MAX);
	lost.cls[CHK_LOST].nids = lost.cls[CHK_LOST].count = 1;

	/* Cell 0: ws-naive, LOST m2 expected and observed: pass. */
	str_copy(cells[0].scenario, "crash-before-persist", sizeof(cells[0].scenario));
	str_copy(cells[0].title, "crash before persist", sizeof(cells[0].title));
	str_copy(cells[0].lesson, "The server dies between the ack and the write.", sizeof(cells[0].lesson));
	str_copy(cells[0].stack, "ws-naive", sizeof(cells[0].stack));
	str_copy(cells[0].dir, "crash-before-persist/ws-naive", sizeof(cells[0].dir));
	str_copy(cells[0].scenario_path, "scenarios/crash-before-persist.scn", sizeof(cells[0].scenario_path));
	cells[0].expect_line = 14;
	cells[0].seed = 7;
	cells[0].ran = true;
	cells[0].status = CELL_MET;
	cells[0].duration_ms = 1500;
	cells[0].history = *h;
	cells[0].t0_ns = T0;
	cells[0].extra = json_pack("{s:f}", "detect_ms", 312.6);
	assert_int_equal(checker_run_at(*h, &lost, 1, T0, &cells[0].chk, err, sizeof(err)), 0);
	assert_true(cells[0].chk.pass);

	/* Cell 1: the same history on ws-ack, where clean was expected: fail. */
	cells[1] = cells[0];
	cells[1].extra = NULL;
	str_copy(cells[1].stack, "ws-ack", sizeof(cells[1].stack));
	str_copy(cells[1].dir, "crash-before-persist/ws-ack", sizeof(cells[1].dir));
	cells[1].expect_line = 15;
	cells[1].duration_ms = 2250;
	assert_int_equal(checker_run_at(*h, NULL, 1, T0, &cells[1].chk, err, sizeof(err)), 0);
	assert_false(cells[1].chk.pass);
	cells[1].status = CELL_UNMET;
}

static char *slurp(const char *name)
{
	char path[256], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", run_dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* The line of text holding both a and b (b NULL: just a), or NULL. */
static const char *row_with(const char *text, const char *a, const char *b)
{
	for (const char *p = text; (p = strstr(p, a)); p++) {
		const char *bol = p, *eol = strchr(p, '\n');

		while (bol > text && bol[-1] != '\n')
			bol--;
		if (!b)
			return bol;
		if (strstr(bol, b) && (!eol || strstr(bol, b) < eol))
			return bol;
	}
	return NULL;
}

static void test_reporters(void **state)
{
	struct cell_result cells[2];
	struct run_info run;
	struct history *h;
	char err[512] = "", path[256], *text;
	json_t *root, *cell, *msg;
	json_error_t jerr;

	(void)state;
	make_cells(cells, &h);
	snprintf(path, sizeof(path), "%s/crash-before-persist/ws-naive", run_dir);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && touch '%s/server.log' '%s/client.log'", path, path, path);
		assert_int_equal(system(cmd), 0);
	}
	memset(&run, 0, sizeof(run));
	str_copy(run.dir, run_dir, sizeof(run.dir));
	run.out = &run_out;
	str_copy(run.started, "2025-01-02T03:04:05Z", sizeof(run.started));
	run.ncells = 2;
	run.duration_ms = 3750;
	for (int k = 0; report_table[k]; k++) {
		void *st = NULL;

		assert_int_equal(report_table[k]->begin(&st, &run, err, sizeof(err)), 0);
		for (int i = 0; i < 2; i++)
			assert_int_equal(report_table[k]->cell(st, &cells[i], err, sizeof(err)), 0);
		assert_int_equal(report_table[k]->end(st, &run, cells, 2, err, sizeof(err)), 0);
	}

	/* results.json */
	snprintf(path, sizeof(path), "%s/results.json", run_dir);
	root = json_load_file(path, 0, &jerr);
	assert_non_null(root);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "run"), "passed")), 1);
	assert_int_equal(json_array_size(json_object_get(root, "cells")), 2);
	cell = json_array_get(json_object_get(root, "cells"), 0);
	assert_string_equal(json_string_value(json_object_get(cell, "scenario")), "crash-before-persist");
	assert_string_equal(json_string_value(json_object_get(cell, "title")), "crash before persist");
	assert_string_equal(json_string_value(json_object_get(cell, "stack")), "ws-naive");
	assert_true(json_is_true(json_object_get(cell, "ran")));
	assert_true(json_is_true(json_object_get(cell, "pass")));
	assert_string_equal(json_string_value(json_object_get(cell, "verdict")), "LOST m2");
	assert_string_equal(json_string_value(json_object_get(cell, "expected")), "LOST m2");
	assert_string_equal(json_string_value(json_object_get(cell, "reason")), "");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(cell, "counts"), "lost")), 1);
	assert_true(json_real_value(json_object_get(cell, "duration_ms")) == 1500.0);
	assert_true(json_real_value(json_object_get(json_object_get(cell, "extra"), "detect_ms")) > 312.0);
	msg = json_array_get(json_object_get(cell, "messages"), 1);
	assert_string_equal(json_string_value(json_object_get(msg, "id")), "m2");
	assert_string_equal(json_string_value(json_object_get(msg, "class")), "lost");
	assert_string_equal(json_string_value(json_object_get(msg, "client")), "sent");
	assert_int_equal(json_integer_value(json_object_get(msg, "attempts")), 1);
	assert_int_equal(json_integer_value(json_object_get(msg, "stored")), 0);
	assert_int_equal(json_integer_value(json_object_get(msg, "delivered")), 0);
	assert_non_null(json_string_value(json_object_get(msg, "why")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(cell, "artifacts"), "history")),
			    "crash-before-persist/ws-naive/history.jsonl");
	assert_string_equal(json_string_value(json_object_get(json_object_get(cell, "artifacts"), "capture")),
			    "crash-before-persist/ws-naive/capture.pcap");
	assert_int_equal(json_array_size(json_object_get(json_object_get(cell, "artifacts"), "logs")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(cell, "artifacts"), "logs"), 0)),
			    "crash-before-persist/ws-naive/client.log");
	cell = json_array_get(json_object_get(root, "cells"), 1);
	assert_true(json_is_false(json_object_get(cell, "pass")));
	assert_string_equal(json_string_value(json_object_get(cell, "reason")), "expected clean, observed lost={m2}");
	json_decref(root);

	/* junit.xml */
	text = slurp("junit.xml");
	assert_int_equal(count(text, "<testcase "), 2);
	assert_int_equal(count(text, "<failure "), 1);
	assert_int_equal(count(text, "<error "), 0);
	assert_non_null(strstr(text, "<testsuite name=\"acklab\" tests=\"2\" failures=\"1\""));
	assert_non_null(strstr(text, "<testcase classname=\"crash-before-persist\" name=\"crash-before-persist × ws-ack\" "
				     "time=\"2.250\" file=\"scenarios/crash-before-persist.scn\" line=\"15\">"));
	assert_non_null(strstr(text, "<property name=\"acklab.version\" value=\""));
	assert_non_null(strstr(text, "<property name=\"acklab.commit\" value=\""));
	assert_non_null(strstr(text, "<property name=\"kernel\" value=\""));
	assert_int_equal(count(text, "<property name=\"seed\" value=\"7\"/>"), 2);
	assert_non_null(strstr(text, "<property name=\"rerun\" value=\"./run.sh run crash-before-persist --stack ws-ack -v\"/>"));
	assert_non_null(strstr(text, "<failure message=\"expected clean, observed lost={m2}\""));
	assert_non_null(strstr(text, "expectation: scenarios/crash-before-persist.scn:15\n"
				     "run it again: ./run.sh run crash-before-persist --stack ws-ack -v</failure>"));
	assert_non_null(strstr(text, "m2 lost: client=sent attempts=1 stored=0 delivered=0; client showed Sent at 412 ms"));
	free(text);

	/* summary.md: the failure first, with its expect line and its rerun command */
	text = slurp("summary.md");
	assert_non_null(strstr(text, "## ✗ 1 cell not as expected\n\n"
				     "- **crash-before-persist × ws-ack**: expected clean, observed LOST m2 (expected clean, "
				     "observed lost={m2}).\n  Expectation: `scenarios/crash-before-persist.scn:15`. Run it "
				     "again: `./run.sh run crash-before-persist --stack ws-ack -v`, or exactly as planned: "
				     "`acklab run --plan crash-before-persist/ws-ack/plan.json -v`. "
				     "[Its story](#story-crash-before-persist-ws-ack).\n"));
	assert_true(strstr(text, "## ✗ 1 cell") < strstr(text, "| scenario |"));
	assert_non_null(strstr(text, "| scenario | ws-naive | ws-ack |\n| --- | --- | --- |\n"
				     "| crash before persist | [LOST m2 ✓](#story-crash-before-persist-ws-naive) | "
				     "[LOST m2 ✗](#story-crash-before-persist-ws-ack) |\n"));
	assert_non_null(strstr(text, "<a id=\"story-crash-before-persist-ws-ack\"></a>\n\n"
				     "## crash-before-persist × ws-ack: LOST m2 ✗"));
	/* the story not as expected comes before the one that is */
	assert_true(strstr(text, "## crash-before-persist × ws-ack") < strstr(text, "## crash-before-persist × ws-naive"));
	assert_non_null(strstr(text, "> The server dies between the ack and the write."));
	assert_non_null(row_with(text, "+100.0", "acklab     asked the client to send m2 on #general"));
	assert_non_null(row_with(text, "+101.0", "client     showed Sending (attempt 1)"));
	assert_non_null(row_with(text, "+412.3", "client     showed Sent (attempt 1)"));
	assert_non_null(row_with(text, "+415.0", "acklab     fault crash server: killed server with SIGKILL (on packet carrying m2)"));
	assert_non_null(row_with(text, "+415.5", "server     exited: signal 9 (KILL)"));
	assert_non_null(row_with(text, "-50.0", "server     ready"));
	/* lanes: the crash is a mark on the server's lane, Sent a mark on the screen's */
	assert_non_null(strstr(text, "      ms    screen   client   router   server   store    rcpt1\n"));
	assert_non_null(row_with(text, "+415.0      |        |        |        !        |        |  ", NULL));
	assert_non_null(row_with(text, "+412.3      S        |        |        |        |        |  ", NULL));
	assert_non_null(strstr(text, "the store holds no row of m2\n```"));
	/* the client's first connection is not part of the story; losing it and reconnecting are */
	assert_null(strstr(text, "+420.0"));
	assert_non_null(row_with(text, "+430.0", "client     found its connection dead: no answer to its heartbeat ping"));
	assert_non_null(row_with(text, "+440.0", "client     opened a new connection"));
	assert_null(strstr(text, "was shown m1"));    /* m1 is ok: not in the story */
	assert_non_null(strstr(text, "**Not as expected:** expected clean, observed lost={m2}.\n"));
	assert_non_null(strstr(text, "## Time to notice a broken connection\n"));
	assert_non_null(strstr(text, "| crash before persist | ws-naive | 313 ms |\n"));
	assert_int_equal(count(text, "\n## "), 4);
	free(text);

	/* report.html: the matrix linking to each story, a diagram per story, nothing from outside */
	text = slurp("report.html");
	assert_non_null(strstr(text, "<!DOCTYPE html>"));
	assert_non_null(strstr(text, "Content-Security-Policy\" content=\"default-src 'none'"));
	assert_null(strstr(text, "<script"));
	assert_null(strstr(text, "src=\""));
	assert_non_null(strstr(text, "<a href=\"#story-crash-before-persist-ws-naive\">LOST m2 ✓</a>"));
	assert_non_null(strstr(text, "<article class=\"story\" id=\"story-crash-before-persist-ws-ack\">"));
	assert_non_null(strstr(text, "id=\"diagram-crash-before-persist-ws-naive\""));
	assert_non_null(strstr(text, "id=\"diagram-crash-before-persist-ws-ack\""));
	assert_non_null(strstr(text, "<title>+415.0 ms  acklab: fault crash server: killed server with SIGKILL (on packet carrying m2)</title>"));
	assert_non_null(strstr(text, "id=\"detection-plot\""));
	assert_non_null(strstr(text, "scenarios/crash-before-persist.scn:15"));
	assert_true(strstr(text, "id=\"failures\"") < strstr(text, "id=\"matrix\""));
	assert_int_equal(count(text, "<svg "), 3);
	free(text);

	json_decref(cells[0].extra);
	chk_result_free(&cells[0].chk);
	chk_result_free(&cells[1].chk);
	history_free(h);
}

static void test_not_ran(void **state)
{
	struct cell_result c;
	struct run_info run;
	char err[256], *text;
	void *st;

	(void)state;
	memset(&c, 0, sizeof(c));
	str_copy(c.scenario, "a<b", sizeof(c.scenario));
	str_copy(c.stack, "http", sizeof(c.stack));
	str_copy(c.error, "server never became ready within 5000 ms", sizeof(c.error));
	c.status = CELL_ERROR;
	memset(&run, 0, sizeof(run));
	str_copy(run.dir, run_dir, sizeof(run.dir));
	run.out = &run_out;
	assert_int_equal(report_junit_ops.begin(&st, &run, err, sizeof(err)), 0);
	assert_int_equal(report_junit_ops.cell(st, &c, err, sizeof(err)), 0);
	assert_int_equal(report_junit_ops.end(st, &run, &c, 1, err, sizeof(err)), 0);
	text = slurp("junit.xml");
	assert_int_equal(count(text, "<error message=\"server never became ready within 5000 ms\""), 1);
	assert_non_null(strstr(text, "classname=\"a&lt;b\""));
	free(text);
	/* The page escapes what it did not write itself. */
	assert_int_equal(report_html_ops.begin(&st, &run, err, sizeof(err)), 0);
	assert_int_equal(report_html_ops.cell(st, &c, err, sizeof(err)), 0);
	assert_int_equal(report_html_ops.end(st, &run, &c, 1, err, sizeof(err)), 0);
	text = slurp("report.html");
	assert_non_null(strstr(text, "Could not run to the end: server never became ready within 5000 ms"));
	assert_non_null(strstr(text, "a&lt;b"));
	assert_null(strstr(text, "a<b"));
	free(text);
}

/* A cell that broke before any message was sent still shows what did happen. */
static void test_error_partial_timeline(void **state)
{
	struct history *h = history_new();
	struct cell_result c;
	struct run_info run;
	char err[256], *text;
	void *st;

	(void)state;
	add(h, "server", 10, json_pack("{s:s}", "ev", "started"));
	add(h, "acklab", 20, json_pack("{s:s,s:s,s:[s],s:s,s:s}", "ev", "fault", "fault", "crash", "args", "server",
				       "what", "killed server with SIGKILL", "trigger", "500 ms after start"));
	add(h, "server", 21, json_pack("{s:s,s:s}", "ev", "exit", "status", "signal 9 (KILL)"));
	memset(&c, 0, sizeof(c));
	str_copy(c.scenario, "early", sizeof(c.scenario));
	str_copy(c.stack, "http", sizeof(c.stack));
	str_copy(c.error, "await client ready: the client never said it within 5000 ms", sizeof(c.error));
	c.status = CELL_ERROR;
	c.history = h;
	c.t0_ns = T0;
	memset(&run, 0, sizeof(run));
	str_copy(run.dir, run_dir, sizeof(run.dir));
	run.out = &run_out;
	for (int k = 0; report_table[k]; k++) {
		assert_int_equal(report_table[k]->begin(&st, &run, err, sizeof(err)), 0);
		assert_int_equal(report_table[k]->cell(st, &c, err, sizeof(err)), 0);
		assert_int_equal(report_table[k]->end(st, &run, &c, 1, err, sizeof(err)), 0);
	}
	text = slurp("summary.md");
	assert_non_null(strstr(text, "Could not run to the end: await client ready: the client never said it within 5000 ms\n\n"
				     "What happened until then:\n\n"));
	assert_non_null(row_with(text, "+20.0", "acklab     fault crash server: killed server with SIGKILL (on 500 ms after start)"));
	assert_non_null(row_with(text, "+21.0", "server     exited: signal 9 (KILL)"));
	free(text);
	text = slurp("report.html");
	assert_non_null(strstr(text, "id=\"diagram-early-http\""));
	assert_non_null(strstr(text, "<title>+21.0 ms  server: exited: signal 9 (KILL)</title>"));
	free(text);
	history_free(h);
}

static void test_duplicate_story(void **state)
{
	struct history *h = history_new();
	struct cell_result c;
	struct run_info run;
	char err[256], *text;
	void *st;

	(void)state;
	add(h, "acklab", 0, json_pack("{s:s,s:s,s:s}", "ev", "send", "id", "m3", "token", "acklab-1-m3"));
	add(h, "client", 2, json_pack("{s:s,s:s,s:i}", "ev", "sending", "id", "m3", "attempt", 1));
	add(h, "client", 900, json_pack("{s:s,s:s,s:i}", "ev", "sending", "id", "m3", "attempt", 2));
	add(h, "client", 905, json_pack("{s:s,s:s,s:i,s:s}", "ev", "sent", "id", "m3", "attempts", 2, "ts", "5.2"));
	add(h, "recipient1", 6, json_pack("{s:s,s:s,s:s,s:s}", "ev", "received", "ts", "5.1", "text", "m3 (acklab-1-m3)", "via", "ws"));
	add(h, "recipient1", 906, json_pack("{s:s,s:s,s:s,s:s}", "ev", "received", "ts", "5.2", "text", "m3 (acklab-1-m3)", "via", "ws"));
	add(h, "store", 2000, json_pack("{s:s,s:s,s:s}", "ev", "stored", "ts", "5.1", "text", "m3 (acklab-1-m3)"));
	add(h, "store", 2000, json_pack("{s:s,s:s,s:s}", "ev", "stored", "ts", "5.2", "text", "m3 (acklab-1-m3)"));
	memset(&c, 0, sizeof(c));
	str_copy(c.scenario, "lost-ack", sizeof(c.scenario));
	str_copy(c.stack, "ws-ack", sizeof(c.stack));
	c.ran = true;
	c.history = h;
	c.t0_ns = T0;
	assert_int_equal(checker_run_at(h, NULL, 1, T0, &c.chk, err, sizeof(err)), 0);
	c.status = c.chk.pass ? CELL_MET : CELL_UNMET;
	memset(&run, 0, sizeof(run));
	str_copy(run.dir, run_dir, sizeof(run.dir));
	run.out = &run_out;
	assert_int_equal(report_md_ops.begin(&st, &run, err, sizeof(err)), 0);
	assert_int_equal(report_md_ops.cell(st, &c, err, sizeof(err)), 0);
	assert_int_equal(report_md_ops.end(st, &run, &c, 1, err, sizeof(err)), 0);
	text = slurp("summary.md");
	assert_non_null(strstr(text, "## lost-ack × ws-ack: DUP m3 ✗"));
	assert_non_null(row_with(text, "+905.0", "client     showed Sent (attempt 2, ts 5.2)"));
	assert_non_null(row_with(text, "+906.0", "recipient1 was shown m3 (ts 5.2), pushed over its WebSocket"));
	/* a push is an arrow from the server's lane to the recipient's */
	assert_non_null(row_with(text, "+906.0      |        |        |        |---------------->|  ", NULL));
	assert_non_null(strstr(text, "the store holds 2 rows of m3: ts 5.1, ts 5.2\n```"));
	free(text);
	chk_result_free(&c.chk);
	history_free(h);
}

static void test_matrix(void **state)
{
	struct cell_result cells[3];
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	memset(cells, 0, sizeof(cells));
	str_copy(cells[0].scenario, "s1", 64);
	str_copy(cells[0].title, "crash before persist", 128);
	str_copy(cells[0].stack, "ws-naive", 64);
	cells[0].ran = true;
	cells[0].chk.pass = true;
	cells[0].status = CELL_MET;
	str_copy(cells[0].chk.verdict, "LOST m3", 160);
	cells[1] = cells[0];
	str_copy(cells[1].stack, "http", 64);
	cells[1].chk.pass = false;
	cells[1].status = CELL_UNMET;
	str_copy(cells[1].chk.verdict, "clean", 160);
	cells[2] = cells[0];
	str_copy(cells[2].scenario, "s2", 64);
	str_copy(cells[2].title, "lost ack", 128);
	str_copy(cells[2].stack, "http", 64);
	str_copy(cells[2].chk.verdict, "DUP m1,m2", 160);

	f = open_memstream(&buf, &len);
	report_print_matrix(f, cells, 3, true);
	fclose(f);
	assert_string_equal(buf,
		"scenario              ws-naive   http\n"
		"crash before persist  LOST m3 ✓  clean ✗\n"
		"lost ack              -          DUP m1,m2 ✓\n"
		"✓ = as expected, ✗ = not (or could not run); each class (LOST, DUP, PHANTOM, FAILED, ...) "
		"names its messages; n/a = the stack cannot do what the scenario needs (not run, "
		"not counted as met); - = not run. 2 as expected, 1 not, 0 n/a.\n");
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	report_print_matrix(f, cells, 3, false);
	fclose(f);
	assert_non_null(strstr(buf, "crash before persist  LOST m3 ok  clean FAIL\n"
				    "lost ack              -           DUP m1,m2 ok\n"));
	free(buf);
}

static void test_xml_escape(void **state)
{
	char buf[64];

	(void)state;
	report_xml_escape("a<b & \"c\" 'd'>\x01", buf, sizeof(buf));
	assert_string_equal(buf, "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;?");
	report_xml_escape("&&&", buf, 8);
	assert_string_equal(buf, "&amp;");
}

/*
 * A report that cannot be written is an error naming the file and the
 * reason, from every reporter: a link planted in its place, a folder in its
 * place, and a write the system refuses (a file size limit: EFBIG).
 */
static void test_write_failures(void **state)
{
	static const char *const files[] = { "results.json", "junit.xml", "summary.md", "report.html" };
	struct cell_result cells[2];
	struct run_info run;
	struct history *h;
	char err[1024], want[1024], path[256], outside[256];

	(void)state;
	make_cells(cells, &h);
	memset(&run, 0, sizeof(run));
	str_copy(run.dir, run_dir, sizeof(run.dir));
	str_copy(run.started, "2025-01-02T03:04:05Z", sizeof(run.started));
	run.out = &run_out;
	run.ncells = 2;
	snprintf(outside, sizeof(outside), "%s/outside", run_dir);
	assert_int_equal(close(open(outside, O_CREAT | O_WRONLY | O_TRUNC, 0600)), 0);
	for (int how = 0; how < 3; how++) {
		for (int k = 0; report_table[k]; k++) {
			const struct reporter_ops *ops = report_table[k];
			struct rlimit old, tiny = { 16, 0 };
			void *st = NULL;
			int rc;

			snprintf(path, sizeof(path), "%s/%s", run_dir, files[k]);
			unlink(path);
			rmdir(path);
			if (how == 0)
				assert_int_equal(symlink(outside, path), 0);
			else if (how == 1)
				assert_int_equal(mkdir(path, 0700), 0);
			assert_int_equal(ops->begin(&st, &run, err, sizeof(err)), 0);
			for (int i = 0; i < 2; i++)
				assert_int_equal(ops->cell(st, &cells[i], err, sizeof(err)), 0);
			if (how == 2) {       /* nothing may print while the limit holds: our log is a file */
				assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
				tiny.rlim_max = old.rlim_max;
				signal(SIGXFSZ, SIG_IGN);
				assert_int_equal(setrlimit(RLIMIT_FSIZE, &tiny), 0);
			}
			rc = ops->end(st, &run, cells, 2, err, sizeof(err));
			if (how == 2)
				assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
			assert_int_equal(rc, -1);
			if (how == 0)
				snprintf(want, sizeof(want), "%s is a symbolic link (to %s): acklab never follows a "
					 "link where it writes; remove it or choose another --out", path, outside);
			else if (how == 1)
				snprintf(want, sizeof(want), "cannot write %s: Is a directory", path);
			else
				snprintf(want, sizeof(want), "cannot write %s: File too large", path);
			assert_string_equal(err, want);
		}
	}
	{
		struct stat st;

		assert_int_equal(stat(outside, &st), 0);
		assert_int_equal(st.st_size, 0);
	}
	json_decref(cells[0].extra);
	chk_result_free(&cells[0].chk);
	chk_result_free(&cells[1].chk);
	history_free(h);
}

static int setup(void **state)
{
	char err[512];

	(void)state;
	str_copy(run_dir, "/tmp/acklab-report-XXXXXX", sizeof(run_dir));
	if (!mkdtemp(run_dir))
		return -1;
	if (outdir_open(&run_out, run_dir, false, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	outdir_close(&run_out);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", run_dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reporters),
		cmocka_unit_test(test_not_ran),
		cmocka_unit_test(test_error_partial_timeline),
		cmocka_unit_test(test_duplicate_story),
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_xml_escape),
		cmocka_unit_test(test_write_failures),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
