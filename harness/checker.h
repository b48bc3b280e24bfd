/*
 * checker: classify every message of one cell from its observed history,
 * then compare with what the scenario expects. Pure: it reads a history
 * (history.h) and never touches the network. One pass over the history with
 * a hash from token and from message id to the message, so checking is
 * linear in the history (bench/checker.sh measures it).
 *
 * What it reads from the history:
 *   role "acklab", ev "send":    {"id":"m3","token":"acklab-5f2c-m3","channel":..}
 *                                (optional "parent_ts" for replies; "watched": false
 *                                when recipients do not follow its channel, so
 *                                missing it is no gap)
 *   role "client":  ev "sending" (one per attempt) and "sent"/"failed" with "id",
 *                   "attempts", "ts"
 *   role "recipientN": ev "received" with "text", "ts" when the server gives one,
 *                   and "via" ("ws" for a push, anything else for a catch-up read);
 *                   one entry per display, duplicates included
 *   role "store":   ev "stored" with "text" and "ts" (the store read back after the
 *                   run, in the store's order)
 * A message is found in any text by its token, matched whole (token.h); store
 * rows and recipients' copies are told apart by ts when the server gives one.
 */
#ifndef ACKLAB_CHECKER_H
#define ACKLAB_CHECKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "checker_class.h"
#include "history.h"
#include "scenario.h"

/* Laid out for size, a million of them in a big cell: pointers and doubles, then the ints. */
struct chk_message {
	const char *id;               /* "m3"; in the result's strings */
	const char *token;            /* in the result's strings */
	const char *client_outcome;   /* "sent", "failed" or "none" (static strings) */
	const char *client_ts;        /* the ts the client showed with Sent, or ""; in the result's strings */
	double send_ms;               /* when acklab asked the client to send it, from the cell's time zero */
	double client_ms;             /* when the client showed Sent or Failed (its last word); 0 for none */
	enum chk_class cls;
	int attempts;
	int stored;                   /* rows in the store carrying the token */
	int delivered_max;            /* most distinct stored copies any recipient saw */
	int pushes_max;               /* most times any recipient was shown one copy */
	int phantom_copies;           /* copies seen by recipients that the store lacks */
	int recipients_missing;       /* recipients that never saw a stored copy */
	const char *stored_ts;        /* the ts of its first store row ("no ts" without one), or "" */
	const char *why;              /* one sentence: "client showed Sent at 412 ms; store has 0 rows";
	                                 in the result's strings; NULL for an ok message, whose sentence
	                                 chk_why() puts together from the fields above when asked */
};

struct chk_result {
	struct chk_message *msgs;     /* owned (chk_result_free); in the order they were sent */
	struct arena strings;         /* the messages' tokens and sentences; owned */
	int nmsgs;
	int counts[CHK_CLASS_COUNT];
	bool pass;
	char verdict[256];            /* "LOST m3", "DUP m3", "PHANTOM m3", "clean" (observed) */
	char expected[256];           /* "LOST m3", "clean" */
	char reason[512];             /* why it failed, e.g. "expected lost={m3}, observed none: the fault did not bite" */
};

/*
 * Classify the messages in h and compare with exp (NULL: expect clean).
 * recipients is the number of recipient roles; times in "why" are relative
 * to t0_ns (the cell's time zero, as in history.jsonl and summary.md).
 * Returns 0, or -1 with err when the history is unusable (no send entries).
 * out owns memory afterwards either way: release it with chk_result_free().
 */
int checker_run_at(struct history *h, const struct scn_expect *exp, int recipients, int64_t t0_ns,
		   struct chk_result *out, char *err, size_t errlen);
/* Same, with the times relative to the first entry. */
int checker_run(struct history *h, const struct scn_expect *exp, int recipients,
		struct chk_result *out, char *err, size_t errlen);
/*
 * The same verdicts as history_load_cell(history_path, store_path,
 * store_t_ns) then checker_run_at() give (errors included), read straight
 * from the cell's files a line at a time (checker_files.c): for a big run,
 * several times faster and without the history in memory. Same contract as
 * checker_run_at().
 */
int checker_run_files(const char *history_path, const char *store_path, int64_t store_t_ns,
		      const struct scn_expect *exp, int recipients, int64_t t0_ns, struct chk_result *out,
		      char *err, size_t errlen);
void chk_result_free(struct chk_result *r);
/*
 * What happened to m, in one sentence: m->why, or for an ok message (a
 * million of them in a big cell, not worth keeping) the sentence its fields
 * make, into buf. The sentence, in buf or in the result's strings.
 */
const char *chk_why(const struct chk_message *m, char *buf, size_t len);
/*
 * Compare the classes in r with exp (NULL: expect clean), filling r->pass,
 * verdict, expected and reason (checker_expect.c). checker_run_at() does it;
 * it stands alone so a result can be compared again.
 */
void chk_compare(struct chk_result *r, const struct scn_expect *exp);
/*
 * The bot view (checker_bot.c): when the history holds a bot's record (role
 * "bot-store", ev "processed", one entry per processed event, the message
 * found by the token in its "text"), every message classified ok is
 * bot-lost if the bot never processed it and bot-dup if it did twice or
 * more. A history without a bot's record gets no bot view.
 *
 * One line of a bot's record into h as role "bot-store" ("processed" unless it says); the entry or NULL. */
json_t *chk_bot_add_record(struct history *h, const char *line, int64_t t_read_ns);

#endif
