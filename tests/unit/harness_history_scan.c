/*
 * Differential tests of the checker's fast path against its jansson path.
 *
 * history_scan_line() must give, for every line it accepts, the fields
 * history_fields_of() gives for what jansson parses from the same line, and
 * must accept the lines the runner writes (else the fast path is slow).
 * checker_run_files() must give the verdicts, every message's class and
 * sentence, and the errors that history_load_cell() then checker_run_at()
 * give for the same cell files: the runner's own files, hand-made odd
 * ones (out of order, a store row with its own time, broken lines, CRLF, a
 * missing store, a last line without '\n', lines longer than a block) and
 * many lines made by mutating good ones byte by byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../harness/checker.h"
#include "../../harness/history.h"
#include "../../harness/history_scan.h"
#include "../support/scratch.h"

/* Lines as the runner writes them (history_write_jsonl), and as stores print rows. */
static const char *runner_lines[] = {
	"{\"t\":859024699731,\"t_ms\":50.042,\"ev\":\"send\",\"id\":\"m1\",\"token\":\"acklab-1bb3-m1\","
	"\"channel\":\"general\",\"text\":\"m1: message m1 (acklab-1bb3-m1)\",\"watched\":true,\"role\":\"acklab\"}",
	"{\"t\":859025036931,\"t_ms\":50.38,\"ev\":\"sending\",\"id\":\"m1\",\"attempt\":1,\"role\":\"client\"}",
	"{\"t\":859026182962,\"t_ms\":51.526,\"ev\":\"received\",\"channel\":\"general\",\"ts\":\"1796190030.550840\","
	"\"text\":\"m1: message m1 (acklab-1bb3-m1)\",\"via\":\"ws\",\"role\":\"recipient1\"}",
	"{\"t\":859026267367,\"t_ms\":51.61,\"ev\":\"sent\",\"id\":\"m1\",\"ts\":\"1796190030.550840\",\"attempts\":1,"
	"\"role\":\"client\"}",
	"{\"t\":859392384525,\"t_ms\":417.727,\"ev\":\"started\",\"first_life\":true,\"role\":\"store\"}",
	"{\"t\":5,\"t_ms\":0,\"ev\":\"send\",\"id\":\"r1\",\"token\":\"acklab-x-r1\",\"parent\":\"m1\","
	"\"parent_ts\":\"100.5\",\"watched\":false,\"role\":\"acklab\"}",
	"{\"t\":-7,\"ev\":\"sent\",\"id\":\"m2\",\"ts\":17,\"attempts\":-3,\"role\":\"client\",\"x\":null}",
	"{\"channel\":\"general\",\"ts\":\"1796196221.342712\",\"text\":\"m1: message m1 (acklab-e072-m1)\","
	"\"client_msg_id\":\"e2272ff9-dccd-46e4-ac5e-13b2c1b63a1a\"}",
	"{\"t\":1,\"ev\":\"received\",\"text\":\"say \\\"hi\\\" \\\\ a\\/b\\n\\t\\r\\b\\f (acklab-1-m1)\",\"role\":\"recipient2\"}",
	"{\"t\":1,\"role\":5,\"ev\":null,\"id\":false}",
	"{}",
	"{\"t\":0}",
	"{\"t\":1.5,\"ts\":true,\"attempt\":\"2\",\"watched\":0}",
	"{\"t\":999999999999999999,\"ev\":\"\",\"role\":\"\"}",
};

/* Lines the scanner leaves to jansson (valid JSON or not). */
static const char *jansson_lines[] = {
	"{ \"t\":1}", "{\"t\": 1}", "{\"t\":1} ", "{\"t\":1,\"ev\":\"a\\u0041\"}", "{\"t\":1,\"text\":\"caf\xc3\xa9\"}",
	"{\"t\":1,\"ev\":\"a\",\"ev\":\"b\"}", "{\"t\":1234567890123456789}", "{\"t\":1,\"ts\":1.5}",
	"{\"t\":1,\"ts\":1e3}", "{\"t\":01}", "{\"t\":1,\"x\":[1]}", "{\"t\":1,\"x\":{}}", "[1]", "",
	"{\"t\":1,}", "{\"t\":1", "{\"t\":1}}", "{\"t\":1,\"ev\":\"a\tb\"}", "{\"t\":1,\"r\\u006fle\":\"x\"}",
	"{\"t\":-}", "{\"t\":1.}", "{\"t\":tru}", "{\"t\":1,\"x\":\"\\q\"}", "{\"t\":1,\"x\":\"\\",
	"{\"t\":1,\"\\\"\":1}", "nope",
	/* a literal cut by the line's end (nothing may be read past it) */
	"{\"t\":t", "{\"t\":n", "{\"t\":f", "{\"t\":fals",
};

static void assert_same_string(const char *scanned, const char *parsed, const char *line)
{
	if (!scanned || !parsed) {
		if (scanned != parsed)
			fail_msg("%s: scanner %s, jansson %s", line, scanned ? scanned : "NULL", parsed ? parsed : "NULL");
		return;
	}
	if (strcmp(scanned, parsed) != 0)
		fail_msg("%s: scanner '%s', jansson '%s'", line, scanned, parsed);
}

/*
 * Scan line; when the scanner takes it, its fields must be jansson's.
 * Returns whether the scanner took it.
 */
static bool differential(const char *line, size_t len)
{
	char *copy = malloc(len + 1), *text = malloc(len + 1);
	struct history_fields scanned, parsed;
	json_t *o;
	bool took;

	assert_non_null(copy);
	assert_non_null(text);
	memcpy(copy, line, len);
	copy[len] = '\0';
	memcpy(text, line, len);
	text[len] = '\0';
	took = history_scan_line(copy, len, &scanned);
	if (!took) {
		/* A refused line is left as it came, for jansson. */
		assert_memory_equal(copy, text, len + 1);
		free(copy);
		free(text);
		return false;
	}
	o = json_loads(text, 0, NULL);
	if (!json_is_object(o))
		fail_msg("scanner took a line jansson refuses: %s", line);
	history_fields_of(o, &parsed);
	assert_same_string(scanned.role, parsed.role, line);
	assert_same_string(scanned.ev, parsed.ev, line);
	assert_same_string(scanned.id, parsed.id, line);
	assert_same_string(scanned.token, parsed.token, line);
	assert_same_string(scanned.text, parsed.text, line);
	assert_same_string(scanned.via, parsed.via, line);
	assert_same_string(scanned.channel, parsed.channel, line);
	assert_same_string(scanned.parent, parsed.parent, line);
	assert_same_string(scanned.parent_ts, parsed.parent_ts, line);
	assert_same_string(scanned.ts_string, parsed.ts_string, line);
	assert_int_equal(scanned.has_role, parsed.has_role);
	assert_int_equal(scanned.has_ev, parsed.has_ev);
	assert_int_equal(scanned.t_is_integer, parsed.t_is_integer);
	assert_int_equal(scanned.t, parsed.t);
	assert_int_equal(scanned.ts_kind, parsed.ts_kind);
	assert_int_equal(scanned.ts_integer, parsed.ts_integer);
	assert_int_equal(scanned.attempt, parsed.attempt);
	assert_int_equal(scanned.attempts, parsed.attempts);
	assert_int_equal(scanned.watched_false, parsed.watched_false);
	json_decref(o);
	free(copy);
	free(text);
	return true;
}

static void test_scanner_takes_runner_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof runner_lines / sizeof *runner_lines; i++)
		if (!differential(runner_lines[i], strlen(runner_lines[i])))
			fail_msg("the scanner refused a line the runner writes: %s", runner_lines[i]);
}

static void test_scanner_leaves_the_rest_to_jansson(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof jansson_lines / sizeof *jansson_lines; i++)
		if (differential(jansson_lines[i], strlen(jansson_lines[i])))
			fail_msg("the scanner took a line it should leave to jansson: %s", jansson_lines[i]);
	/* A NUL inside the line: jansson sees only what comes before it. */
	assert_false(differential("{\"t\":1}\0x", 9));
}

/* Every line one byte away from a good one (replaced, dropped, doubled): same fields or refused. */
static void test_scanner_mutations(void **state)
{
	static const char bytes[] = "{}[]\":,\\-.0129eEtfnulr \t/\x01\x7f\x80\xc3";
	char buf[512];
	int took = 0;

	(void)state;
	for (size_t i = 0; i < sizeof runner_lines / sizeof *runner_lines; i++) {
		const char *line = runner_lines[i];
		size_t len = strlen(line);

		for (size_t at = 0; at < len; at++) {
			for (size_t b = 0; b < sizeof bytes - 1; b++) {
				memcpy(buf, line, len);
				buf[at] = bytes[b];
				took += differential(buf, len);
			}
			memcpy(buf, line, at);
			memcpy(buf + at, line + at + 1, len - at - 1);
			took += differential(buf, len - 1);
			memcpy(buf, line, at + 1);
			memcpy(buf + at + 1, line + at, len - at);
			took += differential(buf, len + 1);
		}
	}
	assert_true(took > 1000);     /* the mutants it reads are compared, not only the refused ones */
}

/* --- whole cells: checker_run_files against history_load_cell + checker_run_at --- */

static char dir[256], history_path[300], store_path[300];

static int make_dir(void **state)
{
	(void)state;
	if (scratch_make(dir, sizeof dir, "acklab-history-scan") == -1)
		return -1;
	snprintf(history_path, sizeof history_path, "%s/history.jsonl", dir);
	snprintf(store_path, sizeof store_path, "%s/store.jsonl", dir);
	return 0;
}

static int remove_dir(void **state)
{
	(void)state;
	scratch_remove(dir);
	return 0;
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void assert_same_result(const struct chk_result *a, const struct chk_result *b)
{
	assert_int_equal(a->nmsgs, b->nmsgs);
	assert_memory_equal(a->counts, b->counts, sizeof a->counts);
	assert_int_equal(a->pass, b->pass);
	assert_string_equal(a->verdict, b->verdict);
	assert_string_equal(a->expected, b->expected);
	assert_string_equal(a->reason, b->reason);
	for (int i = 0; i < a->nmsgs; i++) {
		const struct chk_message *x = &a->msgs[i], *y = &b->msgs[i];

		assert_string_equal(x->id, y->id);
		assert_string_equal(x->token, y->token);
		assert_int_equal(x->cls, y->cls);
		assert_string_equal(x->client_outcome, y->client_outcome);
		assert_string_equal(x->client_ts, y->client_ts);
		assert_int_equal(x->attempts, y->attempts);
		assert_int_equal(x->stored, y->stored);
		assert_int_equal(x->delivered_max, y->delivered_max);
		assert_int_equal(x->pushes_max, y->pushes_max);
		assert_int_equal(x->phantom_copies, y->phantom_copies);
		assert_int_equal(x->recipients_missing, y->recipients_missing);
		{
			char bx[256], by[256];

			assert_string_equal(chk_why(x, bx, sizeof bx), chk_why(y, by, sizeof by));
		}
	}
}

/* Check the files both ways; they must agree, errors included. Returns the fast path's rc. */
static int both_ways(int64_t store_t, const struct scn_expect *exp, struct chk_result *fast)
{
	char err_fast[512] = "", err_slow[512] = "";
	struct chk_result slow;
	struct history *h;
	int rc_fast, rc_slow;

	rc_fast = checker_run_files(history_path, store_path, store_t, exp, 2, 1000, fast, err_fast,
				    sizeof err_fast);
	h = history_load_cell(history_path, store_path, store_t, err_slow, sizeof err_slow);
	memset(&slow, 0, sizeof slow);
	rc_slow = h ? checker_run_at(h, exp, 2, 1000, &slow, err_slow, sizeof err_slow) : -1;
	history_free(h);
	assert_int_equal(rc_fast, rc_slow);
	assert_string_equal(err_fast, err_slow);
	if (rc_fast == 0)
		assert_same_result(fast, &slow);
	chk_result_free(&slow);
	return rc_fast;
}

/* A cell of three messages: ok, lost, duplicate; a reply; the store read back at store_t 100. */
static const char good_history[] =
	"{\"t\":10,\"t_ms\":0.01,\"ev\":\"send\",\"id\":\"m1\",\"token\":\"acklab-a-m1\",\"channel\":\"general\",\"role\":\"acklab\"}\n"
	"{\"t\":11,\"ev\":\"sending\",\"id\":\"m1\",\"attempt\":1,\"role\":\"client\"}\n"
	"{\"t\":12,\"ev\":\"sent\",\"id\":\"m1\",\"ts\":\"1.1\",\"attempts\":1,\"role\":\"client\"}\n"
	"{\"t\":13,\"ev\":\"received\",\"ts\":\"1.1\",\"text\":\"m1 (acklab-a-m1)\",\"via\":\"ws\",\"role\":\"recipient1\"}\n"
	"{\"t\":20,\"ev\":\"send\",\"id\":\"m2\",\"token\":\"acklab-a-m2\",\"channel\":\"general\",\"role\":\"acklab\"}\n"
	"{\"t\":21,\"ev\":\"sent\",\"id\":\"m2\",\"ts\":\"1.2\",\"attempts\":1,\"role\":\"client\"}\n"
	"{\"t\":30,\"ev\":\"send\",\"id\":\"m3\",\"token\":\"acklab-a-m3\",\"role\":\"acklab\"}\n"
	"{\"t\":31,\"ev\":\"sent\",\"id\":\"m3\",\"ts\":\"1.3\",\"attempts\":2,\"role\":\"client\"}\n"
	"{\"t\":40,\"ev\":\"send\",\"id\":\"r1\",\"token\":\"acklab-a-r1\",\"parent\":\"m1\",\"parent_ts\":\"1.1\",\"watched\":false}\n"
	"{\"t\":41,\"ev\":\"sent\",\"id\":\"r1\",\"ts\":\"1.4\",\"attempts\":1,\"role\":\"client\"}\n"
	"{\"t\":90,\"ev\":\"started\",\"role\":\"store\"}\n"
	"{\"t\":91,\"ev\":\"stored\",\"text\":\"m2 (acklab-a-m2)\",\"ts\":\"1.2\",\"role\":\"store\"}\n"
	"{\"t\":95,\"ev\":\"exit\",\"role\":\"store\"}\n"
	"{\"t\":100,\"ev\":\"received\",\"ts\":\"1.3\",\"text\":\"m3 (acklab-a-m3)\",\"via\":\"history\",\"role\":\"recipient2\"}\n"
	"{\"t\":150,\"ev\":\"received\",\"ts\":\"1.9\",\"text\":\"m3 (acklab-a-m3)\",\"role\":\"recipient2\"}\n";
static const char good_store[] =
	"{\"channel\":\"general\",\"ts\":\"1.1\",\"text\":\"m1 (acklab-a-m1)\"}\n"
	"{\"ts\":\"1.3\",\"text\":\"m3 (acklab-a-m3)\"}\r\n"
	"\n"
	"not json at all\n"
	"{\"ts\":\"1.33\",\"text\":\"m3 again (acklab-a-m3)\",\"ev\":\"stored\"}\n"
	"{\"ts\":\"1.4\",\"text\":\"r1 (acklab-a-r1)\",\"role\":\"store\"}";

static void test_files_agree_on_a_cell(void **state)
{
	struct chk_result r;
	struct scn_expect exp;

	(void)state;
	write_file(history_path, good_history, strlen(good_history));
	write_file(store_path, good_store, strlen(good_store));
	/* store_t before, amid and after the history's entries, and on one of their times. */
	for (int64_t store_t = 0; store_t <= 200; store_t += 5) {
		assert_int_equal(both_ways(store_t, NULL, &r), 0);
		if (r.nmsgs != 4)
			fail_msg("store_t %lld: %d messages", (long long)store_t, r.nmsgs);
		chk_result_free(&r);
	}
	memset(&exp, 0, sizeof exp);
	exp.cls[CHK_LOST].named = true;
	exp.cls[CHK_LOST].count = 1;
	assert_int_equal(both_ways(100, &exp, &r), 0);
	assert_int_equal(r.counts[CHK_LOST], 1);
	chk_result_free(&r);
	unlink(store_path);           /* no store read back: what recipients saw is phantom, the rest lost */
	assert_int_equal(both_ways(100, NULL, &r), 0);
	assert_int_equal(r.counts[CHK_LOST], 2);
	assert_int_equal(r.counts[CHK_PHANTOM], 2);
	chk_result_free(&r);
}

/* Files the fast path cannot stream, or that are broken: the answer (or error) is still the slow path's. */
static void test_files_agree_when_odd(void **state)
{
	static const struct { const char *history, *store; } cases[] = {
		/* out of time order */
		{ "{\"t\":20,\"ev\":\"sent\",\"id\":\"m1\",\"role\":\"client\"}\n"
		  "{\"t\":10,\"ev\":\"send\",\"id\":\"m1\",\"token\":\"acklab-a-m1\",\"role\":\"acklab\"}\n", "" },
		/* a store row with a time of its own */
		{ "{\"t\":10,\"ev\":\"send\",\"id\":\"m1\",\"token\":\"acklab-a-m1\",\"role\":\"acklab\"}\n"
		  "{\"t\":200,\"ev\":\"received\",\"ts\":\"5\",\"text\":\"acklab-a-m1\",\"role\":\"recipient1\"}\n",
		  "{\"t\":300,\"ts\":\"5\",\"text\":\"acklab-a-m1\"}\n{\"t\":\"x\",\"ts\":\"6\",\"text\":\"acklab-a-m1\"}\n" },
		/* a broken line, after a send without a token (the load error wins) */
		{ "{\"t\":10,\"ev\":\"send\",\"id\":\"m1\",\"role\":\"acklab\"}\n{\"t\":11,\n", "" },
		/* a send without a token */
		{ "{\"t\":10,\"ev\":\"send\",\"id\":\"m1\",\"role\":\"acklab\"}\n", "" },
		/* no sends */
		{ "{\"t\":10,\"ev\":\"sent\",\"id\":\"m1\",\"role\":\"client\"}\n", "{\"text\":\"x\"}\n" },
		/* not an entry */
		{ "{\"t\":10,\"ev\":\"send\",\"id\":\"m1\",\"token\":\"acklab-a-m1\",\"role\":\"acklab\"}\n[1]\n", "" },
		{ "{\"t\":\"10\",\"ev\":\"send\"}\n", "" },
		/* jansson's lines among the scanner's, CRLF, no '\n' at the end, a NUL inside a line */
		{ "{\"t\":10, \"ev\":\"send\",\"id\":\"m1\",\"token\":\"acklab-a-m1\",\"role\":\"acklab\"}\r\n"
		  "{\"t\":11,\"ev\":\"sent\",\"id\":\"m1\",\"ts\":1.25,\"attempts\":1,\"role\":\"client\"}\r\n"
		  "{\"t\":12,\"ev\":\"received\",\"text\":\"\\u0041 acklab-a-m1\",\"role\":\"recipient1\",\"ts\":\"1.250000\"}",
		  "{\"ts\":1.25,\"text\":\"caf\xc3\xa9 acklab-a-m1\"}\n{\"ts\":\"2\",\"text\":\"acklab-a-m1\"\0}\n" },
	};
	struct chk_result r;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		size_t store_len = strlen(cases[i].store);

		if (i == sizeof cases / sizeof *cases - 1)
			store_len += strlen(cases[i].store + store_len + 1) + 1;      /* past the NUL */
		write_file(history_path, cases[i].history, strlen(cases[i].history));
		write_file(store_path, cases[i].store, store_len);
		both_ways(100, NULL, &r);
		chk_result_free(&r);
	}
	unlink(history_path);
	assert_int_equal(both_ways(100, NULL, &r), -1);
	chk_result_free(&r);
}

/* Many messages with lines longer than a read block: lines cut between blocks come out whole. */
static void test_files_agree_across_blocks(void **state)
{
	size_t cap = 8 << 20, n = 0;
	char *text = malloc(cap), *store = malloc(cap);
	size_t ns = 0;
	struct chk_result r;

	(void)state;
	assert_non_null(text);
	assert_non_null(store);
	for (int i = 0; i < 3000; i++) {
		int pad = i == 1500 ? 3 << 20 : i % 97;      /* one line of 3 MB */

		n += (size_t)snprintf(text + n, cap - n, "{\"t\":%d,\"ev\":\"send\",\"id\":\"w%d\",\"token\":\"acklab-b-w%d\","
				      "\"role\":\"acklab\",\"pad\":\"%*s\"}\n", 10 * i, i, i, pad, "");
		n += (size_t)snprintf(text + n, cap - n, "{\"t\":%d,\"ev\":\"sent\",\"id\":\"w%d\",\"ts\":\"%d\",\"attempts\":1,"
				      "\"role\":\"client\"}\n", 10 * i + 1, i, i);
		if (i % 7)
			ns += (size_t)snprintf(store + ns, cap - ns, "{\"ts\":\"%d\",\"text\":\"w%d (acklab-b-w%d)\"}\n",
					       i, i, i);
	}
	assert_true(n < cap && ns < cap);
	write_file(history_path, text, n);
	write_file(store_path, store, ns);
	assert_int_equal(both_ways(100000, NULL, &r), 0);
	assert_int_equal(r.nmsgs, 3000);
	assert_int_equal(r.counts[CHK_LOST], 3000 / 7 + 1);
	chk_result_free(&r);
	free(text);
	free(store);
}

/* The fuzz corpus's histories of real runs, each as a cell's history.jsonl with and without a store. */
static void test_files_agree_on_real_runs(void **state)
{
	static const char *names[] = { "checked-crash-before-persist-ws-ack.jsonl", "checked-lost-ack-http.jsonl",
				       "checked-fanout-before-persist-ws-naive.jsonl", "hand-edge-cases.jsonl" };
	const char *src = getenv("ACKLAB_SRC");
	struct chk_result r;

	(void)state;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		char path[512], *text;
		FILE *f;
		long len;

		snprintf(path, sizeof path, "%s/tests/fuzz/corpus/harness_history/%s", src ? src : ".", names[i]);
		f = fopen(path, "r");
		if (!f)
			fail_msg("%s: cannot open (run from the source folder)", path);
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		text = malloc((size_t)len);
		assert_non_null(text);
		assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
		fclose(f);
		write_file(history_path, text, (size_t)len);
		unlink(store_path);
		both_ways(INT64_MAX, NULL, &r);
		chk_result_free(&r);
		write_file(store_path, good_store, strlen(good_store));
		both_ways(0, NULL, &r);
		chk_result_free(&r);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scanner_takes_runner_lines),
		cmocka_unit_test(test_scanner_leaves_the_rest_to_jansson),
		cmocka_unit_test(test_scanner_mutations),
		cmocka_unit_test(test_files_agree_on_a_cell),
		cmocka_unit_test(test_files_agree_when_odd),
		cmocka_unit_test(test_files_agree_across_blocks),
		cmocka_unit_test(test_files_agree_on_real_runs),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
