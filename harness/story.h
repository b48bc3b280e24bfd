/*
 * story: the per-message timeline of one checked cell, the one place that
 * decides which history entries tell the story of the affected messages,
 * how each is said, and where it goes on a sequence diagram. Every
 * reporter that shows a story reads it from here: summary.md prints the
 * lines as an ASCII diagram with the sentence beside each row, report.html
 * draws the same lines as SVG.
 *
 * A line is one thing that happened, with its time relative to the cell's
 * start, the role that did it, a sentence, and its place in the diagram:
 * a mark on one lane, or an arrow between two lanes (a request, a reply, a
 * push, a catch-up read, a write to the store), which may stop at the
 * router when the packet never got through. The lanes, left to right: what
 * the client's screen showed, the client host, the router (where network
 * faults act), the server, the store, and each recipient.
 */
#ifndef ACKLAB_STORY_H
#define ACKLAB_STORY_H

#include <stdbool.h>
#include <stddef.h>

#include "check.h"

/* Lanes, left to right; recipient k (1-based) is STORY_LANE_RECIPIENT + k - 1. */
enum story_lane {
	STORY_LANE_SCREEN,            /* the sender's UI: Sending, Sent, Failed */
	STORY_LANE_CLIENT,            /* the client host: the client process and its connections */
	STORY_LANE_ROUTER,            /* the NAT router, where network faults act */
	STORY_LANE_SERVER,
	STORY_LANE_STORE,             /* the server's store: rows written, acklab's read-back */
	STORY_LANE_RECIPIENT,
};

enum story_kind {
	STORY_NOTE,                   /* something a lane did or that happened to it: a mark */
	STORY_SHOWN,                  /* the sender's screen changed: Sending, Sent, Failed */
	STORY_FAULT,                  /* a fault fired or healed: a mark on the lane it acts on */
	STORY_REQUEST,                /* a send attempt's bytes, client -> server */
	STORY_REPLY,                  /* the server's answer (ack frame, HTTP status) or its bytes, -> client */
	STORY_PUSH,                   /* a message pushed to a recipient over its WebSocket */
	STORY_CATCHUP,                /* a message a recipient read by a catch-up request */
	STORY_WRITE,                  /* the server writing a row to its store (or failing to) */
};

struct story_line {
	double t_ms;                  /* since the cell's start */
	char role[32];                /* client, server, recipient1, router, acklab, ... */
	char what[640];               /* the sentence */
	int msg;                      /* index in chk.msgs of the message it concerns, or -1 */
	enum story_kind kind;
	int from, to;                 /* lanes; from == to: a mark on that lane */
	bool dropped;                 /* an arrow that stops at the router (or a write that failed) */
	bool resent;                  /* a TCP retransmission of bytes already sent: no new attempt */
	char label[80];               /* the few words drawn on the arrow or beside the mark */
	char frames[96];              /* "frames 77, 78": the pcap frames behind it, or "" */
};

/* One row of an affected message in the store as read back after the run. */
struct story_row {
	int msg;                      /* index in chk.msgs */
	char ts[48];
	double written_ms;            /* when the server said it persisted it; < 0 when unknown */
	int attempt;                  /* the client's attempt in flight then; 0 when unknown */
};

struct story {
	bool *affected;               /* by message index: the messages the story follows; owned */
	struct story_line *lines;     /* owned */
	size_t n, cap;
	struct story_row *rows;       /* owned; in the store's order */
	size_t nrows;
	char (*store)[512];           /* by message index: what the store holds of it; owned */
	int nlanes;                   /* STORY_LANE_RECIPIENT + the number of recipients */
	char legend[512];             /* which address is which host */
	bool kept;                    /* false when the cell's history was not available */
};

/*
 * Build the story of c (a checked cell). Returns 0, or -1 when out of memory or when c kept only
 * its events (history_events_only: a big cell). Free with story_free.
 */
int story_build(const struct cell_result *c, struct story *out);
void story_free(struct story *s);

/* A ts shortened for a label ("…864346"): the digits that differ between two rows. Returns buf. */
const char *story_short_ts(const char *ts, char *buf, size_t len);

/* "screen", "client", "router", "server", "store", "recipient1", ... into buf; returns buf. */
const char *story_lane_name(int lane, char *buf, size_t len);

/*
 * One paragraph on what happened to message id in cell c, attempt by
 * attempt, for a side-by-side contrast between a stack that broke and one
 * that survived the same fault: whether each attempt carried a
 * client_msg_id, whether the server stored it anew or found the first row
 * (duplicate: true/false), the ts the client was given, and the rows the
 * store holds. Returns 0, or -1 when c does not hold that message.
 */
int story_account(const struct cell_result *c, const char *id, char *buf, size_t len);

/*
 * How the client of c noticed its connection was dead after the first
 * fault ("heartbeat", "ack timeout", "closed by peer", ...), as the client
 * said it; NULL when it never did. Borrowed from c's history.
 */
const char *story_detect_reason(const struct cell_result *c);

/*
 * The cell of cells[0..n) that best contrasts with bug: the same
 * scenario, met, with message id ok in it; among those, one whose client
 * retried it (it met the fault rather than missed it), then the stack
 * whose name shares the longest start with bug's (http-nokey -> http,
 * ws-ack -> ws-ack-key). NULL when there is none.
 */
const struct cell_result *story_contrast_cell(const struct cell_result *bug, const char *id,
					      const struct cell_result *cells, int n);

#endif
