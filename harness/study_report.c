/*
 * study_report: the detection study's results as a person reads them: a
 * table on the terminal, study.md (the same table for a pull request or a
 * wiki), study.json (every figure, for a script) and study.html with a plot.
 *
 * The plot's axis is logarithmic, 10 ms to 20 minutes: a heartbeat notices in
 * a tenth of a second and the kernel's default in a quarter of an hour, and
 * both must be readable on one line. A row that did not notice within the
 * window is drawn to the kernel's estimated give-up time, hatched, and says
 * it is an estimate.
 */
#include "study_report.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"

/* "312 ms", "3.1 s", "15.4 min". */
static const char *study_duration(double ms, char *buf, size_t len)
{
	if (ms < 1000)
		snprintf(buf, len, "%.0f ms", ms);
	else if (ms < 120000)
		snprintf(buf, len, "%.1f s", ms / 1000);
	else
		snprintf(buf, len, "%.1f min", ms / 60000);
	return buf;
}

/* The "noticed after" cell: measured, or the kernel's estimate when nothing noticed in the window. */
static const char *study_noticed(const struct study_result *r, char *buf, size_t len)
{
	char d[32];

	if (!r->ran)
		snprintf(buf, len, "did not run");
	else if (r->notice_ms >= 0)
		snprintf(buf, len, "%s", study_duration(r->notice_ms, d, sizeof d));
	else
		snprintf(buf, len, "not in the window; ~%s (estimated)",
			 study_duration(r->kernel_give_up_ms, d, sizeof d));
	return buf;
}

/* The "lost" cell: counted, plus what the kernel's give-up time would cost at the workload's rate. */
static const char *study_lost(const struct study_result *r, int every_ms, char *buf, size_t len)
{
	if (!r->ran)
		snprintf(buf, len, "-");
	else if (r->notice_ms >= 0)
		snprintf(buf, len, "%d of %d", r->lost, r->sent_after);
	else
		snprintf(buf, len, "%d of %d; ~%.0f until the kernel gives up", r->lost, r->sent_after,
			 r->kernel_give_up_ms / every_ms);
	return buf;
}

/*
 * The model's check against a measurement: a row that lowered tcp_retries2
 * and was ended by it, beside the model's figure for it and for the default.
 */
static const char *study_model_note(const struct study_result *r, size_t n, char *buf, size_t len)
{
	char a[32], b[32], c[32], d[32];
	int k;

	snprintf(buf, len, "The kernel's default tcp_retries2=15 allows %s of unacknowledged data, checked only when "
		 "a retransmission timer fires: it drops the connection after about %s.",
		 study_duration(study_kernel_limit_ms(15, 200), a, sizeof a),
		 study_duration(study_kernel_give_up_ms(15, 200), b, sizeof b));
	for (size_t i = 0; i < n; i++) {
		if (r[i].row->retries2 == 15 || r[i].notice_ms < 0 || !strstr(r[i].reason, "tcp_retries2"))
			continue;
		k = (int)strlen(buf);
		snprintf(buf + k, len - (size_t)k, " The same model says %s for tcp_retries2=%d; measured here: %s.",
			 study_duration(r[i].kernel_give_up_ms, c, sizeof c), r[i].row->retries2,
			 study_duration(r[i].notice_ms, d, sizeof d));
		break;
	}
	return buf;
}

void study_report_print(FILE *out, const struct study_result *r, size_t n, int every_ms)
{
	char a[96], b[96], note[512];
	int bad = 0;

	fprintf(out, "\nTime to notice a half-open connection, and ws-naive messages lost meanwhile "
		     "(one sent every %d ms):\n", every_ms);
	fprintf(out, "  %-36s %-40s %-42s %s\n", "setting", "noticed after", "lost", "how");
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "  %-36s %-40s %-42s %s\n", r[i].row->title, study_noticed(&r[i], a, sizeof a),
			study_lost(&r[i], every_ms, b, sizeof b), r[i].reason[0] ? r[i].reason : "-");
		if (!r[i].ok) {
			fprintf(out, "    NOT AS EXPECTED: %s\n", r[i].error);
			bad++;
		}
	}
	fprintf(out, "%s\n", study_model_note(r, n, note, sizeof note));
	if (bad)
		fprintf(out, "%d of %zu settings did not behave as the study expects (see above)\n", bad, n);
	else
		fprintf(out, "all %zu settings behaved as the study expects\n", n);
}

static void study_md(FILE *f, const struct study_result *r, size_t n, int every_ms)
{
	char a[96], b[96], note[512];

	fprintf(f, "# Detection study: how long until a half-open connection is noticed\n\n"
		   "The router forgets the client's NAT entry; neither end is told. The client keeps sending "
		   "with ws-naive, one message every %d ms: every message written into the dead connection "
		   "is LOST. A row that noticed nothing within the window is estimated from the kernel's "
		   "retransmission schedule (tcp_retries2, RTO doubling from 200 ms to a 120 s cap).\n\n"
		   "| setting | noticed after | lost | the client's reason | as expected |\n"
		   "| --- | --- | --- | --- | --- |\n", every_ms);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "| %s | %s | %s | %s | %s |\n", r[i].row->title, study_noticed(&r[i], a, sizeof a),
			study_lost(&r[i], every_ms, b, sizeof b), r[i].reason[0] ? r[i].reason : "-",
			r[i].ok ? "yes" : r[i].error);
	fprintf(f, "\n%s\n", study_model_note(r, n, note, sizeof note));
}

static int study_json(const struct outdir *dir, const struct study_result *r, size_t n, int every_ms,
		      char *err, size_t errlen)
{
	json_t *doc = json_object(), *rows = json_array();
	char *text;
	int rc;

	json_object_set_new(doc, "study", json_string("detection"));
	json_object_set_new(doc, "every_ms", json_integer(every_ms));
	for (size_t i = 0; i < n; i++) {
		const struct study_row *w = r[i].row;
		json_t *o = json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:b, s:b, s:b, s:i, s:i, s:f, s:s, s:s}",
				      "name", w->name, "title", w->title, "heartbeat_ms", (int)w->heartbeat_ms,
				      "tcp_user_timeout_ms", (int)w->user_timeout_ms, "tcp_keepalive_ms",
				      (int)w->keepalive_ms, "tcp_retries2", w->retries2, "idle", w->idle, "ran",
				      r[i].ran, "as_expected", r[i].ok, "lost", r[i].lost, "sent_after_eviction",
				      r[i].sent_after, "kernel_give_up_ms", r[i].kernel_give_up_ms, "reason",
				      r[i].reason, "cell", r[i].cell);

		if (!o)
			continue;
		json_object_set_new(o, "noticed_ms", r[i].notice_ms >= 0 ? json_real(r[i].notice_ms) : json_null());
		if (r[i].error[0])
			json_object_set_new(o, "error", json_string(r[i].error));
		json_array_append_new(rows, o);
	}
	json_object_set_new(doc, "rows", rows);
	text = json_dumps(doc, JSON_INDENT(2));
	json_decref(doc);
	if (!text)
		return err_set(err, errlen, "out of memory");
	rc = outdir_write_file(dir, "study.json", text, strlen(text), err, errlen);
	free(text);
	return rc;
}

#define PLOT_LABEL_W 300
#define PLOT_BAR_W 520
#define PLOT_ROW_H 26
#define PLOT_MIN_MS 10.0
#define PLOT_MAX_MS 1200000.0

static int plot_x(double ms)
{
	double span = log10(PLOT_MAX_MS / PLOT_MIN_MS);

	if (ms < PLOT_MIN_MS)
		ms = PLOT_MIN_MS;
	if (ms > PLOT_MAX_MS)
		ms = PLOT_MAX_MS;
	return PLOT_LABEL_W + (int)(PLOT_BAR_W * log10(ms / PLOT_MIN_MS) / span);
}

static void study_svg(FILE *f, const struct study_result *r, size_t n)
{
	static const double ticks[] = { 10, 100, 1000, 10000, 60000, 900000 };
	static const char *const tick_names[] = { "10 ms", "100 ms", "1 s", "10 s", "1 min", "15 min" };
	int h = 34 + (int)n * PLOT_ROW_H + 10, w = PLOT_LABEL_W + PLOT_BAR_W + 150;
	char esc[512], d[32];

	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"study-plot\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"time to notice, per setting\">"
		   "<defs><pattern id=\"est\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
		   "patternTransform=\"rotate(45)\"><rect width=\"3\" height=\"6\" fill=\"#cf222e\"/></pattern></defs>",
		w, h, w, h);
	for (size_t t = 0; t < ARRAY_LEN(ticks); t++)
		fprintf(f, "<line x1=\"%d\" y1=\"22\" x2=\"%d\" y2=\"%d\" stroke=\"#d0d7de\"/><text x=\"%d\" y=\"14\" "
			   "text-anchor=\"middle\" fill=\"#57606a\" font-size=\"12\">%s</text>",
			plot_x(ticks[t]), plot_x(ticks[t]), h - 8, plot_x(ticks[t]), tick_names[t]);
	for (size_t i = 0; i < n; i++) {
		int y = 28 + (int)i * PLOT_ROW_H;
		bool est = r[i].ran && r[i].notice_ms < 0;
		double ms = est ? r[i].kernel_give_up_ms : r[i].notice_ms;

		report_xml_escape(r[i].row->title, esc, sizeof esc);
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"13\">%s</text>",
			PLOT_LABEL_W - 8, y + 14, esc);
		if (!r[i].ran)
			continue;
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"18\" fill=\"%s\"><title>%s: %s%s</title>"
			   "</rect><text x=\"%d\" y=\"%d\" font-size=\"12\">%s%s, %d lost%s</text>",
			PLOT_LABEL_W, y, plot_x(ms) - PLOT_LABEL_W + 1, est ? "url(#est)" : "#1a7f37", esc,
			study_duration(ms, d, sizeof d), est ? " (estimated)" : "", plot_x(ms) + 6, y + 14,
			est ? "~" : "", d, r[i].lost, est ? " in the window" : "");
	}
	fputs("</svg>\n", f);
}

static void study_html(FILE *f, const struct study_result *r, size_t n, int every_ms)
{
	char a[96], b[96], esc[4][600], note[512];

	fprintf(f, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>acklab: detection "
		   "study</title><style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}"
		   "table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left}"
		   ".bad{color:#cf222e}</style></head><body>\n<h1>How long until a half-open connection is "
		   "noticed</h1>\n<p>The router forgets the client's NAT entry; neither end is told. The client keeps "
		   "sending with ws-naive, one message every %d ms, and every message written into the dead "
		   "connection is lost. Green bars were measured; hatched bars did not notice within the window and "
		   "are drawn to the kernel's estimated give-up time (tcp_retries2, the RTO doubling from 200 ms to a "
		   "120 s cap).</p>\n", every_ms);
	study_svg(f, r, n);
	fputs("<table><tr><th>setting</th><th>noticed after</th><th>lost</th><th>the client's reason</th>"
	      "<th>as expected</th></tr>\n", f);
	for (size_t i = 0; i < n; i++) {
		report_xml_escape(r[i].row->title, esc[0], sizeof esc[0]);
		report_xml_escape(r[i].reason[0] ? r[i].reason : "-", esc[1], sizeof esc[1]);
		report_xml_escape(r[i].ok ? "yes" : r[i].error, esc[2], sizeof esc[2]);
		report_xml_escape(r[i].row->how, esc[3], sizeof esc[3]);
		fprintf(f, "<tr><td title=\"%s\">%s</td><td>%s</td><td>%s</td><td>%s</td><td%s>%s</td></tr>\n",
			esc[3], esc[0], study_noticed(&r[i], a, sizeof a), study_lost(&r[i], every_ms, b, sizeof b),
			esc[1], r[i].ok ? "" : " class=\"bad\"", esc[2]);
	}
	report_xml_escape(study_model_note(r, n, note, sizeof note), esc[0], sizeof esc[0]);
	fprintf(f, "</table>\n<p>%s</p>\n</body></html>\n", esc[0]);
}

/* Write what emit prints as dir/name. */
static int study_write(const struct outdir *dir, const char *name,
		       void (*emit)(FILE *, const struct study_result *, size_t, int), const struct study_result *r,
		       size_t n, int every_ms, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool failed;
	int rc;

	if (!f)
		return err_set(err, errlen, "%s: out of memory", name);
	emit(f, r, n, every_ms);
	failed = ferror(f) != 0;
	if (fclose(f) != 0 || failed) {
		free(buf);
		return err_set(err, errlen, "%s: out of memory", name);
	}
	rc = outdir_write_file(dir, name, buf, len, err, errlen);
	free(buf);
	return rc;
}

int study_report_write(const struct outdir *dir, const struct study_result *r, size_t n, int every_ms,
		       char *err, size_t errlen)
{
	if (study_write(dir, "study.md", study_md, r, n, every_ms, err, errlen) == -1 ||
	    study_write(dir, "study.html", study_html, r, n, every_ms, err, errlen) == -1)
		return -1;
	return study_json(dir, r, n, every_ms, err, errlen);
}
