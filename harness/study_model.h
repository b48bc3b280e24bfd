/*
 * study_model: what the detection study's two halves share, below both:
 * a row (one setting), what its cell showed, and the kernel's
 * retransmission model the rows that notice nothing are estimated from.
 * study.c runs the rows; study_report.c shows them.
 */
#ifndef ACKLAB_STUDY_MODEL_H
#define ACKLAB_STUDY_MODEL_H

#include <stdbool.h>

/* One setting of the detection sweep: the client's timers and the kernel's limit. */
struct study_row {
	const char *name;             /* the generated scenario's name: "detect-heartbeat-100" */
	const char *title;            /* "heartbeat 100 ms" */
	const char *how;              /* what is supposed to notice, for the table */
	long heartbeat_ms, user_timeout_ms, keepalive_ms;
	int retries2;                 /* net.ipv4.tcp_retries2 in the client's namespace */
	bool idle;                    /* nothing is sent for a while after the eviction */
	long notice_max_ms;           /* must notice within this; 0: must not notice within the window */
};

/* What one row's cell showed. */
struct study_result {
	const struct study_row *row;
	bool ran;                     /* the cell ran and was classified */
	char error[512];              /* why not, or why the row broke the study's lesson */
	bool ok;                      /* ran, the fault touched the connection, and the lesson held */
	double notice_ms;             /* fault -> the client's "disconnected"; < 0: not within the window */
	char reason[160];             /* the client's reason for the disconnect */
	int lost, sent_after;         /* LOST messages, and messages sent after the eviction */
	double kernel_give_up_ms;     /* the retransmission schedule's estimate for the row's retries2 */
	char cell[160];               /* the cell's folder under the study folder */
};

/*
 * The kernel's time limit for unacknowledged data under tcp_retries2, in ms,
 * as its tcp_model_timeout() computes it: the RTO doubling from rto_ms to
 * the 120 s cap, retries2 times. 15 (the default) with 200 ms is 924.6 s.
 */
double study_kernel_limit_ms(int retries2, double rto_ms);
/*
 * When the kernel really drops the connection, in ms after the first
 * unacknowledged send: it compares the limit with the time since the first
 * retransmission only when a retransmission timer fires (at rto, 3 rto,
 * 7 rto, ...), so at the first firing that is past it. tcp_retries2=2 with
 * 200 ms: 3.0 s; 15: 1044.6 s (17.4 min).
 */
double study_kernel_give_up_ms(int retries2, double rto_ms);

#endif
