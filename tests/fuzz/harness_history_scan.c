/*
 * Fuzz program for the checker's fast path (harness/history_scan.c,
 * history_lines.c, checker_files.c) against its jansson path. The input is
 * a cell's history.jsonl, then optionally a line "~" and its store.jsonl.
 *
 * Contract checked beyond the sanitizers, the two promises the fast path
 * makes: every line history_scan_line() accepts gives the fields that
 * history_fields_of() gives for jansson's parse of it (and a line it
 * refuses is left as it came); and checker_run_files() on the cell's files
 * gives what history_load_cell() then checker_run_at() give: the same
 * return, the same error, the same verdict, reason and per-message facts,
 * with the store read before, amid and after the history.
 */
#include "fuzz.h"

#include <limits.h>
#include <unistd.h>

#include "../../harness/checker.h"
#include "../../harness/history.h"
#include "../../harness/history_scan.h"
#include "../../harness/scenario.h"

static char dir[] = "/tmp/acklab-fuzz-history-scan-XXXXXX";
static char history_path[PATH_MAX], store_path[PATH_MAX];
static struct scenario *expectation;

static void remove_scratch(void)
{
	unlink(history_path);
	unlink(store_path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char scn[] = "scenario fuzz\nrecipients 2\nsend m1\nsend m2\nsend m3 reply-to m1\n"
				  "expect * lost={m2} duplicate=1 failed-visible={m3}\n";
	char err[512] = "";

	(void)argc;
	(void)argv;
	if (!mkdtemp(dir) || scenario_parse_string("fuzz.scn", scn, &expectation, err, sizeof err) == -1) {
		fprintf(stderr, "harness_history_scan: cannot set up: %s\n", err[0] ? err : "mkdtemp");
		abort();
	}
	atexit(remove_scratch);
	snprintf(history_path, sizeof history_path, "%s/history.jsonl", dir);
	snprintf(store_path, sizeof store_path, "%s/store.jsonl", dir);
	return 0;
}

static bool same_string(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* One line, both ways. */
static void check_line(const uint8_t *data, size_t len)
{
	char *line = fuzz_text(data, len), *text = fuzz_text(data, len);
	struct history_fields s, j;
	json_t *o;

	if (!line || !text)
		goto done;
	if (!history_scan_line(line, len, &s)) {
		FUZZ_CHECK(memcmp(line, text, len + 1) == 0, "a refused line was changed");
		goto done;
	}
	o = json_loads(text, 0, NULL);
	FUZZ_CHECK(json_is_object(o), "the scanner took a line jansson refuses: %s", text);
	history_fields_of(o, &j);
	FUZZ_CHECK(same_string(s.role, j.role) && same_string(s.ev, j.ev) && same_string(s.id, j.id) &&
			   same_string(s.token, j.token) && same_string(s.text, j.text) &&
			   same_string(s.via, j.via) && same_string(s.channel, j.channel) &&
			   same_string(s.parent, j.parent) && same_string(s.parent_ts, j.parent_ts) &&
			   same_string(s.ts_string, j.ts_string),
		   "strings differ: %s", text);
	FUZZ_CHECK(s.has_role == j.has_role && s.has_ev == j.has_ev && s.t_is_integer == j.t_is_integer &&
			   s.t == j.t && s.ts_kind == j.ts_kind && s.ts_integer == j.ts_integer &&
			   s.attempt == j.attempt && s.attempts == j.attempts && s.watched_false == j.watched_false,
		   "values differ: %s", text);
	json_decref(o);
done:
	free(line);
	free(text);
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "w");

	FUZZ_CHECK(f != NULL, "%s: cannot write", path);
	FUZZ_CHECK(fwrite(data, 1, len, f) == len && fclose(f) == 0, "%s: cannot write", path);
}

static void check_cell(int64_t store_t, const struct scn_expect *exp)
{
	char err_fast[512] = "", err_slow[512] = "";
	struct chk_result fast, slow;
	struct history *h;
	int rc_fast, rc_slow;

	rc_fast = checker_run_files(history_path, store_path, store_t, exp, 2, 0, &fast, err_fast, sizeof err_fast);
	h = history_load_cell(history_path, store_path, store_t, err_slow, sizeof err_slow);
	memset(&slow, 0, sizeof slow);
	rc_slow = h ? checker_run_at(h, exp, 2, 0, &slow, err_slow, sizeof err_slow) : -1;
	history_free(h);
	FUZZ_CHECK(rc_fast == rc_slow && strcmp(err_fast, err_slow) == 0, "fast %d '%s', slow %d '%s'", rc_fast,
		   err_fast, rc_slow, err_slow);
	if (rc_fast == 0) {
		FUZZ_CHECK(fast.nmsgs == slow.nmsgs && memcmp(fast.counts, slow.counts, sizeof fast.counts) == 0 &&
				   fast.pass == slow.pass && strcmp(fast.verdict, slow.verdict) == 0 &&
				   strcmp(fast.expected, slow.expected) == 0 && strcmp(fast.reason, slow.reason) == 0,
			   "verdicts differ: '%s' / '%s'", fast.verdict, slow.verdict);
		for (int i = 0; i < fast.nmsgs; i++) {
			const struct chk_message *a = &fast.msgs[i], *b = &slow.msgs[i];
			char wa[256], wb[256];
			const char *why_a = chk_why(a, wa, sizeof wa), *why_b = chk_why(b, wb, sizeof wb);

			FUZZ_CHECK(strcmp(a->id, b->id) == 0 && strcmp(a->token, b->token) == 0 && a->cls == b->cls &&
					   strcmp(a->client_outcome, b->client_outcome) == 0 &&
					   strcmp(a->client_ts, b->client_ts) == 0 && a->attempts == b->attempts &&
					   a->stored == b->stored && a->delivered_max == b->delivered_max &&
					   a->pushes_max == b->pushes_max && a->phantom_copies == b->phantom_copies &&
					   a->recipients_missing == b->recipients_missing && strcmp(why_a, why_b) == 0,
				   "message %d differs: '%s' / '%s'", i, why_a, why_b);
		}
	}
	chk_result_free(&fast);
	chk_result_free(&slow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = NULL, *p = data, *end = data + size;
	static const int64_t store_times[] = { INT64_MIN, 0, 1000, 859400000000, INT64_MAX };

	for (const uint8_t *c = data; c + 3 <= end; c++)
		if (c[0] == '\n' && c[1] == '~' && c[2] == '\n') {
			sep = c;
			break;
		}
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		check_line(p, n);
		p += n + 1;
	}
	write_file(history_path, data, sep ? (size_t)(sep - data) + 1 : size);
	if (sep)
		write_file(store_path, sep + 3, (size_t)(end - sep - 3));
	else
		unlink(store_path);
	for (size_t i = 0; i < sizeof store_times / sizeof *store_times; i++)
		check_cell(store_times[i], i == 2 ? scenario_expect_for(expectation, "http", true) : NULL);
	return 0;
}
