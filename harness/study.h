/*
 * study: sweeps of one setting across many cells, reported as a table and a
 * plot instead of a matrix of verdicts.
 *
 * `acklab study detection` asks how long a client takes to notice a
 * half-open connection (the router forgot its NAT entry; neither end was
 * told) and how many WebSocket messages it writes into the dead connection
 * meanwhile, for each way of noticing: application heartbeats, TCP keepalive,
 * TCP_USER_TIMEOUT and the kernel's retransmission limit (tcp_retries2, set
 * in the client's own network namespace). Each setting is a generated
 * scenario run on ws-naive (the stack that shows every message written into
 * a dead connection as LOST); the kernel's default of about 15 minutes is
 * estimated from its retransmission schedule, not waited for.
 *
 * The study's rows are measurements, not expectations a stack must meet, so
 * it runs its cells itself (runner.h) and checks each one (check.h) for its
 * classes and its history; what the study asserts is its lesson: the
 * settings that should notice within the window do, those that cannot do
 * not, and the positive control (nothing that notices) loses every message.
 */
#ifndef ACKLAB_STUDY_H
#define ACKLAB_STUDY_H

#include <stdbool.h>
#include <stddef.h>

#include "stack.h"

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

struct study_opts {
	const char *out_dir;          /* the study folder to create; NULL: reports/study-detection-<time> */
	const char *reports_dir;
	const char *bin_dir;
	const struct stack *stack;    /* the stack every row runs on (ws-naive) */
	int jobs;
	unsigned long seed;
	volatile int *stop;
};

/* The detection sweep's rows, and how many. */
extern const struct study_row study_detection_rows[];
extern const size_t study_detection_nrows;

/*
 * The scenario text of one row (generated; kept in the study folder so a row
 * can be rerun with `acklab run --scenarios-dir`). Returns a malloc'd string
 * or NULL when out of memory.
 */
char *study_detection_scenario(const struct study_row *r);

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

/*
 * Run the detection sweep into o->out_dir, print the table, write study.md,
 * study.json and study.html there. Returns the exit status: 0 every row ran
 * and the lesson held, 1 not, 2 usage or setup error, 130 interrupted.
 */
int study_detection_run(const struct study_opts *o);

#endif
