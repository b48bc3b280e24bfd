/*
 * report_junit: junit.xml for CI systems. One testsuite "acklab" whose
 * properties say which acklab (version, commit) ran on which kernel; one
 * testcase per cell, named "scenario × stack" (classname = scenario), with
 * the file and line of the expect statement it is held to, so a CI page
 * can point at the line, and properties for its seed, the expected and
 * observed classes and the command that runs it again. A cell whose
 * verdict differs from the expectation is a <failure> with the reason; a
 * cell that could not run is an <error>; a cell that did not run (n/a, or
 * its shard did not run it) is <skipped>. system-out holds one line per
 * message so the CI page shows the evidence without opening artifacts.
 * Testcases are collected in memory because the testsuite element's
 * counts come first in the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"
#include "version.h"

struct rx_state {
	char *buf;
	size_t len;
	FILE *cases;                  /* open_memstream over buf */
	int tests, failures, errors, skipped;
	double seconds;
};

static int rx_begin(void **state, const struct run_info *run, char *err, size_t errlen)
{
	struct rx_state *st = calloc(1, sizeof(*st));

	if (!st || !(st->cases = open_memstream(&st->buf, &st->len))) {
		free(st);
		return err_set(err, errlen, "junit.xml: out of memory");
	}
	*state = st;
	return 0;
}

static int rx_cell(void *state, const struct cell_result *c, char *err, size_t errlen)
{
	struct rx_state *st = state;
	char a[600], b[600], reason[1600], where[1200], rerun[300], at[1300];
	int idx[REPORT_SHOWN_MAX], n = report_shown_messages(c, idx);

	st->tests++;
	st->seconds += c->duration_ms / 1000.0;
	report_xml_escape(c->scenario, a, sizeof(a));
	report_xml_escape(c->stack, b, sizeof(b));
	report_xml_escape(report_expect_file(c), where, sizeof(where));
	fprintf(st->cases, "    <testcase classname=\"%s\" name=\"%s × %s\" time=\"%.3f\" file=\"%s\"", a, a, b,
		c->duration_ms / 1000.0, where);
	if (c->expect_line > 0)
		fprintf(st->cases, " line=\"%d\"", c->expect_line);
	fprintf(st->cases, ">\n      <properties>\n        <property name=\"seed\" value=\"%lu\"/>\n", c->seed);
	report_rerun(c, rerun, sizeof rerun);
	report_xml_escape(rerun, reason, sizeof(reason));
	fprintf(st->cases, "        <property name=\"rerun\" value=\"%s\"/>\n", reason);
	if (c->ran) {
		report_xml_escape(c->chk.expected, reason, sizeof(reason));
		fprintf(st->cases, "        <property name=\"expected\" value=\"%s\"/>\n", reason);
		report_xml_escape(c->chk.verdict, reason, sizeof(reason));
		fprintf(st->cases, "        <property name=\"observed\" value=\"%s\"/>\n", reason);
	}
	fprintf(st->cases, "      </properties>\n");
	if (c->status == CELL_NA || c->status == CELL_NOT_RUN) {
		st->skipped++;
		report_xml_escape(c->status == CELL_NA ? c->na : c->error, reason, sizeof(reason));
		fprintf(st->cases, "      <skipped message=\"%s\"/>\n", reason);
	} else if (!c->ran) {
		st->errors++;
		report_xml_escape(c->error, reason, sizeof(reason));
		fprintf(st->cases, "      <error message=\"%s\">%s\nrun it again: %s</error>\n", reason, reason,
			rerun);
	} else if (!c->chk.pass) {
		st->failures++;
		report_xml_escape(c->chk.reason, reason, sizeof(reason));
		report_xml_escape(c->chk.verdict, a, sizeof(a));
		report_xml_escape(c->chk.expected, b, sizeof(b));
		report_expect_where(c, at, sizeof at);
		report_xml_escape(at, where, sizeof(where));
		fprintf(st->cases, "      <failure message=\"%s\" type=\"verdict\">expected %s, observed %s\n"
			"expectation: %s\nrun it again: %s</failure>\n", reason, b, a, where, rerun);
	}
	fprintf(st->cases, "      <system-out>");
	report_xml_escape(c->ran ? c->chk.verdict : cell_status_name(c->status), a, sizeof(a));
	fprintf(st->cases, "verdict: %s\n", a);
	/* Every message; in a big cell the count of each class and the first few of each (results.json has all). */
	if (c->chk.nmsgs > REPORT_BIG_CELL) {
		report_class_counts(c, a, sizeof a);
		fprintf(st->cases, "%d messages:%s the first %d of each class, every one in results.json:\n",
			c->chk.nmsgs, a, REPORT_BIG_SHOWN);
	}
	for (int k = 0; k < n; k++) {
		const struct chk_message *m = &c->chk.msgs[idx[k]];
		char line[512], why_buf[256];

		snprintf(line, sizeof(line), "%s %s: client=%s attempts=%d stored=%d delivered=%d; %s",
			 m->id, chk_class_name(m->cls), m->client_outcome, m->attempts, m->stored,
			 m->delivered_max, chk_why(m, why_buf, sizeof why_buf));
		report_xml_escape(line, reason, sizeof(reason));
		fprintf(st->cases, "%s\n", reason);
	}
	if (c->dir[0]) {
		report_xml_escape(c->dir, a, sizeof(a));
		fprintf(st->cases, "artifacts: %s/\n", a);
	}
	fprintf(st->cases, "</system-out>\n    </testcase>\n");
	if (ferror(st->cases))
		return err_set(err, errlen, "junit.xml: out of memory");
	return 0;
}

static int rx_end(void *state, const struct run_info *run, const struct cell_result *cells,
		  int ncells, char *err, size_t errlen)
{
	struct rx_state *st = state;
	char stamp[100], kernel[400];
	char *doc = NULL;
	size_t doclen = 0;
	FILE *f = NULL;
	int rc = -1;

	fclose(st->cases);
	f = open_memstream(&doc, &doclen);
	if (!f) {
		err_set(err, errlen, "junit.xml: out of memory");
		goto done;
	}
	report_xml_escape(run->started, stamp, sizeof(stamp));
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites tests=\"%d\" failures=\"%d\" errors=\"%d\" time=\"%.3f\">\n"
		"  <testsuite name=\"acklab\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" "
		"time=\"%.3f\" timestamp=\"%s\">\n",
		st->tests, st->failures, st->errors, run->duration_ms / 1000.0, st->tests,
		st->failures, st->errors, st->skipped, st->seconds, stamp);
	report_xml_escape(run->kernel, kernel, sizeof kernel);
	fprintf(f, "    <properties>\n      <property name=\"acklab.version\" value=\"%s\"/>\n"
		"      <property name=\"acklab.commit\" value=\"%s\"/>\n"
		"      <property name=\"kernel\" value=\"%s\"/>\n    </properties>\n", ACKLAB_VERSION,
		ACKLAB_COMMIT, kernel);
	if (st->len)
		fwrite(st->buf, 1, st->len, f);
	fprintf(f, "  </testsuite>\n</testsuites>\n");
	rc = report_write_memstream(f, &doc, &doclen, run, "junit.xml", err, errlen);
done:
	free(doc);
	free(st->buf);
	free(st);
	return rc;
}

const struct reporter_ops report_junit_ops = {
	.name = "junit",
	.begin = rx_begin,
	.cell = rx_cell,
	.end = rx_end,
};
