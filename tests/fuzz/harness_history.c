/*
 * Fuzz program for acklab's history loader (harness/history.c) and what
 * reads a loaded history. The input is the text of a history.jsonl, given
 * to history_load_jsonl_text(), the in-memory twin of history_load_jsonl(),
 * which `acklab report` uses to re-check stored runs: so a loaded history
 * then goes through the checker (without and with an expectation), and is
 * written back with history_write_jsonl() and loaded again from that file,
 * which lives in a private scratch folder under /tmp, removed at exit.
 *
 * Contract checked beyond the sanitizers: a load error names the input and
 * a line inside it; a loaded history is sorted by "t" and every entry is an
 * object with an integer "t" and a "role"; the checker's counts add up to
 * its messages; write then load gives the same entries in the same order.
 */
#include "fuzz.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../harness/checker.h"
#include "../../harness/history.h"
#include "../../harness/outdir.h"
#include "../../harness/scenario.h"

#define FUZZ_NAME "fuzz.jsonl"

static struct outdir scratch = { .fd = -1 };
static char written_path[PATH_MAX + 32];
static struct scenario *expectation;

/* The scratch folder goes with the process. */
static void remove_scratch(void)
{
	unlinkat(scratch.fd, "history.jsonl", 0);
	outdir_close(&scratch);
	rmdir(scratch.path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char scn[] =
		"scenario fuzz\nrecipients 2\nsend m1\nsend m2\nsend m3 reply-to m1\n"
		"expect * lost={m2} duplicate=1 failed-visible={m3}\n";
	char err[PATH_MAX + 512] = "", dir[] = "/tmp/acklab-fuzz-history-XXXXXX";

	(void)argc;
	(void)argv;
	if (!mkdtemp(dir) || outdir_open(&scratch, dir, false, err, sizeof err) == -1 ||
	    scenario_parse_string("fuzz.scn", scn, &expectation, err, sizeof err) == -1) {
		fprintf(stderr, "harness_history: cannot set up: %s\n", err[0] ? err : "mkdtemp");
		abort();
	}
	atexit(remove_scratch);
	snprintf(written_path, sizeof written_path, "%s/history.jsonl", dir);
	return 0;
}

static void check_loaded(struct history *h)
{
	int64_t prev = INT64_MIN;

	for (size_t i = 0; i < history_len(h); i++) {
		json_t *e = history_at(h, i);
		json_t *t = json_object_get(e, "t");

		FUZZ_CHECK(json_is_object(e), "entry %zu is not an object", i);
		FUZZ_CHECK(json_is_integer(t), "entry %zu has no integer t", i);
		FUZZ_CHECK(json_integer_value(t) >= prev, "entry %zu out of order", i);
		FUZZ_CHECK(json_object_get(e, "role") != NULL, "entry %zu has no role", i);
		FUZZ_CHECK(json_object_get(e, "t_ms") == NULL, "entry %zu kept t_ms", i);
		prev = json_integer_value(t);
	}
}

static void check_checker(struct history *h, const struct scn_expect *exp)
{
	struct chk_result *r = malloc(sizeof *r);
	char err[512] = "";
	int sum = 0;

	if (!r)
		return;
	if (checker_run(h, exp, 2, r, err, sizeof err) == -1) {
		FUZZ_CHECK(strncmp(err, "checker: ", 9) == 0, "checker error '%s'", err);
		chk_result_free(r);
		free(r);
		return;
	}
	FUZZ_CHECK(r->nmsgs >= 1 && r->msgs, "%d messages", r->nmsgs);
	for (int c = 0; c < CHK_CLASS_COUNT; c++)
		sum += r->counts[c];
	FUZZ_CHECK(sum == r->nmsgs, "counts add up to %d of %d messages", sum, r->nmsgs);
	FUZZ_CHECK(FUZZ_TERMINATED(r->verdict) && r->verdict[0], "no verdict");
	FUZZ_CHECK(FUZZ_TERMINATED(r->expected) && FUZZ_TERMINATED(r->reason), "unterminated");
	FUZZ_CHECK(r->pass == !r->reason[0], "pass=%d with reason '%s'", r->pass, r->reason);
	for (int i = 0; i < r->nmsgs; i++) {
		char buf[256];
		const char *why = chk_why(&r->msgs[i], buf, sizeof buf);

		FUZZ_CHECK(why && why[0], "message %d: no why", i);
	}
	chk_result_free(r);
	free(r);
}

/* Write h to the scratch folder, load it back: the same entries, in the same order. */
static void check_round_trip(struct history *h)
{
	char err[512] = "";
	struct history *back;

	FUZZ_CHECK(history_write_jsonl(h, &scratch, "history.jsonl", 0, err, sizeof err) == 0, "write: %s",
		   err);
	back = history_load_jsonl(written_path, err, sizeof err);
	FUZZ_CHECK(back != NULL, "written history does not load: %s", err);
	FUZZ_CHECK(history_len(back) == history_len(h), "%zu entries back of %zu", history_len(back),
		   history_len(h));
	for (size_t i = 0; i < history_len(h); i++)
		FUZZ_CHECK(json_equal(history_at(h, i), history_at(back, i)), "entry %zu changed", i);
	history_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024] = "";
	struct history *h = history_load_jsonl_text(FUZZ_NAME, (const char *)data, size, err, sizeof err);

	if (!h) {
		char *text = fuzz_text(data, size);

		FUZZ_CHECK(strncmp(err, "history: ", 9) == 0, "error '%s'", err);
		if (text && !memchr(data, '\0', size))
			fuzz_check_where(err + 9, FUZZ_NAME, text, true);
		free(text);
		return 0;
	}
	check_loaded(h);
	check_checker(h, NULL);
	check_checker(h, scenario_expect_for(expectation, "http", true));
	check_round_trip(h);
	history_free(h);
	return 0;
}
