/*
 * checker: classify every message of one cell from its observed history,
 * then compare with what the scenario expects. Pure: it reads a history
 * (history.h) and never touches the network.
 *
 * What it reads from the history:
 *   role "acklab", ev "send":    {"id":"m3","token":"acklab-5f2c-m3","channel":..}
 *                                (optional "parent_ts" for replies; "watched": false
 *                                when recipients do not follow its channel, so
 *                                missing it is no gap)
 *   role "client":  ev "sending"/"sent"/"failed" with "id", "attempts", "ts"
 *   role "recipientN": ev "received" with "ts" and "text"
 *   role "store":   ev "stored" with "ts" and "text" (the store read back after the run)
 * A message is found in any text by its token.
 */
#ifndef ACKLAB_CHECKER_H
#define ACKLAB_CHECKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checker_class.h"
#include "history.h"
#include "scenario.h"

#define CHK_MAX_MSGS 64

struct chk_message {
	char id[SCN_ID_MAX];
	char token[96];
	enum chk_class cls;
	char client_outcome[16];      /* "sent", "failed" or "none" */
	int attempts;
	int stored;                   /* rows in the store carrying the token */
	int delivered_max;            /* most distinct copies any recipient saw */
	int phantom_copies;           /* copies seen by recipients that the store lacks */
	int recipients_missing;       /* recipients that never saw a stored copy */
	char why[160];                /* one sentence: "client showed Sent at 412 ms; store has 0 rows" */
};

struct chk_result {
	struct chk_message msgs[CHK_MAX_MSGS];
	int nmsgs;
	int counts[CHK_CLASS_COUNT];
	bool pass;
	char verdict[160];            /* "LOST m3", "DUP m3", "PHANTOM m3", "clean" (observed) */
	char expected[160];           /* "LOST m3", "clean" */
	char reason[512];             /* why it failed, e.g. "expected lost={m3}, observed none: the fault did not bite" */
};

/*
 * Classify the messages in h and compare with exp (NULL: expect clean).
 * recipients is the number of recipient roles. Returns 0, or -1 with err
 * when the history is unusable (no send entries).
 */
int checker_run(struct history *h, const struct scn_expect *exp, int recipients,
		struct chk_result *out, char *err, size_t errlen);
/*
 * Same, with the times in "why" relative to t0_ns (the cell's time zero,
 * as in history.jsonl and summary.md) instead of the first entry.
 */
int checker_run_at(struct history *h, const struct scn_expect *exp, int recipients, int64_t t0_ns,
		   struct chk_result *out, char *err, size_t errlen);

#endif
