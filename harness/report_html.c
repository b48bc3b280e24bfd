/*
 * report_html: report.html, the run as one page a browser opens from the
 * run folder with nothing else: no network, no scripts, no fonts (a
 * Content-Security-Policy says so, so a stray reference is an error in
 * the browser's console rather than a silent fetch). It holds the matrix,
 * each cell linking to its story; the detection times as an SVG bar
 * chart; and per story an SVG sequence diagram in the article's manner:
 * one lane each for the client's screen, the client host, the router,
 * the server, the store and every recipient, time running down; arrows
 * for requests, replies, pushes, catch-up reads and writes to the store,
 * a dropped packet as an arrow that stops at the router with an X, the
 * fault as a mark on the lane it acts on, the screen's Sending / Sent /
 * Failed as badges, the pcap frame numbers at the end of each row, the
 * full sentence as the hover title, and the store's rows at the bottom.
 * Then the message table and the same message in a stack that survived.
 *
 * The diagram draws story.c's lines and nothing else, so it says exactly
 * what summary.md says. Everything is written in end(), where all cells
 * are at hand with their histories (report.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "story.h"
#include "util.h"
#include "version.h"

#define RH_TIME_W 64                  /* the time column */
#define RH_LANE_W 150
#define RH_FRAMES_W 120               /* the frame numbers, right of the lanes */
#define RH_HEAD_H 44
#define RH_ROW_H 24

/* Text for HTML and SVG: the five characters that could end it escaped. */
static void rh_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
				fputc(*s, f);
		}
	}
}

/* "scenario-stack", escaped: the id of a cell's story and diagram. */
static const char *rh_id(const struct cell_result *c, char *buf, size_t len)
{
	char name[200];

	snprintf(name, sizeof name, "%s-%s", c->scenario, c->stack);
	report_xml_escape(name, buf, len);
	return buf;
}

static const char rh_style[] =
	"body{font:14px/1.45 sans-serif;margin:24px auto;max-width:1280px;padding:0 16px;color:#1f2328}"
	"h1{font-size:24px}h2{font-size:19px;margin-top:32px;border-bottom:1px solid #d0d7de}"
	"h3{font-size:16px}code,pre{font-family:monospace;font-size:12.5px}"
	"pre{background:#f6f8fa;padding:8px;overflow-x:auto}"
	"table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #d0d7de;padding:4px 8px;"
	"vertical-align:top}th{background:#f6f8fa;text-align:left}"
	"table.matrix td{text-align:center;white-space:nowrap}table.matrix td:first-child{text-align:left}"
	"td.ok{background:#dafbe1}td.bug{background:#fff1c2}td.fail{background:#ffd7d5}"
	"td.na,td.notrun{background:#eaeef2;color:#57606a}td a{color:inherit}"
	"blockquote{margin:8px 0;padding:4px 12px;border-left:4px solid #d0d7de;color:#57606a;white-space:pre-wrap}"
	".failures{background:#fff5f5;border:1px solid #ffb3b0;padding:8px 16px}"
	".contrast{display:grid;grid-template-columns:1fr 1fr;gap:12px}"
	".contrast div{border:1px solid #d0d7de;padding:8px}.contrast .bad{background:#fff5f5}"
	".contrast .good{background:#f0fff4}"
	"svg text{font-family:sans-serif;font-size:11px}svg .lbl{paint-order:stroke;stroke:#fff;"
	"stroke-width:3px;stroke-linejoin:round}svg g.ev:hover .lbl{font-weight:bold}"
	"svg g.ev:hover .row{fill:#f3f6fb}.diagram{overflow-x:auto}";

/* Lane x (its centre). */
static int rh_x(int lane)
{
	return RH_TIME_W + RH_LANE_W / 2 + lane * RH_LANE_W;
}

static const char *rh_color(const struct story_line *l)
{
	if (l->dropped)
		return "#cf222e";
	switch (l->kind) {
	case STORY_REQUEST: return "#0969da";
	case STORY_REPLY: return "#1a7f37";
	case STORY_PUSH: case STORY_CATCHUP: return "#8250df";
	case STORY_WRITE: return "#9a6700";
	case STORY_FAULT: return "#cf222e";
	default: return "#57606a";
	}
}

static void rh_title(FILE *f, const struct story_line *l)
{
	fprintf(f, "<title>%+.1f ms  %s: ", l->t_ms, l->role);
	rh_text(f, l->what);
	if (l->frames[0]) {
		fputs(" [", f);
		rh_text(f, l->frames);
		fputs(" in capture.pcap]", f);
	}
	fputs("</title>", f);
}

/* A mark on one lane: a badge on the screen, a diamond for a fault, a dot for anything else. */
static void rh_mark(FILE *f, const struct story_line *l, int y)
{
	int x = rh_x(l->from);

	if (l->kind == STORY_SHOWN) {
		const char *fill = strncmp(l->label, "Sent", 4) == 0 ? "#1a7f37" :
				   strncmp(l->label, "Failed", 6) == 0 ? "#cf222e" : "#6e7781";
		int w = 16 + 7 * report_width(l->label);

		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"18\" rx=\"9\" fill=\"%s\"/>"
			   "<text x=\"%d\" y=\"%d\" fill=\"#fff\" font-weight=\"bold\">", x - RH_LANE_W / 2 + 4, y - 9,
			w, fill, x - RH_LANE_W / 2 + 11, y + 4);
		rh_text(f, l->label);
		fputs("</text>", f);
		return;
	}
	if (l->kind == STORY_FAULT)
		fprintf(f, "<path d=\"M%d %dl8 8l-8 8l-8-8z\" fill=\"#cf222e\"/>"
			   "<text x=\"%d\" y=\"%d\" fill=\"#fff\" font-weight=\"bold\" text-anchor=\"middle\">!</text>",
			x, y - 8, x, y + 4);
	else
		fprintf(f, "<circle cx=\"%d\" cy=\"%d\" r=\"4.5\" fill=\"%s\"/>", x, y, rh_color(l));
	fprintf(f, "<text class=\"lbl\" x=\"%d\" y=\"%d\" fill=\"%s\"%s>", x + 11, y + 4, rh_color(l),
		l->kind == STORY_FAULT ? " font-weight=\"bold\"" : "");
	rh_text(f, l->label);
	fputs("</text>", f);
}

/* An arrow; a dropped packet's stops at the router with an X (a failed write at the store). */
static void rh_arrow(FILE *f, const struct story_line *l, int y)
{
	int a = rh_x(l->from), b = rh_x(l->to), stop = b, dir;
	bool via_router = (l->from < STORY_LANE_ROUTER) != (l->to < STORY_LANE_ROUTER) ||
			  l->from == STORY_LANE_ROUTER || l->to == STORY_LANE_ROUTER;
	const char *col = rh_color(l);

	if (l->dropped && via_router)
		stop = rh_x(STORY_LANE_ROUTER);
	dir = stop > a ? 1 : -1;
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"%s\"%s%s/>", a, y,
		l->dropped ? stop : b - dir * 2, y, col, l->resent ? "1.2" : "2",
		l->kind == STORY_CATCHUP || l->resent ? " stroke-dasharray=\"6 3\"" : "",
		l->dropped ? "" : l->kind == STORY_PUSH || l->kind == STORY_CATCHUP ? " marker-end=\"url(#headp)\"" :
		l->kind == STORY_REPLY ? " marker-end=\"url(#headr)\"" : l->kind == STORY_WRITE ?
		" marker-end=\"url(#headw)\"" : " marker-end=\"url(#headq)\"");
	if (l->dropped)
		fprintf(f, "<path d=\"M%d %dl12 12M%d %dl-12 12\" stroke=\"#cf222e\" stroke-width=\"3\"/>",
			stop - 6, y - 6, stop + 6, y - 6);
	fprintf(f, "<text class=\"lbl\" x=\"%d\" y=\"%d\" fill=\"%s\" text-anchor=\"middle\">", (a + stop) / 2,
		y - 5, col);
	rh_text(f, l->label);
	if (l->dropped && via_router)
		fputs(l->kind == STORY_WRITE ? "" : " (dropped)", f);
	fputs("</text>", f);
}

static void rh_diagram(FILE *f, const struct cell_result *c, const struct story *s)
{
	int lanes_w = s->nlanes * RH_LANE_W, w = RH_TIME_W + lanes_w + RH_FRAMES_W;
	int rows_h = (int)s->n * RH_ROW_H, nstore = 0, y_end, h;
	char name[32], id[400];

	for (int i = 0; i < c->chk.nmsgs; i++)
		nstore += s->affected[i] && c->chk.msgs[i].stored == 0;
	nstore += (int)s->nrows;
	y_end = RH_HEAD_H + 12 + rows_h;
	h = y_end + 28 + 16 * nstore + 12;
	fprintf(f, "<div class=\"diagram\"><svg xmlns=\"http://www.w3.org/2000/svg\" class=\"seq\" "
		   "id=\"diagram-%s\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		   "aria-label=\"sequence diagram of %s\">", rh_id(c, id, sizeof id), w, h, w, h, id);
	fputs("<defs>", f);
	static const char *const heads[][2] = { { "headq", "#0969da" }, { "headr", "#1a7f37" },
						{ "headp", "#8250df" }, { "headw", "#9a6700" } };
	for (int k = 0; k < 4; k++)
		fprintf(f, "<marker id=\"%s\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
			   "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\" fill=\"%s\"/>"
			   "</marker>", heads[k][0], heads[k][1]);
	fputs("</defs>", f);
	for (int k = 0; k < s->nlanes; k++) {
		int x = rh_x(k);

		story_lane_name(k, name, sizeof name);
		fprintf(f, "<rect x=\"%d\" y=\"6\" width=\"%d\" height=\"26\" rx=\"4\" fill=\"%s\" stroke=\"#d0d7de\"/>"
			   "<text x=\"%d\" y=\"23\" text-anchor=\"middle\" font-weight=\"bold\">%s</text>"
			   "<line x1=\"%d\" y1=\"32\" x2=\"%d\" y2=\"%d\" stroke=\"#afb8c1\" stroke-dasharray=\"3 3\"/>",
			x - RH_LANE_W / 2 + 8, RH_LANE_W - 16, k == STORY_LANE_ROUTER ? "#fff8c5" : "#f6f8fa", x,
			k == STORY_LANE_SCREEN ? "client screen" : k == STORY_LANE_CLIENT ? "client host" : name, x, x,
			y_end);
	}
	fprintf(f, "<text x=\"4\" y=\"23\" fill=\"#57606a\">ms</text><text x=\"%d\" y=\"23\" fill=\"#57606a\">"
		   "pcap frames</text>", RH_TIME_W + lanes_w + 4);
	for (size_t k = 0; k < s->n; k++) {
		const struct story_line *l = &s->lines[k];
		int y = RH_HEAD_H + 12 + (int)k * RH_ROW_H + RH_ROW_H / 2;

		fprintf(f, "<g class=\"ev\">");
		rh_title(f, l);
		fprintf(f, "<rect class=\"row\" x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"transparent\"/>"
			   "<text x=\"4\" y=\"%d\" fill=\"#57606a\">%+.1f</text>", y - RH_ROW_H / 2, w, RH_ROW_H, y + 4,
			l->t_ms);
		if (l->from == l->to)
			rh_mark(f, l, y);
		else
			rh_arrow(f, l, y);
		if (l->frames[0]) {
			fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#57606a\">", RH_TIME_W + lanes_w + 4, y + 4);
			rh_text(f, l->frames + (strncmp(l->frames, "frames ", 7) == 0 ? 7 :
						strncmp(l->frames, "frame ", 6) == 0 ? 6 : 0));
			fputs("</text>", f);
		}
		fputs("</g>", f);
	}
	/* What the store holds when acklab reads it back: one line per row of an affected message. */
	{
		int x = rh_x(STORY_LANE_SERVER) - RH_LANE_W / 2 + 8, y = y_end + 6, row = 0;
		char sts[32];

		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\" fill=\"#fff8e5\" "
			   "stroke=\"#d4a72c\"/><text x=\"%d\" y=\"%d\" font-weight=\"bold\">the store after the "
			   "run</text>", x, y, w - x - 4, 22 + 16 * nstore, x + 8, y + 15);
		for (int i = 0; i < c->chk.nmsgs; i++) {
			int shown = 0;

			if (!s->affected[i])
				continue;
			for (size_t k = 0; k < s->nrows; k++) {
				const struct story_row *r = &s->rows[k];

				if (r->msg != i)
					continue;
				fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s · ts %s", x + 8, y + 31 + 16 * row,
					c->chk.msgs[i].stored == 1 ? "#1f2328" : "#cf222e", c->chk.msgs[i].id,
					story_short_ts(r->ts, sts, sizeof sts));
				if (r->written_ms >= 0)
					fprintf(f, ", written at %+.1f ms", r->written_ms);
				if (r->attempt)
					fprintf(f, " by attempt %d", r->attempt);
				fputs("</text>", f);
				row++;
				shown++;
			}
			if (!shown) {
				fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#cf222e\">", x + 8, y + 31 + 16 * row++);
				rh_text(f, s->store[i]);
				fputs("</text>", f);
			}
		}
	}
	fputs("</svg></div>\n", f);
}

static const char *rh_cell_class(const struct cell_result *c)
{
	switch (c->status) {
	case CELL_NA: return "na";
	case CELL_NOT_RUN: return "notrun";
	case CELL_MET: return strcmp(c->chk.verdict, "clean") == 0 ? "ok" : "bug";
	default: return "fail";
	}
}

static void rh_matrix(FILE *f, const struct cell_result *cells, int ncells, enum report_side side)
{
	struct report_matrix m;
	char text[200], id[400];

	report_matrix_build_side(&m, cells, ncells, side);
	if (m.nrows == 0)
		return;
	if (side == REPORT_RECEIVE) {
		fputs("<h2 id=\"receive\">Receive side</h2>\n<p>Each receive scenario sends with <code>", f);
		rh_text(f, m.sender ? m.sender : "?");
		fputs("</code> and checks what a recipient shows, once per recipient stack: a push is a hint, "
		      "the history the truth.</p>\n", f);
	}
	fprintf(f, "<table class=\"matrix\"><tr><th>%s</th>", side == REPORT_RECEIVE ? "receive scenario" : "scenario");
	for (int c = 0; c < m.ncols; c++) {
		fputs("<th>", f);
		rh_text(f, m.cols[c]);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (int r = 0; r < m.nrows; r++) {
		fputs("<tr><td>", f);
		rh_text(f, m.titles[r]);
		fputs("</td>", f);
		for (int c = 0; c < m.ncols; c++) {
			const struct cell_result *cell = report_matrix_cell(&m, cells, ncells, r, c);

			if (!cell) {
				fputs("<td class=\"notrun\">-</td>", f);
				continue;
			}
			report_cell_text(cell, true, text, sizeof text);
			fprintf(f, "<td class=\"%s\" title=\"", rh_cell_class(cell));
			rh_text(f, cell->status == CELL_NA ? cell->na : cell->ran ? cell->chk.reason : cell->error);
			fputs("\">", f);
			if (report_has_story(cell))
				fprintf(f, "<a href=\"#story-%s\">", rh_id(cell, id, sizeof id));
			rh_text(f, text);
			fputs(report_has_story(cell) ? "</a></td>" : "</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n<p>✓ = as expected, ✗ = not (or could not run); yellow: the bug the scenario exists "
	      "to show, shown; green: clean, as expected; red: not as expected; grey: n/a (the stack cannot "
	      "do what the scenario needs) or - (not run). Each class (LOST, DUP, PHANTOM, FAILED, ...) names "
	      "its messages; a cell with a story links to it.</p>\n", f);
}

/* Detection times as horizontal bars, coloured by how the client noticed. */
/* The reconnect storms (report.h's terminal table, as HTML). */
static void rh_reconnects(FILE *f, const struct cell_result *cells, int ncells)
{
	bool any = false;

	for (int i = 0; i < ncells; i++) {
		json_t *x = cells[i].extra;
		json_int_t roles = json_integer_value(json_object_get(x, "reconnect_roles"));

		if (!x || roles < 2)
			continue;
		if (!any)
			fputs("<h2 id=\"reconnects\">Reconnect storms</h2>\n<p>Clients and recipients whose connection a "
			      "fault broke, how often, and the longest any of them was without one.</p>\n<table><tr>"
			      "<th>scenario</th><th>stack</th><th>roles</th><th>reconnects</th><th>longest without a "
			      "connection</th></tr>\n", f);
		any = true;
		fputs("<tr><td>", f);
		rh_text(f, cells[i].title);
		fputs("</td><td>", f);
		rh_text(f, cells[i].stack);
		fprintf(f, "</td><td>%lld</td><td>%lld</td><td>%.0f ms%s</td></tr>\n", (long long)roles,
			(long long)json_integer_value(json_object_get(x, "reconnects")),
			json_number_value(json_object_get(x, "reconnect_longest_ms")),
			json_integer_value(json_object_get(x, "never_reconnected")) ? " (some never came back)" : "");
	}
	if (any)
		fputs("</table>\n", f);
}

static void rh_detection(FILE *f, const struct cell_result *cells, int ncells)
{
	static const char *const kinds[][3] = {
		{ "heartbeat", "#1a7f37", "heartbeat (no pong to a ping)" },
		{ "ack timeout", "#0969da", "ack timeout (no ack for a frame)" },
		{ "", "#cf222e", "no heartbeat: the kernel (TCP_USER_TIMEOUT) or the peer" },
	};
	double max = 0;
	int n = 0, label_w = 330, bar_w = 560, h;

	for (int i = 0; i < ncells; i++) {
		json_t *d = cells[i].extra ? json_object_get(cells[i].extra, "detect_ms") : NULL;

		if (json_is_number(d)) {
			n++;
			max = json_number_value(d) > max ? json_number_value(d) : max;
		}
	}
	if (!n)
		return;
	max = max < 100 ? 100 : max * 1.1;
	h = 30 + n * 22 + 40;
	fprintf(f, "<h2 id=\"detection\">Time to notice a broken connection</h2>\n<p>From the first fault to the "
		   "moment the client reported its connection dead; the colour says how it noticed.</p>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"detection-plot\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"detection times\">", label_w + bar_w + 80, h,
		label_w + bar_w + 80, h);
	for (int t = 0; t <= (int)max; t += max > 1500 ? 500 : 200) {
		int x = label_w + (int)(bar_w * t / max);

		fprintf(f, "<line x1=\"%d\" y1=\"20\" x2=\"%d\" y2=\"%d\" stroke=\"#d0d7de\"/><text x=\"%d\" y=\"14\" "
			   "text-anchor=\"middle\" fill=\"#57606a\">%d ms</text>", x, x, 26 + n * 22, x, t);
	}
	for (int i = 0, row = 0; i < ncells; i++) {
		json_t *d = cells[i].extra ? json_object_get(cells[i].extra, "detect_ms") : NULL;
		const char *reason = story_detect_reason(&cells[i]);
		int k = 2, y;
		double v;

		if (!json_is_number(d))
			continue;
		y = 26 + row++ * 22;
		v = json_number_value(d);
		for (int j = 0; j < 2; j++)
			if (reason && strcmp(reason, kinds[j][0]) == 0)
				k = j;
		fputs("<g><title>", f);
		rh_text(f, cells[i].title);
		fputs(" on ", f);
		rh_text(f, cells[i].stack);
		fprintf(f, ": %.0f ms (the client said: ", v);
		rh_text(f, reason ? reason : "?");
		fprintf(f, ")</title><text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 8, y + 13);
		rh_text(f, cells[i].title);
		fputs(" · ", f);
		rh_text(f, cells[i].stack);
		fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"16\" fill=\"%s\"/>"
			   "<text x=\"%d\" y=\"%d\">%.0f ms</text></g>", label_w, y + 2,
			(int)(bar_w * v / max) + 1, kinds[k][1], label_w + (int)(bar_w * v / max) + 6, y + 14, v);
	}
	for (int j = 0; j < 3; j++)
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">"
			   "%s</text>", 10 + j * 300, 36 + n * 22, kinds[j][1], 28 + j * 300, 46 + n * 22, kinds[j][2]);
	fputs("</svg>\n", f);
}

static void rh_contrast(FILE *f, const struct cell_result *c, const struct cell_result *cells, int ncells)
{
	char mine[1200], theirs[1200], id[400];
	int shown = 0;

	for (int i = 0; i < c->chk.nmsgs && shown < 3; i++) {
		const struct chk_message *m = &c->chk.msgs[i];
		const struct cell_result *good;

		if (m->cls == CHK_OK || !(good = story_contrast_cell(c, m->id, cells, ncells)) ||
		    story_account(c, m->id, mine, sizeof mine) == -1 ||
		    story_account(good, m->id, theirs, sizeof theirs) == -1)
			continue;
		if (!shown++)
			fputs("<h3>Beside a stack that survived the same fault</h3>\n", f);
		fprintf(f, "<div class=\"contrast\"><div class=\"bad\"><b>%s here (%s)</b><br>", m->id,
			chk_class_name(m->cls));
		rh_text(f, mine);
		fprintf(f, "</div><div class=\"good\"><b>%s on <a href=\"#story-%s\">", m->id,
			rh_id(good, id, sizeof id));
		rh_text(f, good->stack);
		fputs("</a> (ok)</b><br>", f);
		rh_text(f, theirs);
		fputs("</div></div>\n", f);
	}
}

/*
 * What happened to each message, a row each; for a big cell (over
 * REPORT_BIG_CELL) the count of each class and the first few of each.
 */
static void rh_messages(FILE *f, const struct cell_result *c)
{
	int idx[REPORT_SHOWN_MAX], n = report_shown_messages(c, idx);
	char counts[512];

	if (c->chk.nmsgs > REPORT_BIG_CELL) {
		report_class_counts(c, counts, sizeof counts);
		fprintf(f, "<p>%d messages:%s the first %d of each class below. Every message's outcome is in "
			   "<code>results.json</code>; the sequence diagram is left out for a cell this big.</p>\n",
			c->chk.nmsgs, counts, REPORT_BIG_SHOWN);
	}
	fputs("<table><tr><th>message</th><th>class</th><th>client</th><th>attempts</th><th>stored</th>"
	      "<th>delivered</th><th>why</th></tr>\n", f);
	for (int k = 0; k < n; k++) {
		const struct chk_message *m = &c->chk.msgs[idx[k]];
		char why_buf[256];

		fprintf(f, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>", m->id,
			chk_class_name(m->cls), m->client_outcome, m->attempts, m->stored, m->delivered_max);
		rh_text(f, chk_why(m, why_buf, sizeof why_buf));
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void rh_story(FILE *f, const struct cell_result *c, const struct cell_result *cells, int ncells)
{
	struct story story;
	char where[600], rerun[300], id[400];

	fprintf(f, "<article class=\"story\" id=\"story-%s\"><h2>", rh_id(c, id, sizeof id));
	rh_text(f, c->title);
	fputs(" × ", f);
	rh_text(f, c->stack);
	fputs(": ", f);
	rh_text(f, c->ran ? c->chk.verdict : "error");
	fprintf(f, " %s</h2>\n", cell_met(c) ? "✓" : "✗");
	if (c->lesson[0]) {
		fputs("<blockquote>", f);
		rh_text(f, c->lesson);
		fputs("</blockquote>\n", f);
	}
	fputs("<p>", f);
	if (c->ran) {
		fputs("Expected <b>", f);
		rh_text(f, c->chk.expected);
		report_expect_where(c, where, sizeof where);
		fputs("</b> (<code>", f);
		rh_text(f, where);
		fputs("</code>), observed <b>", f);
		rh_text(f, c->chk.verdict);
		fputs("</b>. ", f);
	} else {
		fputs("Could not run to the end: ", f);
		rh_text(f, c->error);
		fputs(c->classified ? ". What happened until then: " : ". ", f);
	}
	if (!cell_met(c)) {
		report_expect_where(c, where, sizeof where);
		report_rerun(c, rerun, sizeof rerun);
		if (c->ran) {
			fputs("<b>Not as expected:</b> ", f);
			rh_text(f, c->chk.reason);
			fputs(". ", f);
		}
		fputs("Expectation: <code>", f);
		rh_text(f, where);
		fputs("</code>; run it again: <code>", f);
		rh_text(f, rerun);
		fputs("</code>.", f);
	}
	fputs("</p>\n", f);
	if (c->chk.nmsgs <= REPORT_BIG_CELL && (c->ran || c->classified || c->history) &&
	    story_build(c, &story) == 0) {
		fputs("<p>Time runs down, in ms from the cell's start. Hover over a row for the whole event. ", f);
		rh_text(f, story.legend);
		fputs(".</p>\n", f);
		rh_diagram(f, c, &story);
		fputs("<details><summary>The same events as sentences</summary><pre>", f);
		for (size_t k = 0; k < story.n; k++) {
			fprintf(f, "%+9.1f ms  %-10s ", story.lines[k].t_ms, story.lines[k].role);
			rh_text(f, story.lines[k].what);
			if (story.lines[k].frames[0]) {
				fputs(" [", f);
				rh_text(f, story.lines[k].frames);
				fputs("]", f);
			}
			fputc('\n', f);
		}
		fputs("</pre></details>\n", f);
		story_free(&story);
	}
	rh_messages(f, c);
	rh_contrast(f, c, cells, ncells);
	if (c->dir[0]) {
		fputs("<p>Artifacts: <code>", f);
		rh_text(f, c->dir);
		fputs("/history.jsonl</code>, <code>", f);
		rh_text(f, c->dir);
		fputs("/capture.pcap</code> (open it in Wireshark; the frame numbers above are its frames), "
		      "logs in <code>", f);
		rh_text(f, c->dir);
		fputs("/</code>.</p>\n", f);
	}
	if (json_array_size(c->commands)) {
		size_t i;
		json_t *cmd;

		fputs("<details class=\"commands\"><summary>Command lines, as each role ran them</summary><pre>", f);
		json_array_foreach(c->commands, i, cmd) {
			rh_text(f, json_string_value(json_object_get(cmd, "role")) ?: "");
			fputs(" (in ", f);
			rh_text(f, json_string_value(json_object_get(cmd, "host")) ?: "");
			fputs("): ", f);
			rh_text(f, json_string_value(json_object_get(cmd, "command")) ?: "");
			fputc('\n', f);
		}
		fputs("</pre></details>\n", f);
	}
	fputs("</article>\n", f);
}

static void rh_failures(FILE *f, const struct cell_result *cells, int ncells)
{
	int n = 0;

	for (int i = 0; i < ncells; i++)
		n += cells[i].status == CELL_UNMET || cells[i].status == CELL_ERROR;
	if (!n)
		return;
	fprintf(f, "<section class=\"failures\" id=\"failures\"><h2>✗ %d cell%s not as expected</h2><ul>\n", n,
		n == 1 ? "" : "s");
	for (int i = 0; i < ncells; i++) {
		const struct cell_result *c = &cells[i];
		char where[600], rerun[300], id[400];

		if (c->status != CELL_UNMET && c->status != CELL_ERROR)
			continue;
		report_expect_where(c, where, sizeof where);
		report_rerun(c, rerun, sizeof rerun);
		fprintf(f, "<li><a href=\"#story-%s\"><b>", rh_id(c, id, sizeof id));
		rh_text(f, c->scenario);
		fputs(" × ", f);
		rh_text(f, c->stack);
		fputs("</b></a>: ", f);
		rh_text(f, c->status == CELL_ERROR ? c->error : c->chk.reason);
		fputs(". Expectation <code>", f);
		rh_text(f, where);
		fputs("</code>; run it again: <code>", f);
		rh_text(f, rerun);
		fputs("</code></li>\n", f);
	}
	fputs("</ul></section>\n", f);
}

static int rh_end(void *state, const struct run_info *run, const struct cell_result *cells, int ncells,
		  char *err, size_t errlen)
{
	char *doc = NULL;
	size_t doclen = 0;
	int npass = 0, nna = 0, nnot = 0, rc = -1;
	bool any_na = false;
	FILE *f;

	(void)state;
	for (int i = 0; i < ncells; i++) {
		npass += cell_met(&cells[i]);
		nna += cells[i].status == CELL_NA;
		nnot += cells[i].status == CELL_NOT_RUN;
	}
	f = open_memstream(&doc, &doclen);
	if (!f)
		return err_set(err, errlen, "report.html: out of memory");
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		   "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		   "style-src 'unsafe-inline'\">\n<meta name=\"viewport\" content=\"width=device-width\">\n"
		   "<title>acklab run %s</title>\n<style>%s</style></head><body>\n<h1>acklab run</h1>\n<p>Started ",
		run->started, rh_style);
	rh_text(f, run->started);
	fprintf(f, "; %d cell%s, %d as expected, %d not, %d n/a%s; %.1f s%s. acklab %s (%s), kernel ", ncells,
		ncells == 1 ? "" : "s", npass, ncells - npass - nna - nnot, nna, nnot ? ", some not run" : "",
		run->duration_ms / 1000.0, run->rootless ? "; rootless" : "", ACKLAB_VERSION, ACKLAB_COMMIT);
	rh_text(f, run->kernel);
	fputs(".</p>\n", f);
	rh_failures(f, cells, ncells);
	fputs("<h2 id=\"matrix\">Matrix</h2>\n", f);
	rh_matrix(f, cells, ncells, REPORT_SEND);
	rh_matrix(f, cells, ncells, REPORT_RECEIVE);
	for (int i = 0; i < ncells; i++) {
		if (cells[i].status != CELL_NA && cells[i].status != CELL_NOT_RUN)
			continue;
		fputs(any_na ? "" : "<h2>Not run here</h2><ul>\n", f);
		any_na = true;
		fputs("<li>", f);
		rh_text(f, cells[i].scenario);
		fputs(" × ", f);
		rh_text(f, cells[i].stack);
		fputs(": ", f);
		rh_text(f, cells[i].status == CELL_NA ? cells[i].na : cells[i].error);
		fputs("</li>\n", f);
	}
	fputs(any_na ? "</ul>\n" : "", f);
	rh_detection(f, cells, ncells);
	rh_reconnects(f, cells, ncells);
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < ncells; i++)
			if (report_has_story(&cells[i]) && cell_met(&cells[i]) == (pass == 1))
				rh_story(f, &cells[i], cells, ncells);
	fputs("</body></html>\n", f);
	rc = report_write_memstream(f, &doc, &doclen, run, "report.html", err, errlen);
	free(doc);
	return rc;
}

const struct reporter_ops report_html_ops = {
	.name = "html",
	.begin = report_begin_nothing,
	.cell = report_cell_nothing,
	.end = rh_end,
};
