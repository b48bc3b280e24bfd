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
#include "study_model.h"

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
 * Run the detection sweep into o->out_dir, print the table, write study.md,
 * study.json and study.html there. Returns the exit status: 0 every row ran
 * and the lesson held, 1 not, 2 usage or setup error, 130 interrupted.
 */
int study_detection_run(const struct study_opts *o);

#endif
