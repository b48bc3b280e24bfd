/*
 * checker_feed: the checker's one pass, an entry at a time (checker.c), for
 * the two ways a history reaches it: a struct history in memory
 * (checker_run_at) and a cell's files read line by line (checker_files.c).
 * Both hand it the same struct history_fields, in time order, so both give
 * the same verdicts. Private to the checker's files.
 */
#ifndef ACKLAB_CHECKER_FEED_H
#define ACKLAB_CHECKER_FEED_H

#include "checker.h"
#include "history_scan.h"

struct chk_state;

/*
 * Start a check whose result goes to out (cleared here; out owns memory
 * from now on, released with chk_result_free). entries is about how many
 * entries will come, to size the first allocations. NULL when out of memory.
 */
struct chk_state *chk_begin(struct chk_result *out, size_t entries, int64_t t0_ns);
/*
 * File one entry, the next in time order. e's strings need to live only for
 * the call: what the check keeps is copied. 0, or -1 with err (out of
 * memory, a send entry without id or token).
 */
int chk_feed(struct chk_state *st, const struct history_fields *e, char *err, size_t errlen);
/* Classify every message and compare with exp; frees st. 0, or -1 with err (no send entries). */
int chk_end(struct chk_state *st, const struct scn_expect *exp, int recipients, char *err, size_t errlen);
/* Give up a check before chk_end (accepts NULL). */
void chk_state_free(struct chk_state *st);

#endif
